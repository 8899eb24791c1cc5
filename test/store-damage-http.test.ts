/**
 * Store damage as the users and the operator see it: the real app over HTTP (app.request) with the
 * real bot and the lowdb store on real files. A chat answer whose write fails at any write site (or on
 * a really full tmpfs) is answered 507 with a Chinese "not saved" message and nothing of it is kept;
 * an API write answers 507; one damaged evaluation file does not break the list; `npm start` starts
 * on damaged files and a stale lock, and removes its lock on SIGTERM and SIGINT.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createBot } from '../src/app/bot';
import { loadConfig } from '../src/config';
import { dialogText, serverText } from '../src/core/locale/zh-CN';
import type { QuestionMeta } from '../src/core/messages';
import { createApp, type Logger } from '../src/server/app';
import { lastRecordLine, openLowdbStore, type FileOps, type LowdbStore } from '../src/store/lowdb';
import type { AuditEntry } from '../src/store/port';
import { answerFor, findQuestion } from './helpers/answers';
import { skipOrFailInCI } from './helpers/ci';
import { createFaultyFs, type FaultyFs } from './helpers/faulty-fs';
import { killProcess, spawnServer } from './helpers/process';
import { makeEvaluation } from './helpers/records';

const SLOW = { timeout: 240_000 };
const LOCAL = { incoming: { socket: { remoteAddress: '127.0.0.1' } } };
const CHAT = 'g-damage';
const CREATE = '新建自评 南京市数据局 2024 框架=nanjing-2021 截止=2025-05-31';

const dirs: string[] = [];
const mounts: string[] = [];
const children: ChildProcess[] = [];
const stores: LowdbStore[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await killProcess(c);
  for (const s of stores.splice(0)) await s.close();
  for (const m of mounts.splice(0)) spawnSync('umount', ['-l', m]);
  while (dirs.length) await rm(dirs.pop()!, { recursive: true, force: true });
});
async function makeTempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'jx-damage-http-'));
  dirs.push(dir);
  return dir;
}

/** The real app and bot on a lowdb store in `dir`. */
async function openApp(dir: string, fileOps?: FileOps) {
  const logs: string[] = [];
  const logger: Logger = { info: () => {}, error: (m, f) => void logs.push(JSON.stringify({ m, ...f })) };
  const store = await openLowdbStore(dir, { ...(fileOps ? { fileOps } : {}), logger });
  stores.push(store);
  const app = createApp({ store, bot: createBot({ store }), config: loadConfig({}), logger });
  const say = async (text: string, userId = 'u1') => {
    const res = await app.request(
      '/api/local/messages',
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ chatId: CHAT, userId, userName: '张三', text }) },
      LOCAL,
    );
    const body = (await res.json()) as { replies?: Array<{ kind: string; text?: string; question?: QuestionMeta }>; error?: string; notSaved?: boolean };
    return { status: res.status, body, question: findQuestion((body.replies ?? []) as never) };
  };
  const close = async () => {
    stores.splice(stores.indexOf(store), 1);
    await store.close();
  };
  return { store, app, say, logs, close };
}

/** The answer a person gives who first answered otherwise (its value differs from answerFor's). */
function otherAnswerFor(q: QuestionMeta): string {
  if (q.type !== 'boolean') throw new Error(`the test expects yes/no questions first, got ${q.type}`);
  return '否';
}

/** The judgement a question key answers, e.g. judgement:A11 → judgements.A11. */
const auditPathOf = (key: string) => `judgements.${key.split(':')[1]}`;

/** The chat's record and trail after a restart of the store. */
async function afterRestart(dir: string) {
  const { store, close } = await openApp(dir);
  const id = (await store.evaluationIdForChat(CHAT))!;
  const rec = (await store.getEvaluation(id))!;
  const trail = await store.listAudit(id);
  await close();
  return { rec, trail };
}

/** Every acknowledged answer is in the record and once in the trail; nothing else was answered. */
function expectExactly(rec: { answers: { judgements?: Record<string, unknown> } }, trail: AuditEntry[], acked: string[]): void {
  const judgements = rec.answers.judgements ?? {};
  const answered = Object.keys(judgements).map((code) => `judgement:${code}`);
  expect(answered.sort()).toEqual([...acked].sort());
  for (const key of acked) expect(judgements[key.split(':')[1]!], key).toBe(true);
  const changes = trail.filter((e) => e.path.startsWith('judgements.'));
  expect(changes.map((e) => e.path).sort()).toEqual(acked.map(auditPathOf).sort());
  // No change that never happened: nobody's "否" reached the trail.
  expect(changes.every((e) => e.new === true)).toBe(true);
}

describe('a chat answer whose write fails', () => {
  /** A chat with its evaluation and one answer acknowledged; returns the next question. */
  async function started(chat: Awaited<ReturnType<typeof openApp>>) {
    expect((await chat.say(CREATE)).status).toBe(200);
    const first = (await chat.say('开始')).question!;
    const next = await chat.say(answerFor(first));
    expect(next.status).toBe(200);
    return { acked: [first.key], question: next.question! };
  }

  it('is answered 507 with “not saved, send again” at every write site; the retry is kept, the failed one never', SLOW, async () => {
    // The write calls of one answer, without a failure.
    const faults = createFaultyFs();
    const probe = await openApp(await makeTempDir(), faults.ops);
    const { question: probeQuestion } = await started(probe);
    faults.arm(Infinity);
    expect((await probe.say(answerFor(probeQuestion))).status).toBe(200);
    faults.disarm();
    const sites = [...faults.sites];
    expect(sites.length).toBeGreaterThan(0);
    await probe.close();

    for (let k = 1; k <= sites.length; k++) {
      for (const restartFirst of [false, true]) {
        const dir = await makeTempDir();
        let chat = await openApp(dir, faults.ops);
        const { acked, question } = await started(chat);
        faults.arm(k);
        const failed = await chat.say(otherAnswerFor(question));
        faults.disarm();
        // Never a 200 for an answer not on disk; the chat says so in Chinese.
        expect(failed.status, `write site ${k} (${sites[k - 1]})`).toBe(507);
        expect(failed.body).toEqual({ error: serverText.answerNotSaved, notSaved: true, replies: [{ kind: 'text', text: serverText.answerNotSaved }] });
        expect(failed.body.error).toMatch(/没有保存成功.*重新发送/);
        if (restartFirst) {
          // The disk holds exactly what was acknowledged before the failure.
          const disk = await afterRestart(dir);
          await chat.close();
          expectExactly(disk.rec, disk.trail, acked);
          chat = await openApp(dir, faults.ops);
          expect((await chat.say('继续')).question?.key).toBe(question.key);
        }
        // The same question is still open; answering again is kept.
        const retry = await chat.say(answerFor(question));
        expect(retry.status).toBe(200);
        expect(retry.question?.key).not.toBe(question.key);
        acked.push(question.key);
        await chat.close();
        const { rec, trail } = await afterRestart(dir);
        expectExactly(rec, trail, acked);
      }
    }
  });

  it('keeps the list and the chat’s view working, showing only what was kept', async () => {
    const faults = createFaultyFs();
    const dir = await makeTempDir();
    const chat = await openApp(dir, faults.ops);
    const { acked, question } = await started(chat);
    faults.arm(1);
    expect((await chat.say(otherAnswerFor(question))).status).toBe(507);
    faults.disarm();
    // The list and the chat's view still work and show only what was kept.
    const list = await chat.app.request('/api/evaluations', {}, LOCAL);
    expect(list.status).toBe(200);
    expect(((await list.json()) as Array<{ completion: { answered: number } }>)[0]!.completion.answered).toBe(acked.length);
    const view = await chat.app.request(`/api/chats/${CHAT}/evaluation`, {}, LOCAL);
    expect(((await view.json()) as { completion: { answered: number } }).completion.answered).toBe(acked.length);
  });
});

describe('an API write that fails', () => {
  it('answers 507 with a message and keeps nothing', async () => {
    const faults = createFaultyFs();
    const { app } = await openApp(await makeTempDir(), faults.ops);
    const put = () =>
      app.request('/api/overview/bindings/g-overview', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ units: ['南京市数据局'] }) }, LOCAL);
    faults.arm(1);
    const res = await put();
    faults.disarm();
    expect(res.status).toBe(507);
    expect(await res.json()).toEqual({ error: serverText.storeWriteFailed, notSaved: true });
    expect(await (await app.request('/api/overview/bindings', {}, LOCAL)).json()).toEqual([]);
    expect((await put()).status).toBe(200);
    expect(((await (await app.request('/api/overview/bindings', {}, LOCAL)).json()) as unknown[]).length).toBe(1);
  });
});

describe('one damaged evaluation file', () => {
  it('is listed as broken and skipped; the others are answered as before', async () => {
    const dir = await makeTempDir();
    const seed = await openLowdbStore(dir);
    await seed.createEvaluation(makeEvaluation('ev-good', ['c1']));
    await seed.createEvaluation(makeEvaluation('ev-bad', ['c2']));
    await seed.close();
    await writeFile(join(dir, 'evaluations/ev-bad.json'), 'not json at all');
    const { app, logs } = await openApp(dir);
    const res = await app.request('/api/evaluations', {}, LOCAL);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Array<{ id: string }>).map((r) => r.id)).toEqual(['ev-good']);
    expect(res.headers.get('X-Broken-Evaluations')).toBe('ev-bad');
    expect(logs.some((l) => l.includes('ev-bad'))).toBe(true);
    // Its own routes say what is wrong; the good one's work.
    const score = await app.request('/api/evaluations/ev-bad/score', {}, LOCAL);
    expect(score.status).toBe(500);
    expect(await score.json()).toEqual({ error: serverText.evaluationBroken('ev-bad') });
    expect((await app.request('/api/evaluations/ev-good/score', {}, LOCAL)).status).toBe(200);
    expect((await app.request('/api/chats/c1/evaluation', {}, LOCAL)).status).toBe(200);
    // Its chat is told what is wrong (not an internal error); the other chat is answered as usual.
    const message = (chatId: string) =>
      app.request('/api/local/messages', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ chatId, userId: 'u1', text: '得分' }) }, LOCAL);
    const bad = await message('c2');
    expect(bad.status).toBe(200);
    expect(JSON.stringify(await bad.json())).toContain(dialogText.evaluationDamaged);
    const good = await message('c1');
    expect(good.status).toBe(200);
    expect(JSON.stringify(await good.json())).not.toContain(dialogText.evaluationDamaged);
  });
});

describe('a really full disk (tmpfs)', () => {
  it('answers 507 for the answer that did not fit, keeps exactly the acknowledged ones, and takes the next once there is room', SLOW, async (ctx) => {
    const root = await makeTempDir();
    const data = join(root, 'data');
    await mkdir(data);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', data], { encoding: 'utf8' });
    // Without the permission to mount, this test cannot run: it skips locally and fails under CI.
    if (mounted.status !== 0) skipOrFailInCI(ctx, `mount -t tmpfs is not permitted here: ${mounted.stderr || mounted.error}`);
    mounts.push(data);
    const chat = await openApp(data);
    expect((await chat.say(CREATE)).status).toBe(200);
    let question = (await chat.say('开始')).question!;
    const acked: string[] = [];
    // Fill the file system to the last page.
    const filler = join(data, 'filler');
    const fd = openSync(filler, 'w');
    try {
      const page = Buffer.alloc(4096, 1);
      for (;;) writeSync(fd, page);
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      closeSync(fd);
    }
    // Answers fit while the files' last pages have room; the first that does not is refused.
    let refused: string | undefined;
    for (let i = 0; i < 40 && !refused; i++) {
      const res = await chat.say(answerFor(question));
      if (res.status === 200) {
        acked.push(question.key);
        question = res.question!;
      } else {
        expect(res.status).toBe(507);
        expect(res.body.error).toBe(serverText.answerNotSaved);
        refused = question.key;
      }
    }
    expect(refused).toBeDefined();
    // Nothing torn is left at the end of the journal, and its record is the last acknowledged one.
    const id = (await chat.store.evaluationIdForChat(CHAT))!;
    const journal = await readFile(join(data, 'evaluations', `${id}.json`), 'utf8');
    expect(journal.endsWith('\n')).toBe(true);
    expect(Object.keys(JSON.parse(lastRecordLine(journal)!).answers.judgements).length).toBe(acked.length);
    // Room again: the same answer is taken, then the next.
    await unlink(filler);
    const retry = await chat.say(answerFor(question));
    expect(retry.status).toBe(200);
    acked.push(question.key);
    const after = await chat.say(answerFor(retry.question!));
    expect(after.status).toBe(200);
    acked.push(retry.question!.key);
    await chat.close();
    const { rec, trail } = await afterRestart(data);
    expectExactly(rec, trail, acked);
  });
});

describe('npm start on a damaged data directory', () => {
  it('starts despite an empty chat index, garbage drafts and a stale lock naming a live process, and removes its lock on SIGTERM and SIGINT', SLOW, async () => {
    const dataDir = await makeTempDir();
    const seed = await openLowdbStore(dataDir);
    await seed.createEvaluation(makeEvaluation('ev1', [CHAT]));
    await seed.close();
    await writeFile(join(dataDir, 'chats.json'), '');
    await writeFile(join(dataDir, 'drafts.json'), '{"g":{');
    // A live process unrelated to the store, named by a lock with another start time (its id reused).
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(other);
    await writeFile(join(dataDir, 'store.lock'), JSON.stringify({ pid: other.pid, startTime: '1' }));

    const env = { PORT: '0', DATA_DIR: dataDir };
    const first = await spawnServer('src/entries/node.ts', env);
    children.push(first.child);
    // The index was rebuilt: the chat still has its evaluation.
    expect((await fetch(`${first.baseUrl}/api/chats/${CHAT}/evaluation`)).status).toBe(200);
    expect(first.output()).toMatch(/damaged file set aside.*chats\.json/);
    expect(first.output()).toMatch(/damaged file set aside.*drafts\.json/);
    const names = await readdir(dataDir);
    expect(names.filter((n) => n.includes('.broken-')).map((n) => n.replace(/-broken-.*|\.broken-.*/, '')).sort()).toEqual(['chats.json', 'drafts.json']);
    expect(JSON.parse(await readFile(join(dataDir, 'store.lock'), 'utf8'))).toMatchObject({ pid: first.child.pid });
    expect(await killProcess(first.child, 'SIGTERM')).toBe(0);
    expect(existsSync(join(dataDir, 'store.lock'))).toBe(false);

    const second = await spawnServer('src/entries/node.ts', env);
    children.push(second.child);
    expect((await fetch(`${second.baseUrl}/api/chats/${CHAT}/evaluation`)).status).toBe(200);
    expect(existsSync(join(dataDir, 'store.lock'))).toBe(true);
    expect(await killProcess(second.child, 'SIGINT')).toBe(0);
    expect(existsSync(join(dataDir, 'store.lock'))).toBe(false);
  });
});
