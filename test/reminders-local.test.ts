/**
 * Reminders in a local chat (the console): with no platform chat, a reminder goes to the local chat's
 * mailbox, which lives in the store, so a restart before the console reads it loses nothing; reading
 * it over HTTP empties it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createBot } from '../src/app/bot';
import type { Logger } from '../src/app/ports';
import { createReminders } from '../src/app/reminders';
import { loadConfig } from '../src/config';
import { createApp, createDefaultPipeline } from '../src/server/app';
import { openLowdbStore } from '../src/store/lowdb';
import type { EvaluationPageRequest, Store } from '../src/store/port';
import { weekdayCalendar } from '../src/core/reminders';
import { tempDir } from './fakes/feishu-harness';
import { reminderEvaluation } from './helpers/reminder-records';

const quiet: Logger = { info: () => {}, error: () => {} };
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!().catch(() => {});
});

/** Monday 29 September 2025, 09:31 in Beijing: the 09:30 reminder is due. */
const NOW = new Date('2025-09-29T01:31:00.000Z');
const LOCAL = { incoming: { socket: { remoteAddress: '127.0.0.1' } } };

async function open(dir: string, options: { pageSize?: number } = {}) {
  const store = await openLowdbStore(dir, { now: () => NOW });
  const config = loadConfig({});
  const bot = createBot({ store, now: () => NOW });
  const pipeline = createDefaultPipeline({ store, bot, config, logger: quiet, now: () => NOW });
  cleanup.push(async () => pipeline.close());
  const app = createApp({ store, bot, config, logger: quiet, pipeline, now: () => NOW });
  // The reminders read the store through a wrapper that notes which listing each call used.
  const listings: Array<{ method: string; after?: string }> = [];
  const watched: Store = Object.assign(Object.create(store) as Store, {
    listEvaluations: () => (listings.push({ method: 'listEvaluations' }), store.listEvaluations()),
    listEvaluationPage: (page: EvaluationPageRequest) => (listings.push({ method: 'listEvaluationPage', ...(page.after !== undefined ? { after: page.after } : {}) }), store.listEvaluationPage(page)),
  });
  const reminders = createReminders({ store: watched, pipeline, logger: quiet, calendar: weekdayCalendar, ...options });
  const take = async (chatId: string) => (await (await app.request(`/api/local/messages?chatId=${chatId}`, {}, LOCAL)).json()) as { replies: Array<{ kind: string; text?: string; mentions?: Array<{ userId: string }> }> };
  return { store, pipeline, reminders, take, listings };
}

describe('a reminder in a local chat', () => {
  it('waits in the mailbox across a restart, is read once over HTTP, and names what each person owes', async () => {
    const dir = await tempDir('jx-remind-local-');
    cleanup.push(dir.remove);
    const first = await open(dir.dir);
    await first.store.createEvaluation(reminderEvaluation('ev1', ['group-1'], { organisers: ['u1'] }));

    expect((await first.reminders.runDueReminders(NOW)).sent).toEqual(['ev1/2025-09-29/daily']);
    await first.pipeline.idle();
    first.pipeline.close();

    // The process goes down before the console looked: the reminder is still there after the restart.
    const second = await open(dir.dir);
    expect((await second.reminders.runDueReminders(NOW)).sent).toEqual([]);
    const { replies } = await second.take('group-1');
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toContain('【填报提醒】');
    expect(replies[0]!.text).toContain('李四：2 题');
    expect(replies[0]!.mentions?.map((m) => m.userId).sort()).toEqual(['u1', 'u2']);
    // Read once: the mailbox is empty now, also after another restart.
    expect((await second.take('group-1')).replies).toEqual([]);
    second.pipeline.close();
    const third = await open(dir.dir);
    expect((await third.take('group-1')).replies).toEqual([]);
  });

  it('goes to the local chat when the evaluation\'s platform chat has no channel on this server', async () => {
    const dir = await tempDir('jx-remind-local2-');
    cleanup.push(dir.remove);
    const { store, reminders, pipeline, take } = await open(dir.dir);
    // Feishu is not configured here: its chat cannot be reached, so the local one is used.
    await store.createEvaluation(reminderEvaluation('ev1', ['feishu:oc_x', 'group-1'], { organisers: ['u1'] }));
    expect((await reminders.runDueReminders(NOW)).sent).toEqual(['ev1/2025-09-29/daily']);
    await pipeline.idle();
    expect((await take('group-1')).replies).toHaveLength(1);
  });

  it('reads the evaluations a page at a time, never all at once, and reminds every one', async () => {
    const dir = await tempDir('jx-remind-pages-');
    cleanup.push(dir.remove);
    const { store, reminders, pipeline, take, listings } = await open(dir.dir, { pageSize: 2 });
    const ids = ['ev1', 'ev2', 'ev3', 'ev4', 'ev5'];
    for (const id of ids) await store.createEvaluation(reminderEvaluation(id, [`group-${id}`], { organisers: ['u1'] }));
    expect((await reminders.runDueReminders(NOW)).sent.sort()).toEqual(ids.map((id) => `${id}/2025-09-29/daily`));
    expect(listings).toEqual([
      { method: 'listEvaluationPage' },
      { method: 'listEvaluationPage', after: 'ev2' },
      { method: 'listEvaluationPage', after: 'ev4' },
    ]);
    await pipeline.idle();
    for (const id of ids) expect((await take(`group-${id}`)).replies).toHaveLength(1);
  });
});
