/**
 * The reminder scheduler on Node: a croner job at the start of every minute that calls
 * `runDueReminders` with the injected clock's time. Runs never overlap (croner's `protect`), and a
 * failed run is logged and retried by the next minute. On Workers a Cron Trigger calls the same function.
 * After the reminders, the same run does the housekeeping it is given (expired chat drafts deleted).
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
  /** Work done after the reminders on every run (expired drafts deleted); its failure is logged. */
  housekeeping?: (now: Date) => Promise<unknown>;
}

/** Starts the job; the returned function stops it. */
export function startReminderScheduler(options: SchedulerOptions): () => void {
  const { reminders, clock, logger } = options;
  const job = new Cron(options.pattern ?? '* * * * *', { protect: true, unref: true }, async () => {
    const now = clock();
    try {
      await reminders.runDueReminders(now);
    } catch (err) {
      logger.error('reminder run failed', describeError(err));
    }
    try {
      await options.housekeeping?.(now);
    } catch (err) {
      logger.error('housekeeping failed', describeError(err));
    }
  });
  return () => job.stop();
}
