/**
 * The load generator of the local-channel bench, run as its own process (like real clients): people
 * answering questions over HTTP as fast as replies come back.
 */
import { Agent, request } from 'node:http';
import type { LocalReply, QuestionMeta } from '../src/channels/types';
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

// node:http with kept-alive sockets: about half the client CPU of fetch per request, so on a 2-core
// machine the load generator takes less of the time it measures.
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

async function post(url: string, chatId: string, userId: string, text: string, isAnswer = false): Promise<LocalReply[]> {
  const body = JSON.stringify({ chatId, userId, userName: userId, text });
  const { status, headers, text: reply } = await new Promise<{ status: number; headers: Record<string, unknown>; text: string }>((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
  if (status !== 200) throw new Error(`HTTP ${status}: ${reply}`);
  const timing = /app;dur=([\d.]+)/.exec(String(headers['server-timing'] ?? ''));
  if (isAnswer && timing) serverTimes.push(Number(timing[1]));
  return (JSON.parse(reply) as { replies: LocalReply[] }).replies;
}

/** An answer the bot accepts for most question types (key tasks need names and points). */
export function answerOf(q: QuestionMeta): string {
  return q.type === 'list' ? '党建工作 20分\n业务工作 20分' : answerFor(q);
}

/** GET a URL and read the body, on the same sockets as the answers. */
function get(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve());
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
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
  return { times: all.flat(), serverTimes, seconds: (performance.now() - t0) / 1000 };
}

// Run as a separate process by the bench: the job comes in BENCH_JOB, the result goes out as one JSON line.
const jobText = process.env.BENCH_JOB;
if (jobText) {
  runJob(JSON.parse(jobText) as ClientJob).then(
    (result) => {
      process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stdout.write(`${JSON.stringify({ ok: false, error: err instanceof Error ? err.message : String(err) })}\n`);
      process.exit(1);
    },
  );
}
