/**
 * The local channel over real HTTP with the real bot and the lowdb store on a temporary directory:
 * time per answered question (median, p99) and answers per second with 50 concurrent users, and how the
 * median grows from 10 to 1 000 stored evaluations (target ratio ≤ 1.5; target p99 < 50 ms).
 * Two readings of "50 concurrent users": a closed loop (each sends the next answer the moment the reply
 * arrives, the worst case) and a paced load (each answers at most every 0.5 s, still far faster than
 * people type). The closed loop runs on a built-in framework and on an imported one (evaluations on an
 * imported framework carry their own copy of it). The concurrent load comes from one separate client
 * process, warmed up with the server; the sequential figures share the server's event loop with the
 * client, so they include the client's own work.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalReply } from '../src/channels/local';
import { loadConfig } from '../src/config';
import { startNodeServer, type RunningServer } from '../src/entries/serve';
import { createBot } from '../src/app/bot';
import { openLowdbStore } from '../src/store/lowdb';
import { createMemoryStore } from '../src/store/memory';
import type { Store } from '../src/store/port';
import { findQuestion } from '../test/helpers/answers';
import { storeImportedBuiltin } from '../test/helpers/framework-sheets';
import { answerOf, type ClientJob, type ClientResult } from './local-client';

const CREATE = '新建自评 南京市数据局 2024 框架=nanjing-2021 截止=2025-05-31';
const QUIET = { info: () => {}, error: () => {} };

interface Bench {
  server: RunningServer;
  dir: string;
  store: Store;
  post(chatId: string, userId: string, text: string): Promise<LocalReply[]>;
  close(): Promise<void>;
}

async function startBench(): Promise<Bench> {
  const dir = await mkdtemp(join(tmpdir(), 'jx-bench-local-'));
  const store = await openLowdbStore(dir);
  const server = await startNodeServer({
    config: loadConfig({ PORT: '0', DATA_DIR: dir }),
    store,
    bot: createBot({ store }),
    hostname: '127.0.0.1',
    logger: QUIET,
  });
  const url = `http://127.0.0.1:${server.port}/api/local/messages`;
  return {
    server,
    dir,
    store,
    async post(chatId, userId, text) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ chatId, userId, userName: userId, text }),
      });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { replies: LocalReply[] }).replies;
    },
    async close() {
      await server.close(1000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}


/** One person answering up to `limit` questions; returns the milliseconds of each answer. */
async function answerQuestions(b: Bench, chatId: string, userId: string, limit: number): Promise<number[]> {
  const times: number[] = [];
  let q = findQuestion(await b.post(chatId, userId, '开始'));
  while (q && times.length < limit) {
    const t0 = performance.now();
    const replies = await b.post(chatId, userId, answerOf(q));
    times.push(performance.now() - t0);
    const next = findQuestion(replies);
    q = next && next.key === q.key ? findQuestion(await b.post(chatId, userId, '跳过')) : next;
  }
  return times;
}

/** Stores `n` evaluations (created through the bot, a few answers each). */
async function seedEvaluations(b: Bench, n: number): Promise<void> {
  for (let start = 0; start < n; start += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, n - start) }, async (_, k) => {
        const chat = `seed-${start + k}`;
        await b.post(chat, 'seed', CREATE);
        await answerQuestions(b, chat, 'seed', 3);
      }),
    );
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const ms = (x: number) => `${x.toFixed(2)} ms`;

/** The id of the imported framework the bench stores. */
const IMPORTED = 'import-bench';

/** A client job: `users` concurrent people, each in a chat of `perChat` people. */
function job(b: Bench, users: number, perChat: number, tag: string, options: { paceMs?: number; floor?: boolean; create?: string } = {}): ClientJob {
  return {
    url: `http://127.0.0.1:${b.server.port}/api/local/messages`,
    users,
    perChat,
    tag,
    limit: options.paceMs ? 20 : 40,
    create: CREATE,
    ...options,
  };
}

/**
 * Runs client jobs one after another from a separate client process (as real clients are: a worker
 * thread in the server's own process shares its memory and scheduling); one result per job.
 */
async function runClient(jobs: ClientJob[]): Promise<ClientResult[]> {
  return new Promise<ClientResult[]>((resolve, reject) => {
    const client = fileURLToPath(new URL('./local-client.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', client], { env: { ...process.env, BENCH_JOBS: JSON.stringify(jobs) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      try {
        const m = JSON.parse(last) as { ok: true; results: ClientResult[] } | { ok: false; error: string };
        if (m.ok) resolve(m.results);
        else reject(new Error(m.error));
      } catch {
        reject(new Error(`bench client exited with ${code}: ${out.slice(-500)}`));
      }
    });
  });
}

type Run = ReturnType<typeof summarise>;

/** Latencies and rate of one or more runs, pooled. */
function summarise(results: ClientResult[]) {
  const times = results.flatMap((r) => r.times).sort((a, z) => a - z);
  const server = results.flatMap((r) => r.serverTimes).sort((a, z) => a - z);
  const seconds = results.reduce((s, r) => s + r.seconds, 0);
  return {
    n: times.length,
    median: percentile(times, 50),
    p99: percentile(times, 99),
    rate: times.length / seconds,
    serverMedian: percentile(server, 50),
    serverP99: percentile(server, 99),
    results,
  };
}

/**
 * The median time per answer of people answering one after another, with 10 and with 1 000 stored
 * evaluations. Both servers run at once and take turns, so a change in the machine's load hits both.
 */
async function measureStoredRatio(): Promise<{ small: number; large: number; n: number }> {
  const small = await startBench();
  const large = await startBench();
  try {
    await seedEvaluations(small, 10);
    await seedEvaluations(large, 1000);
    await answerQuestions(small, 'warm', 'warm', 20);
    await answerQuestions(large, 'warm', 'warm', 20);
    const times = { small: [] as number[], large: [] as number[] };
    for (let i = 0; i < 8; i++) {
      for (const [name, b] of [['small', small], ['large', large]] as const) {
        await b.post(`seq-${i}`, 'org', CREATE);
        times[name].push(...(await answerQuestions(b, `seq-${i}`, `p${i}`, 40)));
      }
    }
    for (const t of Object.values(times)) t.sort((a, z) => a - z);
    return { small: percentile(times.small, 50), large: percentile(times.large, 50), n: times.small.length };
  } finally {
    await small.close();
    await large.close();
  }
}

/** The bot alone (in-process, memory store), to tell HTTP and storage apart from the dialog's own work. */
async function measureBotAlone(): Promise<number> {
  const store = createMemoryStore();
  const bot = createBot({ store });
  const say = async (chatId: string, text: string) =>
    (await bot.handle({ channel: 'local', chatId, chatType: 'group', userId: 'p', text, receivedAt: Date.now() })).replies as LocalReply[];
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    await say(`c${i}`, CREATE);
    let q = findQuestion(await say(`c${i}`, '开始'));
    for (let k = 0; k < 40 && q; k++) {
      const t0 = performance.now();
      const replies = await say(`c${i}`, answerOf(q));
      if (i >= 2) times.push(performance.now() - t0);
      const next = findQuestion(replies);
      q = next && next.key === q.key ? findQuestion(await say(`c${i}`, '跳过')) : next;
    }
  }
  times.sort((a, z) => a - z);
  return percentile(times, 50);
}

/** Runs the local-channel bench and prints its figures. */
export async function run(): Promise<void> {
  const load = loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`machine: ${availableParallelism()} cores, load average ${load} (figures below scale with the load)`);
  const b = await startBench();
  try {
    await seedEvaluations(b, 10);
    await answerQuestions(b, 'warm', 'warm', 20);
    // One client process runs everything in turn. The JIT takes a few thousand answers to reach full
    // speed, in the server and in the client (measured: 1 400, 2 200, 2 900, then about 3 300 answers/s
    // run after run), so three runs warm both up, as a server that has been running would be; then the
    // floor and three measured runs (pooled), the paced load and the group chats. Warm-ups are printed too.
    // nanjing-2021 exported to a sheet and imported again, as a unit imports its bureau's framework.
    await storeImportedBuiltin(b.store, 'nanjing-2021', IMPORTED, '导入的南京市部门整体绩效评价指标体系');
    const imported = { create: CREATE.replace('nanjing-2021', IMPORTED) };
    const jobs = [
      ...[0, 1, 2].map((i) => job(b, 50, 1, `warmup${i}`)),
      job(b, 50, 1, 'floor', { floor: true }),
      ...[0, 1, 2].map((i) => job(b, 50, 1, `solo${i}`)),
      // The imported framework's own code paths warm up too (its first run was the slowest by far).
      ...[0, 1].map((i) => job(b, 50, 1, `importedWarmup${i}`, imported)),
      ...[0, 1, 2].map((i) => job(b, 50, 1, `imported${i}`, imported)),
      job(b, 50, 1, 'paced', { paceMs: 500 }),
      job(b, 50, 5, 'group'),
    ];
    const results = (await runClient(jobs)).map((r) => summarise([r]));
    const [w0, w1, w2, clientFloor, s0, s1, s2, iw0, iw1, i0, i1, i2, paced, groups] = results as [Run, Run, Run, Run, Run, Run, Run, Run, Run, Run, Run, Run, Run, Run];
    const warmups = [w0, w1, w2];
    const runs = [s0, s1, s2];
    const onImported = summarise([i0, i1, i2].flatMap((r) => r.results));
    console.log(
      `the same client and load with GET /healthz instead of answers (what this machine and client cost by themselves): ` +
        `median ${ms(clientFloor.median)}, p99 ${ms(clientFloor.p99)}, ${Math.round(clientFloor.rate)} requests/s`,
    );
    const solo = summarise(runs.flatMap((r) => r.results));
    const each = (rs: Run[]) => rs.map((r) => `${ms(r.p99)} at ${Math.round(r.rate)}/s`).join(', ');
    console.log(
      `local channel, 50 concurrent users answering as fast as replies come (one chat each; load from a separate client process; ` +
        `three runs pooled, after three warm-up runs): ${solo.n} answers, median ${ms(solo.median)}, p99 ${ms(solo.p99)} ` +
        `(target < 50 ms: ${solo.p99 < 50 ? 'met' : 'NOT met'}), ${Math.round(solo.rate)} answers/s`,
    );
    console.log(`  p99 of each run: warm-up ${each(warmups)}; measured ${each(runs)}`);
    console.log(
      `  the same answers as the server timed them (Server-Timing: from the request to the reply, the chat's queue and the durable write included): ` +
        `median ${ms(solo.serverMedian)}, p99 ${ms(solo.serverP99)} (target < 50 ms: ${solo.serverP99 < 50 ? 'met' : 'NOT met'})`,
    );
    console.log(
      `  the same on an imported framework (each evaluation carries its own copy; three runs pooled, after two warm-up runs): ${onImported.n} answers, ` +
        `median ${ms(onImported.median)}, p99 ${ms(onImported.p99)} (target < 50 ms: ${onImported.p99 < 50 ? 'met' : 'NOT met'}), ` +
        `${Math.round(onImported.rate)} answers/s; p99 of each run: warm-up ${each([iw0, iw1])}; measured ${each([i0, i1, i2])}`,
    );
    console.log(
      `local channel, 50 concurrent users each answering at most every 0.5 s (${Math.round(paced.rate)} answers/s in all): ` +
        `${paced.n} answers, median ${ms(paced.median)}, p99 ${ms(paced.p99)} (target < 50 ms: ${paced.p99 < 50 ? 'met' : 'NOT met'})`,
    );
    console.log(
      `local channel, 50 concurrent users (5 per group chat, a chat's messages in order): ${groups.n} answers, ` +
        `median ${ms(groups.median)}, p99 ${ms(groups.p99)}, ${Math.round(groups.rate)} answers/s`,
    );
  } finally {
    await b.close();
  }
  const stored = await measureStoredRatio();
  const ratio = stored.large / stored.small;
  console.log(
    `median per answer over HTTP, one person at a time: ${ms(stored.small)} with 10 stored evaluations, ${ms(stored.large)} with 1000 ` +
      `(ratio ${ratio.toFixed(2)}; target ≤ 1.5: ${ratio <= 1.5 ? 'met' : 'NOT met'}; ${stored.n} answers each)`,
  );
  console.log(`the bot alone (in-process, memory store, no HTTP): median ${ms(await measureBotAlone())} per answer`);
}
