/**
 * The load generator of the Feishu bench, run as its own process (as Feishu's servers are): encrypted,
 * signed `im.message.receive_v1` events posted over kept-alive connections at a fixed concurrency, each
 * request's time from send to acknowledgement measured.
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { signFeishuRequest } from '../test/fakes/feishu';

/** One run: `count` distinct events to `url`, `concurrency` in flight. */
export interface FeishuClientJob {
  url: string;
  tag: string;
  count: number;
  concurrency: number;
  appId: string;
  encryptKey: string;
  verificationToken: string;
}

/** Milliseconds of each acknowledgement, and the wall time of the run. */
export interface FeishuClientResult {
  times: number[];
  seconds: number;
}

/** A request as Feishu sends it: body `{"encrypt": …}` and its signature headers. */
function makeRequest(job: FeishuClientJob, i: number): { body: string; headers: Record<string, string> } {
  const chat = i % job.concurrency;
  const envelope = {
    schema: '2.0',
    header: {
      event_id: `${job.tag}-${i}-${randomBytes(6).toString('hex')}`,
      token: job.verificationToken,
      create_time: String(Date.now()),
      event_type: 'im.message.receive_v1',
      tenant_key: 'bench',
      app_id: job.appId,
    },
    event: {
      sender: { sender_id: { open_id: `ou_bench_${chat}` }, sender_type: 'user', tenant_key: 'bench' },
      message: {
        message_id: `om_${job.tag}_${i}`,
        create_time: String(Date.now()),
        chat_id: `oc_bench_${chat}`,
        chat_type: 'p2p',
        message_type: 'text',
        content: JSON.stringify({ text: `6091.91万元 ${i}` }),
      },
    },
  };
  return signFeishuRequest(envelope, { encryptKey: job.encryptKey });
}

const pools = new Map<string, Pool>();

async function runJob(job: FeishuClientJob): Promise<FeishuClientResult> {
  const { origin, pathname } = new URL(job.url);
  let pool = pools.get(origin);
  if (!pool) pools.set(origin, (pool = new Pool(origin, { connections: job.concurrency, pipelining: 1 })));
  // Encrypted and signed before the clock starts: the run measures the server, not this client's crypto.
  const requests = Array.from({ length: job.count }, (_, i) => makeRequest(job, i));
  const times: number[] = new Array(job.count);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      for (let i = next++; i < job.count; i = next++) {
        const req = requests[i]!;
        const t = performance.now();
        const res = await pool.request({ path: pathname, method: 'POST', headers: req.headers, body: req.body });
        await res.body.dump();
        times[i] = performance.now() - t;
        if (res.statusCode !== 200) throw new Error(`${job.tag}: HTTP ${res.statusCode}`);
      }
    }),
  );
  return { times, seconds: (performance.now() - t0) / 1000 };
}

// Run as a separate process by the bench: the jobs come in BENCH_FEISHU_JOBS, the results go out as one JSON line.
const jobsText = process.env.BENCH_FEISHU_JOBS;
if (jobsText) {
  (async () => {
    const results: FeishuClientResult[] = [];
    for (const job of JSON.parse(jobsText) as FeishuClientJob[]) results.push(await runJob(job));
    return results;
  })().then(
    (results) => process.stdout.write(`${JSON.stringify({ ok: true, results })}\n`, () => process.exit(0)),
    (err: unknown) => {
      process.stdout.write(`${JSON.stringify({ ok: false, error: err instanceof Error ? err.message : String(err) })}\n`);
      process.exit(1);
    },
  );
}
