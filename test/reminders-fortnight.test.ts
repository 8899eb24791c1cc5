/**
 * A simulated fortnight of reminders through the real pipeline and channels to the fake Feishu and
 * DingTalk, on a lowdb store in a temp directory, with a fake clock ticking every quarter of an hour and
 * a crash and restart in the middle: every slot is sent once and none is missed; the mentions reach
 * each platform; a reminder that cannot be sent is retried with back-off and then reported to the
 * organiser, never dropped and never sent twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createBot } from '../src/app/bot';
import type { Logger } from '../src/app/ports';
import { createReminders, type Reminders } from '../src/app/reminders';
import { createPipeline } from '../src/app/pipeline';
import { chineseWorkCalendar } from '../src/app/work-calendar';
import { createFeishuChannel } from '../src/channels/feishu';
import { reminderSettingsOf } from '../src/core/evaluation';
import { openLowdbStore } from '../src/store/lowdb';
import { createMemoryStore } from '../src/store/memory';
import { startFakeDingTalk, type FakePerson } from './fakes/dingtalk';
import { GROUP, startDingTalkHarness } from './fakes/dingtalk-harness';
import { FAKE_APP_ID, FAKE_APP_SECRET, startFakeFeishu } from './fakes/feishu';
import { startFeishuHarness, tempDir, type FeishuHarness } from './fakes/feishu-harness';
import { reminderEvaluation } from './helpers/reminder-records';

const QUARTER = 15 * 60_000;
const bj = (local: string) => Date.parse(`${local}+08:00`);
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!().catch(() => {});
});

const quiet: Logger = { info: () => {}, error: () => {} };

/** A clock the test moves. */
function fakeClock(start: string) {
  let t = bj(start);
  return { now: () => new Date(t), set: (local: string) => void (t = bj(local)), advance: (ms: number) => void (t += ms), get t() { return t; } };
}

describe('a fortnight of reminders on Feishu, with a crash and restart in the middle', () => {
  const ZHANG = 'ou_zhang000000000000000000000001';
  const LI = 'ou_li00000000000000000000000000002';
  const CHAT = 'feishu:oc_group0000000000000000000001';

  it('sends each slot once, misses none, and mentions whoever still owes something', async () => {
    const fake = await startFakeFeishu();
    cleanup.push(() => fake.close());
    const dir = await tempDir('jx-remind-fs-');
    cleanup.push(dir.remove);
    const clock = fakeClock('2025-09-26T00:00:00');
    const start = async () => {
      const h = await startFeishuHarness({ fake, dataDir: dir.dir, makeBot: (s) => createBot({ store: s, now: clock.now }), now: clock.now, sendIntervalMs: 0 });
      cleanup.push(() => h.close());
      return { h, reminders: createReminders({ store: h.store, pipeline: h.pipeline, logger: quiet, calendar: chineseWorkCalendar }) };
    };
    let { h, reminders } = await start();
    // Deadline Thursday 9 October, after the National Day week; the last day's reminder buzzes (加急).
    await h.store.createEvaluation(
      reminderEvaluation('ev1', [CHAT], {
        organisers: [ZHANG],
        members: { [ZHANG]: { name: '张三' }, [LI]: { name: '李四' } },
        assignments: { A: [LI] },
        deadline: '2025-10-09',
        reminders: { ...reminderSettingsOf({}), urgentLastDay: true },
      }),
    );

    const end = bj('2025-10-10T00:00:00');
    let crashed = false;
    while (clock.t < end) {
      if (clock.t === bj('2025-09-29T09:30:00') && !crashed) {
        // The crash: Monday's reminder is claimed and recorded, its first send fails, and the process
        // goes down while it waits to retry. Nothing runs until 11:00.
        crashed = true;
        fake.fail((c) => c.path === '/open-apis/im/v1/messages', { status: 500, body: { code: 1, msg: 'internal error' } });
        await reminders.runDueReminders(clock.now());
        await fake.waitForCall((c) => c.path === '/open-apis/im/v1/messages' && c.status === 500);
        await h.close();
        expect(fake.messages).toHaveLength(3 - 1);
        clock.set('2025-09-29T11:00:00');
        ({ h, reminders } = await start());
        await h.pipeline.idle();
      }
      if (clock.t === bj('2025-09-29T12:00:00')) {
        // 李四 answers both items of 部门管理.
        await h.store.updateEvaluation('ev1', (r) => void (r.answers.judgements = { ...r.answers.judgements, A1: true, A2: false }));
      }
      await reminders.runDueReminders(clock.now());
      await h.pipeline.idle();
      clock.advance(QUARTER);
    }
    await h.pipeline.idle();

    const texts = fake.messages.map((m) => JSON.stringify(m.content));
    const heads = texts.map((t) => /【[^】]+】/.exec(t)?.[0]);
    // Fri 26 Sep, Sun 28 Sep (调休 workday), Mon 29 Sep (after the restart), Tue 30 Sep (T−1, moved before
    // the holiday), nothing 1–8 Oct, Thu 9 Oct (the day itself).
    expect(heads).toEqual(['【填报提醒】', '【填报提醒】', '【填报提醒】', '【截止提醒】', '【今日截止】']);
    expect(fake.messages.map((m) => m.receiveId)).toEqual(Array(5).fill(CHAT.slice('feishu:'.length)));
    // One message per slot: five posts and the one that failed before the crash (Feishu's uuid dedupe
    // would hide a second post of the same reminder from `messages`, not from the calls).
    expect(fake.callsTo('/open-apis/im/v1/messages', 'POST').map((c) => c.status)).toEqual([200, 200, 500, 200, 200, 200]);
    expect(new Set(fake.messages.map((m) => m.uuid)).size).toBe(5);
    expect(texts[0]).toContain('还有 13 天');
    expect(texts[3]).toContain('还有 9 天');
    // Before 李四 answered: both @-mentioned; after: only the organiser, with what is left.
    for (const t of texts.slice(0, 3)) {
      expect(t).toContain(LI);
      expect(t).toContain(ZHANG);
    }
    for (const t of texts.slice(3)) {
      expect(t).not.toContain(LI);
      expect(t).toContain(ZHANG);
      expect(t).toContain('重点工作');
    }
    // The last day's reminder is buzzed to whoever still owes something, and only that one.
    expect(fake.urgents).toEqual([{ messageId: fake.messages[4]!.messageId, userIds: [ZHANG] }]);
    // Every slot claimed stays claimed: ticking the same fortnight again sends nothing.
    const posts = fake.callsTo('/open-apis/im/v1/messages', 'POST').length;
    for (let t = bj('2025-09-26T09:30:00'); t < end; t += 6 * QUARTER) await reminders.runDueReminders(new Date(t));
    await h.pipeline.idle();
    expect(fake.callsTo('/open-apis/im/v1/messages', 'POST')).toHaveLength(posts);
  }, 60_000);
});

describe('a fortnight of reminders on DingTalk', () => {
  const ZHANG: FakePerson = { staffId: 'zhangsan01', nick: '张三' };
  const LI: FakePerson = { staffId: 'lisi02', nick: '李四' };

  it('sends each slot once with real @-mentions through the session webhook, and catches up after downtime', async () => {
    const fake = await startFakeDingTalk();
    cleanup.push(() => fake.close());
    const dir = await tempDir('jx-remind-dt-');
    cleanup.push(dir.remove);
    const clock = fakeClock('2025-09-26T00:00:00');
    const start = async () => {
      const h = await startDingTalkHarness({ fake, dataDir: dir.dir, makeBot: (s) => createBot({ store: s, now: clock.now }), now: clock.now });
      cleanup.push(() => h.close());
      return { h, reminders: createReminders({ store: h.store, pipeline: h.server.pipeline, logger: quiet, calendar: chineseWorkCalendar }) };
    };
    let { h, reminders } = await start();
    await h.store.createEvaluation(
      reminderEvaluation('ev1', [`dingtalk:${GROUP}`], {
        organisers: [ZHANG.staffId],
        members: { [ZHANG.staffId]: { name: '张三' }, [LI.staffId]: { name: '李四' } },
        assignments: { B: [LI.staffId] },
        deadline: '2025-10-09',
      }),
    );
    // The organiser says something in the group: the robot keeps the group's session webhook.
    await h.say(ZHANG, '进度');
    const before = fake.messages.length;

    const end = bj('2025-10-10T00:00:00');
    while (clock.t < end) {
      if (clock.t === bj('2025-09-30T08:00:00')) {
        // Down from Tuesday 08:00 to the next Thursday 10:00 (9 October): the deadline day's 09:30 reminder
        // is sent once on the way back up; nothing of the holiday week, which had no reminders anyway.
        await h.close();
        clock.set('2025-10-09T10:00:00');
        ({ h, reminders } = await start());
      }
      await reminders.runDueReminders(clock.now());
      await h.server.pipeline.idle();
      clock.advance(QUARTER);
    }
    const sent = fake.messages.slice(before);
    const heads = sent.map((m) => /【[^】]+】/.exec(m.text ?? '')?.[0]);
    // The T−1 nudge of 30 September (moved before the holiday) fell in the downtime; by 9 October the
    // deadline day's nudge is the latest that matters.
    expect(heads).toEqual(['【填报提醒】', '【填报提醒】', '【填报提醒】', '【今日截止】']);
    for (const m of sent) {
      expect(m.via).toBe('session');
      expect(m.conversationId).toBe(GROUP);
      expect([...(m.atUserIds ?? [])].sort()).toEqual([LI.staffId, ZHANG.staffId].sort());
      expect(m.text).toContain('李四：1 题——重点工作');
      expect(m.text).toContain(`@${LI.staffId}`);
    }
  }, 60_000);
});

describe('a reminder that cannot be sent', () => {
  it('is retried with back-off, then reported to the organiser, and never sent twice', async () => {
    const fake = await startFakeFeishu();
    cleanup.push(() => fake.close());
    const dir = await tempDir('jx-remind-fail-');
    cleanup.push(dir.remove);
    // Real time, shifted: back-off waits are real (short here), the slot is Monday 29 September 2025 09:30.
    const offset = bj('2025-09-29T09:45:00') - Date.now();
    const now = () => new Date(Date.now() + offset);
    const store = await openLowdbStore(dir.dir, { now });
    const logs: string[] = [];
    const logger: Logger = { info: () => {}, error: (m) => void logs.push(m) };
    const feishu = createFeishuChannel({ appId: FAKE_APP_ID, appSecret: FAKE_APP_SECRET, baseUrl: fake.url, mode: 'webhook', timestampWindowSeconds: 3600, store, logger, now });
    const pipeline = createPipeline({ store, bot: createBot({ store, now }), channels: [{ ...feishu, sendIntervalMs: 0 }], logger, now, retry: { firstMs: 20, maxMs: 80 } });
    cleanup.push(async () => pipeline.close());
    await store.createEvaluation(reminderEvaluation('ev1', ['feishu:oc_gone'], { organisers: ['ou_org1'], members: { ou_org1: { name: '张三' } }, assignments: {} }));
    const reminders: Reminders = createReminders({ store, pipeline, logger, calendar: chineseWorkCalendar, giveUpAfterMs: 1000 });

    // The group send keeps failing (the bot was removed, Feishu answers 5xx); the direct message goes through.
    const toGroup = (c: { path: string; body: unknown }) => c.path === '/open-apis/im/v1/messages' && (c.body as { receive_id?: string })?.receive_id === 'oc_gone';
    fake.fail(toGroup, ...Array.from({ length: 100 }, () => ({ status: 503, body: { code: 1, msg: 'service unavailable' } })));
    expect((await reminders.runDueReminders(now())).sent).toEqual(['ev1/2025-09-29/daily']);
    // A second run while it is still being retried claims nothing new.
    expect((await reminders.runDueReminders(now())).sent).toEqual([]);
    await pipeline.idle();

    // Retried (the pipeline's back-off, tested in pipeline.test.ts) until the reminder's time was up.
    expect(fake.calls.filter(toGroup).length).toBeGreaterThanOrEqual(2);
    expect(logs.filter((m) => m === 'send failed, will retry').length).toBeGreaterThanOrEqual(1);
    // Reported to the organiser in a direct message, once.
    const report = fake.messages.filter((m) => m.receiveIdType === 'open_id' && m.receiveId === 'ou_org1');
    expect(report).toHaveLength(1);
    expect(JSON.stringify(report[0]!.content)).toContain('提醒未能送达');
    expect(fake.messages.filter((m) => m.receiveId === 'oc_gone')).toHaveLength(0);
    expect(logs).toContain('send failed, given up');
    // Given up, not pending: a restart does not send it again, and the slot stays claimed.
    expect((await store.listPending()).outbound).toEqual([]);
    const reopened = await openLowdbStore(dir.dir, { now });
    expect(await reopened.listSlots()).toContain('ev1/2025-09-29/daily');
    expect((await createReminders({ store: reopened, pipeline, logger, calendar: chineseWorkCalendar }).runDueReminders(now())).sent).toEqual([]);
  }, 30_000);
});

describe('the scheduler on Node', () => {
  it('calls runDueReminders with the injected clock\'s time, without overlapping runs, until stopped', async () => {
    const { startReminderScheduler } = await import('../src/entries/scheduler');
    const at = new Date('2025-09-29T01:30:00.000Z');
    const calls: Date[] = [];
    let running = 0;
    let overlapped = false;
    let first!: () => void;
    const firstCall = new Promise<void>((r) => (first = r));
    const stop = startReminderScheduler({
      // Every second here (every minute by default), so the test sees a run soon.
      pattern: '* * * * * *',
      clock: () => at,
      logger: quiet,
      reminders: {
        runDueReminders: async (now) => {
          calls.push(now);
          if (running++) overlapped = true;
          first();
          // A run longer than the interval: the next tick is skipped, not run alongside.
          await new Promise((r) => setTimeout(r, 1500));
          running--;
          return { sent: [], unreachable: [] };
        },
      },
    });
    await firstCall;
    stop();
    const count = calls.length;
    await new Promise((r) => setTimeout(r, 2500));
    expect(calls[0]).toBe(at);
    expect(overlapped).toBe(false);
    expect(calls).toHaveLength(count);
  }, 20_000);

  it('deletes expired chat drafts after the reminders, even when the reminders failed', async () => {
    const { startReminderScheduler } = await import('../src/entries/scheduler');
    const { deleteExpiredChatDrafts, CHAT_DRAFT_TTL_MS } = await import('../src/app/bot');
    const store = createMemoryStore();
    const at = new Date('2025-09-29T01:30:00.000Z');
    await store.setChatDraft({ chatId: 'g', userId: 'gone', draft: { kind: 'create' }, updatedAt: new Date(at.getTime() - CHAT_DRAFT_TTL_MS - 1).toISOString() });
    await store.setChatDraft({ chatId: 'g', userId: 'here', draft: { kind: 'create' }, updatedAt: new Date(at.getTime() - 60_000).toISOString() });
    let done!: () => void;
    const ran = new Promise<void>((r) => (done = r));
    const stop = startReminderScheduler({
      pattern: '* * * * * *',
      clock: () => at,
      logger: quiet,
      reminders: { runDueReminders: async () => Promise.reject(new Error('channel down')) },
      housekeeping: async (now) => {
        await deleteExpiredChatDrafts(store, now);
        done();
      },
    });
    await ran;
    stop();
    expect(await store.getChatDraft('g', 'gone')).toBeUndefined();
    expect(await store.getChatDraft('g', 'here')).toBeDefined();
  }, 20_000);
});
