/**
 * The lowdb store under damage: a write that fails at any of its write sites (injected through the
 * store's FileOps) leaves the store as it was, in memory and on disk, and the next write is kept;
 * damaged files found on opening are set aside and the store starts; the lock names its process by
 * id and start time. Real temp directories, real files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, lastRecordLine, openLowdbStore, type LowdbStore } from '../src/store/lowdb';
import { readProcessStartTime } from '../src/store/lowdb-lock';
import { isStoreWriteError, type AuditEntry, type OverviewBinding } from '../src/store/port';
import { createFaultyFs, type FaultyFs } from './helpers/faulty-fs';
import { makeFrameworkRecord } from './helpers/framework-sheets';
import { makeEvaluation } from './helpers/records';
import { carriedFramework, delivery, inbox } from './helpers/store-fixtures';

const dirs: string[] = [];
const children: ChildProcess[] = [];
async function makeTempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'jx-damage-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  while (dirs.length) await rm(dirs.pop()!, { recursive: true, force: true });
});

/** A clock the test moves by hand. */
function createClock(start = Date.parse('2025-03-01T08:00:00.000Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

/** What a store logs, captured. */
function createLogs() {
  const lines: Array<{ message: string } & Record<string, unknown>> = [];
  return { lines, logger: { error: (message: string, fields?: Record<string, unknown>) => void lines.push({ message, ...fields }) } };
}

/** One more answer: facts.n goes up by one, with its audit entry (so n counts the writes kept). */
function bump(store: LowdbStore, id = 'ev1') {
  return store.updateEvaluation(id, (r, audit) => {
    const old = r.answers.facts?.['n'];
    const next = (typeof old === 'number' ? old : 0) + 1;
    r.answers.facts = { ...r.answers.facts, n: next };
    audit.push({ at: `t${next}`, userId: 'u', path: 'facts.n', ...(old === undefined ? {} : { old }), new: next });
  });
}

/** An evaluation's state as a reader sees it: the record, its audit trail, its chat's binding. */
async function readEvaluation(store: LowdbStore, id = 'ev1', chat = `chat-${id}`) {
  return { rec: (await store.getEvaluation(id)) ?? null, audit: await store.listAudit(id), chat: (await store.evaluationIdForChat(chat)) ?? null };
}

/**
 * The trail replays to the record: every change of facts.n is there once, in order, each starting
 * from the value the one before left, and the last one is the record's value.
 */
function expectTrailReplaysToRecord(trail: AuditEntry[], n: unknown): void {
  const changes = trail.filter((e) => e.path === 'facts.n');
  expect(changes.map((e) => e.new)).toEqual(Array.from({ length: Number(n ?? 0) }, (_, i) => i + 1));
  changes.forEach((e, i) => expect(e.old).toEqual(i === 0 ? undefined : changes[i - 1]!.new));
}

/** Temp and kept-previous files a replacement leaves behind (none after a failed write). */
async function leftovers(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /\.(tmp|prev)$/.test(entry.name)) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

interface Scenario {
  name: string;
  setup?: (store: LowdbStore, clock: ReturnType<typeof createClock>) => Promise<unknown>;
  /** Close and reopen after the set-up, so the operation is the first write since opening. */
  reopen?: boolean;
  op: (store: LowdbStore) => Promise<unknown>;
  read: (store: LowdbStore, dir: string) => Promise<unknown>;
  /** Checks the operation did what the scenario is about (on the run without a failure). */
  check?: (dir: string) => Promise<void>;
  /** The evaluation whose trail must replay to its record after every run. */
  trail?: string;
}

const binding = (units: string[]): OverviewBinding => ({
  chatId: 'g-overview',
  units: units.map((unit) => ({ unit, status: 'approved', requestedBy: 'admin', requestedAt: 't', byAdmin: true, approvedAt: 't' })),
  updatedAt: 't',
});
const withoutRevision = (r: unknown) => {
  if (!r) return r;
  const { revision: _r, updatedAt: _u, ...rest } = r as { revision: number; updatedAt: string };
  return rest;
};
const readLog = async (s: LowdbStore) => ({ pending: await s.listPending(), slots: await s.listSlots() });
const journalLines = async (dir: string, id = 'ev1') => (await readFile(join(dir, 'evaluations', `${id}.json`), 'utf8')).split('\n').filter(Boolean).length;

const created = (s: LowdbStore) => s.createEvaluation(makeEvaluation('ev1'), [{ at: 't0', userId: 'u', path: 'evaluation' }]);

const SCENARIOS: Scenario[] = [
  {
    name: 'updateEvaluation appending to the journal',
    setup: async (s) => {
      await created(s);
      await bump(s);
    },
    op: (s) => bump(s),
    read: (s) => readEvaluation(s),
    check: async (dir) => expect(await journalLines(dir)).toBe(3),
    trail: 'ev1',
  },
  {
    name: 'updateEvaluation as the first write since opening (trail checked, journal rewritten)',
    setup: async (s) => {
      await created(s);
      await bump(s);
    },
    reopen: true,
    op: (s) => bump(s),
    read: (s) => readEvaluation(s),
    check: async (dir) => expect(await journalLines(dir)).toBe(1),
    trail: 'ev1',
  },
  {
    name: 'updateEvaluation rewriting the journal after 64 appends',
    setup: async (s) => {
      await created(s);
      for (let i = 0; i < 64; i++) await bump(s);
    },
    op: (s) => bump(s),
    read: (s) => readEvaluation(s),
    check: async (dir) => expect(await journalLines(dir)).toBe(1),
    trail: 'ev1',
  },
  {
    name: 'replaceEvaluation (compare-and-swap)',
    setup: async (s) => {
      await created(s);
      await bump(s);
    },
    op: async (s) => {
      const rec = (await s.getEvaluation('ev1'))!;
      const old = rec.answers.facts!['n'] as number;
      rec.answers.facts!['n'] = old + 1;
      const revision = rec.revision;
      try {
        return await s.replaceEvaluation(rec, [{ at: 'r', userId: 'u', path: 'facts.n', old, new: old + 1 }]);
      } finally {
        // A failed write hands the caller's record back as it was.
        if (rec.revision !== revision + 1) expect(rec.revision).toBe(revision);
      }
    },
    read: (s) => readEvaluation(s),
    trail: 'ev1',
  },
  {
    name: 'createEvaluation with a carried framework (chat index, carried file, trail, journal)',
    setup: (s) => created(s),
    op: (s) => s.createEvaluation(makeEvaluation('ev2', ['c2'], { frameworkId: 'import-carried', framework: carriedFramework() }), [{ at: 't', userId: 'u', path: 'evaluation' }]),
    read: async (s) => ({ ids: (await s.listEvaluations()).map((r) => r.id).sort(), ...(await readEvaluation(s, 'ev2', 'c2')), c1: (await s.evaluationIdForChat('chat-ev1')) ?? null }),
  },
  {
    name: 'bindChat (index and both evaluations)',
    setup: async (s) => {
      await s.createEvaluation(makeEvaluation('ev1', ['c1', 'c3']));
      await s.createEvaluation(makeEvaluation('ev2', ['c2']));
    },
    op: (s) => s.bindChat('c1', 'ev2'),
    // A failure after the first evaluation was written is taken back by another write (a revision later).
    read: async (s) => ({
      ev1: withoutRevision(await s.getEvaluation('ev1')),
      ev2: withoutRevision(await s.getEvaluation('ev2')),
      chats: await Promise.all(['c1', 'c2', 'c3'].map((c) => s.evaluationIdForChat(c))),
    }),
  },
  {
    name: 'setChatDraft',
    setup: (s) => s.setChatDraft({ chatId: 'g', userId: 'u', draft: { step: 1 }, updatedAt: 't' }),
    op: (s) => s.setChatDraft({ chatId: 'g', userId: 'u', draft: { step: 2 }, updatedAt: 't2' }),
    read: async (s) => ({ mine: (await s.getChatDraft('g', 'u')) ?? null }),
  },
  {
    name: 'deleteChatDraftsBefore',
    setup: async (s) => {
      await s.setChatDraft({ chatId: 'g', userId: 'u', draft: { step: 1 }, updatedAt: '2025-01-01T00:00:00.000Z' });
      await s.setChatDraft({ chatId: 'g', userId: 'v', draft: { step: 5 }, updatedAt: '2025-01-03T00:00:00.000Z' });
    },
    op: (s) => s.deleteChatDraftsBefore('2025-01-02T00:00:00.000Z'),
    read: async (s) => ({ u: (await s.getChatDraft('g', 'u')) ?? null, v: (await s.getChatDraft('g', 'v')) ?? null }),
  },
  {
    name: 'setChatDraft deleting a draft',
    setup: async (s) => {
      await s.setChatDraft({ chatId: 'g', userId: 'u', draft: { step: 1 }, updatedAt: 't' });
      await s.setChatDraft({ chatId: 'g', userId: 'v', draft: { step: 5 }, updatedAt: 't' });
    },
    op: (s) => s.setChatDraft({ chatId: 'g', userId: 'u', draft: undefined }),
    read: async (s) => ({ u: (await s.getChatDraft('g', 'u')) ?? null, v: (await s.getChatDraft('g', 'v')) ?? null }),
  },
  {
    name: 'setChannelState',
    setup: (s) => s.setChannelState('k', { n: 1 }),
    op: (s) => s.setChannelState('k', { n: 2 }),
    read: async (s) => ({ k: (await s.getChannelState('k')) ?? null }),
  },
  {
    name: 'setOverviewBinding',
    setup: (s) => s.setOverviewBinding(binding(['南京市数据局'])),
    op: (s) => s.setOverviewBinding(binding(['南京市数据局', '南京市财政局'])),
    read: async (s) => ({ bindings: await s.listOverviewBindings() }),
  },
  {
    name: 'putFramework replacing an imported framework',
    setup: (s) => s.putFramework(makeFrameworkRecord('import-one')),
    op: (s) => s.putFramework(makeFrameworkRecord('import-one', { status: 'ready', name: '新名称' })),
    read: async (s) => ({ fw: (await s.getFramework('import-one')) ?? null, all: (await s.listFrameworks()).map((f) => f.id) }),
  },
  {
    name: 'updateFramework',
    setup: (s) => s.putFramework(makeFrameworkRecord('import-one')),
    op: (s) => s.updateFramework('import-one', (r) => void (r.name = '改过的名称')),
    read: async (s) => ({ fw: (await s.getFramework('import-one')) ?? null }),
  },
  {
    name: 'putFile',
    op: (s) => s.putFile({ name: '报告.docx', mime: 'application/octet-stream', bytes: new Uint8Array(5000).fill(7) }),
    read: async (_s, dir) => ({ files: (await readdir(join(dir, 'files'))).map((n) => n.replace(/^[0-9a-f]{32}/, 'ID')).sort() }),
  },
  {
    name: 'recordInbound (first line of the message log)',
    op: (s) => s.recordInbound(inbox('a'), ['ka'], 60_000),
    read: readLog,
  },
  {
    name: 'settleInbound',
    setup: (s) => s.recordInbound(inbox('a'), ['ka'], 60_000),
    op: (s) => s.settleInbound('a', [delivery('a#0'), delivery('a#1')]),
    read: readLog,
  },
  {
    name: 'settleOutbound',
    setup: async (s) => {
      await s.recordInbound(inbox('a'), ['ka'], 60_000);
      await s.settleInbound('a', [delivery('a#0')]);
    },
    op: (s) => s.settleOutbound('a#0', 'sent'),
    read: readLog,
  },
  {
    name: 'enqueueOutbound',
    setup: (s) => s.enqueueOutbound([delivery('x#0')]),
    op: (s) => s.enqueueOutbound([delivery('r#0')]),
    read: readLog,
  },
  {
    name: 'claimSlot',
    op: (s) => s.claimSlot('ev1/2025-03-01/daily', [delivery('s#0')], 86_400_000),
    read: readLog,
  },
  {
    name: 'the message log rewritten at run time (mostly expired claims)',
    setup: async (s, clock) => {
      // 1999 lines, then the 2000th finds the log well past its live state and rewrites it.
      for (let i = 0; i < 1999; i++) await s.claimEvent(`old-${i}`, 1000);
      clock.advance(60_000);
    },
    op: (s) => s.recordInbound(inbox('a'), ['ka'], 60_000),
    read: readLog,
    check: async (dir) => expect((await readFile(join(dir, 'messages.log'), 'utf8')).split('\n').filter(Boolean).length).toBeLessThan(5),
  },
];

/** Opens a store on `dir` through the injector, with a clock. */
const openWith = (dir: string, faults: FaultyFs, clock: ReturnType<typeof createClock>) => openLowdbStore(dir, { fileOps: faults.ops, now: clock.now, logger: createLogs().logger });

/** A fresh directory with the scenario's set-up done (flushes skipped in the set-up only). */
async function prepare(scenario: Scenario, faults: FaultyFs) {
  const dir = await makeTempDir();
  const clock = createClock();
  let store = await openWith(dir, faults, clock);
  faults.quick = true;
  await scenario.setup?.(store, clock);
  faults.quick = false;
  if (scenario.reopen) {
    await store.close();
    store = await openWith(dir, faults, clock);
  }
  return { dir, clock, store };
}

/** Runs the operation with the k-th write call failing; expects a StoreWriteError. */
async function failAt(scenario: Scenario, faults: FaultyFs, store: LowdbStore, k: number): Promise<string> {
  faults.arm(k);
  let error: unknown;
  try {
    await scenario.op(store);
  } catch (err) {
    error = err;
  } finally {
    faults.disarm();
  }
  const site = faults.sites[k - 1] ?? '?';
  expect(error, `failing write call ${k} (${site}) must reject`).toBeDefined();
  expect(isStoreWriteError(error), `${site}: ${String(error)}`).toBe(true);
  return site;
}

describe('a write failing at any of its write sites leaves the store as it was', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', { timeout: 180_000 }, async (_name, scenario) => {
    // The write calls of the operation, and the state after it, without a failure.
    const faults = createFaultyFs();
    const clean = await prepare(scenario, faults);
    faults.arm(Infinity);
    await scenario.op(clean.store);
    faults.disarm();
    const sites = [...faults.sites];
    expect(sites.length).toBeGreaterThan(0);
    await scenario.check?.(clean.dir);
    const after = await scenario.read(clean.store, clean.dir);
    await clean.store.close();

    for (let k = 1; k <= sites.length; k++) {
      // In the same process: the failure is undone, and the next try is kept (not swallowed by a torn line).
      {
        const { dir, clock, store } = await prepare(scenario, faults);
        const before = await scenario.read(store, dir);
        const site = await failAt(scenario, faults, store, k);
        expect(await scenario.read(store, dir), `in memory after failing at ${site}`).toEqual(before);
        expect(await leftovers(dir), site).toEqual([]);
        await scenario.op(store);
        expect(await scenario.read(store, dir), `next try after ${site}`).toEqual(after);
        await store.close();
        const reopened = await openWith(dir, faults, clock);
        expect(await scenario.read(reopened, dir), `after a restart, next try after ${site}`).toEqual(after);
        if (scenario.trail) expectTrailReplaysToRecord(await reopened.listAudit(scenario.trail), (await reopened.getEvaluation(scenario.trail))?.answers.facts?.['n']);
        await reopened.close();
      }
      // A restart right after the failure: the disk holds exactly what was acknowledged before it.
      {
        const { dir, clock, store } = await prepare(scenario, faults);
        const before = await scenario.read(store, dir);
        const site = await failAt(scenario, faults, store, k);
        await store.close();
        const reopened = await openWith(dir, faults, clock);
        expect(await scenario.read(reopened, dir), `after a restart following a failure at ${site}`).toEqual(before);
        if (scenario.trail) expectTrailReplaysToRecord(await reopened.listAudit(scenario.trail), (await reopened.getEvaluation(scenario.trail))?.answers.facts?.['n']);
        await scenario.op(reopened);
        expect(await scenario.read(reopened, dir), `the same write after the restart (${site})`).toEqual(after);
        await reopened.close();
      }
    }
  });
});

describe('a failed write whose clean-up fails too', () => {
  it('still keeps the next answer: it is written on a fresh line, and the torn one is skipped', async () => {
    const dir = await makeTempDir();
    const faults = createFaultyFs();
    const store = await openLowdbStore(dir, { fileOps: faults.ops });
    await created(store);
    await bump(store);
    // The journal write tears, and cutting it back fails as well.
    faults.failCutBack = true;
    const sites = await (async () => {
      faults.arm(Infinity);
      await bump(store);
      faults.disarm();
      return [...faults.sites];
    })();
    const journalWrite = sites.findIndex((s) => s === 'write:ev1.json') + 1;
    expect(journalWrite).toBeGreaterThan(0);
    faults.arm(journalWrite);
    await expect(bump(store)).rejects.toSatisfy(isStoreWriteError);
    faults.disarm();
    faults.failCutBack = false;
    // Half a record is left at the end of the journal...
    expect((await readFile(join(dir, 'evaluations/ev1.json'), 'utf8')).endsWith('\n')).toBe(false);
    // ...and the next answer is not swallowed by it.
    expect((await bump(store)).answers.facts?.['n']).toBe(3);
    await store.close();
    const reopened = await openLowdbStore(dir);
    expect((await reopened.getEvaluation('ev1'))?.answers.facts?.['n']).toBe(3);
    expectTrailReplaysToRecord(await reopened.listAudit('ev1'), 3);
    await reopened.close();
  });

  it('starts the message log’s next line on a fresh one after a torn, uncut batch', async () => {
    const dir = await makeTempDir();
    const faults = createFaultyFs();
    const store = await openLowdbStore(dir, { fileOps: faults.ops });
    await store.recordInbound(inbox('a'), ['ka'], 60_000);
    faults.failCutBack = true;
    faults.arm(1);
    await expect(store.recordInbound(inbox('b'), ['kb'], 60_000)).rejects.toSatisfy(isStoreWriteError);
    faults.disarm();
    faults.failCutBack = false;
    expect((await readFile(join(dir, 'messages.log'), 'utf8')).endsWith('\n')).toBe(false);
    expect(await store.recordInbound(inbox('c'), ['kc'], 60_000)).toBe(true);
    await store.close();
    const reopened = await openLowdbStore(dir);
    expect((await reopened.listPending()).inbound.map((e) => e.id)).toEqual(['a', 'c']);
    // The failed event's claim was released: the platform's next delivery is taken.
    expect(await reopened.recordInbound(inbox('b'), ['kb'], 60_000)).toBe(true);
    await reopened.close();
  });
});

describe('opening a damaged data directory', () => {
  /** A directory with two evaluations bound to chats, drafts, channel state and an overview binding. */
  async function populated(): Promise<string> {
    const dir = await makeTempDir();
    const store = await openLowdbStore(dir);
    await store.createEvaluation(makeEvaluation('ev1', ['c1']));
    await store.createEvaluation(makeEvaluation('ev2', ['c2', 'c3']));
    await bump(store, 'ev2');
    await store.setChatDraft({ chatId: 'c9', userId: 'u', draft: { step: 1 }, updatedAt: 't' });
    await store.setChannelState('k', { n: 1 });
    await store.setOverviewBinding(binding(['南京市数据局']));
    await store.close();
    return dir;
  }

  const damages: Array<[string, (path: string) => Promise<void>]> = [
    ['empty', (p) => writeFile(p, '')],
    ['garbage', (p) => writeFile(p, '{"c1":"ev1", "c2": ')],
    ['of the wrong shape', (p) => writeFile(p, '[1,2,3]')],
    ['unreadable (a directory)', async (p) => {
      await rm(p, { force: true });
      await mkdir(p);
    }],
  ];

  it.each(damages)('sets aside a chat index that is %s and rebuilds it from the evaluation files', async (_kind, damage) => {
    const dir = await populated();
    await damage(join(dir, 'chats.json'));
    const logs = createLogs();
    const store = await openLowdbStore(dir, { logger: logs.logger, now: () => new Date('2025-03-01T08:00:00.000Z') });
    expect(await store.evaluationIdForChat('c1')).toBe('ev1');
    expect(await store.evaluationIdForChat('c3')).toBe('ev2');
    const names = await readdir(dir);
    expect(names).toContain('chats.json.broken-2025-03-01T08-00-00-000Z');
    expect(logs.lines).toEqual([expect.objectContaining({ message: 'damaged file set aside', file: join(dir, 'chats.json'), instead: 'rebuilt from the evaluation files' })]);
    // The rebuilt index was written, and binding goes on.
    expect(JSON.parse(await readFile(join(dir, 'chats.json'), 'utf8'))).toEqual({ c1: 'ev1', c2: 'ev2', c3: 'ev2' });
    await store.createEvaluation(makeEvaluation('ev3', ['c4']));
    await store.close();
    expect(await (await openLowdbStore(dir)).evaluationIdForChat('c4')).toBe('ev3');
  });

  it.each(damages)('sets aside drafts, channel state and overview bindings that are %s and starts without them', async (_kind, damage) => {
    const dir = await populated();
    for (const name of ['drafts.json', 'channels.json', 'overviews.json']) await damage(join(dir, name));
    const logs = createLogs();
    const store = await openLowdbStore(dir, { logger: logs.logger });
    expect(await store.getChatDraft('c9', 'u')).toBeUndefined();
    expect(await store.getChannelState('k')).toBeUndefined();
    expect(await store.listOverviewBindings()).toEqual([]);
    // Everything else is there.
    expect((await store.getEvaluation('ev2'))?.answers.facts?.['n']).toBe(1);
    expect(await store.evaluationIdForChat('c2')).toBe('ev2');
    const names = await readdir(dir);
    for (const name of ['drafts.json', 'channels.json', 'overviews.json']) expect(names.some((n) => n.startsWith(`${name}.broken-`)), name).toBe(true);
    expect(logs.lines.map((l) => l.file).sort()).toEqual(['channels.json', 'drafts.json', 'overviews.json'].map((n) => join(dir, n)));
    // They work again from empty, across a reopen.
    await store.setChatDraft({ chatId: 'c9', userId: 'u', draft: { step: 2 }, updatedAt: 't' });
    await store.close();
    expect((await (await openLowdbStore(dir)).getChatDraft('c9', 'u'))?.draft).toEqual({ step: 2 });
  });

  it('lists the evaluations it can read, reports a damaged one and skips it', async () => {
    const dir = await populated();
    await writeFile(join(dir, 'evaluations/ev1.json'), '{"id":"ev1","revis');
    await mkdir(join(dir, 'evaluations/ev4.json'));
    const logs = createLogs();
    const store = await openLowdbStore(dir, { logger: logs.logger });
    expect((await store.listEvaluations()).map((r) => r.id)).toEqual(['ev2']);
    expect(await store.listBrokenEvaluations()).toEqual([
      { id: 'ev1', reason: 'no whole record in the file' },
      { id: 'ev4', reason: 'unreadable (EISDIR)' },
    ]);
    expect(logs.lines.filter((l) => l.message === 'damaged evaluation file skipped').map((l) => l.evaluationId).sort()).toEqual(['ev1', 'ev4']);
    // Reading it names it; mended by hand, it is back without a restart.
    await expect(store.getEvaluation('ev1')).rejects.toThrow(/ev1/);
    await writeFile(join(dir, 'evaluations/ev1.json'), `${JSON.stringify(makeEvaluation('ev1', ['c1']))}\n`);
    expect((await store.listEvaluations()).map((r) => r.id).sort()).toEqual(['ev1', 'ev2']);
    expect(await store.listBrokenEvaluations()).toEqual([{ id: 'ev4', reason: 'unreadable (EISDIR)' }]);
    await store.close();
  });
});

describe('store.lock', () => {
  /** A live process unrelated to any store. */
  function startUnrelatedProcess(): ChildProcess {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(child);
    return child;
  }

  it('records this process’s id and start time, and is removed by close', async () => {
    const dir = await makeTempDir();
    const store = await openLowdbStore(dir);
    const lock = JSON.parse(await readFile(join(dir, 'store.lock'), 'utf8'));
    expect(lock).toEqual({ pid: process.pid, startTime: readProcessStartTime(process.pid) });
    expect(lock.startTime).toMatch(/^\d+$/);
    await store.close();
    expect(await readdir(dir)).not.toContain('store.lock');
    await expect(store.updateEvaluation('ev1', () => {})).rejects.toThrow(/closed/);
  });

  it('takes over a lock naming a live process that is not its holder (same id, other start time)', async () => {
    const dir = await makeTempDir();
    const other = startUnrelatedProcess();
    const started = readProcessStartTime(other.pid!);
    expect(started).toBeDefined();
    await writeFile(join(dir, 'store.lock'), JSON.stringify({ pid: other.pid, startTime: String(Number(started) - 1) }));
    const store = await openLowdbStore(dir);
    expect(JSON.parse(await readFile(join(dir, 'store.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    await store.close();
  });

  it('refuses a lock naming a live process with its own start time', async () => {
    const dir = await makeTempDir();
    const other = startUnrelatedProcess();
    await writeFile(join(dir, 'store.lock'), JSON.stringify({ pid: other.pid, startTime: readProcessStartTime(other.pid!) }));
    await expect(openLowdbStore(dir)).rejects.toBeInstanceOf(DataDirLockedError);
  });

  it('takes over a lock of the older form (the id alone) written before that process started', async () => {
    const dir = await makeTempDir();
    const other = startUnrelatedProcess();
    await writeFile(join(dir, 'store.lock'), String(other.pid));
    // The lock is an hour older than the process it names.
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(join(dir, 'store.lock'), hourAgo, hourAgo);
    expect((await stat(join(dir, 'store.lock'))).mtimeMs).toBeLessThan(Date.now() - 3_000_000);
    const store = await openLowdbStore(dir);
    await store.close();
    // Written after the process started, the same lock holds.
    await writeFile(join(dir, 'store.lock'), String(other.pid));
    await expect(openLowdbStore(dir)).rejects.toBeInstanceOf(DataDirLockedError);
  });
});

describe('the record on disk after a failure', () => {
  it('ends in the last acknowledged record, whole', async () => {
    const dir = await makeTempDir();
    const faults = createFaultyFs();
    const store = await openLowdbStore(dir, { fileOps: faults.ops });
    await created(store);
    await bump(store);
    faults.arm(2);
    await expect(bump(store)).rejects.toSatisfy(isStoreWriteError);
    faults.disarm();
    const text = await readFile(join(dir, 'evaluations/ev1.json'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(JSON.parse(lastRecordLine(text)!)).toMatchObject({ revision: 1, answers: { facts: { n: 1 } } });
    await store.close();
  });
});
