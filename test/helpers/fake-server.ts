/**
 * A server process like `npm start`, but with the fake bot: for restart tests that must not depend on
 * the dialog engine. Reads PORT and DATA_DIR from the environment; prints the console URL.
 */
import { loadConfig } from '../../src/config';
import { startNodeServer } from '../../src/entries/serve';
import { openLowdbStore } from '../../src/store/lowdb';
import { createFakeBot } from './fake-bot';

const config = loadConfig(process.env);
const store = await openLowdbStore(config.DATA_DIR);
const server = await startNodeServer({ config, store, bot: createFakeBot(store), hostname: '127.0.0.1' });
console.log(`listening ${server.url}`);
