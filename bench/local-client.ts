/**
 * The load generator of the local-channel bench, run in a worker thread so the server under test keeps
 * its own event loop: people answering questions over HTTP as fast as replies come back.
 */
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

async function post(url: string, chatId: string, userId: string, text: string, isAnswer = false): Promise<LocalReply[]> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ chatId, userId, userName: userId, text }),
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const timing = /app;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '');
  if (isAnswer && timing) serverTimes.push(Number(timing[1]));
  return ((await res.json()) as { replies: LocalReply[] }).replies;
}

/** An answer the bot accepts for most question types (key tasks need names and points). */
export function answerOf(q: QuestionMeta): string {
  return q.type === 'list' ? '党建工作 20分\n业务工作 20分' : answerFor(q);
}

async function runJob(job: ClientJob): Promise<ClientResult> {
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
