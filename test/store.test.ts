import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, unlink, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, openLowdbStore, lastRecordLine } from '../src/store/lowdb';
import { createMemoryStore } from '../src/store/memory';
import type { InboxEntry } from '../src/core/messages';
import type { InboxOrder, Store } from '../src/store/port';
import { createSqlStore } from '../src/store/sql/store';
import { createD1Harness } from './helpers/d1';
import { makeFrameworkRecord } from './helpers/framework-sheets';
import { makeEvaluation } from './helpers/records';
import { carriedFramework, delivery, inbox } from './helpers/store-fixtures';

/** A clock the test moves by hand. */
function createClock(start = Date.parse('2025-03-01T08:00:00.000Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

const dirs: string[] = [];
async function makeTempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'jx-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  while (dirs.length) await rm(dirs.pop()!, { recursive: true, force: true });
});

// One Miniflare D1 database for the file, emptied for every store opened on it.
const d1 = createD1Harness();
afterAll(() => d1.dispose());

const factories: Array<[string, (now: () => Date) => Promise<Store>]> = [
  ['memory', async (now) => createMemoryStore({ now })],
  ['lowdb', async (now) => openLowdbStore(await makeTempDir(), { now })],
  ['d1', async (now) => createSqlStore(await d1.fresh(), { now })],
];

/** The stores that implement InboxOrder. */
const orderedFactories: Array<[string, (now: () => Date) => Promise<Store & InboxOrder>]> = [
  ['memory', async (now) => createMemoryStore({ now })],
  ['d1', async (now) => createSqlStore(await d1.fresh(), { now })],
];

describe.each(factories)('%s store (port contract)', (_name, open) => {
  it('creates, reads and lists evaluations and binds their chats', async () => {
    const store = await open(createClock().now);
    await store.createEvaluation(makeEvaluation('ev1', ['c1', 'c2']));
    await store.createEvaluation(makeEvaluation('ev2', ['c3']));
    expect((await store.getEvaluation('ev1'))?.unit).toBe('南京市数据局');
    expect(await store.getEvaluation('nope')).toBeUndefined();
    expect(await store.evaluationIdForChat('c2')).toBe('ev1');
    expect(await store.evaluationIdForChat('c3')).toBe('ev2');
    expect(await store.evaluationIdForChat('c9')).toBeUndefined();
    expect((await store.listEvaluations()).map((r) => r.id).sort()).toEqual(['ev1', 'ev2']);
  });

  it('lists evaluations a page at a time, in id order, with a cursor to the next page', async () => {
    const store = await open(createClock().now);
    expect(await store.listEvaluationPage({ limit: 2 })).toEqual({ evaluations: [] });
    for (const id of ['ev-c', 'ev-a', 'ev-E', 'ev-b', 'ev-d']) await store.createEvaluation(makeEvaluation(id, [`chat-${id}`]));
    await store.createEvaluation(makeEvaluation('ev-0', ['chat-ev-0'], { frameworkId: 'import-carried', framework: carriedFramework() }));
    const ids = (p: { evaluations: Array<{ id: string }> }) => p.evaluations.map((r) => r.id);
    // Code-unit order: digits, then upper case, then lower case.
    const first = await store.listEvaluationPage({ limit: 2 });
    expect(ids(first)).toEqual(['ev-0', 'ev-E']);
    expect(first.next).toBe('ev-E');
    // Whole records, the carried framework included.
    expect(first.evaluations[0]!.framework).toEqual(carriedFramework());
    expect(first.evaluations[1]!.unit).toBe('南京市数据局');
    const second = await store.listEvaluationPage({ after: first.next!, limit: 2 });
    expect(ids(second)).toEqual(['ev-a', 'ev-b']);
    expect(second.next).toBe('ev-b');
    // One created meanwhile after the cursor is on a later page.
    await store.createEvaluation(makeEvaluation('ev-f', ['chat-ev-f']));
    const third = await store.listEvaluationPage({ after: second.next!, limit: 2 });
    expect(ids(third)).toEqual(['ev-c', 'ev-d']);
    const last = await store.listEvaluationPage({ after: third.next!, limit: 2 });
    expect(last).toEqual({ evaluations: [expect.objectContaining({ id: 'ev-f' })] });
    expect('next' in last).toBe(false);
    // A page that ends exactly at the last evaluation has no next cursor.
    const all = await store.listEvaluationPage({ limit: 7 });
    expect(ids(all)).toEqual(['ev-0', 'ev-E', 'ev-a', 'ev-b', 'ev-c', 'ev-d', 'ev-f']);
    expect(all.next).toBeUndefined();
    expect(await store.listEvaluationPage({ after: 'ev-f', limit: 3 })).toEqual({ evaluations: [] });
    // Copies, as by every read.
    all.evaluations[1]!.unit = 'changed';
    expect((await store.getEvaluation('ev-E'))!.unit).toBe('南京市数据局');
    for (const limit of [0, -1, 1.5]) await expect(store.listEvaluationPage({ limit })).rejects.toThrow(/limit/);
  });

  it('refuses a second evaluation for a bound chat, a duplicate id and unsafe ids', async () => {
    const store = await open(createClock().now);
    await store.createEvaluation(makeEvaluation('ev1', ['c1']));
    await expect(store.createEvaluation(makeEvaluation('ev2', ['c1']))).rejects.toThrow(/c1/);
    await expect(store.createEvaluation(makeEvaluation('ev1', ['c5']))).rejects.toThrow(/ev1/);
    for (const bad of ['../evil', 'a/b', 'a\\b', '.hidden', '', 'x'.repeat(200), '..']) {
      await expect(store.createEvaluation(makeEvaluation(bad, ['c-' + bad]))).rejects.toThrow(/invalid/);
    }
    expect(await store.getEvaluation('../evil')).toBeUndefined();
    expect(await store.evaluationIdForChat('c5')).toBeUndefined();
  });

  it('hands out copies, so changing a returned record changes nothing stored', async () => {
    const store = await open(createClock().now);
    const rec = makeEvaluation('ev1');
    await store.createEvaluation(rec);
    rec.unit = 'changed after create';
    const got = (await store.getEvaluation('ev1'))!;
    got.answers.facts!['budget'] = 1;
    const updated = await store.updateEvaluation('ev1', () => {});
    updated.unit = 'changed after update';
    const again = (await store.getEvaluation('ev1'))!;
    expect(again.unit).toBe('南京市数据局');
    expect(again.answers.facts).toEqual({});
  });

  it('updates in place or by replacement, bumping revision and updatedAt', async () => {
    const clock = createClock();
    const store = await open(clock.now);
    await store.createEvaluation(makeEvaluation('ev1'));
    clock.advance(60_000);
    const a = await store.updateEvaluation('ev1', (r) => {
      r.answers.facts!['budget'] = 6091.91;
    });
    expect(a.revision).toBe(1);
    expect(a.updatedAt).toBe('2025-03-01T08:01:00.000Z');
    const b = await store.updateEvaluation('ev1', (r) => ({ ...r, deadline: '2025-05-31' }));
    expect(b.revision).toBe(2);
    const got = (await store.getEvaluation('ev1'))!;
    expect(got.deadline).toBe('2025-05-31');
    expect(got.answers.facts).toEqual({ budget: 6091.91 });
    expect(got.revision).toBe(2);
  });

  it('rejects updates of unknown evaluations and of the id, and survives a failing mutation', async () => {
    const store = await open(createClock().now);
    await store.createEvaluation(makeEvaluation('ev1'));
    await expect(store.updateEvaluation('nope', () => {})).rejects.toThrow(/nope/);
    await expect(store.updateEvaluation('ev1', (r) => ({ ...r, id: 'other' }))).rejects.toThrow(/id/);
    await expect(
      store.updateEvaluation('ev1', (r) => {
        r.unit = 'half-done';
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const got = (await store.getEvaluation('ev1'))!;
    expect(got.unit).toBe('南京市数据局');
    expect(got.revision).toBe(0);
    expect((await store.updateEvaluation('ev1', () => {})).revision).toBe(1);
  });

  it('serialises concurrent updates of one evaluation so none is lost', async () => {
    const store = await open(createClock().now);
    await store.createEvaluation(makeEvaluation('ev1'));
    await store.createEvaluation(makeEvaluation('ev2'));
    const writes = Array.from({ length: 40 }, (_, i) =>
      store.updateEvaluation(i % 2 ? 'ev1' : 'ev2', (r, audit) => {
        r.answers.facts = { ...r.answers.facts, [`f${i}`]: i };
        audit.push({ at: 'now', userId: `u${i}`, path: `facts.f${i}`, new: i });
      }),
    );
    await Promise.all(writes);
    const one = (await store.getEvaluation('ev1'))!;
    const two = (await store.getEvaluation('ev2'))!;
    expect(Object.keys(one.answers.facts ?? {})).toHaveLength(20);
    expect(await store.listAudit('ev1')).toHaveLength(20);
    expect(one.revision).toBe(20);
    expect((await store.listAudit('ev2')).map((e) => e.new)).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
  });

  it('replaces a record only if nobody wrote since it was read (compare-and-swap)', async () => {
    const store = await open(createClock().now);
    await store.createEvaluation(makeEvaluation('ev1'), [{ at: 't0', userId: 'u0', path: 'evaluation', new: { unit: '南京市数据局' } }]);
    const a = (await store.getEvaluation('ev1'))!;
    const b = (await store.getEvaluation('ev1'))!;
    a.answers.facts!['spending'] = 1;
    const saved = await store.replaceEvaluation(a, [{ at: 't1', userId: 'u1', path: 'facts.spending', new: 1 }]);
    expect(saved?.revision).toBe(1);
    // b was read at revision 0 too: its write would lose a's answer, so it is refused and nothing changes.
    b.answers.facts!['budget'] = 2;
    expect(await store.replaceEvaluation(b, [{ at: 't2', userId: 'u2', path: 'facts.budget', new: 2 }])).toBeUndefined();
    const now = (await store.getEvaluation('ev1'))!;
    expect(now.answers.facts).toEqual({ spending: 1 });
    expect(now.revision).toBe(1);
    expect((await store.listAudit('ev1')).map((e) => e.path)).toEqual(['evaluation', 'facts.spending']);
    // Made from the current record, it goes through.
    now.answers.facts!['budget'] = 2;
    expect((await store.replaceEvaluation(now))?.revision).toBe(2);
    expect((await store.getEvaluation('ev1'))!.answers.facts).toEqual({ spending: 1, budget: 2 });
    await expect(store.replaceEvaluation(makeEvaluation('nope'))).rejects.toThrow(/nope/);
    expect(await store.listAudit('nope')).toEqual([]);
  });

  it('keeps the framework an evaluation carries as it was created, and hands it out read-only or as a copy', async () => {
    const store = await open(() => new Date());
    const framework = carriedFramework();
    await store.createEvaluation(makeEvaluation('ev1', ['c1'], { frameworkId: framework.id, framework }));
    framework.name = 'changed by the caller afterwards';
    await store.updateEvaluation('ev1', (r) => void (r.unit = '另一个单位'));
    const read = (await store.getEvaluation('ev1'))!;
    expect(read.framework).toEqual(carriedFramework());
    // Whatever a reader does with its record, the next read has the framework as created.
    try {
      read.framework!.name = 'changed by a reader';
    } catch {
      // shared copies are frozen
    }
    expect((await store.getEvaluation('ev1'))!.framework).toEqual(carriedFramework());
  });

  it('keeps the audit trail out of the record', async () => {
    const store = await open(createClock().now);
    await store.createEvaluation(makeEvaluation('ev1'));
    for (let i = 0; i < 3; i++) await store.updateEvaluation('ev1', (_r, audit) => void audit.push({ at: `t${i}`, userId: 'u', path: `facts.f${i}`, new: i }));
    expect(Object.keys((await store.getEvaluation('ev1'))!)).not.toContain('audit');
    const trail = await store.listAudit('ev1');
    expect(trail.map((e) => e.new)).toEqual([0, 1, 2]);
    // A copy: changing it changes nothing stored.
    trail[0]!.new = 99;
    expect((await store.listAudit('ev1'))[0]!.new).toBe(0);
  });

  it('binds another chat, and moves a chat bound elsewhere', async () => {
    const store = await open(createClock().now);
    await store.createEvaluation(makeEvaluation('ev1', ['c1']));
    await store.createEvaluation(makeEvaluation('ev2', ['c2']));
    await store.bindChat('p2p-u1', 'ev1');
    expect(await store.evaluationIdForChat('p2p-u1')).toBe('ev1');
    expect((await store.getEvaluation('ev1'))!.chatIds).toEqual(['c1', 'p2p-u1']);
    await store.bindChat('p2p-u1', 'ev2');
    expect(await store.evaluationIdForChat('p2p-u1')).toBe('ev2');
    expect((await store.getEvaluation('ev1'))!.chatIds).toEqual(['c1']);
    expect((await store.getEvaluation('ev2'))!.chatIds).toEqual(['c2', 'p2p-u1']);
    await expect(store.bindChat('c9', 'nope')).rejects.toThrow(/nope/);
  });

  it('keeps one chat draft per chat and user, and deletes it', async () => {
    const store = await open(createClock().now);
    await store.setChatDraft({ chatId: 'c1', userId: 'u1', draft: { step: 'unit' }, updatedAt: 'x' });
    await store.setChatDraft({ chatId: 'c1', userId: 'u2', draft: { step: 'year' }, updatedAt: 'x' });
    expect((await store.getChatDraft('c1', 'u1'))?.draft).toEqual({ step: 'unit' });
    expect((await store.getChatDraft('c1', 'u2'))?.draft).toEqual({ step: 'year' });
    await store.setChatDraft({ chatId: 'c1', userId: 'u1', draft: undefined });
    expect(await store.getChatDraft('c1', 'u1')).toBeUndefined();
    expect(await store.getChatDraft('c1', 'u2')).toBeDefined();
    await store.setChatDraft({ chatId: 'c1', userId: 'u9', draft: undefined });
  });

  it('deletes the chat drafts last changed before a time, and only those', async () => {
    const store = await open(createClock().now);
    await store.setChatDraft({ chatId: 'c1', userId: 'old', draft: { step: 'unit' }, updatedAt: '2025-01-01T00:00:00.000Z' });
    await store.setChatDraft({ chatId: 'c1', userId: 'new', draft: { step: 'year' }, updatedAt: '2025-01-03T00:00:00.000Z' });
    expect(await store.deleteChatDraftsBefore('2025-01-02T00:00:00.000Z')).toBe(1);
    expect(await store.getChatDraft('c1', 'old')).toBeUndefined();
    expect(await store.getChatDraft('c1', 'new')).toBeDefined();
    expect(await store.deleteChatDraftsBefore('2025-01-02T00:00:00.000Z')).toBe(0);
  });

  it('stores files by a safe id and returns their bytes', async () => {
    const clock = createClock();
    const store = await open(clock.now);
    const bytes = new Uint8Array([80, 75, 3, 4, 0, 255]);
    const put = await store.putFile({ name: '南京市数据局2024年度报告.docx', mime: 'application/octet-stream', bytes });
    expect(put.id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(put.createdAt).toBe(clock.now().toISOString());
    bytes[0] = 0;
    const got = (await store.getFile(put.id))!;
    expect(got.name).toBe('南京市数据局2024年度报告.docx');
    expect(Array.from(got.bytes)).toEqual([80, 75, 3, 4, 0, 255]);
    expect(await store.getFile('missing')).toBeUndefined();
    expect(await store.getFile('../chats')).toBeUndefined();
  });

  it('claims an event once within its time to live', async () => {
    const clock = createClock();
    const store = await open(clock.now);
    expect(await store.claimEvent('feishu:ev-1', 1000)).toBe(true);
    expect(await store.claimEvent('feishu:ev-1', 1000)).toBe(false);
    expect(await store.claimEvent('feishu:ev-2', 1000)).toBe(true);
    clock.advance(1001);
    expect(await store.claimEvent('feishu:ev-1', 1000)).toBe(true);
    const both = await Promise.all([store.claimEvent('x', 1000), store.claimEvent('x', 1000)]);
    expect(both.sort()).toEqual([false, true]);
  });

  it('records an inbound event with its dedupe keys once, and any key claimed again makes a duplicate', async () => {
    const clock = createClock();
    const store = await open(clock.now);
    expect(await store.recordInbound(inbox('feishu:ev:1'), ['feishu:ev:1', 'feishu:msg:m1'], 1000)).toBe(true);
    // The same event again, and the same message under another event id: both refused, nothing recorded.
    expect(await store.recordInbound(inbox('feishu:ev:1'), ['feishu:ev:1', 'feishu:msg:m1'], 1000)).toBe(false);
    expect(await store.recordInbound(inbox('feishu:ev:2'), ['feishu:ev:2', 'feishu:msg:m1'], 1000)).toBe(false);
    // A refused record claims nothing: ev:2's own key is still free.
    expect(await store.claimEvent('feishu:ev:2', 1000)).toBe(true);
    expect((await store.listPending()).inbound.map((e) => e.id)).toEqual(['feishu:ev:1']);
    const both = await Promise.all([store.recordInbound(inbox('x'), ['k'], 1000), store.recordInbound(inbox('y'), ['k'], 1000)]);
    expect(both.sort()).toEqual([false, true]);
    clock.advance(1001);
    expect(await store.recordInbound(inbox('feishu:ev:3'), ['feishu:msg:m1'], 1000)).toBe(true);
  });

  it('settles an inbound event with its replies, which stay pending until sent or given up', async () => {
    const store = await open(createClock().now);
    await store.recordInbound(inbox('a'), ['a'], 60_000);
    await store.recordInbound(inbox('b'), ['b'], 60_000);
    await store.settleInbound('a', [delivery('a#0'), delivery('a#1')]);
    await store.enqueueOutbound([delivery('r#0')]);
    let pending = await store.listPending();
    expect(pending.inbound.map((e) => e.id)).toEqual(['b']);
    expect(pending.outbound.map((d) => d.id)).toEqual(['a#0', 'a#1', 'r#0']);
    await store.settleOutbound('a#0', 'sent');
    await store.settleOutbound('r#0', 'failed');
    await store.settleOutbound('never-recorded', 'sent');
    pending = await store.listPending();
    expect(pending.outbound.map((d) => d.id)).toEqual(['a#1']);
    expect(pending.outbound[0]).toEqual(delivery('a#1'));
    // Copies: changing what was read changes nothing stored.
    pending.outbound[0]!.target.chatId = 'changed';
    expect((await store.listPending()).outbound[0]!.target.chatId).toBe('feishu:oc_1');
  });

  it('claims a reminder slot once with its replies, which stay pending until sent', async () => {
    const clock = createClock();
    const store = await open(clock.now);
    expect(await store.claimSlot('ev1/2025-03-03/daily', [delivery('rem:1#0')], 1000)).toBe(true);
    // Claimed again (another tick, another process after a restart): refused, nothing recorded.
    expect(await store.claimSlot('ev1/2025-03-03/daily', [delivery('rem:1#again')], 1000)).toBe(false);
    expect(await store.claimSlot('ev1/2025-03-03/T-0', [delivery('rem:2#0')], 1000)).toBe(true);
    expect((await store.listPending()).outbound.map((d) => d.id)).toEqual(['rem:1#0', 'rem:2#0']);
    expect((await store.listSlots()).sort()).toEqual(['ev1/2025-03-03/T-0', 'ev1/2025-03-03/daily']);
    const both = await Promise.all([store.claimSlot('ev2/x', [delivery('a')], 1000), store.claimSlot('ev2/x', [delivery('b')], 1000)]);
    expect(both.sort()).toEqual([false, true]);
    await store.settleOutbound('rem:1#0', 'sent');
    expect((await store.listPending()).outbound.map((d) => d.id)).not.toContain('rem:1#0');
    // Sent, the slot stays claimed until it expires.
    expect(await store.claimSlot('ev1/2025-03-03/daily', [], 1000)).toBe(false);
    clock.advance(1001);
    expect(await store.listSlots()).toEqual([]);
    expect(await store.claimSlot('ev1/2025-03-03/daily', [], 1000)).toBe(true);
  });

  it('keeps small channel state by key', async () => {
    const store = await open(createClock().now);
    expect(await store.getChannelState('dingtalk:session:c1')).toBeUndefined();
    await store.setChannelState('dingtalk:session:c1', { url: 'https://x', expiresAt: 5 });
    const read = (await store.getChannelState('dingtalk:session:c1'))!;
    read['url'] = 'changed';
    expect(await store.getChannelState('dingtalk:session:c1')).toEqual({ url: 'https://x', expiresAt: 5 });
    await store.setChannelState('dingtalk:session:c1', undefined);
    expect(await store.getChannelState('dingtalk:session:c1')).toBeUndefined();
  });

  it("counts a channel's calls per month in its state, atomically: a new month or a foreign value starts again at one, none lost when concurrent", async () => {
    const store = await open(createClock().now);
    expect(await store.addChannelCall('dingtalk:quota', '2025-05')).toEqual({ month: '2025-05', calls: 1 });
    expect(await store.addChannelCall('dingtalk:quota', '2025-05')).toEqual({ month: '2025-05', calls: 2 });
    expect(await store.getChannelState('dingtalk:quota')).toEqual({ month: '2025-05', calls: 2 });
    // Counted on from what another writer stored; a new month starts again.
    await store.setChannelState('dingtalk:quota', { month: '2025-05', calls: 40 });
    expect(await store.addChannelCall('dingtalk:quota', '2025-05')).toEqual({ month: '2025-05', calls: 41 });
    expect(await store.addChannelCall('dingtalk:quota', '2025-06')).toEqual({ month: '2025-06', calls: 1 });
    await store.setChannelState('dingtalk:quota', { url: 'https://x' });
    expect(await store.addChannelCall('dingtalk:quota', '2025-06')).toEqual({ month: '2025-06', calls: 1 });
    const results = await Promise.all(Array.from({ length: 20 }, () => store.addChannelCall('other', '2025-06')));
    expect(results.map((r) => r.calls).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await store.getChannelState('other')).toEqual({ month: '2025-06', calls: 20 });
  });

  it("counts the assistant's use per month: zero for an unknown month, tokens and calls added, months apart", async () => {
    const store = await open(createClock().now);
    expect(await store.getAssistantUsage('2025-05')).toEqual({ tokens: 0, calls: 0 });
    expect(await store.addAssistantUsage('2025-05', 333)).toEqual({ tokens: 333, calls: 1 });
    expect(await store.addAssistantUsage('2025-05', 67)).toEqual({ tokens: 400, calls: 2 });
    expect(await store.addAssistantUsage('2025-06', 5)).toEqual({ tokens: 5, calls: 1 });
    // A call the API reported no tokens for still counts as a call.
    expect(await store.addAssistantUsage('2025-06', 0)).toEqual({ tokens: 5, calls: 2 });
    // Whole tokens in every store (SQL keeps integers).
    expect(await store.addAssistantUsage('2025-07', 12.6)).toEqual({ tokens: 13, calls: 1 });
    expect(await store.getAssistantUsage('2025-05')).toEqual({ tokens: 400, calls: 2 });
    expect(await store.getAssistantUsage('2025-06')).toEqual({ tokens: 5, calls: 2 });
    expect(await store.getAssistantUsage('2025-04')).toEqual({ tokens: 0, calls: 0 });
    // Copies: changing a returned count changes nothing stored.
    const read = await store.getAssistantUsage('2025-05');
    read.tokens = 1;
    expect((await store.getAssistantUsage('2025-05')).tokens).toBe(400);
  });

  it("loses none of the assistant's concurrent usage adds", async () => {
    const store = await open(createClock().now);
    const adds = Array.from({ length: 20 }, (_, i) => store.addAssistantUsage('2025-05', i + 1));
    const results = await Promise.all(adds);
    expect(await store.getAssistantUsage('2025-05')).toEqual({ tokens: 210, calls: 20 });
    // Each add saw its own increment: the running calls are 1..20, each once.
    expect(results.map((r) => r.calls).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('keeps one overview binding per chat, hands out copies, lists them and deletes one left with no units', async () => {
    const store = await open(createClock().now);
    expect(await store.getOverviewBinding('bureau')).toBeUndefined();
    const unit = { unit: '南京市数据局', status: 'pending' as const, code: 'AB12CD', requestedBy: 'u9', requestedAt: 't0' };
    await store.setOverviewBinding({ chatId: 'bureau', year: 2024, units: [unit], updatedAt: 't0' });
    await store.setOverviewBinding({ chatId: 'another', units: [{ ...unit, status: 'approved', byAdmin: true }], updatedAt: 't0' });
    const read = (await store.getOverviewBinding('bureau'))!;
    read.units[0]!.status = 'approved';
    expect(await store.getOverviewBinding('bureau')).toEqual({ chatId: 'bureau', year: 2024, units: [unit], updatedAt: 't0' });
    expect((await store.listOverviewBindings()).map((b) => [b.chatId, b.units[0]!.status])).toEqual([
      ['another', 'approved'],
      ['bureau', 'pending'],
    ]);
    await store.setOverviewBinding({ chatId: 'bureau', units: [], updatedAt: 't1' });
    expect(await store.getOverviewBinding('bureau')).toBeUndefined();
    expect((await store.listOverviewBindings()).map((b) => b.chatId)).toEqual(['another']);
  });

  it('stores imported frameworks, replaces one by id and lists them oldest first', async () => {
    const store = await open(createClock().now);
    expect(await store.listFrameworks()).toEqual([]);
    expect(await store.getFramework('import-none')).toBeUndefined();
    await store.putFramework(makeFrameworkRecord('import-bbb', { createdAt: '2025-02-01T00:00:00.000Z' }));
    await store.putFramework(makeFrameworkRecord('import-aaa', { createdAt: '2025-03-01T00:00:00.000Z' }));
    const got = (await store.getFramework('import-bbb'))!;
    expect(got.name).toBe('测试指标体系');
    expect(got.draft.rows.map((r) => r.code)).toEqual(['A11', 'B11']);
    expect((await store.listFrameworks()).map((r) => r.id)).toEqual(['import-bbb', 'import-aaa']);
    await store.putFramework({ ...got, status: 'ready', name: '改名后', updatedAt: '2025-04-01T00:00:00.000Z' });
    expect(await store.getFramework('import-bbb')).toMatchObject({ status: 'ready', name: '改名后', updatedAt: '2025-04-01T00:00:00.000Z' });
    expect((await store.listFrameworks()).map((r) => r.id)).toEqual(['import-bbb', 'import-aaa']);
  });

  it('lists the heads of the imported frameworks, kept up to date by every write', async () => {
    const clock = createClock();
    const store = await open(clock.now);
    expect(await store.listFrameworkHeads()).toEqual([]);
    await store.putFramework(makeFrameworkRecord('import-bbb', { createdAt: '2025-02-01T00:00:00.000Z' }));
    await store.putFramework(makeFrameworkRecord('import-aaa', { createdAt: '2025-03-01T00:00:00.000Z' }));
    const heads = await store.listFrameworkHeads();
    expect(heads.map((h) => [h.id, h.status])).toEqual([['import-bbb', 'open'], ['import-aaa', 'open']]);
    expect(heads[0]).not.toHaveProperty('draft');
    clock.advance(1000);
    await store.updateFramework('import-aaa', (r) => {
      r.status = 'ready';
      r.name = '新名称';
    });
    expect((await store.listFrameworkHeads())[1]).toEqual({ id: 'import-aaa', name: '新名称', status: 'ready', createdAt: '2025-03-01T00:00:00.000Z', updatedAt: clock.now().toISOString() });
    await store.putFramework(makeFrameworkRecord('import-ccc', { createdAt: '2025-04-01T00:00:00.000Z' }));
    expect((await store.listFrameworkHeads()).map((h) => h.id)).toEqual(['import-bbb', 'import-aaa', 'import-ccc']);
  });

  it('updates a framework in place or by replacement, serialised, and survives a refused change', async () => {
    const clock = createClock();
    const store = await open(clock.now);
    await store.putFramework(makeFrameworkRecord('import-upd'));
    clock.advance(1000);
    const changed = await store.updateFramework('import-upd', (r) => {
      r.status = 'ready';
    });
    expect(changed).toMatchObject({ status: 'ready', updatedAt: clock.now().toISOString() });
    await store.updateFramework('import-upd', (r) => ({ ...r, name: '替换' }));
    expect(await store.getFramework('import-upd')).toMatchObject({ name: '替换', status: 'ready' });
    // Concurrent read-modify-writes: none is lost.
    await Promise.all(Array.from({ length: 12 }, (_, i) => store.updateFramework('import-upd', (r) => void (r.name += String(i % 10)))));
    expect((await store.getFramework('import-upd'))!.name).toHaveLength('替换'.length + 12);
    await expect(store.updateFramework('import-upd', () => { throw new Error('refused'); })).rejects.toThrow('refused');
    await expect(store.updateFramework('import-upd', (r) => ({ ...r, id: 'import-other' }))).rejects.toThrow(/id/);
    await expect(store.updateFramework('import-none', () => {})).rejects.toThrow(/not found/);
    await expect(store.updateFramework('../x', () => {})).rejects.toThrow(/not found/);
    expect((await store.getFramework('import-upd'))!.name).toHaveLength('替换'.length + 12);
    expect((await store.listFrameworks()).map((r) => r.id)).toEqual(['import-upd']);
  });

  it('hands out framework copies and refuses unsafe and built-in framework ids', async () => {
    const store = await open(createClock().now);
    const rec = makeFrameworkRecord('import-ccc');
    await store.putFramework(rec);
    rec.name = 'changed after put';
    const got = (await store.getFramework('import-ccc'))!;
    expect(got.name).toBe('测试指标体系');
    got.draft.rows.length = 0;
    (await store.listFrameworks())[0]!.draft.rows.length = 0;
    expect((await store.getFramework('import-ccc'))!.draft.rows).toHaveLength(2);
    for (const bad of ['../evil', 'a/b', '.hidden', '', 'Upper', 'x'.repeat(80), '..']) {
      await expect(store.putFramework(makeFrameworkRecord(bad))).rejects.toThrow(/invalid framework id/);
      expect(await store.getFramework(bad)).toBeUndefined();
    }
    await expect(store.putFramework(makeFrameworkRecord('nanjing-2021'))).rejects.toThrow(/built-in/);
    expect((await store.listFrameworks()).map((r) => r.id)).toEqual(['import-ccc']);
  });
});

describe.each(orderedFactories)('%s store (InboxOrder contract)', (_name, open) => {
  /** An inbound event of `chatId` on `channel`. */
  const inboxIn = (id: string, chatId: string, channel: 'feishu' | 'dingtalk' = 'feishu'): InboxEntry => {
    const e = inbox(id);
    return { ...e, channel, message: { ...e.message, channel, chatId }, replyTo: { ...e.replyTo, chatId } };
  };

  it('leases a chat to one holder until the lease expires or its holder releases it', async () => {
    const clock = createClock();
    const store = await open(clock.now);
    expect(await store.leaseChat('feishu:oc_1', 'a', 1000)).toBe(true);
    expect(await store.leaseChat('feishu:oc_1', 'b', 1000)).toBe(false);
    // Another chat is free; the holder renews its own lease.
    expect(await store.leaseChat('feishu:oc_2', 'b', 1000)).toBe(true);
    clock.advance(600);
    expect(await store.leaseChat('feishu:oc_1', 'a', 1000)).toBe(true);
    clock.advance(600);
    // Renewed at 600 ms, so still a's at 1200 ms.
    expect(await store.leaseChat('feishu:oc_1', 'b', 1000)).toBe(false);
    clock.advance(1000);
    expect(await store.leaseChat('feishu:oc_1', 'b', 1000)).toBe(true);
    expect(await store.leaseChat('feishu:oc_1', 'a', 1000)).toBe(false);
    // Only the holder's release counts.
    await store.releaseChat('feishu:oc_1', 'a');
    expect(await store.leaseChat('feishu:oc_1', 'a', 1000)).toBe(false);
    await store.releaseChat('feishu:oc_1', 'b');
    expect(await store.leaseChat('feishu:oc_1', 'a', 1000)).toBe(true);
    const both = await Promise.all([store.leaseChat('feishu:oc_3', 'x', 1000), store.leaseChat('feishu:oc_3', 'y', 1000)]);
    expect(both.sort()).toEqual([false, true]);
  });

  it("lists a chat's pending inbound events in the order they were recorded, and only that chat's", async () => {
    const store = await open(createClock().now);
    const recorded = [
      inboxIn('e1', 'feishu:oc_x'),
      inboxIn('e2', 'feishu:oc_y'),
      inboxIn('e3', 'feishu:oc_x'),
      inboxIn('e4', 'feishu:oc_x', 'dingtalk'),
      inboxIn('e5', 'feishu:oc_x'),
    ];
    for (const e of recorded) expect(await store.recordInbound(e, [e.id], 60_000)).toBe(true);
    expect((await store.listPendingInbound('feishu', 'feishu:oc_x')).map((e) => e.id)).toEqual(['e1', 'e3', 'e5']);
    expect((await store.listPendingInbound('dingtalk', 'feishu:oc_x')).map((e) => e.id)).toEqual(['e4']);
    expect(await store.listPendingInbound('feishu', 'feishu:oc_none')).toEqual([]);
    await store.settleInbound('e3', []);
    const pending = await store.listPendingInbound('feishu', 'feishu:oc_x');
    expect(pending).toEqual([recorded[0], recorded[4]]);
    // Copies: changing what was read changes nothing stored.
    pending[0]!.message.text = 'changed';
    expect((await store.listPendingInbound('feishu', 'feishu:oc_x'))[0]!.message.text).toBe('6091.91');
  });
});

describe('lowdb store on disk', () => {
  it('keeps everything across a reopen', async () => {
    const dir = await makeTempDir();
    const clock = createClock();
    const first = await openLowdbStore(dir, { now: clock.now });
    await first.createEvaluation(makeEvaluation('ev1', ['c1']));
    await first.updateEvaluation('ev1', (r) => {
      r.answers.facts!['spending'] = 5959.46;
      r.sessions['u1'] = { version: 1, userId: 'u1', current: 'facts.budget', skipped: [], history: [], failures: 0, updatedAt: 'x' };
    });
    await first.bindChat('p2p', 'ev1');
    await first.setChatDraft({ chatId: 'c7', userId: 'u1', draft: { unit: '某局' }, updatedAt: 'x' });
    const file = await first.putFile({ name: 'a.docx', mime: 'application/x', bytes: new Uint8Array([1, 2, 3]) });
    await first.claimEvent('e1', 60_000);

    const second = await openLowdbStore(dir, { now: clock.now });
    const rec = (await second.getEvaluation('ev1'))!;
    expect(rec.answers.facts).toEqual({ spending: 5959.46 });
    expect(rec.sessions['u1']?.current).toBe('facts.budget');
    expect(rec.revision).toBe(2);
    expect(await second.evaluationIdForChat('p2p')).toBe('ev1');
    expect((await second.getChatDraft('c7', 'u1'))?.draft).toEqual({ unit: '某局' });
    expect(Array.from((await second.getFile(file.id))!.bytes)).toEqual([1, 2, 3]);
    expect(await second.claimEvent('e1', 60_000)).toBe(false);
    clock.advance(60_001);
    const third = await openLowdbStore(dir, { now: clock.now });
    expect(await third.claimEvent('e1', 60_000)).toBe(true);
  });

  it('keeps overview bindings across a reopen', async () => {
    const dir = await makeTempDir();
    const first = await openLowdbStore(dir);
    await first.setOverviewBinding({ chatId: 'bureau', units: [{ unit: '南京市财政局', status: 'approved', requestedBy: 'u9', requestedAt: 't0', byAdmin: true }], updatedAt: 't0' });
    await first.setOverviewBinding({ chatId: 'gone', units: [{ unit: '某局', status: 'pending', code: 'X', requestedBy: 'u9', requestedAt: 't0' }], updatedAt: 't0' });
    await first.setOverviewBinding({ chatId: 'gone', units: [], updatedAt: 't1' });
    const second = await openLowdbStore(dir);
    expect(await second.listOverviewBindings()).toEqual([
      { chatId: 'bureau', units: [{ unit: '南京市财政局', status: 'approved', requestedBy: 'u9', requestedAt: 't0', byAdmin: true }], updatedAt: 't0' },
    ]);
  });

  it('keeps claimed reminder slots and their unsent replies across a reopen', async () => {
    const dir = await makeTempDir();
    const clock = createClock();
    const first = await openLowdbStore(dir, { now: clock.now });
    await first.claimSlot('ev1/2025-03-03/daily', [delivery('rem:1#0')], 60_000);
    await first.claimSlot('ev1/2025-03-04/daily', [delivery('rem:2#0')], 60_000);
    await first.settleOutbound('rem:1#0', 'sent');
    const second = await openLowdbStore(dir, { now: clock.now });
    expect(await second.claimSlot('ev1/2025-03-03/daily', [delivery('rem:1#0')], 60_000)).toBe(false);
    expect((await second.listPending()).outbound.map((d) => d.id)).toEqual(['rem:2#0']);
    expect((await second.listSlots()).sort()).toEqual(['ev1/2025-03-03/daily', 'ev1/2025-03-04/daily']);
    // Rewritten on open (the log had a dead line): the slots survive the rewrite too.
    const third = await openLowdbStore(dir, { now: clock.now });
    expect(await third.claimSlot('ev1/2025-03-04/daily', [], 60_000)).toBe(false);
    clock.advance(60_001);
    const fourth = await openLowdbStore(dir, { now: clock.now });
    expect(await fourth.listSlots()).toEqual([]);
  });

  it('writes one file per evaluation and an answer touches only its own file', async () => {
    const dir = await makeTempDir();
    const store = await openLowdbStore(dir);
    for (let i = 0; i < 5; i++) await store.createEvaluation(makeEvaluation(`ev${i}`));
    expect((await readdir(join(dir, 'evaluations'))).sort()).toEqual(['ev0.json', 'ev1.json', 'ev2.json', 'ev3.json', 'ev4.json']);
    const before = await Promise.all(['evaluations/ev0.json', 'evaluations/ev4.json', 'chats.json'].map((p) => stat(join(dir, p))));
    await new Promise((r) => setTimeout(r, 20));
    await store.updateEvaluation('ev2', (r) => {
      r.answers.facts!['budget'] = 1;
    });
    const after = await Promise.all(['evaluations/ev0.json', 'evaluations/ev4.json', 'chats.json'].map((p) => stat(join(dir, p))));
    expect(after.map((s) => s.mtimeMs)).toEqual(before.map((s) => s.mtimeMs));
    const onDisk = JSON.parse(lastRecordLine(await readFile(join(dir, 'evaluations/ev2.json'), 'utf8'))!);
    expect(onDisk.answers.facts).toEqual({ budget: 1 });
    expect(onDisk.revision).toBe(1);
    // Atomic writes leave no temporary files behind.
    expect((await readdir(join(dir, 'evaluations'))).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('has the record on disk when updateEvaluation resolves, even with a tiny cache', async () => {
    const dir = await makeTempDir();
    const store = await openLowdbStore(dir, { cacheSize: 1 });
    await store.createEvaluation(makeEvaluation('ev1'));
    await store.createEvaluation(makeEvaluation('ev2'));
    await store.updateEvaluation('ev1', (r) => {
      r.deadline = '2025-05-31';
    });
    expect(JSON.parse(lastRecordLine(await readFile(join(dir, 'evaluations/ev1.json'), 'utf8'))!).deadline).toBe('2025-05-31');
    expect((await store.getEvaluation('ev2'))!.id).toBe('ev2');
    expect((await store.getEvaluation('ev1'))!.deadline).toBe('2025-05-31');
  });

  it('journals writes as whole lines, rewrites the file now and then, and skips a line torn by a crash', async () => {
    const dir = await makeTempDir();
    const store = await openLowdbStore(dir);
    await store.createEvaluation(makeEvaluation('ev1'));
    for (let i = 1; i <= 100; i++) {
      await store.updateEvaluation('ev1', (r) => {
        r.answers.facts!['n'] = i;
      });
    }
    const path = join(dir, 'evaluations/ev1.json');
    const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
    // Rewritten after 64 appends: 100 writes leave the 36 since.
    expect(lines.length).toBe(36);
    expect(JSON.parse(lines.at(-1)!).answers.facts.n).toBe(100);
    // Big records are rewritten sooner (every 256 KB appended).
    await store.updateEvaluation('ev1', (r) => {
      r.answers.narratives = { overview: '很长的文字'.repeat(20_000) };
    });
    for (let i = 0; i < 3; i++) await store.updateEvaluation('ev1', () => {});
    expect((await readFile(path, 'utf8')).split('\n').filter(Boolean).length).toBeLessThan(4);
    await store.updateEvaluation('ev1', (r) => {
      r.answers.facts!['n'] = 40;
      r.answers.narratives = {};
    });
    // A crash mid-append leaves half a line: the record before it stands, and the next write starts clean.
    await appendFile(path, '{"id":"ev1","answers":{"facts":{"n":41');
    const reopened = await openLowdbStore(dir);
    expect((await reopened.getEvaluation('ev1'))!.answers.facts).toEqual({ n: 40 });
    await reopened.updateEvaluation('ev1', (r) => {
      r.answers.facts!['n'] = 42;
    });
    const after = await readFile(path, 'utf8');
    expect(after.split('\n').filter(Boolean)).toHaveLength(1);
    expect((await (await openLowdbStore(dir)).getEvaluation('ev1'))!.answers.facts).toEqual({ n: 42 });
  });

  it('keeps the audit trail across a reopen, and drops entries of a write that crashed before its record', async () => {
    const dir = await makeTempDir();
    const store = await openLowdbStore(dir);
    await store.createEvaluation(makeEvaluation('ev1'), [{ at: 't0', userId: 'u0', path: 'evaluation' }]);
    for (let i = 1; i <= 20; i++) {
      await store.updateEvaluation('ev1', (r, audit) => {
        r.answers.facts!['n'] = i;
        audit.push({ at: `t${i}`, userId: 'u', path: 'facts.n', old: i - 1, new: i });
      });
    }
    // A crash between the trail's append and the record's: the trail holds an entry of revision 21
    // (and a torn line), the record is still at revision 20.
    await appendFile(join(dir, 'audit/ev1.jsonl'), `${JSON.stringify({ rev: 21, at: 't21', userId: 'u', path: 'facts.n', old: 20, new: 21 })}\n{"rev":21,"at`);
    const reopened = await openLowdbStore(dir);
    const trail = await reopened.listAudit('ev1');
    expect(trail).toHaveLength(21);
    expect(trail.at(-1)).toEqual({ at: 't20', userId: 'u', path: 'facts.n', old: 19, new: 20 });
    // The next write takes revision 21 for itself; the crashed write's entry does not come back.
    await reopened.updateEvaluation('ev1', (r, audit) => {
      r.answers.facts!['n'] = 99;
      audit.push({ at: 'later', userId: 'v', path: 'facts.n', old: 20, new: 99 });
    });
    const after = await (await openLowdbStore(dir)).listAudit('ev1');
    expect(after.slice(-2).map((e) => e.new)).toEqual([20, 99]);
    expect(after).toHaveLength(22);
  });

  it('resolves a write only once its journal is flushed to the device, with one flush per write', async () => {
    const dir = await makeTempDir();
    const flushes: Array<() => void> = [];
    let hold = false;
    const store = await openLowdbStore(dir, { syncFile: () => (hold ? new Promise<void>((resolve) => flushes.push(resolve)) : Promise.resolve()) });
    await store.createEvaluation(makeEvaluation('ev1'));
    await store.updateEvaluation('ev1', (r) => void (r.unit = '一'));
    hold = true;
    let done = false;
    const write = store.updateEvaluation('ev1', (r, audit) => {
      r.unit = '二';
      audit.push({ at: 't', userId: 'u', path: 'unit', old: '一', new: '二' });
    });
    void write.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(flushes).toHaveLength(1);
    expect(done).toBe(false);
    // The line is already in the file (a crash of the process keeps it); the promise waits for the device.
    expect(JSON.parse(lastRecordLine(await readFile(join(dir, 'evaluations/ev1.json'), 'utf8'))!)).toMatchObject({ unit: '二' });
    flushes[0]!();
    await write;
    expect(done).toBe(true);
    expect(flushes).toHaveLength(1);
  });

  it('restores audit entries a machine crash kept from the trail, from the journal', async () => {
    const dir = await makeTempDir();
    const store = await openLowdbStore(dir);
    await store.createEvaluation(makeEvaluation('ev1'), [{ at: 't0', userId: 'u', path: 'evaluation' }]);
    for (let i = 1; i <= 3; i++) await store.updateEvaluation('ev1', (r, audit) => void audit.push({ at: `t${i}`, userId: 'u', path: 'facts.x', new: i }));
    // The journal lines carry their entries; what a reader gets does not.
    const journal = await readFile(join(dir, 'evaluations/ev1.json'), 'utf8');
    expect(JSON.parse(lastRecordLine(journal)!)).toHaveProperty('_audit');
    expect(await store.getEvaluation('ev1')).not.toHaveProperty('_audit');
    // A power cut: the trail (not flushed per write) lost its last two entries; the journal (flushed) did not.
    const trail = join(dir, 'audit/ev1.jsonl');
    const lines = (await readFile(trail, 'utf8')).split('\n').filter(Boolean);
    await writeFile(trail, `${lines.slice(0, -2).join('\n')}\n`);
    const reopened = await openLowdbStore(dir);
    expect((await reopened.listAudit('ev1')).map((e) => e.at)).toEqual(['t0', 't1', 't2', 't3']);
    await reopened.updateEvaluation('ev1', (r, audit) => void audit.push({ at: 't4', userId: 'u', path: 'facts.x', new: 4 }));
    // The next write put them back into the trail, in order, before dropping the journal's older lines.
    expect(
      (await readFile(trail, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).at),
    ).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect((await (await openLowdbStore(dir)).listAudit('ev1')).map((e) => e.at)).toEqual(['t0', 't1', 't2', 't3', 't4']);
  });

  it('moves the trail of a record written with it inline into its own file', async () => {
    const dir = await makeTempDir();
    const store = await openLowdbStore(dir);
    await store.createEvaluation(makeEvaluation('ev1'));
    await store.updateEvaluation('ev1', () => {});
    // An evaluation file from before the trail had its own file.
    const legacy = { ...JSON.parse(lastRecordLine(await readFile(join(dir, 'evaluations/ev1.json'), 'utf8'))!), audit: [{ at: 'old', userId: 'u', path: 'facts.x', new: 1 }] };
    await writeFile(join(dir, 'evaluations/ev1.json'), `${JSON.stringify(legacy)}\n`);
    await unlink(join(dir, 'audit/ev1.jsonl'));
    const reopened = await openLowdbStore(dir);
    await reopened.updateEvaluation('ev1', (_r, audit) => void audit.push({ at: 'new', userId: 'u', path: 'facts.x', old: 1, new: 2 }));
    expect((await reopened.listAudit('ev1')).map((e) => e.at)).toEqual(['old', 'new']);
    expect(JSON.parse(lastRecordLine(await readFile(join(dir, 'evaluations/ev1.json'), 'utf8'))!)).not.toHaveProperty('audit');
  });

  it('writes a carried framework once, to its own file, and shares one frozen copy between reads', async () => {
    const dir = await makeTempDir();
    const store = await openLowdbStore(dir);
    await store.createEvaluation(makeEvaluation('ev1', ['c1'], { frameworkId: 'import-carried', framework: carriedFramework() }));
    await store.createEvaluation(makeEvaluation('ev2', ['c2'], { frameworkId: 'import-carried', framework: carriedFramework() }));
    for (let i = 0; i < 3; i++) await store.updateEvaluation('ev1', (r) => void (r.unit = `单位${i}`));
    // One file for the content, named by its hash; the evaluation files only name it.
    const files = await readdir(join(dir, 'carried'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{64}\.json$/);
    expect(JSON.parse(await readFile(join(dir, 'carried', files[0]!), 'utf8'))).toEqual(carriedFramework());
    for (const id of ['ev1', 'ev2']) {
      const file = await readFile(join(dir, `evaluations/${id}.json`), 'utf8');
      expect(file).not.toContain('决策');
      expect(JSON.parse(lastRecordLine(file)!)).toMatchObject({ frameworkRef: files[0]!.slice(0, -'.json'.length) });
      expect(JSON.parse(lastRecordLine(file)!)).not.toHaveProperty('framework');
    }
    // Every read gets the same read-only object (so it is loaded and validated once, not per message).
    const [a, b, c] = await Promise.all([store.getEvaluation('ev1'), store.getEvaluation('ev1'), store.getEvaluation('ev2')]);
    expect(a!.framework).toBe(b!.framework);
    expect(a!.framework).toBe(c!.framework);
    expect(a).not.toBe(b);
    expect(Object.isFrozen(a!.framework!.indicators[0])).toBe(true);
    expect(() => {
      a!.framework!.name = 'x';
    }).toThrow(TypeError);
    expect(a!.unit).toBe('单位2');
    // Across a reopen too.
    const reopened = await openLowdbStore(dir);
    expect((await reopened.getEvaluation('ev2'))!.framework).toEqual(carriedFramework());
    await reopened.updateEvaluation('ev2', (r) => void (r.unit = '又一个单位'));
    expect(await readdir(join(dir, 'carried'))).toEqual(files);
  });

  it('moves a framework carried inline (written before carried files) to its own file on the next write', async () => {
    const dir = await makeTempDir();
    const store = await openLowdbStore(dir);
    await store.createEvaluation(makeEvaluation('ev1'));
    const legacy = { ...JSON.parse(lastRecordLine(await readFile(join(dir, 'evaluations/ev1.json'), 'utf8'))!), frameworkId: 'import-carried', framework: carriedFramework() };
    await writeFile(join(dir, 'evaluations/ev1.json'), `${JSON.stringify(legacy)}\n`);
    const reopened = await openLowdbStore(dir);
    expect((await reopened.getEvaluation('ev1'))!.framework).toEqual(carriedFramework());
    await reopened.updateEvaluation('ev1', (r) => void (r.unit = '新单位'));
    const line = JSON.parse(lastRecordLine(await readFile(join(dir, 'evaluations/ev1.json'), 'utf8'))!);
    expect(line).not.toHaveProperty('framework');
    expect(await readdir(join(dir, 'carried'))).toEqual([`${line.frameworkRef}.json`]);
    expect((await (await openLowdbStore(dir)).getEvaluation('ev1'))!.framework).toEqual(carriedFramework());
  });

  it('names the missing file when a carried framework is gone', async () => {
    const dir = await makeTempDir();
    const store = await openLowdbStore(dir);
    await store.createEvaluation(makeEvaluation('ev1', ['c1'], { frameworkId: 'import-carried', framework: carriedFramework() }));
    const [file] = await readdir(join(dir, 'carried'));
    await unlink(join(dir, 'carried', file!));
    const reopened = await openLowdbStore(dir);
    await expect(reopened.getEvaluation('ev1')).rejects.toThrow(file!);
  });

  it('rebuilds the chat index from the evaluations when it is missing', async () => {
    const dir = await makeTempDir();
    const first = await openLowdbStore(dir);
    await first.createEvaluation(makeEvaluation('ev1', ['c1', 'c2']));
    await unlink(join(dir, 'chats.json'));
    const second = await openLowdbStore(dir);
    expect(await second.evaluationIdForChat('c2')).toBe('ev1');
  });

  it('keeps the message log across a reopen: unprocessed events, unsent replies and claims', async () => {
    const dir = await makeTempDir();
    const clock = createClock();
    const first = await openLowdbStore(dir, { now: clock.now });
    await first.recordInbound(inbox('a'), ['ka'], 60_000);
    await first.recordInbound(inbox('b'), ['kb'], 60_000);
    await first.settleInbound('a', [delivery('a#0')]);
    await first.setChannelState('s', { n: 1 });
    const second = await openLowdbStore(dir, { now: clock.now });
    const pending = await second.listPending();
    expect(pending.inbound).toEqual([inbox('b')]);
    expect(pending.outbound).toEqual([delivery('a#0')]);
    expect(await second.recordInbound(inbox('a'), ['ka'], 60_000)).toBe(false);
    expect(await second.getChannelState('s')).toEqual({ n: 1 });
    await second.settleOutbound('a#0', 'sent');
    await second.settleInbound('b', []);
    const third = await openLowdbStore(dir, { now: clock.now });
    expect(await third.listPending()).toEqual({ inbound: [], outbound: [] });
  });

  it("keeps the assistant's monthly use across a reopen", async () => {
    const dir = await makeTempDir();
    const first = await openLowdbStore(dir);
    await Promise.all(Array.from({ length: 20 }, () => first.addAssistantUsage('2025-05', 10)));
    await first.addAssistantUsage('2025-06', 7);
    await first.close();
    const second = await openLowdbStore(dir);
    expect(await second.getAssistantUsage('2025-05')).toEqual({ tokens: 200, calls: 20 });
    expect(await second.getAssistantUsage('2025-06')).toEqual({ tokens: 7, calls: 1 });
    expect(await second.addAssistantUsage('2025-05', 1)).toEqual({ tokens: 201, calls: 21 });
    await second.close();
    const third = await openLowdbStore(dir);
    expect(await third.getAssistantUsage('2025-05')).toEqual({ tokens: 201, calls: 21 });
    await third.close();
  });

  it('records a burst of events with one flush per batch, each resolving only once flushed', async () => {
    const dir = await makeTempDir();
    const flushes: Array<() => void> = [];
    let hold = false;
    const store = await openLowdbStore(dir, { syncFile: () => (hold ? new Promise<void>((resolve) => flushes.push(resolve)) : Promise.resolve()) });
    hold = true;
    let settled = 0;
    const first = store.recordInbound(inbox('e0'), ['e0'], 60_000).then(() => settled++);
    await new Promise((r) => setTimeout(r, 10));
    // While the first flush runs, 50 more arrive: they wait, then go out in one write and one flush.
    const rest = Array.from({ length: 50 }, (_, i) => store.recordInbound(inbox(`e${i + 1}`), [`e${i + 1}`], 60_000).then(() => settled++));
    await new Promise((r) => setTimeout(r, 10));
    expect(flushes).toHaveLength(1);
    expect(settled).toBe(0);
    flushes[0]!();
    await first;
    await new Promise((r) => setTimeout(r, 10));
    expect(flushes).toHaveLength(2);
    expect(settled).toBe(1);
    flushes[1]!();
    await Promise.all(rest);
    expect(settled).toBe(51);
    const lines = (await readFile(join(dir, 'messages.log'), 'utf8')).split('\n').filter(Boolean);
    expect(lines).toHaveLength(51);
  });

  it('releases the claims of an event whose write failed, so the platform\'s next delivery is taken', async () => {
    const dir = await makeTempDir();
    let fail = true;
    const store = await openLowdbStore(dir, { syncFile: () => (fail ? Promise.reject(new Error('EIO')) : Promise.resolve()) });
    await expect(store.recordInbound(inbox('a'), ['ka'], 60_000)).rejects.toThrow(/EIO/);
    expect((await store.listPending()).inbound).toEqual([]);
    fail = false;
    expect(await store.recordInbound(inbox('a'), ['ka'], 60_000)).toBe(true);
  });

  it('skips a message-log line torn by a crash, and takes over the claims of an older events.log', async () => {
    const dir = await makeTempDir();
    const clock = createClock();
    const store = await openLowdbStore(dir, { now: clock.now });
    await store.recordInbound(inbox('a'), ['ka'], 60_000);
    await appendFile(join(dir, 'messages.log'), '{"c":[["kb",9999999999999]],"in":{"id":"b"');
    await writeFile(join(dir, 'events.log'), `${JSON.stringify(['old-key', clock.now().getTime() + 60_000])}\n`);
    const reopened = await openLowdbStore(dir, { now: clock.now });
    expect((await reopened.listPending()).inbound.map((e) => e.id)).toEqual(['a']);
    expect(await reopened.claimEvent('kb', 1000)).toBe(true);
    expect(await reopened.claimEvent('old-key', 1000)).toBe(false);
    expect(await readdir(dir)).not.toContain('events.log');
  });

  it('keeps the event log from growing with expired claims', async () => {
    const dir = await makeTempDir();
    const clock = createClock();
    const store = await openLowdbStore(dir, { now: clock.now });
    for (let i = 0; i < 2500; i++) {
      expect(await store.claimEvent(`old-${i}`, 1000)).toBe(true);
      clock.advance(10);
    }
    expect(await store.claimEvent('old-2499', 1000)).toBe(false);
    const lines = (await readFile(join(dir, 'messages.log'), 'utf8')).split('\n').filter(Boolean);
    expect(lines.length).toBeLessThan(1500);
    const reopened = await openLowdbStore(dir, { now: clock.now });
    expect(await reopened.claimEvent('old-2499', 1000)).toBe(false);
    expect(await reopened.claimEvent('old-0', 1000)).toBe(true);
  });

  it('treats a chat bound to a deleted evaluation file as unbound', async () => {
    const dir = await makeTempDir();
    const first = await openLowdbStore(dir);
    await first.createEvaluation(makeEvaluation('ev1', ['c1']));
    await unlink(join(dir, 'evaluations/ev1.json'));
    const second = await openLowdbStore(dir);
    expect(await second.evaluationIdForChat('c1')).toBeUndefined();
    await second.createEvaluation(makeEvaluation('ev2', ['c1']));
    expect(await second.evaluationIdForChat('c1')).toBe('ev2');
  });

  it('refuses a data directory another live process has open, and takes over from a dead one', async () => {
    const dir = await makeTempDir();
    await openLowdbStore(dir);
    await writeFile(join(dir, 'store.lock'), String(process.ppid));
    await expect(openLowdbStore(dir)).rejects.toBeInstanceOf(DataDirLockedError);
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await writeFile(join(dir, 'store.lock'), gone.stdout);
    await expect(openLowdbStore(dir)).resolves.toBeDefined();
    expect(JSON.parse(await readFile(join(dir, 'store.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('opens read-only beside a live writer, sees its data and refuses to write', async () => {
    const dir = await makeTempDir();
    const writer = await openLowdbStore(dir);
    await writer.createEvaluation(makeEvaluation('ev1', ['c1']));
    await writeFile(join(dir, 'store.lock'), String(process.ppid));
    const reader = await openLowdbStore(dir, { readOnly: true });
    expect(await reader.evaluationIdForChat('c1')).toBe('ev1');
    expect((await reader.listEvaluations()).map((r) => r.id)).toEqual(['ev1']);
    await expect(reader.updateEvaluation('ev1', () => {})).rejects.toThrow(/read-only/);
    await expect(reader.claimEvent('e', 1000)).rejects.toThrow(/read-only/);
    expect(await readFile(join(dir, 'store.lock'), 'utf8')).toBe(String(process.ppid));
  });

  it('never writes outside DATA_DIR for hostile ids', async () => {
    const root = await makeTempDir();
    const dir = join(root, 'data');
    const store = await openLowdbStore(dir);
    await expect(store.createEvaluation(makeEvaluation('../../escape'))).rejects.toThrow(/invalid/);
    await expect(store.updateEvaluation('../chats', () => {})).rejects.toThrow(/not found/);
    expect(await store.getFile('../chats.json')).toBeUndefined();
    expect((await readdir(root)).sort()).toEqual(['data']);
    expect((await readdir(dir)).sort()).toEqual(['audit', 'carried', 'evaluations', 'files', 'frameworks', 'store.lock']);
    await expect(store.putFramework(makeFrameworkRecord('../../escape'))).rejects.toThrow(/invalid/);
    expect(await store.getFramework('../chats')).toBeUndefined();
    expect(await readdir(join(dir, 'frameworks'))).toEqual([]);
  });

  it('writes one file per imported framework, kept across a reopen and seen by a read-only opening', async () => {
    const dir = await makeTempDir();
    const writer = await openLowdbStore(dir);
    await writer.putFramework(makeFrameworkRecord('import-one'));
    await writer.putFramework(makeFrameworkRecord('import-two', { status: 'ready' }));
    expect((await readdir(join(dir, 'frameworks'))).sort()).toEqual(['import-one.json', 'import-two.json']);
    const onDisk = JSON.parse(await readFile(join(dir, 'frameworks', 'import-two.json'), 'utf8')) as { id: string; status: string; draft: { id: string } };
    expect(onDisk).toMatchObject({ id: 'import-two', status: 'ready', draft: { id: 'import-two' } });

    await writeFile(join(dir, 'store.lock'), String(process.ppid));
    const reader = await openLowdbStore(dir, { readOnly: true });
    expect((await reader.listFrameworks()).map((r) => r.id)).toEqual(['import-one', 'import-two']);
    await expect(reader.putFramework(makeFrameworkRecord('import-three'))).rejects.toThrow(/read-only/);
    await expect(reader.updateFramework('import-one', () => {})).rejects.toThrow(/read-only/);
    await unlink(join(dir, 'store.lock'));

    const reopened = await openLowdbStore(dir);
    expect((await reopened.getFramework('import-two'))?.status).toBe('ready');
    // A file edited into garbage by hand counts as absent rather than breaking the list.
    await writeFile(join(dir, 'frameworks', 'import-one.json'), '{"id":');
    expect((await reopened.listFrameworks()).map((r) => r.id)).toEqual(['import-two']);
  });
});
