/**
 * The server as production runs it, with the DingTalk channel pointed at the fake DingTalk: the app over
 * real HTTP (`startNodeServer`), the pipeline with the local and DingTalk channels, the real bot, a store
 * (memory, or lowdb on a directory). People "say" things in a conversation as DingTalk would deliver
 * them (a signed HTTP callback, or a CALLBACK frame on the Stream connection) and read what the robot
 * got across to DingTalk.
 */
import { createBot, type Bot } from '../../src/app/bot';
import type { Logger } from '../../src/app/ports';
import type { ChannelAdapter } from '../../src/channels/adapter';
import { createDingTalkChannel } from '../../src/channels/dingtalk';
import { loadConfig, type Config } from '../../src/config';
import { startNodeServer, type RunningServer } from '../../src/entries/serve';
import { openLowdbStore } from '../../src/store/lowdb';
import { createMemoryStore } from '../../src/store/memory';
import type { Store } from '../../src/store/port';
import { callbackBody, FAKE_APP_KEY, FAKE_APP_SECRET, signedHeaders, type CallbackSpec, type FakeDingTalk, type FakeMessage, type FakePerson } from './dingtalk';

/** A log line as the app wrote it. */
export interface LogLine {
  level: 'info' | 'error';
  message: string;
  fields?: Record<string, unknown>;
}

export interface DingTalkHarnessOptions {
  fake: FakeDingTalk;
  mode?: 'http' | 'stream';
  /** A lowdb store on this directory instead of the memory store. */
  dataDir?: string;
  /** The bot (default: the real one on the harness's store). */
  makeBot?: (store: Store) => Bot;
  timestampWindowSeconds?: number;
  /** The pipeline's clock (default: real time); the channel keeps real time, as the fake checks signatures and sessions by it. */
  now?: () => Date;
}

export interface DingTalkHarness {
  fake: FakeDingTalk;
  store: Store;
  bot: Bot;
  dingtalk: ChannelAdapter;
  server: RunningServer;
  config: Config;
  logs: LogLine[];
  webhookUrl: string;
  /**
   * Delivers a callback the way the mode does (HTTP: signed POST, answered `{"msgtype":"empty"}`;
   * Stream: a CALLBACK frame, acknowledged), waits until everything it caused is processed and sent,
   * and returns the messages the robot got across meanwhile.
   */
  deliver(body: Record<string, unknown>): Promise<FakeMessage[]>;
  /** A text message from a person in a conversation, with a fresh session webhook, delivered. */
  say(from: FakePerson, text: string, spec?: Partial<CallbackSpec>): Promise<FakeMessage[]>;
  /** Posts a callback body (or raw bytes) to the webhook with the given headers (default: signed now). */
  post(body: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** The group conversation of the harness. */
export const GROUP = 'cidFakeGroup002Q+/w==';

/** Starts a harness; its server listens on 127.0.0.1 on a free port. */
export async function startDingTalkHarness(o: DingTalkHarnessOptions): Promise<DingTalkHarness> {
  const logs: LogLine[] = [];
  const logger: Logger = {
    info: (message, fields) => void logs.push({ level: 'info', message, ...(fields ? { fields } : {}) }),
    error: (message, fields) => void logs.push({ level: 'error', message, ...(fields ? { fields } : {}) }),
  };
  const store = o.dataDir ? await openLowdbStore(o.dataDir) : createMemoryStore();
  const mode = o.mode ?? 'http';
  const config = loadConfig({
    PORT: '0',
    DINGTALK_APP_KEY: FAKE_APP_KEY,
    DINGTALK_APP_SECRET: FAKE_APP_SECRET,
    DINGTALK_API_BASE: o.fake.apiBase,
    DINGTALK_OAPI_BASE: o.fake.oapiBase,
    DINGTALK_MODE: mode,
    ...(o.timestampWindowSeconds ? { DINGTALK_TIMESTAMP_WINDOW_SECONDS: String(o.timestampWindowSeconds) } : {}),
  });
  const dingtalk = createDingTalkChannel({
    appKey: config.DINGTALK_APP_KEY!,
    appSecret: config.DINGTALK_APP_SECRET!,
    robotCode: config.DINGTALK_ROBOT_CODE!,
    apiBase: config.DINGTALK_API_BASE!,
    oapiBase: config.DINGTALK_OAPI_BASE!,
    mode: config.DINGTALK_MODE,
    timestampWindowSeconds: config.DINGTALK_TIMESTAMP_WINDOW_SECONDS,
    store,
    logger,
  });
  const bot = (o.makeBot ?? ((s: Store) => createBot({ store: s })))(store);
  const server = await startNodeServer({ config, store, bot, logger, hostname: '127.0.0.1', channels: [dingtalk], ...(o.now ? { now: o.now } : {}) });
  const webhookUrl = `http://127.0.0.1:${server.port}/webhook/dingtalk`;

  const post = (body: unknown, headers: Record<string, string> = signedHeaders()) =>
    fetch(webhookUrl, { method: 'POST', headers, body: typeof body === 'string' || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body) });

  async function deliver(body: Record<string, unknown>): Promise<FakeMessage[]> {
    const before = o.fake.messages.length;
    if (mode === 'http') {
      const res = await post(body);
      const answer = await res.text();
      if (res.status !== 200 || answer !== '{"msgtype":"empty"}') throw new Error(`callback answered ${res.status} ${answer}`);
    } else {
      const id = o.fake.pushCallback(body);
      await o.fake.waitForAck(id);
    }
    await server.pipeline.idle();
    return o.fake.messages.slice(before);
  }

  return {
    fake: o.fake,
    store,
    bot,
    dingtalk,
    server,
    config,
    logs,
    webhookUrl,
    deliver,
    say: (from, text, spec = {}) => {
      const conversationId = spec.conversationId ?? GROUP;
      return deliver(callbackBody({ conversationId, from, text, session: o.fake.session(conversationId), ...spec }));
    },
    post,
    close: () => server.close(1000),
  };
}
