/**
 * The platform channels the configuration turns on (the local channel is always on and is made with
 * the app). A channel whose variables are missing is off: `describeChannels` says which are missing.
 *
 * @example const channels = createPlatformChannels(config, { store, logger })
 */
import type { Logger } from '../app/ports';
import { describeChannels, type Config } from '../config';
import type { Store } from '../store/port';
import type { ChannelAdapter } from './adapter';
import { createDingTalkChannel } from './dingtalk/index';
import { createFeishuChannel } from './feishu/index';

/** What the platform channels need besides the configuration. */
export interface PlatformDeps {
  store: Store;
  logger: Logger;
  now?: () => Date;
  /** Whether a channel may start work no caller waits for (default true; false on Workers: see FeishuChannelOptions, DingTalkChannelOptions). */
  backgroundWork?: boolean;
}

/** The Feishu and DingTalk channels that have what they need. */
export function createPlatformChannels(config: Config, deps: PlatformDeps): ChannelAdapter[] {
  const status = describeChannels(config);
  const common = { store: deps.store, logger: deps.logger, ...(deps.now ? { now: deps.now } : {}) };
  const channels: ChannelAdapter[] = [];
  if (status.feishu.on) {
    channels.push(
      createFeishuChannel({
        ...common,
        appId: config.FEISHU_APP_ID!,
        appSecret: config.FEISHU_APP_SECRET!,
        ...(config.FEISHU_VERIFICATION_TOKEN ? { verificationToken: config.FEISHU_VERIFICATION_TOKEN } : {}),
        ...(config.FEISHU_ENCRYPT_KEY ? { encryptKey: config.FEISHU_ENCRYPT_KEY } : {}),
        baseUrl: config.FEISHU_BASE_URL!,
        mode: config.FEISHU_MODE,
        timestampWindowSeconds: config.FEISHU_TIMESTAMP_WINDOW_SECONDS,
        ...(deps.backgroundWork !== undefined ? { backgroundWork: deps.backgroundWork } : {}),
      }),
    );
  }
  if (status.dingtalk.on) {
    channels.push(
      createDingTalkChannel({
        ...common,
        appKey: config.DINGTALK_APP_KEY!,
        appSecret: config.DINGTALK_APP_SECRET!,
        robotCode: config.DINGTALK_ROBOT_CODE ?? config.DINGTALK_APP_KEY!,
        apiBase: config.DINGTALK_API_BASE!,
        oapiBase: config.DINGTALK_OAPI_BASE!,
        mode: config.DINGTALK_MODE,
        timestampWindowSeconds: config.DINGTALK_TIMESTAMP_WINDOW_SECONDS,
        ...(deps.backgroundWork !== undefined ? { backgroundWork: deps.backgroundWork } : {}),
      }),
    );
  }
  return channels;
}
