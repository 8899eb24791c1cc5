/**
 * `npm start`: the server on Node. Reads the environment once, opens the lowdb store under DATA_DIR,
 * creates the bot and the platform channels the environment turns on, serves the app on PORT and
 * prints the console's URL. SIGTERM/SIGINT stop the platform connections, stop accepting requests and
 * let those in flight finish (every acknowledged answer and recorded reply is already on disk), then
 * close the store, which removes DATA_DIR/store.lock.
 * A croner job sends the reminders due every minute (see app/reminders.ts); it stops first.
 */
import { describeChannels, type ChannelStatus } from '../config';
import { serverText } from '../core/locale/zh-CN';
import { createConsoleLogger, describeError } from '../app/ports';
import { createBot, deleteExpiredChatDrafts } from '../app/bot';
import { createPlatformChannels } from '../channels/registry';
import { createReminders } from '../app/reminders';
import { openConfiguredStore, startNodeServer } from './serve';
import { startReminderScheduler } from './scheduler';
import { assistantDeps } from '../app/assistant';

async function main(): Promise<void> {
  const { config, store } = await openConfiguredStore();
  const logger = createConsoleLogger();
  const bot = createBot({ store, holdIdleMs: config.QUESTION_HOLD_SECONDS * 1000, ...assistantDeps(config, logger) });
  const status = describeChannels(config);
  const describe = (c: ChannelStatus) => (c.on ? `on (${c.receiver})` : `off (missing ${c.missing.join(', ')})`);
  logger.info('channels', { local: 'on', feishu: describe(status.feishu), dingtalk: describe(status.dingtalk) });
  const channels = createPlatformChannels(config, { store, logger });
  const server = await startNodeServer({ config, store, bot, logger, channels });

  // Every minute, the reminders due (after downtime: the latest missed slot of each kind, once).
  const reminders = createReminders({ store, pipeline: server.pipeline, logger });
  const stopReminders = startReminderScheduler({ reminders, clock: () => new Date(), logger, housekeeping: (now) => deleteExpiredChatDrafts(store, now) });

  logger.info('started', { port: server.port, dataDir: config.DATA_DIR, adminToken: config.ADMIN_TOKEN ? 'set' : 'not set (loopback only)' });
  console.log(serverText.started(server.url));
  if (config.ADMIN_TOKEN) console.log(serverText.signInHint);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    stopReminders();
    void server
      .close(10_000)
      .then(() => store.close())
      .catch((err: unknown) => logger.error('stopping failed', describeError(err)))
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  console.error(JSON.stringify({ level: 'error', message: 'start-up failed', ...describeError(err) }));
  process.exit(1);
});
