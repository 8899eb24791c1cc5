/**
 * The load generator of the local-channel bench, run in a worker thread so the server under test keeps
 * its own event loop: people answering questions over HTTP as fast as replies come back.
 */
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import type { LocalReply, QuestionMeta } from '../src/channels/types';
import { answerFor, findQuestion } from '../test/helpers/answers';

/** What the bench asks the worker to do. */
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

/** What the worker reports: the milliseconds of each answer (as the client saw it, and as the server's Server-Timing says) and the wall time of the whole run. */
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
  const t0 = performance.now();
  const all = await Promise.all(
    Array.from({ length: job.users }, async (_, u) => {
      const chat = `${job.tag}-${Math.floor(u / job.perChat)}`;
      const user = `${job.tag}-u${u}`;
      const times: number[] = [];
      let q = findQuestion(await post(job.url, chat, user, '开始'));
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

if (parentPort && workerData) {
  const port = parentPort;
  runJob(workerData as ClientJob).then(
    (result) => port.postMessage({ ok: true, result }),
    (err: unknown) => port.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
}
