/**
 * The evaluation as the bot keeps it: who organises it, which chats it lives in, every answer, and each
 * person's place in the questionnaire. Stored by the store port; read and changed by the dialog engine.
 * The audit trail of every change is kept beside it (append-only, `Store.listAudit`), so the record,
 * rewritten on every answer, does not grow with the number of changes.
 */
import type { ChatDraftState, SessionDraft } from './dialog/drafts';
import type { PendingSectionDraft } from './dialog/drafting';
import type { FrameworkInput } from './framework/schema';
import type { PressFeedback, Reply } from './messages';
import type { Answers } from './scoring/answers';

/** One change to an answer: who, when, the old and the new value. */
export interface AuditEntry {
  at: string;
  userId: string;
  userName?: string;
  /** What changed: "facts.spending", "judgements.A11", "keyTasks.C1", "narratives.problems"… */
  path: string;
  old?: unknown;
  new?: unknown;
}

/** A user's place in the questionnaire and any dialog in progress. Versioned: see SESSION_VERSION. */
export interface SessionState {
  version: number;
  userId: string;
  userName?: string;
  /** The question being asked, if any (a question key from the dialog's plan). */
  current?: string;
  /** Questions this user skipped, to come back to later. */
  skipped: string[];
  /** Questions asked before, for 上一题. */
  history: string[];
  /** Failed attempts at the current question. */
  failures: number;
  /** When the current question was shown (a question is held for its asker while they are active; see the engine's holds). */
  shownAt?: string;
  /** The last time its user did something with the current question (shown, a reply, a part of a long answer). */
  touchedAt?: string;
  /**
   * The state of the current question's answer when it was shown (the engine's stamp): a typed reply to a
   * question someone else answered meanwhile is not recorded over their answer.
   */
  currentStamp?: string;
  /**
   * A multi-message text answer being collected, or key tasks being entered (see dialog/drafts.ts; the
   * engine reads it back with `readSessionDraft`, dropping one that does not parse).
   */
  draft?: SessionDraft;
  /**
   * The last text of this user that changed something: a digest of it, when, and the question it went
   * to. The same text again within REPEAT_WINDOW_MS to the same question is a repeat, applied once.
   */
  lastText?: { digest: string; at: string; target: string };
  /**
   * A section the assistant drafted for this user, waiting for 采用 / 修改 / 不用 (dialog/drafting.ts;
   * read back with `readPendingDraft`). Never part of the answers: the report does not see it.
   */
  sectionDraft?: PendingSectionDraft;
  updatedAt: string;
}

/** An evaluation bound to one or more chats, with everything answered so far. */
export interface EvaluationRecord {
  id: string;
  unit: string;
  year: number;
  frameworkId: string;
  /** A custom or imported framework travels with the evaluation. */
  framework?: FrameworkInput;
  chatIds: string[];
  /** Organisers (user ids, or `name:李四` until that person speaks): see core/roles.ts. */
  organisers: string[];
  /** Leaders: they query and never answer (设置 领导 @某人, audited as `leaders`). */
  leaders?: string[];
  /** Contributors answer only their assigned sections (设置 严格分配, audited as `strictAssignments`). */
  strictAssignments?: boolean;
  /** Section (indicator code) → assignee user ids. */
  assignments: Record<string, string[]>;
  members: Record<string, { name?: string }>;
  deadline?: string;
  /**
   * The 落款日期 on the report's cover, YYYY-MM-DD, set by an organiser (落款 2025-03-31); absent, the
   * report is dated the day it is generated. See `reportDateOf`.
   */
  reportDate?: string;
  /** When and how the group is reminded of what is still owed (absent: `DEFAULT_REMINDER_SETTINGS`). See core/reminders.ts. */
  reminders?: ReminderSettings;
  /**
   * When the reminders or the deadline were last changed (ISO): reminder slots before it are not sent,
   * so moving today's time to one already past, resuming, or setting a deadline sends nothing at once.
   */
  remindersSince?: string;
  /**
   * The language-model assistant for this evaluation (启用助手 / 停用助手, audited as `assistant`): off
   * unless an organiser enabled it. `capNotice` is the month (YYYY-MM) the organisers were told the
   * deployment's monthly cap was reached, so they are told once.
   */
  assistant?: { enabled: boolean; capNotice?: string };
  answers: Answers;
  /** Per-user sessions by user id. */
  sessions: Record<string, SessionState>;
  createdAt: string;
  updatedAt: string;
  /** Bumped on every write. */
  revision: number;
  /**
   * The last few platform messages that changed this evaluation, with what they produced (oldest
   * first): a message handled again after a crash (recorded, applied, but its replies not yet
   * recorded) gets the same replies and changes nothing.
   */
  handled?: HandledMessage[];
}

/**
 * An evaluation's reminders, set by organisers with 提醒 (audited as `reminders`). Times are local to
 * `timeZone`; a deadline nudge that falls on a day off moves to the working day before.
 */
export interface ReminderSettings {
  /** Days of the regular reminder: China's official working days, every day, or ISO weekdays (1 = Monday … 7 = Sunday). */
  days: 'workdays' | 'daily' | number[];
  /** HH:MM, 24-hour. */
  time: string;
  timeZone: 'Asia/Shanghai';
  /** Days before the deadline a nudge goes out (0 = the day itself), e.g. [7, 3, 1, 0]. */
  nudges: number[];
  /** No reminders while paused. */
  paused: boolean;
  /** On Feishu, the last day's reminder is sent as urgent (加急) to those who still owe something. */
  urgentLastDay: boolean;
}

/** Reminders of an evaluation nobody has set them for: working days at 09:30, nudges at T−7, T−3, T−1 and the day itself. */
export const DEFAULT_REMINDER_SETTINGS: Readonly<ReminderSettings> = Object.freeze({
  days: 'workdays',
  time: '09:30',
  timeZone: 'Asia/Shanghai',
  nudges: [7, 3, 1, 0],
  paused: false,
  urgentLastDay: false,
});

/** The reminder settings in force for an evaluation (the defaults completed by what was set). */
export function reminderSettingsOf(rec: Pick<EvaluationRecord, 'reminders'>): ReminderSettings {
  const r = { ...DEFAULT_REMINDER_SETTINGS, ...rec.reminders };
  return { ...r, days: Array.isArray(r.days) ? [...r.days] : r.days, nudges: [...r.nudges] };
}

/** A platform message applied to an evaluation, and its outcome (replies are never files: a report is rebuilt). */
export interface HandledMessage {
  id: string;
  replies: Array<Exclude<Reply, { kind: 'file' }>>;
  pressed?: PressFeedback;
  report?: boolean;
}

/** A chat's state before it has an evaluation (e.g. 新建自评 asked step by step). */
export interface ChatDraft {
  chatId: string;
  userId: string;
  draft: ChatDraftState;
  updatedAt: string;
}

/**
 * A chat draft as the store keeps it: its `draft` is plain JSON until read back with `readChatDraft`
 * (dialog/drafts.ts), which drops one that does not parse (garbage, an old shape).
 */
export type StoredChatDraft = Omit<ChatDraft, 'draft'> & { draft: unknown };


/**
 * A record map's own entry (`members`, `sessions`): ids come from chats and platforms, and the keys every
 * object inherits ("constructor", "toString") are nobody's.
 *
 * @example ownEntry(rec.members, 'constructor') // undefined, unless someone with that id took part
 */
export function ownEntry<V>(map: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/** Sets a record map's own entry, "__proto__" included (a plain assignment would replace the map's prototype). */
export function setOwnEntry<V>(map: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * The date a report of this evaluation carries: its 落款日期 when one is set, otherwise `generatedAt`.
 * The set date is a calendar day, returned as local midnight (the report prints year and month).
 */
export function reportDateOf(rec: Pick<EvaluationRecord, 'reportDate'>, generatedAt: Date): Date {
  const m = rec.reportDate ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(rec.reportDate) : null;
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : generatedAt;
}
