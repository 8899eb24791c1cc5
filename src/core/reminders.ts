/**
 * Reminders, pure: which reminders are due for a set of evaluations at a moment, and what each says.
 *
 * An evaluation has two kinds of slot, both at its settings' time of day (Asia/Shanghai):
 * - `daily`: every scheduled day (China's official working days, every day, or chosen weekdays);
 * - `deadline`: the deadline-relative nudges (T−7, T−3, T−1, the day itself by default), each moved to
 *   the working day before when it falls on a day off. A day with a nudge has no daily slot.
 * Only the latest slot of each kind at `now` is considered, and only while it still matters (a daily
 * slot on its own day, a nudge until the next nudge or the end of the deadline day): after downtime a
 * missed slot is sent once, not once per missed tick. The caller claims each slot id once (see
 * app/reminders.ts), so the same slot is never sent twice.
 *
 * A reminder @-mentions each assignee with exactly what they still owe (the plan's unanswered
 * questions in their sections); questions nobody is assigned, and those only organisers answer, go to
 * the organisers. Nothing owed: no reminder.
 *
 * @example
 * const due = dueReminders(await store.listEvaluations(), new Date(), calendar)
 */
import { buildPlan, type Question } from './dialog/plan';
import { evaluationTitle } from './dialog/replies';
import { DEFAULT_REMINDER_SETTINGS, ownEntry, reminderSettingsOf, type EvaluationRecord, type ReminderSettings } from './evaluation';
import { resolveFramework } from './framework/resolve';
import { reminderText as T } from './locale/zh-CN';
import type { Mention, Reply } from './messages';
import { scoreEvaluation } from './scoring/engine';
import { REMINDER_WORDS as W } from './dialog/vocabulary';
import { foldText } from './dialog/parse';

/** Official working days, behind an interface so the core stays free of the calendar library. */
export interface WorkCalendar {
  /** Whether a day (YYYY-MM-DD) is an official working day (statutory holidays off, 调休 weekend workdays on). */
  isWorkday(date: string): boolean;
  /** Whether the calendar knows the year's official holidays (otherwise it falls back to Monday–Friday). */
  covers(year: number): boolean;
}

/** Monday to Friday, knowing no holidays: for tests, and what an uncovered year falls back to. */
export const weekdayCalendar: WorkCalendar = {
  isWorkday: (date) => {
    const wd = isoWeekday(date);
    return wd <= 5;
  },
  covers: () => false,
};

/** One person's part of a reminder. */
export interface OwedBy {
  /** A user id, or `name:<name>` for someone assigned by name who has not spoken yet (not mentionable). */
  userId: string;
  name: string;
  organiser: boolean;
  /** What they still owe: the labels of their unanswered questions, in plan order. */
  labels: string[];
}

/** A reminder to send. */
export interface DueReminder {
  /** Stable: `<evaluation id>/<slot day>/<kind>` (kind `daily` or `T-<n>`); claimed once. */
  slotId: string;
  /** Other slots of the evaluation due at the same time, which this one message stands for (claimed with it). */
  alsoSlots: string[];
  evaluationId: string;
  kind: 'daily' | 'deadline';
  /** When the slot was (ms since the epoch). */
  slotAt: number;
  /** The evaluation's chats (the caller sends to the first it can reach). */
  chatIds: string[];
  organisers: string[];
  owed: OwedBy[];
  /** Days to the deadline from `now`'s day (negative: overdue); undefined without a deadline. */
  daysLeft?: number;
  /** The last day's reminder, to be sent as urgent (Feishu 加急) to the people owing something. */
  urgent: boolean;
  /** A year of the schedule the calendar does not cover (the organiser is warned). */
  calendarMissing?: number;
  /** The message: text with every mentionable person owing something @-mentioned. */
  reply: Extract<Reply, { kind: 'text' }>;
}

/** The labels one person's part lists at most (the count says how many there are). */
const LABELS_SHOWN = 6;
const DAY_MS = 86_400_000;
/** Asia/Shanghai: UTC+8 all year (no daylight saving). */
const OFFSETS_MS: Record<ReminderSettings['timeZone'], number> = { 'Asia/Shanghai': 8 * 3600_000 };

/** The local day (YYYY-MM-DD) of an instant. */
export function localDay(at: number, timeZone: ReminderSettings['timeZone'] = 'Asia/Shanghai'): string {
  return new Date(at + OFFSETS_MS[timeZone]).toISOString().slice(0, 10);
}

/** The instant of a local day's time (HH:MM). */
export function localInstant(day: string, time: string, timeZone: ReminderSettings['timeZone'] = 'Asia/Shanghai'): number {
  return Date.parse(`${day}T${time}:00Z`) - OFFSETS_MS[timeZone];
}

/** ISO weekday of a day: 1 = Monday … 7 = Sunday. */
export function isoWeekday(day: string): number {
  const d = new Date(`${day}T00:00:00Z`).getUTCDay();
  return d === 0 ? 7 : d;
}

/** A day moved by n days. */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

const daysBetween = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);

/** Whether a day is one of the schedule's days. */
function scheduled(days: ReminderSettings['days'], day: string, calendar: WorkCalendar): boolean {
  if (days === 'daily') return true;
  if (days === 'workdays') return calendar.isWorkday(day);
  return days.includes(isoWeekday(day));
}

/** The day a nudge n days before the deadline goes out: moved back to a working day (at most a month). */
export function nudgeDay(deadline: string, n: number, calendar: WorkCalendar): string {
  let day = addDays(deadline, -n);
  for (let i = 0; i < 31 && !calendar.isWorkday(day); i++) day = addDays(day, -1);
  return day;
}

/** The nudges of a deadline as slots: day → the nudge (the nearest to the deadline when two share a day), in time order. */
export function nudgeSlots(deadline: string, s: ReminderSettings, calendar: WorkCalendar): Array<{ day: string; n: number; at: number }> {
  const byDay = new Map<string, number>();
  for (const n of s.nudges) {
    const day = nudgeDay(deadline, n, calendar);
    const had = byDay.get(day);
    if (had === undefined || n < had) byDay.set(day, n);
  }
  return [...byDay].map(([day, n]) => ({ day, n, at: localInstant(day, s.time, s.timeZone) })).sort((a, b) => a.at - b.at);
}

/** The slot of each kind that is due at `now` for one evaluation's settings, if any. */
export function dueSlots(
  rec: Pick<EvaluationRecord, 'id' | 'deadline' | 'createdAt' | 'reminders' | 'remindersSince'>,
  now: number,
  calendar: WorkCalendar,
): Array<{ slotId: string; kind: 'daily' | 'deadline'; at: number; day: string }> {
  const s = reminderSettingsOf(rec);
  if (s.paused) return [];
  // Slots from before the evaluation existed, or before its reminders or deadline last changed, never come due.
  const created = Math.max(Date.parse(rec.createdAt), rec.remindersSince ? Date.parse(rec.remindersSince) || 0 : 0);
  const today = localDay(now, s.timeZone);
  const out: Array<{ slotId: string; kind: 'daily' | 'deadline'; at: number; day: string }> = [];
  const nudges = rec.deadline ? nudgeSlots(rec.deadline, s, calendar) : [];
  // The latest nudge at or before now, while it matters: until the next one, or the deadline day's end.
  const endOfDeadline = rec.deadline ? localInstant(addDays(rec.deadline, 1), '00:00', s.timeZone) : 0;
  for (let i = nudges.length - 1; i >= 0; i--) {
    const slot = nudges[i]!;
    if (slot.at > now) continue;
    const until = nudges[i + 1]?.at ?? Math.max(endOfDeadline, localInstant(addDays(slot.day, 1), '00:00', s.timeZone));
    if (now < until && slot.at >= created) out.push({ slotId: `${rec.id}/${slot.day}/T-${slot.n}`, kind: 'deadline', at: slot.at, day: slot.day });
    break;
  }
  const at = localInstant(today, s.time, s.timeZone);
  if (at <= now && at >= created && scheduled(s.days, today, calendar) && !nudges.some((x) => x.day === today)) {
    out.push({ slotId: `${rec.id}/${today}/daily`, kind: 'daily', at, day: today });
  }
  return out;
}

/** Who owes what: each unanswered question goes to its section's assignees, or to the organisers. */
export function owedBy(rec: EvaluationRecord, plan: Question[]): OwedBy[] {
  const people = new Map<string, OwedBy>();
  const nameOf = (id: string) => (id.startsWith('name:') ? id.slice(5) : (ownEntry(rec.members, id)?.name ?? id));
  const owe = (id: string, label: string) => {
    let p = people.get(id);
    if (!p) people.set(id, (p = { userId: id, name: nameOf(id), organiser: rec.organisers.includes(id), labels: [] }));
    if (!p.labels.includes(label)) p.labels.push(label);
  };
  for (const q of plan) {
    if (q.answered) continue;
    const assigned = q.organiserOnly ? [] : [...new Set(q.sections.flatMap((c) => rec.assignments[c] ?? []))];
    for (const id of assigned.length ? assigned : rec.organisers) owe(id, q.label);
  }
  return [...people.values()];
}

/**
 * The reminders due at `now` for these evaluations. `isClaimed` (optional) skips slots already sent
 * before the plan is built, so a tick with nothing new costs almost nothing.
 */
export function dueReminders(
  evaluations: EvaluationRecord[],
  now: Date,
  calendar: WorkCalendar,
  isClaimed: (slotId: string) => boolean = () => false,
): DueReminder[] {
  const out: DueReminder[] = [];
  const t = now.getTime();
  for (const rec of evaluations) {
    const slots = dueSlots(rec, t, calendar).filter((x) => !isClaimed(x.slotId));
    if (!slots.length) continue;
    let plan: Question[];
    try {
      const framework = resolveFramework(rec.frameworkId, rec.framework);
      plan = buildPlan(framework, rec.answers, scoreEvaluation(framework, rec.answers));
    } catch {
      // A broken carried framework: the chat says so when someone writes; a reminder cannot help.
      continue;
    }
    const owed = owedBy(rec, plan);
    if (!owed.length) continue;
    const s = reminderSettingsOf(rec);
    // One message stands for every slot due now (a nudge missed in downtime and today's reminder).
    const slot = slots.find((x) => x.kind === 'deadline') ?? slots[0]!;
    const today = localDay(t, s.timeZone);
    const daysLeft = rec.deadline ? daysBetween(today, rec.deadline) : undefined;
    const year = Number(today.slice(0, 4));
    const usesCalendar = s.days === 'workdays' || !!rec.deadline;
    const calendarMissing = usesCalendar && !calendar.covers(year) ? year : undefined;
    const reminder: DueReminder = {
      slotId: slot.slotId,
      alsoSlots: slots.filter((x) => x !== slot).map((x) => x.slotId),
      evaluationId: rec.id,
      kind: slot.kind,
      slotAt: slot.at,
      chatIds: [...rec.chatIds],
      organisers: [...rec.organisers],
      owed,
      urgent: s.urgentLastDay && slot.kind === 'deadline' && daysLeft === 0,
      reply: reminderReply(rec, slot.kind, owed, daysLeft, calendarMissing),
    };
    if (daysLeft !== undefined) reminder.daysLeft = daysLeft;
    if (calendarMissing !== undefined) reminder.calendarMissing = calendarMissing;
    out.push(reminder);
  }
  return out;
}

/** The reminder's text and mentions. */
function reminderReply(
  rec: EvaluationRecord,
  kind: 'daily' | 'deadline',
  owed: OwedBy[],
  daysLeft: number | undefined,
  calendarMissing: number | undefined,
): DueReminder['reply'] {
  const total = new Set(owed.flatMap((p) => p.labels)).size;
  const lines = [T.headline({ title: evaluationTitle(rec), kind, ...(rec.deadline ? { deadline: rec.deadline } : {}), ...(daysLeft !== undefined ? { daysLeft } : {}), owed: total })];
  for (const p of owed) lines.push(T.owes(p.name, p.labels.length, p.labels.slice(0, LABELS_SHOWN), p.organiser));
  lines.push(T.footer);
  if (calendarMissing !== undefined) lines.push(T.calendarMissing(calendarMissing));
  const mentions: Mention[] = owed
    .filter((p) => !p.userId.startsWith('name:'))
    .map((p) => {
      const name = ownEntry(rec.members, p.userId)?.name;
      return name ? { userId: p.userId, name } : { userId: p.userId };
    });
  return { kind: 'text', text: lines.join('\n'), mentions };
}

// ---------------------------------------------------------------------------------------------
// The 提醒 command's argument

/** What a 提醒 argument asks for. */
export type ReminderCommand =
  | { kind: 'view' }
  | { kind: 'schedule'; days?: ReminderSettings['days']; time?: string }
  | { kind: 'nudges'; nudges: number[] }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'urgent'; on: boolean }
  | { kind: 'error'; message: string };

const has = (words: readonly string[], w: string) => words.includes(w);

/**
 * Reads the argument of 提醒: nothing (view), `工作日 09:30`, `每天 10:00`, `周一 周四 09:00`,
 * `截止前 7,3,1,0`, `暂停`, `恢复`, `加急 开|关`. An error carries the reason and an example.
 *
 * @example parseReminderCommand('工作日 9:30') // { kind: 'schedule', days: 'workdays', time: '09:30' }
 */
export function parseReminderCommand(arg: string): ReminderCommand {
  const a = foldText(arg).trim();
  if (!a) return { kind: 'view' };
  const fail = (reason: string): ReminderCommand => ({ kind: 'error', message: `${reason}${T.usage}` });
  if (has(W.pause, a)) return { kind: 'pause' };
  if (has(W.resume, a)) return { kind: 'resume' };
  const urgent = W.urgent.find((w) => a.startsWith(w));
  if (urgent) {
    const v = a.slice(urgent.length).trim();
    if (has(W.on, v)) return { kind: 'urgent', on: true };
    if (has(W.off, v)) return { kind: 'urgent', on: false };
    return fail(T.badUrgent);
  }
  const before = W.beforeDeadline.find((w) => a.startsWith(w));
  if (before) {
    const rest = a.slice(before.length).replace(/天$/, '').trim();
    const parts = rest.split(/[\s,，、;；]+/).filter(Boolean);
    const nums = parts.map((p) => (/^\d{1,2}$/.test(p) ? Number(p) : NaN));
    if (!parts.length || nums.some((n) => !Number.isInteger(n) || n < 0 || n > 60)) return fail(T.badNudges(rest || a));
    return { kind: 'nudges', nudges: [...new Set(nums)].sort((x, y) => y - x) };
  }
  // A schedule: days and/or a time, in any order.
  let days: ReminderSettings['days'] | undefined;
  let time: string | undefined;
  const weekdays = new Set<number>();
  for (const token of a.split(/[\s,，、]+/).filter(Boolean)) {
    const tm = /^(\d{1,2})[:：点](\d{2})?分?$/.exec(token) ?? /^(\d{1,2})点(半)$/.exec(token);
    if (tm || /^\d/.test(token)) {
      if (!tm) return fail(T.badTime(token));
      const h = Number(tm[1]);
      const m = tm[2] === '半' ? 30 : Number(tm[2] ?? 0);
      if (h > 23 || m > 59 || time) return fail(T.badTime(token));
      time = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
      continue;
    }
    if (has(W.workdays, token)) days = 'workdays';
    else if (has(W.daily, token)) days = 'daily';
    else {
      const wd = weekdayOf(token);
      if (!wd.length) return fail(T.notUnderstood(arg.trim()));
      for (const d of wd) weekdays.add(d);
    }
  }
  if (weekdays.size) {
    if (days) return fail(T.notUnderstood(arg.trim()));
    days = [...weekdays].sort((x, y) => x - y);
  }
  if (!days && !time) return fail(T.notUnderstood(arg.trim()));
  return { kind: 'schedule', ...(days ? { days } : {}), ...(time ? { time } : {}) };
}

/** Weekdays named by a token: 周一, 星期三, or a range 周一至周五 / 周一到周五. */
function weekdayOf(token: string): number[] {
  const one = (w: string) => {
    const i = W.weekdays.findIndex((names) => (names as readonly string[]).includes(w));
    return i < 0 ? undefined : i + 1;
  };
  const single = one(token);
  if (single) return [single];
  const range = /^(.+?)[至到\-~～](.+)$/.exec(token);
  if (range) {
    const from = one(range[1]!);
    const to = one(range[2]!);
    if (from && to && from <= to) return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  }
  return [];
}

/** The settings after a command (undefined for view and errors). */
export function applyReminderCommand(current: ReminderSettings, cmd: ReminderCommand): ReminderSettings | undefined {
  switch (cmd.kind) {
    case 'schedule':
      return { ...current, ...(cmd.days ? { days: cmd.days } : {}), ...(cmd.time ? { time: cmd.time } : {}) };
    case 'nudges':
      return { ...current, nudges: cmd.nudges };
    case 'pause':
      return { ...current, paused: true };
    case 'resume':
      return { ...current, paused: false };
    case 'urgent':
      return { ...current, urgentLastDay: cmd.on };
    default:
      return undefined;
  }
}

/** The settings in words, for 提醒 alone. */
export function describeReminders(rec: Pick<EvaluationRecord, 'reminders' | 'deadline'>, now: Date, calendar?: WorkCalendar): string {
  const s = reminderSettingsOf(rec);
  const year = Number(localDay(now.getTime(), s.timeZone).slice(0, 4));
  return T.view({
    days: T.days(s.days),
    time: s.time,
    nudges: s.nudges.length ? s.nudges.map((n) => T.nudge(n)).join('、') : '无',
    ...(rec.deadline ? { deadline: rec.deadline } : {}),
    paused: s.paused,
    urgent: s.urgentLastDay,
    ...(calendar && s.days === 'workdays' && !calendar.covers(year) ? { calendarMissing: year } : {}),
  });
}

export { DEFAULT_REMINDER_SETTINGS };
