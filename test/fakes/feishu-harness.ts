/**
 * The server as production runs it, with the Feishu channel pointed at the fake Open Platform: the
 * app over real HTTP (`startNodeServer`), the pipeline with the local and Feishu channels, a store
 * (memory, or lowdb on a directory), and a way to post events signed exactly as Feishu does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pipeline } from '../../src/app/pipeline';
import type { Bot } from '../../src/app/bot';
import type { Logger } from '../../src/app/ports';
import type { ChannelAdapter } from '../../src/channels/adapter';
import { createFeishuChannel } from '../../src/channels/feishu';
import { createPlatformChannels } from '../../src/channels/registry';
import { loadConfig, type Config } from '../../src/config';
import { startNodeServer, type RunningServer } from '../../src/entries/serve';
import { openLowdbStore } from '../../src/store/lowdb';
import { createMemoryStore } from '../../src/store/memory';
import type { Store } from '../../src/store/port';
import { FAKE_APP_ID, FAKE_APP_SECRET, FAKE_ENCRYPT_KEY, FAKE_VERIFICATION_TOKEN, signFeishuRequest, type FakeFeishu } from './feishu';

/** Log lines as the app wrote them (message + fields), for asserting what was (not) logged. */
export interface LogLine {
  level: 'info' | 'error';
  message: string;
  fields?: Record<string, unknown>;
}

export interface HarnessOptions {
  fake: FakeFeishu;
  /** The bot (default: built by `makeBot` on the harness's store). */
  makeBot: (store: Store) => Bot;
  /** A lowdb store on this directory instead of the memory store. */
  dataDir?: string;
  /** null: no Encrypt Key / no Verification Token configured. */
  encryptKey?: string | null;
  verificationToken?: string | null;
  mode?: 'webhook' | 'ws';
  timestampWindowSeconds?: number;
  /**
   * Overrides the channel's per-chat spacing of sends (200 ms, Feishu's 5 QPS per chat), so a test of a
   * hundred questions does not wait for it; the spacing itself is the pipeline's and tested there.
   */
  sendIntervalMs?: number;
  /** The pipeline's and the channel's clock (default: real time). */
  now?: () => Date;
}

export interface FeishuHarness {
  fake: FakeFeishu;
  store: Store;
  bot: Bot;
  pipeline: Pipeline;
  feishu: ChannelAdapter;
  config: Config;
  server: RunningServer;
  logs: LogLine[];
  webhookUrl: string;
  /** Posts an envelope to the webhook, encrypted and signed with the harness's key (or as given). */
  post(envelope: unknown, sign?: Parameters<typeof signFeishuRequest>[1]): Promise<Response>;
  /** Posts raw bytes with the given headers. */
  postRaw(body: string | Uint8Array, headers: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** Starts a harness; its server listens on 127.0.0.1 on a free port. */
export async function startFeishuHarness(o: HarnessOptions): Promise<FeishuHarness> {
  const encryptKey = o.encryptKey === undefined ? FAKE_ENCRYPT_KEY : (o.encryptKey ?? undefined);
  const verificationToken = o.verificationToken === undefined ? FAKE_VERIFICATION_TOKEN : (o.verificationToken ?? undefined);
  const logs: LogLine[] = [];
  const logger: Logger = {
    info: (message, fields) => void logs.push({ level: 'info', message, ...(fields ? { fields } : {}) }),
    error: (message, fields) => void logs.push({ level: 'error', message, ...(fields ? { fields } : {}) }),
  };
  const store = o.dataDir ? await openLowdbStore(o.dataDir) : createMemoryStore();
  const config = loadConfig({
    PORT: '0',
    FEISHU_APP_ID: FAKE_APP_ID,
    FEISHU_APP_SECRET: FAKE_APP_SECRET,
    FEISHU_BASE_URL: o.fake.url,
    FEISHU_MODE: o.mode ?? 'webhook',
    ...(o.timestampWindowSeconds ? { FEISHU_TIMESTAMP_WINDOW_SECONDS: String(o.timestampWindowSeconds) } : {}),
    ...(encryptKey ? { FEISHU_ENCRYPT_KEY: encryptKey } : {}),
    ...(verificationToken ? { FEISHU_VERIFICATION_TOKEN: verificationToken } : {}),
  });
  // Built as `npm start` builds it, from the configuration; off without a key and a token (the app then
  // answers 404), so those tests get the adapter made directly, to see it refuse on its own too.
  const channel =
    createPlatformChannels(config, { store, logger, ...(o.now ? { now: o.now } : {}) })[0] ??
    createFeishuChannel({ appId: FAKE_APP_ID, appSecret: FAKE_APP_SECRET, baseUrl: o.fake.url, mode: 'webhook', timestampWindowSeconds: 3600, store, logger, ...(o.now ? { now: o.now } : {}) });
  const feishu: ChannelAdapter = o.sendIntervalMs === undefined ? channel : { ...channel, sendIntervalMs: o.sendIntervalMs };
  const bot = o.makeBot(store);
  // As `npm start` runs it: the pipeline recovers what a previous run left, then listens, then the
  // long connection (if any) starts.
  const server = await startNodeServer({ config, store, bot, channels: [feishu], logger, hostname: '127.0.0.1', ...(o.now ? { now: o.now } : {}) });
  const pipeline = server.pipeline;
  const webhookUrl = `http://127.0.0.1:${server.port}/webhook/feishu`;
  const postRaw = (body: string | Uint8Array, headers: Record<string, string>) => fetch(webhookUrl, { method: 'POST', headers, body: body as BodyInit });
  return {
    fake: o.fake,
    store,
    bot,
    pipeline,
    feishu,
    config,
    server,
    logs,
    webhookUrl,
    postRaw,
    post: (envelope, sign) => {
      const req = signFeishuRequest(envelope, { ...(encryptKey ? { encryptKey } : {}), ...sign });
      return postRaw(req.body, req.headers);
    },
    close: () => server.close(1000),
  };
}

/** A temporary directory, removed by the returned function. */
export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
