/**
 * The Feishu webhook's acknowledgement under load: encrypted, signed message events over real HTTP at
 * concurrency 100 (from a separate client process): acknowledgement latency (median, p99) and events
 * per second. Ours verifies the signature over the raw body, decrypts, checks token, app and timestamp,
 * claims the event and message ids and records the event durably (lowdb store on a temporary
 * directory: flushed to the device before the 200) — and processes each event after its 200 (a bot
 * that answers nothing, so the figures are the channel's and the pipeline's, not the dialog's).
 * In the same run, the SDK's reference path: `EventDispatcher` behind `adaptDefault` on a bare
 * node:http server, decrypting and dispatching the same events to an empty handler, with no dedupe and
 * nothing recorded. Our throughput is printed as a ratio of it. Floors: p99 < 50 ms, ratio ≥ 0.8.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { adaptDefault, EventDispatcher } from '@larksuiteoapi/node-sdk';
import { Hono } from 'hono';
import { createMemoryStore } from '../src/store/memory';
import type { Bot } from '../src/app/bot';
import { createFeishuChannel } from '../src/channels/feishu';
import { loadConfig } from '../src/config';
import { startNodeServer } from '../src/entries/serve';
import { openLowdbStore } from '../src/store/lowdb';
import { FAKE_APP_ID, FAKE_APP_SECRET, FAKE_ENCRYPT_KEY, FAKE_VERIFICATION_TOKEN, startFakeFeishu } from '../test/fakes/feishu';
import type { FeishuClientJob, FeishuClientResult } from './feishu-client';

const QUIET = { info: () => {}, error: () => {} };
const SDK_QUIET = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };
const CONCURRENCY = 100;
const EVENTS = 5000;
const ROUNDS = 5;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const ms = (x: number) => `${x.toFixed(2)} ms`;
const median = (xs: number[]) => [...xs].sort((a, z) => a - z)[Math.floor(xs.length / 2)]!;

function runClient(jobs: FeishuClientJob[]): Promise<FeishuClientResult[]> {
  return new Promise((resolve, reject) => {
    const client = fileURLToPath(new URL('./feishu-client.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', client], { env: { ...process.env, BENCH_FEISHU_JOBS: JSON.stringify(jobs) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => {
      try {
        const m = JSON.parse(out.trim().split('\n').at(-1) ?? '') as { ok: true; results: FeishuClientResult[] } | { ok: false; error: string };
        if (m.ok) resolve(m.results);
        else reject(new Error(m.error));
      } catch {
        reject(new Error(`bench client exited with ${code}: ${out.slice(-500)}`));
      }
    });
  });
}

const channelOptions = (baseUrl: string) => ({
  appId: FAKE_APP_ID,
  appSecret: FAKE_APP_SECRET,
  verificationToken: FAKE_VERIFICATION_TOKEN,
  encryptKey: FAKE_ENCRYPT_KEY,
  baseUrl,
  mode: 'webhook' as const,
  timestampWindowSeconds: 3600,
});

/** The SDK's own webhook path: adaptDefault + EventDispatcher (decrypt, its signature check, dispatch) and an empty handler. */
async function startReference(): Promise<{ url: string; close: () => Promise<void> }> {
  const dispatcher = new EventDispatcher({ encryptKey: FAKE_ENCRYPT_KEY, verificationToken: FAKE_VERIFICATION_TOKEN, logger: SDK_QUIET }).register({
    'im.message.receive_v1': async () => {},
  });
  const server: Server = createServer(adaptDefault('/webhook/feishu', dispatcher));
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/feishu`,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/**
 * Where the time goes, for the record: the same Hono server on @hono/node-server answering `{}` after
 * reading the body (the HTTP layer's floor), and the channel alone behind it (verify, decrypt, decode,
 * answer; nothing claimed or recorded, no pipeline).
 */
async function startSplit(channel: ReturnType<typeof createFeishuChannel>): Promise<{ floorUrl: string; channelUrl: string; close: () => Promise<void> }> {
  const app = new Hono();
  app.post('/floor', async (c) => {
    await c.req.arrayBuffer();
    return new Response('{}', { headers: { 'content-type': 'application/json; charset=utf-8' } });
  });
  app.post('/webhook/feishu', async (c) => {
    const receipt = await channel.receive(c.req.raw);
    return receipt.kind === 'respond' ? receipt.response : receipt.respond(receipt.events.map(() => ({ status: 'pending' as const })));
  });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    floorUrl: `${base}/floor`,
    channelUrl: `${base}/webhook/feishu`,
    close: () => new Promise<void>((r) => ('closeAllConnections' in server && server.closeAllConnections(), server.close(() => r()))),
  };
}

/** Runs the Feishu bench and prints its figures. */
export async function run(): Promise<void> {
  const load = loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`machine: ${availableParallelism()} cores, load average ${load} (figures below scale with the load)`);
  const fake = await startFakeFeishu();
  const dir = await mkdtemp(join(tmpdir(), 'jx-bench-feishu-'));
  const store = await openLowdbStore(dir);
  const config = loadConfig({ PORT: '0', DATA_DIR: dir, FEISHU_APP_ID: FAKE_APP_ID, FEISHU_APP_SECRET: FAKE_APP_SECRET, FEISHU_VERIFICATION_TOKEN: FAKE_VERIFICATION_TOKEN, FEISHU_ENCRYPT_KEY: FAKE_ENCRYPT_KEY, FEISHU_BASE_URL: fake.url });
  const feishu = createFeishuChannel({ ...channelOptions(fake.url), store, logger: QUIET });
  const bot: Bot = { handle: async () => ({ replies: [] }) };
  const ours = await startNodeServer({ config, store, bot, channels: [feishu], logger: QUIET, hostname: '127.0.0.1' });
  const reference = await startReference();
  // A second channel for the split (its own store: it records nothing, but its state must not mix).
  const split = await startSplit(createFeishuChannel({ ...channelOptions(fake.url), store: createMemoryStore(), logger: QUIET }));
  const oursUrl = `http://127.0.0.1:${ours.port}/webhook/feishu`;
  const job = (url: string, tag: string, count = EVENTS): FeishuClientJob => ({
    url,
    tag,
    count,
    concurrency: CONCURRENCY,
    appId: FAKE_APP_ID,
    encryptKey: FAKE_ENCRYPT_KEY,
    verificationToken: FAKE_VERIFICATION_TOKEN,
  });
  const targets = { reference: reference.url, ours: oursUrl, channel: split.channelUrl, floor: split.floorUrl };
  type Target = keyof typeof targets;
  const order = Object.keys(targets) as Target[];
  try {
    // Warm-ups for each (the JIT, the connections, the names looked up once per sender), then rounds
    // that take turns so a change in the machine's load hits all alike.
    const jobs: FeishuClientJob[] = [];
    for (let w = 0; w < 2; w++) for (const t of order) jobs.push(job(targets[t], `${t}-warm${w}`, 2000));
    for (let r = 0; r < ROUNDS; r++) for (const t of order) jobs.push(job(targets[t], `${t}${r}`));
    const results = await runClient(jobs);
    await ours.pipeline.idle();
    const measured = results.slice(2 * order.length);
    const runsOf = (t: Target) => measured.filter((_, i) => order[i % order.length] === t);
    const pool = (runs: FeishuClientResult[]) => runs.flatMap((r) => r.times).sort((a, z) => a - z);
    const rate = (r: FeishuClientResult) => r.times.length / r.seconds;
    const rateOf = (t: Target) => median(runsOf(t).map(rate));
    const each = (t: Target) => runsOf(t).map((r) => Math.round(rate(r))).join(', ');
    const ourTimes = pool(runsOf('ours'));
    const refTimes = pool(runsOf('reference'));
    // Each round runs ours and the reference one after the other: the median of the rounds' own ratios
    // is steadier on a shared machine than a ratio of medians taken minutes apart.
    const ourRuns = runsOf('ours');
    const refRuns = runsOf('reference');
    const roundRatios = ourRuns.map((r, i) => rate(r) / rate(refRuns[i]!));
    const ratio = median(roundRatios);
    const p99 = percentile(ourTimes, 99);
    console.log(
      `feishu webhook, ${CONCURRENCY} concurrent encrypted, signed message events (verified, deduped, recorded and flushed before the 200, processed after it; ` +
        `${ROUNDS} runs of ${EVENTS} pooled, after two warm-up runs): ack median ${ms(percentile(ourTimes, 50))}, p99 ${ms(p99)} ` +
        `(floor < 50 ms: ${p99 < 50 ? 'met' : 'NOT met'}), ${Math.round(rateOf('ours'))} events/s (runs: ${each('ours')})`,
    );
    console.log(
      `  the SDK's reference path (EventDispatcher + adaptDefault on node:http, decrypt and dispatch to an empty handler, nothing recorded): ` +
        `median ${ms(percentile(refTimes, 50))}, p99 ${ms(percentile(refTimes, 99))}, ${Math.round(rateOf('reference'))} events/s (runs: ${each('reference')})`,
    );
    console.log(
      `  our throughput as a ratio of the reference (median of the ${ROUNDS} rounds' ratios: ${roundRatios.map((x) => x.toFixed(2)).join(', ')}): ` +
        `${ratio.toFixed(2)} (floor ≥ 0.8: ${ratio >= 0.8 ? 'met' : 'NOT met'})`,
    );
    console.log(
      `  where the time goes: Hono on @hono/node-server answering {} ${Math.round(rateOf('floor'))} events/s (runs: ${each('floor')}); ` +
        `the Feishu channel alone behind it (verify, decrypt, decode; no pipeline, nothing recorded) ${Math.round(rateOf('channel'))} events/s ` +
        `(runs: ${each('channel')}; ratio to the reference ${(rateOf('channel') / rateOf('reference')).toFixed(2)}); ` +
        `the rest of the gap is the app's route, the pipeline and the store`,
    );
    const pending = await store.listPending();
    if (pending.inbound.length) console.log(`  (${pending.inbound.length} events still unprocessed at the end)`);
  } finally {
    await ours.close(1000);
    await reference.close();
    await split.close();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}
