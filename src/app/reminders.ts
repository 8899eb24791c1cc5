/**
 * Sending reminders: `runDueReminders(now)` computes the reminders due for every evaluation (the pure
 * core/reminders.ts), read from the store a page at a time, and hands each to the pipeline once per
 * (evaluation, slot): the slot is claimed and its message recorded in the outbox in one durable step,
 * then sent with the pipeline's retries and back-off. So a reminder is never sent twice, also across
 * restarts (a slot claimed before is skipped; a recorded one not yet sent is sent by `recover`), and
 * never silently dropped: one that still cannot get through after `giveUpAfterMs` is reported to the
 * organisers in a direct message.
 *
 * Time comes from the caller (a croner job on Node, a Cron Trigger on Workers), so tests run a
 * fortnight in a second.
 *
 * @example
 * const reminders = createReminders({ store, pipeline, logger })
 * await reminders.runDueReminders(new Date())
 */
import { channelOfChat } from './bot';
import type { Pipeline } from './pipeline';
import { describeError, type Logger } from './ports';
import { chineseWorkCalendar } from './work-calendar';
import { evaluationTitle } from '../core/dialog/replies';
import { reminderText } from '../core/locale/zh-CN';
import type { ChannelId, Delivery } from '../core/messages';
import { dueReminders, type DueReminder, type WorkCalendar } from '../core/reminders';
import type { Store } from '../store/port';

/** A reminder slot stays claimed this long (longer than any slot matters). */
export const SLOT_TTL_MS = 60 * 86_400_000;
/** A reminder still not through this long after it was due is given up and reported. */
export const REMINDER_GIVE_UP_MS = 3 * 3600_000;
/** Evaluations read per page in a run (a province has thousands of units; a record can be tens of KB). */
export const REMINDER_PAGE_SIZE = 100;

/** What the reminders need. */
export interface ReminderOptions {
  store: Store;
  pipeline: Pick<Pipeline, 'channel' | 'enqueueOnce'>;
  logger: Logger;
  /** Official working days (default: China's, from chinese-days). */
  calendar?: WorkCalendar;
  /** How long a reminder may take to get through before it is reported to the organisers (ms). */
  giveUpAfterMs?: number;
  /** Evaluations read from the store at a time (default `REMINDER_PAGE_SIZE`). */
  pageSize?: number;
}

/** What one run did. */
export interface ReminderRun {
  /** Slot ids recorded and handed to the pipeline in this run (one per message; the slots it also stands for are claimed with it). */
  sent: string[];
  /** Slot ids due but with no chat a channel can reach (logged). */
  unreachable: string[];
}

/** The reminders of a store. */
export interface Reminders {
  /** Sends the reminders due at `now` that no run has sent yet. Runs do not overlap (a run during another waits for it). */
  runDueReminders(now: Date): Promise<ReminderRun>;
}

/** Creates the reminder runner. */
export function createReminders(options: ReminderOptions): Reminders {
  const { store, pipeline, logger } = options;
  const calendar = options.calendar ?? chineseWorkCalendar;
  const giveUpAfterMs = options.giveUpAfterMs ?? REMINDER_GIVE_UP_MS;
  const pageSize = options.pageSize ?? REMINDER_PAGE_SIZE;
  let last: Promise<unknown> = Promise.resolve();

  /**
   * The chat a reminder goes to, with its channel: the evaluation's first platform chat (Feishu, DingTalk);
   * else its first local chat (the console's mailbox), so a unit trying the bot locally sees reminders too.
   */
  function chatOf(r: DueReminder): { chatId: string; channel: ChannelId } | undefined {
    const reachable = r.chatIds.map((chatId) => ({ chatId, channel: channelOfChat(chatId) as ChannelId })).filter((c) => pipeline.channel(c.channel));
    return reachable.find((c) => pipeline.channel(c.channel)!.durable) ?? reachable[0];
  }

  function deliveriesOf(r: DueReminder, to: { chatId: string; channel: ChannelId }, title: string, now: number): Delivery[] {
    const id = `remind:${r.slotId}`;
    // A direct message to each organiser the platform can address, should the group never get it.
    const onFailure: Delivery[] = r.organisers
      .filter((o) => !o.startsWith('name:'))
      .map((o) => ({
        id: `${id}#failed:${o}`,
        channel: to.channel,
        target: { chatId: `${to.channel}:${o}`, chatType: 'p2p' as const, userId: o },
        item: { kind: 'text' as const, text: reminderText.sendFailed(title, reminderText.groupChat) },
        createdAt: now,
      }));
    const d: Delivery = {
      id,
      channel: to.channel,
      target: { chatId: to.chatId, chatType: 'group' },
      item: r.reply,
      createdAt: now,
      giveUpAt: Math.max(now, r.slotAt) + giveUpAfterMs,
      ...(onFailure.length ? { onFailure } : {}),
    };
    const urgentFor = r.urgent && to.channel === 'feishu' ? r.owed.map((p) => p.userId).filter((u) => !u.startsWith('name:')) : [];
    if (urgentFor.length) d.urgentFor = urgentFor;
    return [d];
  }

  async function run(now: Date): Promise<ReminderRun> {
    const out: ReminderRun = { sent: [], unreachable: [] };
    const claimed = new Set(await store.listSlots());
    const t = now.getTime();
    // A page of evaluations at a time: a province's thousands are never all in memory at once.
    let after: string | undefined;
    do {
      const page = await store.listEvaluationPage({ ...(after !== undefined ? { after } : {}), limit: pageSize });
      after = page.next;
      const titles = new Map(page.evaluations.map((e) => [e.id, evaluationTitle(e)]));
      for (const r of dueReminders(page.evaluations, now, calendar, (slot) => claimed.has(slot))) {
        const to = chatOf(r);
        if (!to) {
          out.unreachable.push(r.slotId);
          continue;
        }
        try {
          if (await pipeline.enqueueOnce(r.slotId, deliveriesOf(r, to, titles.get(r.evaluationId)!, t), SLOT_TTL_MS)) {
            out.sent.push(r.slotId);
            // The other slots this message stands for: claimed with nothing to send.
            for (const also of r.alsoSlots) await pipeline.enqueueOnce(also, [], SLOT_TTL_MS);
          }
        } catch (err) {
          // Not claimed: the next run tries again.
          logger.error('recording a reminder failed', { slot: r.slotId, ...describeError(err) });
        }
      }
    } while (after !== undefined);
    if (out.sent.length) logger.info('reminders', { sent: out.sent.length });
    if (out.unreachable.length) logger.error('reminders with no chat a channel can reach', { slots: out.unreachable });
    return out;
  }

  return {
    runDueReminders(now) {
      const next = last.then(() => run(now));
      last = next.catch(() => {});
      return next;
    },
  };
}
