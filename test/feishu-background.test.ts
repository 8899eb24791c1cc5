/**
 * The Feishu channel on Workers starts no call that nobody awaits (`backgroundWork: false`): there such
 * a call is cancelled with its request, and the token fetch it leaves pending stalls the isolate's later
 * sends. On Node the bot's identity is fetched ahead, on creation. Either way, `prepare` knows the bot
 * and removes its mention.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFeishuChannel } from '../src/channels/feishu';
import { createMemoryStore } from '../src/store/memory';
import { BOT_NAME, BOT_OPEN_ID, FAKE_APP_ID, FAKE_APP_SECRET, FAKE_ENCRYPT_KEY, FAKE_VERIFICATION_TOKEN, feishuEvents, signFeishuRequest, startFakeFeishu, type FakeFeishu } from './fakes/feishu';

const QUIET = { info: () => {}, error: () => {} };
let fake: FakeFeishu;
beforeEach(async () => {
  fake = await startFakeFeishu();
});
afterEach(async () => {
  await fake.close();
});

const channel = (backgroundWork?: boolean) =>
  createFeishuChannel({
    appId: FAKE_APP_ID,
    appSecret: FAKE_APP_SECRET,
    verificationToken: FAKE_VERIFICATION_TOKEN,
    encryptKey: FAKE_ENCRYPT_KEY,
    baseUrl: fake.url,
    mode: 'webhook',
    timestampWindowSeconds: 3600,
    store: createMemoryStore(),
    logger: QUIET,
    ...(backgroundWork !== undefined ? { backgroundWork } : {}),
  });

const groupMessage = () => {
  const req = signFeishuRequest(
    feishuEvents.text({ chatId: 'oc_bg', sender: 'ou_bg', text: '@_user_1 开始', mentions: [{ openId: BOT_OPEN_ID, name: BOT_NAME }] }),
    { encryptKey: FAKE_ENCRYPT_KEY },
  );
  return new Request('http://worker/webhook/feishu', { method: 'POST', headers: req.headers, body: req.body });
};

describe('Feishu channel background work', () => {
  it('on Node fetches the bot identity ahead, without being asked', async () => {
    channel();
    const call = await fake.waitForCall('/open-apis/bot/v3/info');
    expect(call.status).toBe(200);
  });

  it('with backgroundWork false calls nothing until prepare, which then removes the bot mention', async () => {
    const feishu = channel(false);
    const receipt = await feishu.receive(groupMessage());
    expect(receipt.kind).toBe('events');
    // Give a stray background call time to arrive at the fake.
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.calls).toEqual([]);
    if (receipt.kind !== 'events') return;
    const message = receipt.events[0]!.message;
    expect(message.mentions?.some((m) => m.userId === BOT_OPEN_ID)).toBe(true);
    const prepared = await feishu.prepare!(message);
    expect(fake.callsTo('/open-apis/bot/v3/info')).toHaveLength(1);
    expect(prepared.mentions?.some((m) => m.userId === BOT_OPEN_ID) ?? false).toBe(false);
    expect(prepared.text).toBe('开始');
  });
});
