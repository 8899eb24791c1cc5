/**
 * Reminders on Workers: the Cron Trigger (fired through `wrangler dev` for chosen times) sends each
 * due reminder to the Feishu group once, however often it runs and when two runs overlap; the slot is
 * claimed in D1 before its message is recorded. The evaluation is created through a signed Feishu event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chineseWorkCalendar } from '../src/app/work-calendar';
import { addDays, localDay } from '../src/core/reminders';
import { BOT_NAME, BOT_OPEN_ID, fakeFeishuVars, feishuEvents, startFakeFeishu, type FakeFeishu } from './fakes/feishu';
import { readable } from './helpers/feishu-cards';
import { feishuOnWorkers } from './helpers/workers-chat';
import { startWorkersDev, type WorkersDev } from './helpers/workers-dev';

const GROUP = 'oc_workers_reminders';
const ZHANG = 'ou_workers_reminders_zhangsan00000a';
const REMINDER = '【填报提醒】';

let fake: FakeFeishu;
let w: WorkersDev;

beforeAll(async () => {
  fake = await startFakeFeishu();
  fake.users.set(ZHANG, '张三');
  w = await startWorkersDev({ vars: { ADMIN_TOKEN: 'workers-reminders-token-0123456789', ...fakeFeishuVars(fake.url) }, changes: { queueBatchTimeout: 0 } });
}, 180_000);
afterAll(async () => {
  await w?.stop();
  await fake?.close();
});

/** The next official working day after `day` (the calendar the Worker uses). */
function nextWorkday(day: string): string {
  let d = addDays(day, 1);
  while (!chineseWorkCalendar.isWorkday(d)) d = addDays(d, 1);
  return d;
}
/** An instant given as Beijing time on a day. */
const at = (day: string, time: string) => new Date(`${day}T${time}:00+08:00`);
const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);

/** Fires the Cron Trigger for each time at once (overlapping runs); every run must succeed. */
async function cron(...times: Date[]): Promise<void> {
  const answers = await Promise.all(times.map((t) => w.scheduled(t)));
  for (const res of answers) expect(`${res.status} ${await res.text()}`).toBe('200 ok');
}
/** The reminders the group got, and the API calls that posted them (a repeat with the same uuid is hidden by Feishu, not by this count). */
const reminders = () => fake.messages.filter((m) => m.receiveId === GROUP && readable(m).includes(REMINDER));
const reminderCalls = () => fake.callsTo('/open-apis/im/v1/messages', 'POST').filter((c) => String((c.body as { content?: string })?.content ?? '').includes(REMINDER));

describe('reminders on Workers', () => {
  it('sends each due reminder once, however often the Cron Trigger runs and when runs overlap', { timeout: 120_000 }, async () => {
    // Two working days after today (in Beijing), so the evaluation exists before their 09:30 reminders.
    const day1 = nextWorkday(localDay(Date.now()));
    const day2 = nextWorkday(day1);
    const deadline = addDays(day2, 60);
    const created = await feishuOnWorkers(w, fake).act(
      feishuEvents.text({ chatId: GROUP, sender: ZHANG, text: `@_user_1 新建自评 提醒测试局 2024 框架=nanjing-2021 截止=${deadline}`, mentions: [{ openId: BOT_OPEN_ID, name: BOT_NAME }] }),
      (p) => p.length > 0,
    );
    expect(created.posted.map(readable).join('\n')).toContain(`截止日期 ${deadline}`);

    // Before the set time nothing is due.
    await cron(at(day1, '09:00'));
    expect(reminders()).toEqual([]);

    // Due at 10:00; run again, and twice at once, later that day: still one message.
    await cron(at(day1, '10:00'));
    expect(reminders()).toHaveLength(1);
    await cron(at(day1, '10:00'));
    await cron(at(day1, '10:05'), at(day1, '10:05'));
    await cron(at(day1, '10:06'), at(day1, '16:00'));
    expect(reminders()).toHaveLength(1);

    // The next working day: its own reminder, once, from two overlapping runs and a later one.
    await cron(at(day2, '10:00'), at(day2, '10:00'));
    await cron(at(day2, '11:00'));
    const sent = reminders();
    expect(sent.map((m) => readable(m).match(/还有 (\d+) 天/)?.[1])).toEqual([String(daysBetween(day1, deadline)), '60']);
    for (const m of sent) {
      expect(readable(m)).toContain(`${REMINDER}提醒测试局2024年度`);
      expect(m).toMatchObject({ via: 'create', receiveIdType: 'chat_id' });
    }
    // One API call per reminder: none was sent twice and folded by Feishu's uuid dedupe.
    expect(reminderCalls()).toHaveLength(2);
  });
});
