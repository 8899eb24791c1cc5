/**
 * The lowest layer of the dialog engine: one message's `Turn` (state in, state out), what the engine is
 * given and returns (`DialogDeps`, `DialogState`, `DialogOutcome`, `Scored`, `FrameworkChoice`), its
 * limits, opening and closing a turn, and the small helpers every part uses (the roles policy, re-scoring,
 * the audit trail, names and mentions).
 */
import type { InboundMessage, PressFeedback, Reply } from '../messages';
import { ownEntry, setOwnEntry, type AuditEntry, type EvaluationRecord, type SessionState } from '../evaluation';
import type { Framework } from '../framework/load';
import type { FrameworkInput } from '../framework/schema';
import { scoreEvaluation } from '../scoring/engine';
import type { ScoreResult } from '../scoring/types';
import { actorOf, may, organiserNames as namesOfOrganisers, roleOf, type Action, type Decision } from '../roles';
import { readSessionDraft, type ChatDraftState } from './drafts';
import type { OverviewContext } from './overview';
import type { OverviewBinding, OverviewRow } from '../overview';
import type { WorkCalendar } from '../reminders';
import { text } from './replies';
import { buildPlan, type Question } from './plan';
import type { SectionDraftResult } from './drafting';

/** Bumped when SessionState changes shape; older sessions are dropped (answers are kept, only places reset). */
export const SESSION_VERSION = 1;
/** Longest message taken as an answer (narratives included). */
export const MAX_TEXT_CHARS = 20_000;
/** The longest narrative section (its parts together), in characters. */
export const MAX_NARRATIVE_CHARS = 20_000;
/** The same text from the same person within this long, to the same question, is applied once. */
export const REPEAT_WINDOW_MS = 10_000;
/** Failed attempts before the bot offers 跳过 and 帮助. */
export const MAX_FAILURES = 3;
/**
 * A question shown to someone stays theirs while they are active on it: released when they have done
 * nothing with it for this long (default; `DialogDeps.holdIdleMs` changes it), and at once when they move on.
 */
export const HOLD_IDLE_MS = 10 * 60 * 1000;

/** What the engine needs besides the message and the state. */
export interface DialogDeps {
  now: Date;
  newId: () => string;
  /**
   * The state is the caller's own copy (the store hands out copies): change it in place instead of
   * cloning it first. Without this the engine never changes the objects it is given.
   */
  inPlace?: boolean;
  /** Official working days, for what 提醒 says (absent: no calendar warning). */
  calendar?: WorkCalendar;
  /** How long a shown question stays its asker's while they do nothing with it (default HOLD_IDLE_MS). */
  holdIdleMs?: number;
  /** The language-model assistant configured for this deployment (its model and host), for 启用助手; absent when none. */
  assistant?: { model: string; host: string };
  /**
   * The assistant may draft this evaluation's report sections (a drafter is configured and the
   * evaluation has the assistant on): 起草 works and narrative questions offer a 起草 button.
   */
  drafting?: boolean;
}

/** The state a message is handled against. The engine changes copies, never these objects. */
export interface DialogState {
  evaluation?: EvaluationRecord;
  /** The sender's 新建自评 draft in this chat, when creating step by step. */
  chatDraft?: ChatDraftState;
  /** Frameworks 新建自评 may use besides the built-in ones (imported and confirmed). */
  frameworks?: FrameworkChoice[];
  /** The evaluation's scores and plan from the last message, reused when its revision has not changed. */
  scored?: Scored;
  /**
   * Other evaluations the message may read: 对比 and 新建自评 take last year's evaluation of the same unit
   * from them (see glance.ts `lastYearOf`). The bot loads them only for those commands.
   */
  others?: EvaluationRecord[];
  /**
   * For 汇总 / 同意汇总 only (the bureau overview): the chat's binding, the bindings waiting for consent
   * and the evaluations, loaded by the bot service. With it the message is an overview command.
   */
  overview?: OverviewContext;
  /** For 起草: the draft the bot service made before the engine ran (app/drafting.ts). */
  sectionDraft?: SectionDraftResult;
}

/** Scores and question plan of an evaluation at one revision. */
export interface Scored {
  revision: number;
  result: ScoreResult;
  plan: Question[];
}

/** A framework one can create an evaluation with; imported ones travel with their evaluation. */
export interface FrameworkChoice {
  id: string;
  name: string;
  input: FrameworkInput;
}

export interface DialogOutcome {
  replies: Reply[];
  /** The evaluation after the message, when it changed. */
  evaluation?: EvaluationRecord;
  /** The audit entries of the change to `evaluation` or of `created`, to store with it. */
  audit?: AuditEntry[];
  /** A new evaluation to create and bind to the chat. */
  created?: EvaluationRecord;
  /** The sender's chat draft after the message: an object to keep, null to delete, undefined if unchanged. */
  chatDraft?: ChatDraftState | null;
  /** Build the report and send it after these replies. */
  report?: boolean;
  /** The scores and plan of the evaluation as it now stands (for `DialogState.scored` next time). */
  scored?: Omit<Scored, 'revision'>;
  /** For a pressed button or a submitted card form: what the presser should see on the card. */
  pressed?: PressFeedback;
  /** 汇总 / 同意汇总: overview bindings to store (one with no units left is deleted). */
  overviewBindings?: OverviewBinding[];
  /** 汇总 导出: send the overview's rows as an .xlsx after the replies. */
  overviewExport?: { rows: OverviewRow[]; year?: number };
  /**
   * A typed reply to the current question that the reader could not read (it was asked again): the bot
   * may ask the assistant for a reading to propose (see interpret.ts). Only for questions it may read.
   */
  unread?: Unread;
}

/** A reply the reader could not read, and the question it was to. */
export interface Unread {
  key: string;
  reply: string;
}

/** Everything one message's handling works with. */
export interface Turn {
  msg: InboundMessage;
  deps: DialogDeps;
  rec: EvaluationRecord;
  framework: Framework;
  session: SessionState;
  result: ScoreResult;
  plan: Question[];
  replies: Reply[];
  /** Audit entries of this message's changes. */
  audit: AuditEntry[];
  changed: boolean;
  report: boolean;
  pressed?: PressFeedback;
  /** DialogState.others: for 对比. */
  others?: EvaluationRecord[];
  /** See DialogOutcome.unread. */
  unread?: Unread;
  /** DialogState.sectionDraft: for 起草. */
  sectionDraft?: SectionDraftResult;
}

export function openTurn(msg: InboundMessage, deps: DialogDeps, rec: EvaluationRecord, framework: Framework, scored?: Scored): Turn {
  let changed = false;
  const entries: AuditEntry[] = [];
  const name = msg.userName?.trim();
  const member = ownEntry(rec.members, msg.userId);
  if (!member || (name && member.name !== name)) {
    setOwnEntry(rec.members, msg.userId, name ? { name } : {});
    changed = true;
    // An assignment or a role given by name before this person spoke now gets their id (audited, like
    // any change to roles and assignments, so the trail replays to the record).
    if (name) {
      const byName = `name:${name}`;
      const rebind = (path: string, ids: string[]) => {
        if (!ids.includes(byName)) return ids;
        const next = [...new Set(ids.map((x) => (x === byName ? msg.userId : x)))];
        entries.push(auditEntry(msg, deps.now, path, ids, next));
        return next;
      };
      for (const [section, ids] of Object.entries(rec.assignments)) rec.assignments[section] = rebind(`assignments.${section}`, ids);
      rec.organisers = rebind('organisers', rec.organisers);
      if (rec.leaders) rec.leaders = rebind('leaders', rec.leaders);
    }
  }
  let session = ownEntry(rec.sessions, msg.userId);
  if (!session || session.version !== SESSION_VERSION) {
    session = { version: SESSION_VERSION, userId: msg.userId, skipped: [], history: [], failures: 0, updatedAt: deps.now.toISOString() };
    if (name) session.userName = name;
    setOwnEntry(rec.sessions, msg.userId, session);
    changed = true;
  }
  // A draft read back from storage that does not parse (garbage, an old shape) is dropped, not misread.
  if (session.draft !== undefined) {
    const draft = readSessionDraft(session.draft);
    if (draft) session.draft = draft;
    else delete session.draft;
  }
  // Every change to the answers rescores, so scores kept at this revision are still the answers' scores.
  const fresh = scored && scored.revision === rec.revision;
  // A stale result still saves work: its entries whose inputs are unchanged are reused.
  const result = fresh ? scored.result : scoreEvaluation(framework, rec.answers, scored?.result);
  const plan = fresh ? scored.plan : buildPlan(framework, rec.answers, result);
  return { msg, deps, rec, framework, session, result, plan, replies: [], audit: entries, changed, report: false };
}

export function closeTurn(turn: Turn): DialogOutcome {
  const out: DialogOutcome = { replies: turn.replies, scored: { result: turn.result, plan: turn.plan } };
  if (turn.changed) {
    turn.session.updatedAt = turn.deps.now.toISOString();
    turn.rec.updatedAt = turn.deps.now.toISOString();
    out.evaluation = turn.rec;
    if (turn.audit.length) out.audit = turn.audit;
  }
  if (turn.report) out.report = true;
  if (turn.pressed) out.pressed = turn.pressed;
  if (turn.unread) out.unread = turn.unread;
  return out;
}

export function isOrganiser(turn: Turn): boolean {
  return roleOf(turn.rec, turn.msg.userId) === 'organiser';
}

/** Asks the roles policy; on a refusal, says so (and on the pressed card) and returns false. */
export function allowed(turn: Turn, action: Action, q?: Question): boolean {
  const d: Decision = may(turn.rec, actorOf(turn.msg), action, q && { sections: q.sections, ...(q.organiserOnly ? { organiserOnly: true } : {}) });
  if (d.ok) return true;
  turn.replies.push(text(d.reason));
  if (turn.msg.action) turn.pressed = { ok: false, toast: d.reason };
  return false;
}

/** Whether the sender may answer this question (no reply). */
export function mayAnswer(turn: Turn, q: Question): boolean {
  return may(turn.rec, actorOf(turn.msg), 'answer', { sections: q.sections, ...(q.organiserOnly ? { organiserOnly: true } : {}) }).ok;
}

/** Re-scores after a change and rebuilds the plan. */
export function rescore(turn: Turn): ScoreResult {
  const prev = turn.result;
  turn.result = scoreEvaluation(turn.framework, turn.rec.answers, prev);
  turn.plan = buildPlan(turn.framework, turn.rec.answers, turn.result);
  turn.changed = true;
  return prev;
}

export function audit(turn: Turn, path: string, oldValue: unknown, newValue: unknown): void {
  turn.audit.push(auditEntry(turn.msg, turn.deps.now, path, oldValue, newValue));
}

function auditEntry(msg: InboundMessage, now: Date, path: string, oldValue: unknown, newValue: unknown): AuditEntry {
  const entry: AuditEntry = { at: now.toISOString(), userId: msg.userId, path };
  if (msg.userName) entry.userName = msg.userName;
  if (oldValue !== undefined) entry.old = oldValue;
  if (newValue !== undefined) entry.new = newValue;
  return entry;
}

export function organiserNames(turn: Turn): string {
  return namesOfOrganisers(turn.rec);
}

/** Mentions of these people (those known by id), for a reply. */
export function mentionsOf(turn: Turn, ids: readonly string[]): Array<{ userId: string; name?: string }> {
  return ids.filter((id) => !id.startsWith('name:')).map((userId) => {
    const name = ownEntry(turn.rec.members, userId)?.name;
    return { userId, ...(name ? { name } : {}) };
  });
}

export function displayName(turn: Turn, id: string): string {
  if (id.startsWith('name:')) return id.slice(5);
  return ownEntry(turn.rec.members, id)?.name ?? id;
}

/** A short digest of a text (its length and FNV-1a hash): enough to recognise a repeat, without keeping it. */
export function textDigest(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${text.length}:${h.toString(36)}`;
}

/**
 * True when this text is the user's last applied text again, within REPEAT_WINDOW_MS and to the same
 * question (a message delivered twice, a double send). A quick "是" to the next question is not a repeat.
 */
export function isRepeat(turn: Turn, body: string): boolean {
  const last = turn.session.lastText;
  if (!last || last.digest !== textDigest(body) || last.target !== (turn.session.current ?? '')) return false;
  const since = turn.deps.now.getTime() - Date.parse(last.at);
  return since >= 0 && since < REPEAT_WINDOW_MS;
}

/** What `noteText` compares: the trail's length and the draft, before the text is applied. */
export function textMark(turn: Turn): { audit: number; draft: string; target: string } {
  return { audit: turn.audit.length, draft: JSON.stringify(turn.session.draft ?? null), target: turn.session.current ?? '' };
}

/** Remembers the text if applying it changed an answer or a draft (see `isRepeat`). */
export function noteText(turn: Turn, body: string, before: ReturnType<typeof textMark>): void {
  if (turn.audit.length === before.audit && JSON.stringify(turn.session.draft ?? null) === before.draft) return;
  turn.session.lastText = { digest: textDigest(body), at: turn.deps.now.toISOString(), target: before.target };
  turn.changed = true;
}
