/**
 * The load generator of the DingTalk bench, run as its own process (as DingTalk is another machine):
 * it runs the fake DingTalk the server replies to, and posts signed robot callbacks over HTTP from
 * `users` concurrent senders, each sending its next callback the moment the previous one is
 * acknowledged (a closed loop, the worst case). Talks to the bench by JSON lines: stdout says
 * `{"fake": base}` once ready and one result per job; stdin takes one job per line.
 */
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import { callbackBody, signedHeaders, startFakeDingTalk, type FakeDingTalk } from '../test/fakes/dingtalk';

/** What the bench asks for. */
export interface DingTalkJob {
  url: string;
  tag: string;
  users: number;
  /** Senders per group conversation. */
  perChat: number;
  /** Callbacks each sender posts. */
  perUser: number;
  /** Every n-th callback of a sender repeats its previous one (a redelivery: dedupe). 0: none. */
  duplicateEvery: number;
  /** The conversations (group ids) in use, one per `perChat` senders. */
  conversations: string[];
  /** What senders say, in turn. */
  texts: string[];
  /** When set, each sender sends at most one callback per this many ms (an open, paced load). */
  paceMs?: number;
}

/** What one job measured: the milliseconds of each acknowledgement, the run's wall time, callbacks posted. */
export interface DingTalkJobResult {
  times: number[];
  seconds: number;
  posted: number;
  duplicates: number;
  /** Replies the fake DingTalk had received when the job's last acknowledgement came. */
  repliesSoFar: number;
}

let pool: Pool | undefined;
let poolOrigin: string | undefined;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runJob(fake: FakeDingTalk, job: DingTalkJob): Promise<DingTalkJobResult> {
  const { origin, pathname } = new URL(job.url);
  // One pool per server (each scenario of the bench starts its own).
  if (poolOrigin !== origin) {
    await pool?.close();
    pool = new Pool(origin, { connections: job.users, pipelining: 1 });
    poolOrigin = origin;
  }
  const p = pool!;
  // One signature per millisecond, as DingTalk's timestamps are (the HMAC is not what is measured).
  let signedAt = 0;
  let headers = signedHeaders();
  const headersNow = () => {
    const t = Date.now();
    if (t !== signedAt) {
      signedAt = t;
      headers = signedHeaders(undefined, t);
    }
    return headers;
  };
  let duplicates = 0;
  const t0 = performance.now();
  const all = await Promise.all(
    Array.from({ length: job.users }, async (_, u) => {
      const conversationId = job.conversations[Math.floor(u / job.perChat) % job.conversations.length]!;
      const from = { staffId: `${job.tag}-u${u}`, nick: `用户${u}` };
      const session = fake.session(conversationId);
      const times: number[] = [];
      let previous: string | undefined;
      // Paced senders start at random offsets, so the callbacks do not come in bursts.
      if (job.paceMs) await sleep(Math.random() * job.paceMs);
      for (let i = 0; i < job.perUser; i++) {
        const repeat = job.duplicateEvery > 0 && i > 0 && i % job.duplicateEvery === 0 && previous !== undefined;
        const body = repeat ? previous! : JSON.stringify(callbackBody({ conversationId, from, text: job.texts[i % job.texts.length]!, session }));
        if (repeat) duplicates++;
        const t = performance.now();
        const res = await p.request({ path: pathname, method: 'POST', headers: headersNow(), body });
        const answer = await res.body.text();
        times.push(performance.now() - t);
        if (res.statusCode !== 200 || answer !== '{"msgtype":"empty"}') throw new Error(`callback answered ${res.statusCode}: ${answer.slice(0, 200)}`);
        previous = body;
        if (job.paceMs) await sleep(Math.max(0, job.paceMs - (performance.now() - t)));
      }
      return times;
    }),
  );
  return { times: all.flat(), seconds: (performance.now() - t0) / 1000, posted: job.users * job.perUser, duplicates, repliesSoFar: fake.messages.length };
}

// Run as a separate process by the bench.
if (process.env.BENCH_DINGTALK_CLIENT) {
  const fake = await startFakeDingTalk();
  const write = (v: unknown) => new Promise<void>((resolve) => process.stdout.write(`${JSON.stringify(v)}\n`, () => resolve()));
  await write({ fake: fake.apiBase });
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const msg = JSON.parse(line) as { job?: DingTalkJob; stats?: true; exit?: true };
    try {
      if (msg.job) await write({ ok: true, result: await runJob(fake, msg.job) });
      else if (msg.stats) await write({ ok: true, stats: { replies: fake.messages.length, calls: fake.calls.length } });
      else if (msg.exit) break;
    } catch (err) {
      await write({ ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  }
  await pool?.close();
  await fake.close();
  process.exit(0);
}
