/**
 * `npm start`: the server on Node. Reads the environment once, opens the lowdb store under DATA_DIR,
 * creates the bot, serves the app on PORT and prints the console's URL. SIGTERM/SIGINT stop accepting
 * connections and let requests in flight finish (every acknowledged answer is already on disk).
 */
import { describeChannels, type ChannelStatus } from '../config';
import { serverText } from '../core/locale/zh-CN';
import { createConsoleLogger, describeError } from '../server/app';
import { createBot } from '../app/bot';
import { openConfiguredStore, startNodeServer } from './serve';

async function main(): Promise<void> {
  const { config, store } = await openConfiguredStore();
  const logger = createConsoleLogger();
  const bot = createBot({ store });
  const server = await startNodeServer({ config, store, bot, logger });

  const channels = describeChannels(config);
  const describe = (c: ChannelStatus) => (c.on ? `on (${c.receiver})` : `off (missing ${c.missing.join(', ')})`);
  logger.info('channels', { local: 'on', feishu: describe(channels.feishu), dingtalk: describe(channels.dingtalk) });
  logger.info('started', { port: server.port, dataDir: config.DATA_DIR, adminToken: config.ADMIN_TOKEN ? 'set' : 'not set (loopback only)' });
  console.log(serverText.started(server.url));
  if (config.ADMIN_TOKEN) console.log(serverText.signInHint);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    void server.close(10_000).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  console.error(JSON.stringify({ level: 'error', message: 'start-up failed', ...describeError(err) }));
  process.exit(1);
});
