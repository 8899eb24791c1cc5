/**
 * Replaying the audit trail (src/core/audit.ts): the pure replay over generated trails, the conflicts it
 * reports, and the trail the real dialog writes replaying to the stored record, including the changes
 * the fuzz test found unaudited (a role given by name taken over when that person speaks, a metric's
 * choice reopened by a new figure).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditedStateOf, comparable, replayAudit, sameAuditedState, type AuditedState } from '../src/core/audit';
import type { AuditEntry } from '../src/core/evaluation';
import type { Store } from '../src/store/port';
import { createMemoryStore } from '../src/store/memory';
import { createTranscript } from './helpers/transcript';

const AT = '2025-05-10T01:00:00.000Z';
const initial = (): AuditedState => ({ answers: { framework: 'goal-rate', unit: '某局', year: 2024 }, organisers: ['u1'], assignments: {} });

/** One change as the dialog makes it: the value at a path replaced (undefined: removed). */
const change = fc.oneof(
  fc.record({ path: fc.constantFrom('facts.payments', 'metrics.executionRate', 'judgements.A11', 'judgements.__proto__', 'narratives.problems', 'keyTasks.B1', 'notApplicable.A2', 'evidence.constructor'), value: fc.option(fc.jsonValue(), { nil: undefined }) }),
  fc.record({ path: fc.constantFrom('bonus', 'penalties', 'confirmedChecks', 'noFigure'), value: fc.option(fc.array(fc.string()), { nil: undefined }) }),
  fc.record({ path: fc.constantFrom('organisers', 'leaders'), value: fc.array(fc.string(), { minLength: 1 }) }),
  fc.record({ path: fc.constantFrom('deadline', 'reportDate'), value: fc.option(fc.string({ minLength: 1 }), { nil: undefined }) }),
  fc.record({ path: fc.constant('assignments.A'), value: fc.array(fc.string(), { minLength: 1 }) }),
);

/** Applies changes to a state the way the dialog does, writing the entries it would write. */
function applyAll(state: AuditedState, changes: Array<{ path: string; value: unknown }>): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (const { path, value } of changes) {
    const dot = path.indexOf('.');
    const head = dot < 0 ? path : path.slice(0, dot);
    const key = dot < 0 ? undefined : path.slice(dot + 1);
    const record = ['organisers', 'leaders', 'deadline', 'reportDate', 'assignments'].includes(head);
    const root = (record ? state : state.answers) as Record<string, unknown>;
    const container = key === undefined ? root : ((root[head] as Record<string, unknown> | undefined) ?? (root[head] = {}));
    const slot = key ?? head;
    // JSON values, as the store keeps them (JSON has no -0).
    const copy = value === undefined ? undefined : JSON.parse(JSON.stringify(value));
    const old = Object.hasOwn(container, slot) ? container[slot] : undefined;
    entries.push({ at: AT, userId: 'u1', path, ...(old !== undefined ? { old } : {}), ...(copy !== undefined ? { new: copy } : {}) });
    if (copy === undefined) delete container[slot];
    else Object.defineProperty(container, slot, { value: copy, writable: true, enumerable: true, configurable: true });
  }
  return entries;
}

describe('replayAudit', () => {
  it('replays any trail of changes to the state they made, every entry chaining to the one before', () => {
    fc.assert(
      fc.property(fc.array(change, { maxLength: 40 }), (changes) => {
        const start = initial();
        const end = initial();
        const entries = applyAll(end, changes);
        const { state, conflicts } = replayAudit(start, entries);
        expect(conflicts).toEqual([]);
        expect(sameAuditedState(state, end)).toBe(true);
        // The starting state is not changed.
        expect(start).toEqual(initial());
      }),
      { numRuns: 300 },
    );
  });

  it('reports an entry whose old value is not the value it replaced, and a path that names nothing', () => {
    const entries: AuditEntry[] = [
      { at: AT, userId: 'u1', path: 'evaluation', new: { unit: '某局' } },
      { at: AT, userId: 'u1', path: 'facts.payments', new: 100 },
      { at: AT, userId: 'u2', path: 'facts.payments', old: 90, new: 120 },
      { at: AT, userId: 'u1', path: 'sessions.u1', new: {} },
      { at: AT, userId: 'u1', path: 'judgements.', new: true },
    ];
    const { state, conflicts } = replayAudit(initial(), entries);
    expect(conflicts).toEqual([
      { index: 2, path: 'facts.payments', reason: 'old-mismatch', found: 100 },
      { index: 3, path: 'sessions.u1', reason: 'unknown-path' },
      { index: 4, path: 'judgements.', reason: 'unknown-path' },
    ]);
    expect(state.answers.facts).toEqual({ payments: 120 });
  });

  it('takes an empty list for none, and strict assignment off for none, when chaining', () => {
    const entries: AuditEntry[] = [
      { at: AT, userId: 'u1', path: 'noFigure', old: [], new: ['payments'] },
      { at: AT, userId: 'u1', path: 'noFigure', old: ['payments'], new: [] },
      { at: AT, userId: 'u1', path: 'strictAssignments', new: true },
      { at: AT, userId: 'u1', path: 'strictAssignments', old: true, new: false },
      { at: AT, userId: 'u1', path: 'strictAssignments', new: true },
    ];
    const { state, conflicts } = replayAudit(initial(), entries);
    expect(conflicts).toEqual([]);
    expect(comparable(state)).toEqual({ answers: initial().answers, organisers: ['u1'], assignments: {}, strictAssignments: true });
  });
});

/** The trail of an evaluation replays, over the record as created, to the record as stored. */
async function expectReplays(store: Store, id: string, created: AuditedState): Promise<void> {
  const rec = (await store.getEvaluation(id))!;
  const { state, conflicts } = replayAudit(created, await store.listAudit(id));
  expect(conflicts).toEqual([]);
  expect(comparable(state)).toEqual(comparable(auditedStateOf(rec)));
}

describe('the dialog writes a trail that replays to the record', () => {
  /** A transcript whose store remembers each evaluation as it was created. */
  function recorded() {
    const store = createMemoryStore();
    const created = new Map<string, AuditedState>();
    const create = store.createEvaluation.bind(store);
    store.createEvaluation = async (rec, audit) => {
      const snapshot = auditedStateOf(rec);
      await create(rec, audit);
      created.set(rec.id, snapshot);
    };
    return { t: createTranscript({ store }), store, created };
  }

  it('answers, edits, not applicable and back, assignments, roles, deadline and reminders', async () => {
    const { t, store, created } = recorded();
    await t.say('张三', '新建自评 某局 2024 框架=goal-rate');
    for (const text of ['开始', '100', '90', '是', '修改 调整预算数', '120', '不适用 A1 本年无预算', '适用 A1', '分配 预算执行与管理 @李四', '截止 2025-05-31', '提醒 每天 18:00', '设置 严格分配', '设置 自由分配']) {
      await t.say('张三', text);
    }
    await expectReplays(store, 'ev1', created.get('ev1')!);
    expect((await store.listAudit('ev1')).length).toBeGreaterThan(8);
  });

  // Found by the fuzz test: a role given by name (设置 领导 @赵六) became 赵六's id when 赵六 first spoke,
  // and nothing in the trail said so.
  it('audits a role or an assignment given by name passing to the person when they speak', async () => {
    const { t, store, created } = recorded();
    await t.say('张三', '新建自评 某局 2024 框架=goal-rate');
    await t.say('张三', '设置 领导 @赵六');
    await t.say('张三', '分配 预算执行与管理 @王五');
    const before = (await store.getEvaluation('ev1'))!;
    expect(before.leaders).toEqual(['name:赵六']);
    await t.say('赵六', '进度');
    await t.say('王五', '进度');
    const after = (await store.getEvaluation('ev1'))!;
    expect(after.leaders).toEqual(['u-zhaoliu']);
    expect(Object.values(after.assignments)).toEqual([['u-wangwu']]);
    const trail = await store.listAudit('ev1');
    expect(trail.filter((e) => e.userId === 'u-zhaoliu').map((e) => [e.path, e.old, e.new])).toEqual([['leaders', ['name:赵六'], ['u-zhaoliu']]]);
    await expectReplays(store, 'ev1', created.get('ev1')!);
  });

  // Found by the fuzz test: a new figure for a metric reopened its direct/computed choice by deleting the
  // choice without an audit entry, so the next choice's "old" did not chain.
  it('audits the choice between a reported and a computed figure being reopened by a new figure', async () => {
    const { t, store, created } = recorded();
    await t.say('张三', '新建自评 某局 2024 框架=goal-rate');
    for (const text of ['修改 调整预算数', '100', '修改 支付完成数', '90', '修改 预算执行率']) await t.say('张三', text);
    expect(await t.ask('张三', '50%')).toContain('以直接填报为准');
    await t.say('张三', '以直接填报为准，以财政批复口径为准');
    expect((await store.getEvaluation('ev1'))!.answers.metricChoice).toEqual({ executionRate: 'direct' });
    await t.say('张三', '修改 预算执行率');
    await t.say('张三', '60%');
    expect((await store.getEvaluation('ev1'))!.answers.metricChoice ?? {}).toEqual({});
    const trail = await store.listAudit('ev1');
    expect(trail.filter((e) => e.path === 'metricChoice.executionRate').map((e) => [e.old, e.new])).toEqual([
      [undefined, 'direct'],
      ['direct', undefined],
    ]);
    await expectReplays(store, 'ev1', created.get('ev1')!);
  });
});
