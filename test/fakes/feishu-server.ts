/**
 * A server process like `npm start` with the Feishu channel on (FEISHU_* from the environment, pointed
 * at a fake Open Platform), and a stand-in bot: with FEISHU_TEST_BLOCK=1 it never finishes a message
 * (so the process can be killed between "recorded" and "processed"), else it answers `processed <text>`.
 * Prints the console URL like the real entry.
 */
import type { Bot } from '../../src/app/bot';
import { createConsoleLogger } from '../../src/app/ports';
import { createFeishuChannel } from '../../src/channels/feishu';
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
const feishu = createFeishuChannel({
  appId: config.FEISHU_APP_ID!,
  appSecret: config.FEISHU_APP_SECRET!,
  ...(config.FEISHU_VERIFICATION_TOKEN ? { verificationToken: config.FEISHU_VERIFICATION_TOKEN } : {}),
  ...(config.FEISHU_ENCRYPT_KEY ? { encryptKey: config.FEISHU_ENCRYPT_KEY } : {}),
  baseUrl: config.FEISHU_BASE_URL!,
  mode: config.FEISHU_MODE,
  timestampWindowSeconds: config.FEISHU_TIMESTAMP_WINDOW_SECONDS,
  store,
  logger,
});
const server = await startNodeServer({ config, store, bot, channels: [feishu], logger, hostname: '127.0.0.1' });
console.log(`listening ${server.url}`);
