/**
 * The reminder scheduler on Node: a croner job at the start of every minute that calls
 * `runDueReminders` with the injected clock's time. Runs never overlap (croner's `protect`), and a
 * failed run is logged and retried by the next minute. On Workers a Cron Trigger calls the same function.
 *
 * @example const stop = startReminderScheduler({ reminders, clock: () => new Date(), logger }); stop()
 */
import { Cron } from 'croner';
import type { Logger } from '../app/ports';
import { describeError } from '../app/ports';
import type { Reminders } from '../app/reminders';

/** What the scheduler needs. */
export interface SchedulerOptions {
  reminders: Pick<Reminders, 'runDueReminders'>;
  /** The time a run is for (injected, so tests can move it). */
  clock: () => Date;
  logger: Logger;
  /** The cron pattern (default: every minute). */
  pattern?: string;
}

/** Starts the job; the returned function stops it. */
export function startReminderScheduler(options: SchedulerOptions): () => void {
  const { reminders, clock, logger } = options;
  const job = new Cron(options.pattern ?? '* * * * *', { protect: true, unref: true }, async () => {
    try {
      await reminders.runDueReminders(clock());
    } catch (err) {
      logger.error('reminder run failed', describeError(err));
    }
  });
  return () => job.stop();
}
