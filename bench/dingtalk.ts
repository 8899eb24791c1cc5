/**
 * The DingTalk channel over real HTTP: acknowledgement latency (median, p99) and callbacks per second
 * with 100 concurrent senders (floor: p99 < 50 ms), with persistent dedupe and durable recording — the
 * lowdb store on a temporary directory, each callback's msgId claimed and the callback recorded in the
 * message log (flushed to the device, group commit) before `{"msgtype":"empty"}` goes out. The real
 * bot processes every callback after its acknowledgement (20 group chats with an evaluation each, five
 * senders per chat saying 进度 and 跳过 in turn) and replies through session webhooks to a fake
 * DingTalk, so the acknowledgements compete with that work as they would in production. One callback in
 * twenty is a redelivery of the one before (dedupe). The load and the fake DingTalk run in a separate
 * client process (undici, kept-alive connections).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createBot, type Bot } from '../src/app/bot';
import { createDingTalkChannel } from '../src/channels/dingtalk';
import { loadConfig } from '../src/config';
import { startNodeServer } from '../src/entries/serve';
import { openLowdbStore } from '../src/store/lowdb';
import { FAKE_APP_KEY, FAKE_APP_SECRET } from '../test/fakes/dingtalk';
import type { DingTalkJob, DingTalkJobResult } from './dingtalk-client';

const QUIET = { info: () => {}, error: () => {} };
const CREATE = '新建自评 南京市数据局 2024 框架=nanjing-2021 截止=2025-05-31';
const USERS = 100;
const PER_CHAT = 5;
const PER_USER = 30;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const ms = (x: number) => `${x.toFixed(2)} ms`;

/** The client process: JSON lines both ways. */
interface Client {
  fakeBase: string;
  ask<T>(msg: unknown): Promise<T>;
  close(): Promise<void>;
}

async function startClient(): Promise<Client> {
  const file = fileURLToPath(new URL('./dingtalk-client.ts', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', file], { env: { ...process.env, BENCH_DINGTALK_CLIENT: '1' }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Interface = createInterface({ input: child.stdout! });
  const queue: string[] = [];
  const waiting: Array<{ resolve: (line: string) => void; reject: (err: Error) => void }> = [];
  let exited: Error | undefined;
  lines.on('line', (line) => {
    const w = waiting.shift();
    if (w) w.resolve(line);
    else queue.push(line);
  });
  child.once('exit', (code) => {
    exited = new Error(`bench client exited with ${code}`);
    for (const w of waiting.splice(0)) w.reject(exited);
  });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const line = queue.shift();
      if (line !== undefined) return resolve(line);
      if (exited) return reject(exited);
      waiting.push({ resolve, reject });
    });
  const first = JSON.parse(await next()) as { fake: string };
  return {
    fakeBase: first.fake,
    async ask<T>(msg: unknown): Promise<T> {
      child.stdin!.write(`${JSON.stringify(msg)}\n`);
      const answer = JSON.parse(await next()) as { ok: boolean; error?: string } & T;
      if (!answer.ok) throw new Error(answer.error);
      return answer;
    },
    async close() {
      if (exited) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.write(`${JSON.stringify({ exit: true })}\n`);
      await gone;
    },
  };
}

/** A scenario of the bench. */
export interface DingTalkScenario {
  /** A bot that answers nothing and changes nothing: the acknowledgement path alone, nothing behind it. */
  silentBot?: boolean;
  /** Senders each send at most one callback per this many ms (an open, paced load) instead of a closed loop. */
  paceMs?: number;
}

/** What one scenario measured (three runs pooled, after two warm-up runs). */
interface Measured {
  times: number[];
  perRun: Array<{ p99: number; rate: number; warmup: boolean }>;
  rate: number;
  posted: number;
  duplicates: number;
  drainSeconds: number;
  replies: number;
  leftInbound: number;
  leftOutbound: number;
}

/** Runs one scenario on a fresh server and lowdb store; the client process is shared. */
async function measure(client: Client, scenario: DingTalkScenario): Promise<Measured> {
  const dir = await mkdtemp(join(tmpdir(), 'jx-bench-dingtalk-'));
  const store = await openLowdbStore(dir);
  const realBot = createBot({ store });
  const bot: Bot = scenario.silentBot ? { handle: async () => ({ replies: [] }) } : realBot;
  const config = loadConfig({ PORT: '0', DATA_DIR: dir, DINGTALK_APP_KEY: FAKE_APP_KEY, DINGTALK_APP_SECRET: FAKE_APP_SECRET, DINGTALK_API_BASE: client.fakeBase, DINGTALK_OAPI_BASE: client.fakeBase });
  const dingtalk = createDingTalkChannel({
    appKey: FAKE_APP_KEY,
    appSecret: FAKE_APP_SECRET,
    robotCode: FAKE_APP_KEY,
    apiBase: client.fakeBase,
    oapiBase: client.fakeBase,
    mode: 'http',
    timestampWindowSeconds: config.DINGTALK_TIMESTAMP_WINDOW_SECONDS,
    store,
    logger: QUIET,
  });
  const server = await startNodeServer({ config, store, bot, logger: QUIET, hostname: '127.0.0.1', channels: [dingtalk] });
  try {
    // The group chats, each with its evaluation (created through the bot, as 新建自评 in the chat would).
    const conversations = Array.from({ length: USERS / PER_CHAT }, (_, i) => `cidBench${i}==`);
    for (const c of conversations) await realBot.handle({ channel: 'dingtalk', chatId: `dingtalk:${c}`, chatType: 'group', userId: 'org', userName: '组织者', text: CREATE, receivedAt: Date.now() });
    const url = `http://127.0.0.1:${server.port}/webhook/dingtalk`;
    const before = (await client.ask<{ stats: { replies: number } }>({ stats: true })).stats.replies;
    const runs: Array<DingTalkJobResult & { drainSeconds: number }> = [];
    // Two warm-up runs (the JIT, in the server and the client), then three measured runs, pooled. The
    // work a run leaves behind its last acknowledgement is finished before the next run starts.
    for (const tag of ['warm0', 'warm1', 'run0', 'run1', 'run2']) {
      const job: DingTalkJob = { url, tag, users: USERS, perChat: PER_CHAT, perUser: PER_USER, duplicateEvery: 20, conversations, texts: ['进度', '跳过'], ...(scenario.paceMs ? { paceMs: scenario.paceMs } : {}) };
      const t0 = performance.now();
      const { result } = await client.ask<{ result: DingTalkJobResult }>({ job });
      await server.pipeline.idle();
      runs.push({ ...result, drainSeconds: (performance.now() - t0) / 1000 });
    }
    const measured = runs.slice(2);
    const pending = await store.listPending();
    return {
      times: measured.flatMap((r) => r.times).sort((a, z) => a - z),
      perRun: runs.map((r, i) => ({ p99: percentile([...r.times].sort((a, z) => a - z), 99), rate: r.posted / r.seconds, warmup: i < 2 })),
      rate: measured.reduce((n, r) => n + r.posted, 0) / measured.reduce((t, r) => t + r.seconds, 0),
      posted: measured.reduce((n, r) => n + r.posted, 0),
      duplicates: measured.reduce((n, r) => n + r.duplicates, 0),
      drainSeconds: measured.reduce((t, r) => t + r.drainSeconds, 0),
      replies: (await client.ask<{ stats: { replies: number } }>({ stats: true })).stats.replies - before,
      leftInbound: pending.inbound.length,
      leftOutbound: pending.outbound.length,
    };
  } finally {
    await server.close(1000);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the DingTalk bench and prints its figures: the floor's scenario (the real bot at work behind the
 * acknowledgements), then the acknowledgement path alone, to tell the two costs apart.
 */
export async function run(scenarios: DingTalkScenario[] = [{}, { silentBot: true }]): Promise<void> {
  const load = loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`machine: ${availableParallelism()} cores, load average ${load} (figures below scale with the load)`);
  const client = await startClient();
  try {
    for (const scenario of scenarios) {
      const m = await measure(client, scenario);
      const p99 = percentile(m.times, 99);
      const what = scenario.silentBot
        ? 'the acknowledgement path alone (a bot that answers nothing: verify, claim, record, flush, answer)'
        : 'the real bot processing every message behind the acknowledgements and replying through session webhooks';
      const load = scenario.paceMs ? `each sender at most every ${scenario.paceMs} ms` : 'closed loop';
      console.log(
        `dingtalk HTTP callbacks, ${USERS} concurrent senders (${load}; ${USERS / PER_CHAT} group chats; lowdb store, msgId claimed and the callback recorded and flushed ` +
          `before the acknowledgement; ${what}; three runs pooled after two warm-up runs): ${m.times.length} callbacks (${m.duplicates} redeliveries), ` +
          `acknowledgement median ${ms(percentile(m.times, 50))}, p99 ${ms(p99)} (floor < 50 ms: ${p99 < 50 ? 'met' : 'NOT met'}), max ${ms(m.times.at(-1)!)}, ${Math.round(m.rate)} callbacks/s`,
      );
      console.log(`  p99 of each run: ${m.perRun.map((r) => `${r.warmup ? 'warm-up ' : ''}${ms(r.p99)} at ${Math.round(r.rate)}/s`).join(', ')}`);
      if (!scenario.silentBot) {
        console.log(
          `  behind the acknowledgements: ${m.posted - m.duplicates} messages handled by the bot and answered (${m.replies} replies) within ${m.drainSeconds.toFixed(1)} s ` +
            `of the first callback (${Math.round((m.posted - m.duplicates) / m.drainSeconds)} messages/s); left unprocessed ${m.leftInbound}, unsent ${m.leftOutbound}`,
        );
      }
    }
  } finally {
    await client.close();
  }
}
