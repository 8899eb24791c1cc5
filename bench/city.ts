/**
 * A simulated city, against Node and against Cloudflare Workers in the same run: `CITY_UNITS` units
 * (default 100), one Feishu group chat each with its own evaluation created first, `CITY_PEOPLE` people
 * each (default 5) answering concurrently through encrypted, signed Feishu events (`CITY_ANSWERS`
 * answers each at most, default 5), the real bot and production settings (Feishu's 5 messages a second
 * per chat included). Targets:
 *
 * - Node: `startNodeServer` with the lowdb store on a temporary directory (flushed before each 200).
 * - Workers: `wrangler dev` (local workerd, local D1, local Queue; the inbox consumer drains a chat under
 *   its lease in D1). Local workerd is one process on this machine, not Cloudflare's network: the
 *   figures compare the code paths (D1 round trips, the Queue's batching), not the production platform.
 *
 * Prints, for each: acknowledgement p99 (the webhook's response time), answers/s (answers the bot
 * replied to, as the fake Open Platform received the replies, ÷ the time from the first answer to the
 * last reply), how many replies arrived before the deadline; then the ratios Workers ÷ Node.
 * `npm run bench -- city` runs only this part.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBot } from '../src/app/bot';
import { createPlatformChannels } from '../src/channels/registry';
import { loadConfig } from '../src/config';
import { startNodeServer } from '../src/entries/serve';
import { openLowdbStore } from '../src/store/lowdb';
import { fakeFeishuVars as feishuVars } from '../test/fakes/feishu';
import { startWorkersDev } from '../test/helpers/workers-dev';
import type { CityResult, CityRun } from './city-client';

const QUIET = { info: () => {}, error: () => {} };
const UNITS = Number(process.env.CITY_UNITS ?? 100);
const PEOPLE = Number(process.env.CITY_PEOPLE ?? 5);
const ANSWERS = Number(process.env.CITY_ANSWERS ?? 5);
/** Each phase (creating, starting, answering) of a run gives up waiting after this long. */
const PHASE_SECONDS = Number(process.env.CITY_PHASE_SECONDS ?? 40);

function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, z) => a - z);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The client process: the fake Open Platform and the people. */
interface Client {
  fakeUrl: string;
  run(job: Omit<CityRun, 'type'>): Promise<CityResult>;
  close(): void;
}

function startClient(): Promise<Client> {
  const file = fileURLToPath(new URL('./city-client.ts', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let pending: { resolve: (r: CityResult) => void; reject: (e: Error) => void } | undefined;
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      const err = new Error(`city client exited with ${code}`);
      pending?.reject(err);
      reject(err);
    });
    child.on('message', (m: { type: string; fakeUrl?: string; message?: string }) => {
      if (m.type === 'ready') {
        resolve({
          fakeUrl: m.fakeUrl!,
          run: (job) =>
            new Promise((res, rej) => {
              pending = { resolve: res, reject: rej };
              child.send({ type: 'run', ...job });
            }),
          close: () => child.disconnect(),
        });
      } else if (m.type === 'result') pending?.resolve(m as unknown as CityResult);
      else if (m.type === 'error') pending?.reject(new Error(m.message));
    });
  });
}

interface Figures {
  ackP99: number;
  ackMedian: number;
  rate: number;
  result: CityResult;
}

function figures(result: CityResult): Figures {
  return { ackP99: percentile(result.acks, 99), ackMedian: percentile(result.acks, 50), rate: result.answersReplied / Math.max(result.answerSeconds, 0.001), result };
}

function print(name: string, f: Figures, extra = ''): void {
  const r = f.result;
  console.log(
    `  ${name}: ack p99 ${f.ackP99.toFixed(1)} ms (median ${f.ackMedian.toFixed(1)} ms), ${f.rate.toFixed(1)} answers/s ` +
      `(${r.answersReplied} of ${r.answersSent} answers replied to in ${r.answerSeconds.toFixed(1)} s; reply p50 ${percentile(r.replyTimes, 50).toFixed(0)} ms, p99 ${percentile(r.replyTimes, 99).toFixed(0)} ms; ` +
      `${r.reasked} answers re-asked and skipped, ${r.endedWithoutQuestion} answered with a request for a reason, given); set-up: ${r.created}/${UNITS} evaluations created in ${r.createSeconds.toFixed(1)} s, ` +
      `${r.started}/${UNITS * PEOPLE} people started in ${r.startSeconds.toFixed(1)} s${r.httpErrors ? `; ${r.httpErrors} webhook deliveries failed (not 200, or the connection reset) and were made again` : ''}${extra}`,
  );
  if (r.endedSample && process.env.CITY_DEBUG) console.log(`    a reply that asked no further question: ${r.endedSample}`);
}

/** Runs the city bench and prints its figures. */
export async function run(): Promise<void> {
  const load = loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`machine: ${availableParallelism()} cores, load average ${load} (figures below scale with the load)`);
  console.log(
    `city: ${UNITS} units (Feishu group chats, an evaluation each), ${PEOPLE} people each, up to ${ANSWERS} answers a person, ` +
      `each answer sent once the bot replied to the previous one; every phase gives up after ${PHASE_SECONDS} s`,
  );
  const client = await startClient();
  const job = (tag: string, url: string) => ({ tag, url, units: UNITS, people: PEOPLE, answers: ANSWERS, phaseSeconds: PHASE_SECONDS });
  try {
    // Node: lowdb on a temporary directory.
    const dir = await mkdtemp(join(tmpdir(), 'jx-bench-city-'));
    let node: Figures;
    try {
      const store = await openLowdbStore(dir);
      const config = loadConfig({ PORT: '0', DATA_DIR: dir, ...feishuVars(client.fakeUrl) });
      const bot = createBot({ store, holdIdleMs: config.QUESTION_HOLD_SECONDS * 1000 });
      const channels = createPlatformChannels(config, { store, logger: QUIET });
      const server = await startNodeServer({ config, store, bot, channels, logger: QUIET, hostname: '127.0.0.1' });
      try {
        node = figures(await client.run(job('node', `http://127.0.0.1:${server.port}/webhook/feishu`)));
      } finally {
        await server.close(1000);
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    print('Node (lowdb)', node);

    // Workers: wrangler dev (local workerd, D1, Queue).
    const t0 = Date.now();
    const workers = await startWorkersDev({ vars: { ADMIN_TOKEN: 'bench-admin-token', ...feishuVars(client.fakeUrl) } });
    const startSeconds = (Date.now() - t0) / 1000;
    let w: Figures;
    try {
      w = figures(await client.run(job('workers', `${workers.baseUrl}/webhook/feishu`)));
    } finally {
      if (process.env.CITY_WRANGLER_LOG) await writeFile(process.env.CITY_WRANGLER_LOG, workers.output());
      await workers.stop();
    }
    print('Workers (wrangler dev: workerd, local D1, local Queue)', w, `; wrangler dev started in ${startSeconds.toFixed(1)} s`);
    console.log(
      `  Workers ÷ Node: ack p99 ${(w.ackP99 / node.ackP99).toFixed(2)}×, answers/s ${(w.rate / node.rate).toFixed(2)}×` +
        ` (replies arrived: Node ${node.result.answersReplied}/${node.result.answersSent}, Workers ${w.result.answersReplied}/${w.result.answersSent})`,
    );
  } finally {
    client.close();
  }
}
