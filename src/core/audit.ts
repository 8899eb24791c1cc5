/**
 * Replaying an evaluation's audit trail. Every change the dialog makes to the answers and to the
 * organisers' settings is audited with its path, old and new value (see `AuditEntry`); replaying the
 * entries over the evaluation as it was created gives the evaluation as it stands. A trail that does
 * not replay to the record means a change went unaudited (or was audited wrongly): the fuzz test and
 * the store tests check it, and an auditor can check a data directory the same way.
 *
 * @example
 * const { state, conflicts } = replayAudit(auditedStateOf(created), await store.listAudit(id))
 * sameAuditedState(state, auditedStateOf(await store.getEvaluation(id))) // true
 */
import { setOwnEntry, type AuditEntry, type EvaluationRecord } from './evaluation';
import type { Answers } from './scoring/answers';

/** The parts of an evaluation its audit trail records: the answers and the organisers' settings. */
export interface AuditedState {
  answers: Answers;
  organisers: string[];
  leaders?: string[];
  strictAssignments?: boolean;
  assignments: Record<string, string[]>;
  deadline?: string;
  reportDate?: string;
  reminders?: EvaluationRecord['reminders'];
}

/** An entry that does not fit the state it is replayed over. */
export interface AuditConflict {
  /** The entry's index in the trail. */
  index: number;
  path: string;
  /** `unknown-path`: no part of the state has this path; `old-mismatch`: the entry's old value is not the value at that point. */
  reason: 'unknown-path' | 'old-mismatch';
  /** The value the state had when the entry was replayed (for `old-mismatch`). */
  found?: unknown;
}

/** What `replayAudit` gives: the state after every entry, and the entries that did not fit. */
export interface ReplayResult {
  state: AuditedState;
  conflicts: AuditConflict[];
}

/** Answer buckets keyed by indicator code, fact or metric key (`judgements.A11`, `facts.spending`). */
const ANSWER_MAPS = ['facts', 'metrics', 'metricChoice', 'choiceReasons', 'conclusions', 'judgements', 'keyTasks', 'notApplicable', 'evidence', 'narratives'] as const satisfies ReadonlyArray<keyof Answers>;
/** Answer lists audited whole (`bonus`, `confirmedChecks`). */
const ANSWER_LISTS = ['noFigure', 'approximate', 'bonus', 'penalties', 'confirmedChecks'] as const satisfies ReadonlyArray<keyof Answers>;
/** Record fields audited whole (`deadline`, `leaders`). */
const RECORD_FIELDS = ['organisers', 'leaders', 'strictAssignments', 'deadline', 'reportDate', 'reminders'] as const satisfies ReadonlyArray<keyof AuditedState>;
/** The path of the entry that records the creation itself (its state is the replay's starting point). */
const CREATION_PATH = 'evaluation';

/** The audited parts of a record, copied (the record is not changed). */
export function auditedStateOf(rec: Pick<EvaluationRecord, keyof AuditedState>): AuditedState {
  const state: AuditedState = { answers: structuredClone(rec.answers), organisers: [...rec.organisers], assignments: structuredClone(rec.assignments) };
  for (const field of ['leaders', 'strictAssignments', 'deadline', 'reportDate', 'reminders'] as const) {
    if (rec[field] !== undefined) (state as unknown as Record<string, unknown>)[field] = structuredClone(rec[field]);
  }
  return state;
}

/**
 * Applies the entries, oldest first, to a copy of `initial` (the audited state of the evaluation as it
 * was created): each entry's `new` replaces the value at its path (an entry without `new` removes it).
 * An entry whose `old` is not the value at that point (an empty list and none count as the same, as do strict assignment off and none), or
 * whose path names nothing, is listed in `conflicts` (and still applied when its path is known). The
 * `evaluation` entry is the creation itself.
 */
export function replayAudit(initial: AuditedState, entries: readonly AuditEntry[]): ReplayResult {
  const state = auditedStateOf(initial);
  const conflicts: AuditConflict[] = [];
  entries.forEach((entry, index) => {
    const { path } = entry;
    if (path === CREATION_PATH) return;
    const slot = slotOf(state, path);
    if (!slot) {
      conflicts.push({ index, path, reason: 'unknown-path' });
      return;
    }
    const found = Object.hasOwn(slot.container, slot.key) ? slot.container[slot.key] : undefined;
    if (!sameValue(emptyAsAbsent(path, found), emptyAsAbsent(path, entry.old))) conflicts.push({ index, path, reason: 'old-mismatch', found });
    if (entry.new === undefined) delete slot.container[slot.key];
    else setOwnEntry(slot.container, slot.key, structuredClone(entry.new));
  });
  return { state, conflicts };
}

/**
 * Whether two audited states say the same: the same values, whatever the key order, with what is
 * empty and what is absent taken as one (an answer bucket `{}`, `leaders: []`, `strictAssignments: false`).
 */
export function sameAuditedState(a: AuditedState, b: AuditedState): boolean {
  return sameValue(comparable(a), comparable(b));
}

/** The state with empty buckets, lists and false flags left out, for `sameAuditedState` and for showing a difference. */
export function comparable(state: AuditedState): Record<string, unknown> {
  const answers: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(state.answers)) if (!isEmpty(v)) setOwnEntry(answers, k, v);
  const out: Record<string, unknown> = { answers, organisers: state.organisers, assignments: state.assignments };
  for (const field of ['leaders', 'deadline', 'reportDate', 'reminders'] as const) if (!isEmpty(state[field])) out[field] = state[field];
  if (state.strictAssignments) out['strictAssignments'] = true;
  return out;
}

/** The object and key an entry's path names, creating an answer bucket that is not there yet. */
function slotOf(state: AuditedState, path: string): { container: Record<string, unknown>; key: string } | undefined {
  const dot = path.indexOf('.');
  const head = dot < 0 ? path : path.slice(0, dot);
  const rest = dot < 0 ? undefined : path.slice(dot + 1);
  const answers = state.answers as Record<string, unknown>;
  if (rest === undefined) {
    if ((ANSWER_LISTS as readonly string[]).includes(head)) return { container: answers, key: head };
    if ((RECORD_FIELDS as readonly string[]).includes(head)) return { container: state as unknown as Record<string, unknown>, key: head };
    return undefined;
  }
  if (!rest) return undefined;
  if ((ANSWER_MAPS as readonly string[]).includes(head)) {
    let bucket = answers[head];
    if (typeof bucket !== 'object' || bucket === null) setOwnEntry(answers, head, (bucket = {}));
    return { container: bucket as Record<string, unknown>, key: rest };
  }
  if (head === 'assignments') return { container: state.assignments, key: rest };
  return undefined;
}

/**
 * A list with nothing in it says what no list says (the dialog audits an absent list as `[]`), and so
 * does strict assignment off (`false`, stored as no field).
 */
function emptyAsAbsent(path: string, v: unknown): unknown {
  if (Array.isArray(v) && v.length === 0) return undefined;
  return path === 'strictAssignments' && v === false ? undefined : v;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

/** Structural equality of JSON values; an own property that is undefined counts as absent. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => sameValue(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => Object.hasOwn(bo, k) && sameValue(ao[k], bo[k]));
}
