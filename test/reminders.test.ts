/**
 * Reminders, the pure part: which slots are due (China's working days, 调休, holidays, deadline nudges
 * moved before a holiday, catch-up after downtime), who owes what, and the 提醒 command.
 */
import { describe, expect, it } from 'vitest';
import { createBot } from '../src/app/bot';
import { chineseWorkCalendar } from '../src/app/work-calendar';
import { reminderSettingsOf } from '../src/core/evaluation';
import type { Reply } from '../src/core/messages';
import { addDays, dueReminders, dueSlots, nudgeSlots, parseReminderCommand, weekdayCalendar } from '../src/core/reminders';
import { createMemoryStore } from '../src/store/memory';
import { reminderEvaluation } from './helpers/reminder-records';

/** An instant given as Beijing time. */
const bj = (local: string) => new Date(`${local}+08:00`);

describe('working days from the official calendar', () => {
  it('skips the National Day holiday of 2025 and includes its 调休 weekend workdays', () => {
    const rec = reminderEvaluation('ev1', ['feishu:oc_1']);
    const days: string[] = [];
    for (let day = '2025-09-26'; day <= '2025-10-13'; day = addDays(day, 1)) {
      if (dueSlots(rec, bj(`${day}T10:00:00`).getTime(), chineseWorkCalendar).some((s) => s.kind === 'daily')) days.push(day);
    }
    // 国办发明电〔2024〕12号: 10月1日至8日放假调休，9月28日（周日）、10月11日（周六）上班.
    expect(days).toEqual(['2025-09-26', '2025-09-28', '2025-09-29', '2025-09-30', '2025-10-09', '2025-10-10', '2025-10-11', '2025-10-13']);
  });

  it('says which years it covers', () => {
    expect(chineseWorkCalendar.covers(2025)).toBe(true);
    expect(chineseWorkCalendar.covers(2099)).toBe(false);
    // An uncovered year falls back to Monday–Friday.
    expect(chineseWorkCalendar.isWorkday('2099-01-05')).toBe(true);
    expect(chineseWorkCalendar.isWorkday('2099-01-04')).toBe(false);
  });

  it('moves a deadline nudge that falls on a holiday to the working day before', () => {
    const s = reminderSettingsOf({});
    // Deadline Thursday 9 October 2025: T−7 (2 Oct), T−3 (6 Oct) and T−1 (8 Oct) are all in the holiday.
    expect(nudgeSlots('2025-10-09', s, chineseWorkCalendar).map((x) => [x.day, x.n])).toEqual([
      ['2025-09-30', 1],
      ['2025-10-09', 0],
    ]);
    // Without holidays they stay where they fall (weekends still move: 5 Oct is a Sunday).
    expect(nudgeSlots('2025-10-09', s, weekdayCalendar).map((x) => [x.day, x.n])).toEqual([
      ['2025-10-02', 7],
      ['2025-10-06', 3],
      ['2025-10-08', 1],
      ['2025-10-09', 0],
    ]);
  });

  it('warns the organiser in the reminder when the year is not covered', () => {
    const rec = reminderEvaluation('ev1', ['feishu:oc_1'], { createdAt: '2098-12-01T00:00:00.000Z' });
    const [r] = dueReminders([rec], bj('2099-01-05T10:00:00'), chineseWorkCalendar);
    expect(r?.calendarMissing).toBe(2099);
    expect(r?.reply.text).toContain('2099 年的法定节假日');
    const [covered] = dueReminders([reminderEvaluation('ev2', ['feishu:oc_2'])], bj('2025-10-09T10:00:00'), chineseWorkCalendar);
    expect(covered?.calendarMissing).toBeUndefined();
    expect(covered?.reply.text).not.toContain('法定节假日');
  });
});

describe('due slots', () => {
  it('is due from the set time on its day only, never before the evaluation existed', () => {
    const rec = reminderEvaluation('ev1', ['feishu:oc_1']);
    const at = (t: string) => dueSlots(rec, bj(t).getTime(), chineseWorkCalendar).map((s) => s.slotId);
    expect(at('2025-09-29T09:29:00')).toEqual([]);
    expect(at('2025-09-29T09:30:00')).toEqual(['ev1/2025-09-29/daily']);
    expect(at('2025-09-29T23:59:00')).toEqual(['ev1/2025-09-29/daily']);
    expect(at('2025-09-30T08:00:00')).toEqual([]);
    const late = reminderEvaluation('ev2', ['feishu:oc_1'], { createdAt: bj('2025-09-29T10:00:00').toISOString() });
    expect(dueSlots(late, bj('2025-09-29T12:00:00').getTime(), chineseWorkCalendar)).toEqual([]);
    expect(dueSlots({ ...rec, reminders: { ...reminderSettingsOf(rec), paused: true } }, bj('2025-09-29T12:00:00').getTime(), chineseWorkCalendar)).toEqual([]);
  });

  it('after downtime offers only the latest missed slot of each kind, in one message', () => {
    // Deadline Monday 20 October: nudges 13 Oct (T−7), 17 Oct (T−3; T−1 is a Sunday and moves there too), 20 Oct.
    const rec = reminderEvaluation('ev1', ['feishu:oc_1'], { deadline: '2025-10-20' });
    const claimed = new Set<string>();
    const run = (t: string) => {
      const due = dueReminders([rec], bj(t), chineseWorkCalendar, (id) => claimed.has(id));
      for (const r of due) for (const id of [r.slotId, ...r.alsoSlots]) claimed.add(id);
      return due.map((r) => [r.slotId, ...r.alsoSlots]);
    };
    expect(run('2025-10-13T10:00:00')).toEqual([['ev1/2025-10-13/T-7']]);
    expect(run('2025-10-13T11:00:00')).toEqual([]);
    // Down from Tuesday morning to Thursday noon: Tuesday's and Wednesday's reminders are gone, Thursday's is sent once.
    expect(run('2025-10-16T12:00:00')).toEqual([['ev1/2025-10-16/daily']]);
    expect(run('2025-10-16T12:30:00')).toEqual([]);
    // Down over Friday's nudge until Sunday: the nudge still matters (until the next one) and is sent once.
    const [friday] = dueReminders([rec], bj('2025-10-19T10:00:00'), chineseWorkCalendar, (id) => claimed.has(id));
    expect(friday?.slotId).toBe('ev1/2025-10-17/T-1');
    expect(friday?.daysLeft).toBe(1);
    // Down from Friday night to Monday 10:00: the deadline day's nudge and nothing else (no daily on a nudge day).
    claimed.add('ev1/2025-10-17/T-1');
    expect(run('2025-10-20T10:00:00')).toEqual([['ev1/2025-10-20/T-0']]);
    // A missed T−7 with a missed daily the same run: one message standing for both.
    const fresh = new Set<string>();
    const both = dueReminders([reminderEvaluation('ev2', ['feishu:oc_2'], { deadline: '2025-10-20', reminders: { ...reminderSettingsOf({}), days: 'daily' } })], bj('2025-10-14T10:00:00'), chineseWorkCalendar, (id) => fresh.has(id));
    expect(both.map((r) => [r.slotId, ...r.alsoSlots])).toEqual([['ev2/2025-10-13/T-7', 'ev2/2025-10-14/daily']]);
    expect(both[0]!.daysLeft).toBe(6);
    expect(both[0]!.reply.text).toContain('还有 6 天');
  });

  it('never sends a slot from before the reminders or the deadline last changed', () => {
    // Deadline Thursday 16 October: T−3 is Monday 13 October at 09:30; the deadline was set at 10:00 that day.
    const rec = reminderEvaluation('ev1', ['feishu:oc_1'], { deadline: '2025-10-16', remindersSince: bj('2025-10-13T10:00:00').toISOString() });
    expect(dueSlots(rec, bj('2025-10-13T10:05:00').getTime(), chineseWorkCalendar)).toEqual([]);
    // Without the change the same moment has the T−3 nudge due.
    expect(dueSlots({ ...rec, remindersSince: undefined }, bj('2025-10-13T10:05:00').getTime(), chineseWorkCalendar).map((x) => x.slotId)).toEqual(['ev1/2025-10-13/T-3']);
    // The next slots after the change come as usual.
    expect(dueSlots(rec, bj('2025-10-14T09:30:00').getTime(), chineseWorkCalendar).map((x) => x.slotId)).toEqual(['ev1/2025-10-14/daily']);
    expect(dueSlots(rec, bj('2025-10-15T09:30:00').getTime(), chineseWorkCalendar).map((x) => x.slotId)).toEqual(['ev1/2025-10-15/T-1']);
  });

  it('keeps to chosen weekdays and a changed time', () => {
    const rec = reminderEvaluation('ev1', ['feishu:oc_1'], { reminders: { ...reminderSettingsOf({}), days: [1, 4], time: '16:00' } });
    const days: string[] = [];
    for (let day = '2025-10-13'; day <= '2025-10-19'; day = addDays(day, 1)) {
      if (dueSlots(rec, bj(`${day}T16:00:00`).getTime(), chineseWorkCalendar).length) days.push(day);
    }
    expect(days).toEqual(['2025-10-13', '2025-10-16']);
    expect(dueSlots(rec, bj('2025-10-13T15:59:00').getTime(), chineseWorkCalendar)).toEqual([]);
  });
});

describe('who owes what', () => {
  const at = bj('2025-09-29T10:00:00');

  it('names each assignee with their open items and the organiser with the unassigned ones', () => {
    const [r] = dueReminders([reminderEvaluation('ev1', ['feishu:oc_1'])], at, chineseWorkCalendar);
    expect(r!.owed.map((p) => [p.userId, p.labels])).toEqual([
      ['u2', ['制度建设', '资产管理']],
      ['u1', ['重点工作']],
    ]);
    expect(r!.reply.mentions).toEqual([
      { userId: 'u2', name: '李四' },
      { userId: 'u1', name: '张三' },
    ]);
    expect(r!.reply.text).toMatch(/李四：2 题——制度建设、资产管理/);
    expect(r!.reply.text).toMatch(/张三（组织者，含未分配的题目）：1 题——重点工作/);
  });

  it('leaves out whoever owes nothing, and sends nothing when nothing is owed', () => {
    const rec = reminderEvaluation('ev1', ['feishu:oc_1']);
    rec.answers.judgements = { A1: true, A2: false };
    const [r] = dueReminders([rec], at, chineseWorkCalendar);
    expect(r!.owed.map((p) => p.userId)).toEqual(['u1']);
    expect(r!.reply.mentions).toEqual([{ userId: 'u1', name: '张三' }]);
    rec.answers.judgements = { A1: true, A2: false, B1: true };
    expect(dueReminders([rec], at, chineseWorkCalendar)).toEqual([]);
  });

  it('lists someone assigned by name, without a mention they could not receive', () => {
    const rec = reminderEvaluation('ev1', ['feishu:oc_1'], { assignments: { B: ['name:王五'] } });
    const [r] = dueReminders([rec], at, chineseWorkCalendar);
    expect(r!.owed.map((p) => [p.userId, p.labels])).toEqual([
      ['u1', ['制度建设', '资产管理']],
      ['name:王五', ['重点工作']],
    ]);
    expect(r!.reply.mentions!.map((m) => m.userId)).toEqual(['u1']);
    expect(r!.reply.text).toContain('王五：1 题——重点工作');
  });

  it('marks only the deadline day\'s reminder urgent, and only when enabled', () => {
    const on = reminderEvaluation('ev1', ['feishu:oc_1'], { deadline: '2025-10-20', reminders: { ...reminderSettingsOf({}), urgentLastDay: true } });
    expect(dueReminders([on], bj('2025-10-17T10:00:00'), chineseWorkCalendar)[0]!.urgent).toBe(false);
    const last = dueReminders([on], bj('2025-10-20T10:00:00'), chineseWorkCalendar)[0]!;
    expect(last.urgent).toBe(true);
    expect(last.reply.text).toContain('【今日截止】');
    const off = reminderEvaluation('ev2', ['feishu:oc_1'], { deadline: '2025-10-20' });
    expect(dueReminders([off], bj('2025-10-20T10:00:00'), chineseWorkCalendar)[0]!.urgent).toBe(false);
  });
});

describe('提醒 arguments', () => {
  it.each([
    ['', { kind: 'view' }],
    ['工作日 09:30', { kind: 'schedule', days: 'workdays', time: '09:30' }],
    ['每天 10:00', { kind: 'schedule', days: 'daily', time: '10:00' }],
    ['每天　８：０５', { kind: 'schedule', days: 'daily', time: '08:05' }],
    ['周一 周四 9点半', { kind: 'schedule', days: [1, 4], time: '09:30' }],
    ['周一至周五 17:00', { kind: 'schedule', days: [1, 2, 3, 4, 5], time: '17:00' }],
    ['14:00', { kind: 'schedule', time: '14:00' }],
    ['截止前 7,3,1,0', { kind: 'nudges', nudges: [7, 3, 1, 0] }],
    ['截止前 1、5，2 天', { kind: 'nudges', nudges: [5, 2, 1] }],
    ['暂停', { kind: 'pause' }],
    ['恢复', { kind: 'resume' }],
    ['加急 开', { kind: 'urgent', on: true }],
    ['加急 关闭', { kind: 'urgent', on: false }],
  ])('reads 「提醒 %s」', (arg, expected) => {
    expect(parseReminderCommand(arg)).toEqual(expected);
  });

  it.each(['工作日 25:00', '每天 9:75', '明天早上', '截止前 七天', '截止前 100', '加急 也许', '工作日 每天 周一', '9:30 10:00'])('answers 「提醒 %s」 with an example of a valid one', (arg) => {
    const r = parseReminderCommand(arg);
    expect(r.kind).toBe('error');
    expect(r.kind === 'error' && r.message).toContain('「提醒 工作日 09:30」');
  });
});

describe('the 提醒 command in the chat', () => {
  const text = (replies: Reply[]) => replies.map((r) => (r.kind === 'file' ? '' : r.text)).join('\n');

  async function setUp() {
    const store = createMemoryStore();
    await store.createEvaluation(reminderEvaluation('ev1', ['group-1']));
    const bot = createBot({ store, now: () => bj('2025-09-29T10:00:00'), calendar: chineseWorkCalendar });
    let n = 0;
    const say = async (userId: string, t: string) =>
      text((await bot.handle({ channel: 'local', chatId: 'group-1', chatType: 'group', userId, userName: userId === 'u1' ? '张三' : '李四', text: t, receivedAt: ++n })).replies);
    return { store, say };
  }

  it('lets organisers view, change, pause and resume the reminders, audited', async () => {
    const { store, say } = await setUp();
    expect(await say('u1', '提醒')).toContain('工作日 09:30');
    expect(await say('u1', '提醒 每天 10:00')).toContain('每天 10:00');
    expect(await say('u1', '提醒 截止前 5,1')).toContain('截止前5天、截止前1天');
    expect(await say('u1', '提醒 加急 开')).toContain('加急');
    expect(await say('u1', '提醒 暂停')).toContain('已暂停');
    expect(await say('u1', '提醒 暂停')).toContain('已经是暂停状态');
    const paused = (await store.getEvaluation('ev1'))!.reminders!;
    expect(paused).toEqual({ days: 'daily', time: '10:00', timeZone: 'Asia/Shanghai', nudges: [5, 1], paused: true, urgentLastDay: true });
    expect(await say('u1', '提醒')).toContain('（已暂停）');
    expect(await say('u1', '提醒 恢复')).toContain('已恢复');
    expect((await store.getEvaluation('ev1'))!.reminders!.paused).toBe(false);
    const trail = (await store.listAudit('ev1')).filter((e) => e.path === 'reminders');
    expect(trail).toHaveLength(5);
    expect(trail[0]).toMatchObject({ userId: 'u1', new: { days: 'daily', time: '10:00' } });
  });

  it('answers a schedule it cannot read with an example, and changes nothing', async () => {
    const { store, say } = await setUp();
    const reply = await say('u1', '提醒 每天 25:61');
    expect(reply).toContain('25:61');
    expect(reply).toContain('「提醒 工作日 09:30」');
    expect((await store.getEvaluation('ev1'))!.reminders).toBeUndefined();
  });

  it('sends nothing at once for a slot already past when the time, a resume or the deadline changes', async () => {
    const { store, say } = await setUp();
    const now = bj('2025-09-29T10:00:00').getTime();
    const due = async (at: number) => dueSlots((await store.getEvaluation('ev1'))!, at, chineseWorkCalendar).map((s) => s.kind);
    // Untouched since creation: today's 09:30 workday slot is due at 10:00.
    expect(await due(now)).toEqual(['daily']);
    // Moved to 09:45, already past: not today; moved to 10:30, later today: due from then.
    await say('u1', '提醒 工作日 09:45');
    expect(await due(now)).toEqual([]);
    await say('u1', '提醒 工作日 10:30');
    expect(await due(now)).toEqual([]);
    expect(await due(bj('2025-09-29T10:31:00').getTime())).toEqual(['daily']);
    // Paused and resumed at 10:00 with a 09:30 time: nothing today, the next working day as usual.
    await say('u1', '提醒 工作日 09:30');
    await say('u1', '提醒 暂停');
    await say('u1', '提醒 恢复');
    expect(await due(now)).toEqual([]);
    expect(await due(bj('2025-09-30T09:31:00').getTime())).toEqual(['daily']);
    // A deadline set today whose nudge fell this morning does not nudge at once.
    await say('u1', '提醒 截止前 1');
    const nudgeAt = nudgeSlots('2025-09-30', reminderSettingsOf((await store.getEvaluation('ev1'))!), chineseWorkCalendar)[0]!.at;
    expect(nudgeAt).toBeLessThan(now);
    await say('u1', '截止 2025-09-30');
    expect((await store.getEvaluation('ev1'))!.deadline).toBe('2025-09-30');
    expect(await due(now)).toEqual([]);
    expect((await store.getEvaluation('ev1'))!.remindersSince).toBe(new Date(now).toISOString());
  });

  it('refuses contributors and says who may', async () => {
    const { store, say } = await setUp();
    expect(await say('u2', '提醒 暂停')).toContain('张三');
    expect((await store.getEvaluation('ev1'))!.reminders).toBeUndefined();
  });
});
