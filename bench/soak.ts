/**
 * The soak (issue #14): 50 people answer over the local channel of a real `npm start` process for a
 * few minutes, while hostile spreadsheets are uploaded as frameworks and the process is killed with
 * SIGKILL and started again. Prints the answers acknowledged and lost (lost must be 0: every answer
 * that got its 200 is in the store afterwards), and the other chats' p99 before and during the upload.
 *
 * `SOAK_SECONDS` sets the length (default 150), `SOAK_USERS` the people (default 50).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalReply } from '../src/channels/local';
import type { QuestionMeta } from '../src/core/messages';
import { openLowdbStore } from '../src/store/lowdb';
import type { EvaluationRecord } from '../src/store/port';
import { answerFor, findQuestion } from '../test/helpers/answers';
import { killProcess, spawnServer, type ServerProcess } from '../test/helpers/process';
import { buildFrameworkXlsx, buildRawXlsx, buildSparseXlsx, lieAboutSizes } from '../test/helpers/big-sheets';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Sample {
  start: number;
  end: number;
  /** No answer came (the process died or restarted meanwhile). */
  failed?: boolean;
  /** The server's own time for it (Server-Timing), ms. */
  server?: number;
}

function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Where an answer to a question key is kept (facts, metrics, judgements); undefined for other kinds. */
function recorded(rec: EvaluationRecord, key: string): 'yes' | 'no' | 'unchecked' {
  const [kind, name] = key.split(':') as [string, string];
  const table = kind === 'judgement' ? 'judgements' : kind === 'fact' ? 'facts' : kind === 'metric' ? 'metrics' : undefined;
  if (!table) return 'unchecked';
  return (rec.answers[table] as Record<string, unknown> | undefined)?.[name] !== undefined ? 'yes' : 'no';
}

export async function run(): Promise<void> {
  const seconds = Number(process.env.SOAK_SECONDS ?? 150);
  const users = Number(process.env.SOAK_USERS ?? 50);
  const dataDir = await mkdtemp(join(tmpdir(), 'jx-soak-'));
  const env = { PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  let server: ServerProcess = await spawnServer('src/entries/node.ts', env);
  let restarting: Promise<void> | undefined;
  let crashes = 0;
  let expectedExit = false;
  const watch = (s: ServerProcess) =>
    s.child.once('exit', () => {
      if (expectedExit) return;
      crashes++;
      console.log(`  the server died unexpectedly (${crashes}); starting it again`);
      restarting = (async () => {
        server = await spawnServer('src/entries/node.ts', env);
        watch(server);
        restarting = undefined;
      })();
    });
  watch(server);

  let lastServerMs: number | undefined;
  const post = async (chatId: string, userId: string, text: string): Promise<LocalReply[]> => {
    if (restarting) await restarting;
    const res = await fetch(`${server.baseUrl}/api/local/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ chatId, userId, userName: userId, text }),
    });
    const body = await res.text();
    const timing = /app;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '');
    lastServerMs = timing ? Number(timing[1]) : undefined;
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${body}`);
    return (JSON.parse(body) as { replies: LocalReply[] }).replies;
  };

  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  const acked: Array<{ chatId: string; key: string }> = [];
  const samples: Sample[] = [];
  let failures = 0;
  let upload: { start: number; end: number } | undefined;
  let killedAt = 0;

  async function person(i: number): Promise<void> {
    const userId = `soak-u${i}`;
    let round = 0;
    while (Date.now() < end) {
      const chatId = `soak-${i}-${round++}`;
      let question: QuestionMeta | undefined;
      try {
        await post(chatId, userId, `新建自评 浸泡测试单位${i}号${round} 2024 框架=nanjing-2021 截止=2025-05-31`);
        question = findQuestion(await post(chatId, userId, '开始'));
      } catch {
        failures++;
        await sleep(200);
        continue;
      }
      while (question && Date.now() < end) {
        const start = Date.now();
        try {
          const next = findQuestion(await post(chatId, userId, answerFor(question)));
          samples.push({ start, end: Date.now(), ...(lastServerMs !== undefined ? { server: lastServerMs } : {}) });
          if (next?.key !== question.key) acked.push({ chatId, key: question.key });
          question = next;
        } catch {
          // The server is down (killed, or restarting): the answer was not acknowledged; ask where we are.
          // Its wait counts in the latency too: a chat stalled until the process died was stalled.
          samples.push({ start, end: Date.now(), failed: true });
          failures++;
          await sleep(200);
          try {
            question = findQuestion(await post(chatId, userId, '继续'));
          } catch {
            /* still down: the next turn of the loop tries again */
          }
        }
        // Paced like people on phones: about two answers a second each.
        await sleep(400 + Math.random() * 200);
      }
    }
  }

  async function attacker(): Promise<Array<{ name: string; status: number | string; ms: number }>> {
    await sleep(Math.min(30_000, seconds * 200));
    const files: Array<[string, () => Promise<Uint8Array>]> = [
      ['A1 and XFD1048576 (a few KB)', () => buildSparseXlsx(['A1', 'XFD1048576'])],
      ['A1 and A1048576', () => buildSparseXlsx(['A1', 'A1048576'])],
      ['a zip whose directory understates 60 MB as 1 KB', async () => lieAboutSizes(await buildRawXlsx([{ name: '表', body: '<sheetData/>' }], [], 60 * 1024 * 1024))],
      ['160,000 scored rows (within the upload size)', () => buildFrameworkXlsx(160_000)],
      ['4,900 scored rows (within every limit: imported in the worker)', () => buildFrameworkXlsx(4_900)],
    ];
    const built = await Promise.all(files.map(async ([name, make]) => ({ name, bytes: await make() })));
    const results: Array<{ name: string; status: number | string; ms: number }> = [];
    upload = { start: Date.now(), end: Infinity };
    for (const f of built) {
      const start = Date.now();
      try {
        const res = await fetch(`${server.baseUrl}/api/frameworks?filename=hostile.xlsx`, { method: 'POST', headers: { 'Content-Type': XLSX }, body: f.bytes as Uint8Array<ArrayBuffer> });
        await res.arrayBuffer();
        results.push({ name: `${f.name}, ${(f.bytes.length / 1024).toFixed(0)} KB`, status: res.status, ms: Date.now() - start });
      } catch (err) {
        const cause = (err as Error & { cause?: Error }).cause;
        results.push({ name: `${f.name}, ${(f.bytes.length / 1024).toFixed(0)} KB`, status: `no answer (${(err as Error).message}${cause ? `: ${cause.message}` : ''})`, ms: Date.now() - start });
        if (restarting) await restarting;
      }
    }
    upload.end = Date.now();
    return results;
  }

  async function killer(uploaded: Promise<unknown>): Promise<number> {
    // After the uploads (so the two are measured apart), and not before 60% of the run.
    await Promise.all([uploaded, sleep(seconds * 600)]);
    if (restarting) await restarting;
    expectedExit = true;
    killedAt = Date.now();
    await killProcess(server.child, 'SIGKILL');
    const start = Date.now();
    restarting = (async () => {
      server = await spawnServer('src/entries/node.ts', env);
      expectedExit = false;
      watch(server);
      restarting = undefined;
    })();
    await restarting;
    return Date.now() - start;
  }

  console.log(`soak: ${users} people answering nanjing-2021 over the local channel of npm start for ${seconds} s; hostile uploads from ${Math.min(30, seconds / 5)} s, SIGKILL after the uploads, not before ${Math.round(seconds * 0.6)} s`);
  const uploading = attacker();
  const [, uploads, restartMs] = await Promise.all([Promise.all(Array.from({ length: users }, (_, i) => person(i))), uploading, killer(uploading)]);

  expectedExit = true;
  await killProcess(server.child, 'SIGTERM');
  const store = await openLowdbStore(dataDir, { readOnly: true });
  let lost = 0;
  let checked = 0;
  const byChat = new Map<string, EvaluationRecord | undefined>();
  for (const a of acked) {
    if (!byChat.has(a.chatId)) {
      const id = await store.evaluationIdForChat(a.chatId);
      byChat.set(a.chatId, id ? await store.getEvaluation(id) : undefined);
    }
    const rec = byChat.get(a.chatId);
    const state = rec ? recorded(rec, a.key) : 'no';
    if (state === 'unchecked') continue;
    checked++;
    if (state === 'no') lost++;
  }
  await rm(dataDir, { recursive: true, force: true });

  const ms = (s: Sample) => s.end - s.start;
  // The baseline: the 10 s before the upload (after the start-up and the first evaluations were made).
  const before = samples.filter((s) => upload && s.end < upload.start && s.start >= upload.start - 10_000).map(ms);
  // And the 10 s after it (before the SIGKILL): on a shared machine, stalls come and go by themselves.
  const after = samples.filter((s) => upload && s.start > upload.end && s.end <= Math.min(upload.end + 10_000, killedAt)).map(ms);
  const duringSamples = samples.filter((s) => upload && s.start < upload.end && s.end > upload.start);
  const during = duringSamples.map(ms);
  for (const u of uploads) console.log(`  upload ${u.name}: ${u.status} in ${u.ms} ms`);
  console.log(`  SIGKILL at ${((killedAt - t0) / 1000).toFixed(0)} s; the server answered again ${restartMs} ms later; unexpected deaths: ${crashes}`);
  console.log(`  answers acknowledged: ${acked.length} (${checked} checked against the store after the last restart); answers lost: ${lost} (must be 0); requests refused while the server was down: ${failures}`);
  const serverP99 = (xs: Sample[]) => percentile(xs.flatMap((x) => (x.server === undefined ? [] : [x.server])), 99).toFixed(0);
  const inWindow = (from: number, to: number) => samples.filter((x) => x.end >= from && x.end < to);
  if (upload) {
    console.log(
      `  the same as the server timed them (Server-Timing: its queue and the durable write included): p99 ${serverP99(duringSamples)} ms during, ${serverP99(inWindow(upload.start - 10_000, upload.start))} ms before, ${serverP99(inWindow(upload.end, Math.min(upload.end + 10_000, killedAt)))} ms after`,
    );
  }
  const p99Before = percentile(before, 99);
  const p99During = percentile(during, 99);
  const p99After = percentile(after, 99);
  console.log(
    `  other chats' answers: p99 ${p99During.toFixed(0)} ms while the uploads ran (${during.length} answers, ${duringSamples.filter((x) => x.failed).length} of them never answered, ${upload ? ((upload.end - upload.start) / 1000).toFixed(1) : '?'} s); ${p99Before.toFixed(0)} ms in the 10 s before (${before.length} answers), ${p99After.toFixed(0)} ms in the 10 s after (${after.length} answers); during ÷ the worse of before and after: ${(p99During / Math.max(p99Before, p99After)).toFixed(2)}`,
  );
  if (lost) process.exitCode = 1;
}
