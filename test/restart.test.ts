import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLowdbStore, lastRecordLine } from '../src/store/lowdb';
import type { LocalReply } from '../src/channels/local';
import { answerFor, findQuestion } from './helpers/answers';
import { killProcess, spawnServer, type ServerProcess } from './helpers/process';

/** Process- and browser-driven tests are slow on a busy machine: generous limits, no timing assertions. */
const SLOW = { timeout: 180_000 };

const ENTRY = 'test/helpers/fake-server.ts';
const running: ServerProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) await killProcess(p.child);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function say(server: ServerProcess, userId: string, text: string): Promise<{ status: number; replies: Array<{ text?: string }> }> {
  const res = await fetch(`${server.baseUrl}/api/local/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ chatId: 'restart-group', userId, userName: userId, text }),
  });
  const body = (await res.json()) as { replies: Array<{ text?: string }> };
  return { status: res.status, replies: body.replies };
}

describe('a server with the fake bot killed mid-questionnaire', SLOW, () => {
  it('keeps every acknowledged answer and every user’s place after SIGKILL and restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'jx-restart-'));
    dirs.push(dataDir);
    const env = { PORT: '0', DATA_DIR: dataDir };
    const first = await spawnServer(ENTRY, env);
    running.push(first);

    expect((await say(first, 'zhang', '新建自评 南京市数据局 2024')).status).toBe(200);
    const acked: Array<[string, string, number]> = [];
    const users = ['zhang', 'li', 'wang'];
    for (let i = 0; i < 12; i++) {
      const user = users[i % 3]!;
      const key = `f${i}`;
      const res = await say(first, user, `fact ${key} ${i * 10 + 0.5}`);
      expect(res.status).toBe(200);
      acked.push([user, key, i * 10 + 0.5]);
    }
    // Answers still in flight when the process dies may or may not be kept; acknowledged ones must be.
    const inFlight = Array.from({ length: 10 }, (_, i) => say(first, users[i % 3]!, `fact late${i} ${i}`).catch(() => undefined));
    await killProcess(first.child, 'SIGKILL');
    await Promise.all(inFlight);

    const second = await spawnServer(ENTRY, env);
    running.push(second);
    // The chat still has its evaluation, and answering goes on.
    const view = await fetch(`${second.baseUrl}/api/chats/restart-group/evaluation`);
    expect(view.status).toBe(200);
    expect((await say(second, 'li', 'fact after 1')).replies[0]?.text).toBe('已记录 after');
    await killProcess(second.child, 'SIGKILL');

    // Every evaluation file ends in a whole record (a journal of whole lines), and no temporary file is left as the record.
    for (const name of await readdir(join(dataDir, 'evaluations'))) {
      if (name.startsWith('.')) continue;
      const text = await readFile(join(dataDir, 'evaluations', name), 'utf8');
      expect(() => JSON.parse(lastRecordLine(text)!)).not.toThrow();
    }
    const store = await openLowdbStore(dataDir);
    const id = (await store.evaluationIdForChat('restart-group'))!;
    const rec = (await store.getEvaluation(id))!;
    for (const [, key, value] of acked) expect(rec.answers.facts?.[key]).toBe(value);
    expect(rec.answers.facts?.['after']).toBe(1);
    const audit = await store.listAudit(id);
    for (const user of users) {
      // A user's place follows their last recorded answer (a late answer may or may not have landed).
      const last = audit.filter((e) => e.userId === user).at(-1)!;
      expect(rec.sessions[user]?.current).toBe(`after.${last.path.slice('facts.'.length)}`);
    }
    expect(audit.filter((e) => !e.path.startsWith('facts.late')).map((e) => e.path)).toEqual([
      ...acked.map(([, key]) => `facts.${key}`),
      'facts.after',
    ]);
  });
});

async function send(server: ServerProcess, chatId: string, userId: string, text: string): Promise<LocalReply[]> {
  const res = await fetch(`${server.baseUrl}/api/local/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ chatId, userId, userName: userId, text }),
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { replies: LocalReply[] }).replies;
}

/** Where an answer to a question key is recorded in the answers. */
function findAnswer(rec: { answers: Record<string, unknown> }, key: string): unknown {
  const [kind, name] = key.split(':') as [string, string];
  const table = kind === 'judgement' ? 'judgements' : kind === 'fact' ? 'facts' : kind === 'metric' ? 'metrics' : undefined;
  return table ? (rec.answers[table] as Record<string, unknown> | undefined)?.[name] : undefined;
}

describe('npm start killed mid-questionnaire', SLOW, () => {
  it('keeps every answered question and every user’s place after SIGKILL and restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'jx-restart-real-'));
    dirs.push(dataDir);
    const env = { PORT: '0', DATA_DIR: dataDir };
    const chat = 'restart-real';
    const first = await spawnServer('src/entries/node.ts', env);
    running.push(first);

    await send(first, chat, 'zhang', '新建自评 南京市数据局 2024 框架=nanjing-2021 截止=2025-05-31');
    const answered: string[] = [];
    const place = new Map<string, string>();
    // Three people each take their own questions and answer a few; the bot asks each the next one.
    for (const [user, count] of [['li', 5], ['wang', 4], ['zhang', 3]] as const) {
      let question = findQuestion(await send(first, chat, user, '开始'))!;
      for (let i = 0; i < count; i++) {
        const next = findQuestion(await send(first, chat, user, answerFor(question)));
        expect(next?.key).not.toBe(question.key);
        answered.push(question.key);
        question = next!;
      }
      place.set(user, question.key);
    }
    // A fourth person is mid-answer when the process dies.
    let zhao = findQuestion(await send(first, chat, 'zhao', '开始'))!;
    const inFlight = Array.from({ length: 5 }, () => send(first, chat, 'zhao', answerFor(zhao)).catch(() => undefined));
    await killProcess(first.child, 'SIGKILL');
    await Promise.all(inFlight);

    const second = await spawnServer('src/entries/node.ts', env);
    running.push(second);
    // Each person picks up exactly where they were.
    for (const [user, key] of place) expect(findQuestion(await send(second, chat, user, '继续'))?.key).toBe(key);
    zhao = findQuestion(await send(second, chat, 'zhao', '继续'))!;
    expect(zhao.key).toBeDefined();
    await killProcess(second.child, 'SIGKILL');

    const store = await openLowdbStore(dataDir);
    const rec = (await store.getEvaluation((await store.evaluationIdForChat(chat))!))!;
    expect(new Set(answered).size).toBe(12);
    for (const key of answered) expect(findAnswer(rec as never, key), key).toBeDefined();
    for (const [user, key] of place) expect(rec.sessions[user]?.current).toBe(key);
  });
});
