/**
 * A server process like `npm start` with the Feishu channel on (FEISHU_* from the environment, pointed
 * at a fake Open Platform), and a stand-in bot: with FEISHU_TEST_BLOCK=1 it never finishes a message
 * (so the process can be killed between "recorded" and "processed"), else it answers `processed <text>`.
 * Prints the console URL like the real entry.
 */
import type { Bot } from '../../src/app/bot';
import { createConsoleLogger } from '../../src/app/ports';
import { createPlatformChannels } from '../../src/channels/registry';
import { loadConfig } from '../../src/config';
import { startNodeServer } from '../../src/entries/serve';
import { openLowdbStore } from '../../src/store/lowdb';

const config = loadConfig(process.env);
const store = await openLowdbStore(config.DATA_DIR);
const logger = createConsoleLogger();
const block = process.env.FEISHU_TEST_BLOCK === '1';
const bot: Bot = {
  async handle(msg) {
    if (block) await new Promise<never>(() => {});
    return { replies: [{ kind: 'text', text: `processed ${msg.text ?? ''}` }] };
  },
};
const channels = createPlatformChannels(config, { store, logger });
const server = await startNodeServer({ config, store, bot, channels, logger, hostname: '127.0.0.1' });
console.log(`listening ${server.url}`);
