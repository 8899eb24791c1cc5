/**
 * The load generator of the local-channel bench, run as its own process (like real clients): people
 * answering questions over HTTP as fast as replies come back.
 */
import { Pool } from 'undici';
import type { QuestionMeta } from '../src/core/messages';
import type { LocalReply } from '../src/channels/local';
import { answerFor, findQuestion } from '../test/helpers/answers';

/** What the bench asks the client process to do. */
export interface ClientJob {
  url: string;
  users: number;
  perChat: number;
  tag: string;
  limit: number;
  create: string;
  /** When set, each person sends at most one answer per this many milliseconds (an open, paced load). */
  paceMs?: number;
  /** Instead of answering, each person sends `limit` GET /healthz (the floor of this client and machine). */
  floor?: boolean;
}

/** What the client reports: the milliseconds of each answer (as the client saw it, and as the server's Server-Timing says) and the wall time of the whole run. */
export interface ClientResult {
  times: number[];
  serverTimes: number[];
  seconds: number;
}

/** Server-side durations of the answers posted so far (from the Server-Timing header). */
const serverTimes: number[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// undici, the HTTP/1.1 client under Node's fetch, on kept-alive connections: the load generator shares
// the 2-core machine with the server, and node:http cost about 0.15 ms of client CPU per request, four
// times undici's, so the client's own queue showed up as server latency (GET /healthz: p99 20–27 ms
// with node:http, 10–12 ms with undici).
let pool: Pool | undefined;
function poolFor(url: string, connections: number): Pool {
  pool ??= new Pool(new URL(url).origin, { connections, pipelining: 1 });
  return pool;
}

async function post(url: string, chatId: string, userId: string, text: string, isAnswer = false): Promise<LocalReply[]> {
  const { pathname } = new URL(url);
  const res = await pool!.request({
    path: pathname,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ chatId, userId, userName: userId, text }),
  });
  const reply = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${reply}`);
  const timing = /app;dur=([\d.]+)/.exec(String(res.headers['server-timing'] ?? ''));
  if (isAnswer && timing) serverTimes.push(Number(timing[1]));
  return (JSON.parse(reply) as { replies: LocalReply[] }).replies;
}

/** An answer the bot accepts for most question types (key tasks need names and points). */
export function answerOf(q: QuestionMeta): string {
  return q.type === 'list' ? '党建工作 20分\n业务工作 20分' : answerFor(q);
}

/** GET a URL and read the body, on the same connections as the answers. */
async function get(url: string): Promise<void> {
  const res = await pool!.request({ path: new URL(url).pathname, method: 'GET' });
  await res.body.dump();
}

async function runFloor(job: ClientJob): Promise<ClientResult> {
  const url = job.url.replace(/\/api\/local\/messages$/, '/healthz');
  const t0 = performance.now();
  const all = await Promise.all(
    Array.from({ length: job.users }, async () => {
      const times: number[] = [];
      for (let i = 0; i < job.limit; i++) {
        const t = performance.now();
        await get(url);
        times.push(performance.now() - t);
      }
      return times;
    }),
  );
  return { times: all.flat(), serverTimes: [], seconds: (performance.now() - t0) / 1000 };
}

async function runJob(job: ClientJob): Promise<ClientResult> {
  poolFor(job.url, job.users);
  serverTimes.length = 0;
  if (job.floor) return runFloor(job);
  const chats = Math.ceil(job.users / job.perChat);
  for (let c = 0; c < chats; c++) await post(job.url, `${job.tag}-${c}`, `${job.tag}-org`, job.create);
  // Everyone has said 开始 before anyone answers: the run measures answering, not the start-up burst.
  const first = await Promise.all(
    Array.from({ length: job.users }, async (_, u) => findQuestion(await post(job.url, `${job.tag}-${Math.floor(u / job.perChat)}`, `${job.tag}-u${u}`, '开始'))),
  );
  const t0 = performance.now();
  const all = await Promise.all(
    Array.from({ length: job.users }, async (_, u) => {
      const chat = `${job.tag}-${Math.floor(u / job.perChat)}`;
      const user = `${job.tag}-u${u}`;
      const times: number[] = [];
      let q = first[u];
      // Paced people start at random offsets, so the answers do not arrive in bursts.
      if (job.paceMs) await sleep(Math.random() * job.paceMs);
      while (q && times.length < job.limit) {
        const t = performance.now();
        const replies = await post(job.url, chat, user, answerOf(q), true);
        times.push(performance.now() - t);
        const next = findQuestion(replies);
        q = next && next.key === q.key ? findQuestion(await post(job.url, chat, user, '跳过')) : next;
        if (job.paceMs) await sleep(Math.max(0, job.paceMs - (performance.now() - t)));
      }
      return times;
    }),
  );
  return { times: all.flat(), serverTimes: [...serverTimes], seconds: (performance.now() - t0) / 1000 };
}

/**
 * Runs jobs one after another in this process, so that the runs the bench warms the server up with
 * warm this client up too (a fresh process per run measured its own JIT warm-up as latency).
 */
export async function runJobs(jobs: ClientJob[]): Promise<ClientResult[]> {
  const results: ClientResult[] = [];
  for (const job of jobs) results.push(await runJob(job));
  return results;
}

// Run as a separate process by the bench: the jobs come in BENCH_JOBS, the results go out as one JSON line.
const jobsText = process.env.BENCH_JOBS;
if (jobsText) {
  runJobs(JSON.parse(jobsText) as ClientJob[]).then(
    (results) => {
      // Exit once the line is out: a pipe takes a large write in parts, and exiting early cuts it short.
      process.stdout.write(`${JSON.stringify({ ok: true, results })}\n`, () => process.exit(0));
    },
    (err: unknown) => {
      process.stdout.write(`${JSON.stringify({ ok: false, error: err instanceof Error ? err.message : String(err) })}\n`);
      process.exit(1);
    },
  );
}
