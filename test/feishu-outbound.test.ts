/**
 * Outbound hygiene, against the fake Open Platform with the real SDK: one token per app however many
 * calls wait for it, a fresh token and one retry after an invalid-token answer, rate limits and
 * server errors retried later with each reply delivered exactly once (Feishu's `uuid`), permanent
 * errors given up, a slow API that never delays the webhook's acknowledgement, and the later update
 * of a pressed card (never before the callback was answered). On Workers (`backgroundWork: false`)
 * the channel starts no call that nobody awaits: there such a call is cancelled with its request, and
 * the token fetch it leaves pending stalls the isolate's later sends; on Node the bot's identity is
 * fetched ahead, on creation. Either way, `prepare` knows the bot and removes its mention.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bot } from '../src/app/bot';
import type { Logger } from '../src/app/ports';
import { SendError, type ChannelAdapter } from '../src/channels/adapter';
import { createFeishuChannel } from '../src/channels/feishu';
import { createFeishuApi, feishuUuid, FeishuApiError } from '../src/channels/feishu/client';
import type { Delivery, InboundMessage, OutboundItem } from '../src/core/messages';
import { createMemoryStore } from '../src/store/memory';
import type { Store } from '../src/store/port';
import { createFakeBot, type FakeBot } from './helpers/fake-bot';
import {
  BOT_NAME,
  BOT_OPEN_ID,
  FAKE_APP_ID,
  FAKE_APP_SECRET,
  FAKE_ENCRYPT_KEY,
  FAKE_VERIFICATION_TOKEN,
  feishuEvents,
  signFeishuRequest,
  startFakeFeishu,
  type FakeFeishu,
} from './fakes/feishu';
import { startFeishuHarness, type FeishuHarness, type LogLine } from './fakes/feishu-harness';

const GROUP = 'oc_group_outbound';
const ZHANG = 'ou_zhangsan000000000000000000000001';
const AT_BOT = { openId: BOT_OPEN_ID, name: BOT_NAME };
const MESSAGES = '/open-apis/im/v1/messages';

let fake: FakeFeishu;
const open: FeishuHarness[] = [];
beforeEach(async () => {
  fake = await startFakeFeishu();
  fake.users.set(ZHANG, '张三');
});
afterEach(async () => {
  for (const x of open.splice(0)) await x.close();
  await fake.close();
});

function adapterAlone(store: Store = createMemoryStore(), options: { backgroundWork?: boolean } = {}): { adapter: ChannelAdapter; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const logger: Logger = { info: (message, fields) => void logs.push({ level: 'info', message, ...(fields ? { fields } : {}) }), error: (message, fields) => void logs.push({ level: 'error', message, ...(fields ? { fields } : {}) }) };
  const adapter = createFeishuChannel({
    appId: FAKE_APP_ID,
    appSecret: FAKE_APP_SECRET,
    verificationToken: FAKE_VERIFICATION_TOKEN,
    encryptKey: FAKE_ENCRYPT_KEY,
    baseUrl: fake.url,
    mode: 'webhook',
    timestampWindowSeconds: 3600,
    store,
    logger,
    ...options,
  });
  return { adapter, logs };
}

const delivery = (id: string, item: OutboundItem, chat = GROUP, context?: Record<string, unknown>): Delivery => ({
  id,
  channel: 'feishu',
  target: { chatId: `feishu:${chat}`, chatType: 'group', userId: ZHANG, ...(context ? { context } : {}) },
  item,
  createdAt: Date.now(),
});
const text = (t: string): OutboundItem => ({ kind: 'text', text: t });

async function harness(makeBot: (store: Store) => Bot): Promise<FeishuHarness> {
  const h = await startFeishuHarness({ fake, makeBot });
  open.push(h);
  return h;
}
const say = (t: string, o: Partial<Parameters<typeof feishuEvents.text>[0]> = {}) =>
  feishuEvents.text({ chatId: GROUP, sender: ZHANG, text: `@_user_1 ${t}`, mentions: [AT_BOT], ...o });

describe('the tenant token', () => {
  it('is fetched once for twenty concurrent sends (the SDK alone fetches once per caller)', async () => {
    const { adapter } = adapterAlone();
    await Promise.all(Array.from({ length: 20 }, (_, i) => adapter.send(delivery(`d${i}`, text(`hi ${i}`), `oc_${i}`))));
    expect(fake.tokensIssued()).toBe(1);
    expect(fake.messages).toHaveLength(20);
    // Every call carried it.
    for (const c of fake.callsTo(MESSAGES)) expect(c.headers.authorization).toBe('Bearer t-1');
  });

  it('is fetched again after Feishu calls it invalid, and the call is retried once', async () => {
    const { adapter } = adapterAlone();
    await adapter.send(delivery('d1', text('one')));
    fake.invalidateTokens();
    await adapter.send(delivery('d2', text('two')));
    expect(fake.tokensIssued()).toBe(2);
    expect(fake.callsTo(MESSAGES).map((c) => c.status)).toEqual([200, 400, 200]);
    expect(fake.messages.map((m) => m.content.text)).toEqual(['one', 'two']);
  });

  it('is refreshed on an invalid-token code in a 200 answer too, but retried only once', async () => {
    const { adapter } = adapterAlone();
    const invalid = { status: 200, body: { code: 99991661, msg: 'token missing' } };
    fake.fail(MESSAGES, invalid);
    await adapter.send(delivery('d1', text('one')));
    expect(fake.messages).toHaveLength(1);
    fake.fail(MESSAGES, invalid, invalid, invalid);
    const err = await adapter.send(delivery('d2', text('two'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendError);
    expect((err as SendError).retryable).toBe(true);
    expect(fake.callsTo(MESSAGES)).toHaveLength(4);
  });
});

describe('errors, mapped by their codes', () => {
  const api = () => createFeishuApi({ appId: FAKE_APP_ID, appSecret: FAKE_APP_SECRET, baseUrl: fake.url, logger: { info() {}, error() {} } });
  const send = (a: ReturnType<typeof api>) => a.createMessage({ receiveIdType: 'chat_id', receiveId: GROUP, msgType: 'text', content: '{"text":"x"}', uuid: 'u1' }).then(() => undefined, (e: unknown) => e as FeishuApiError);

  it.each([
    ['HTTP 429 with x-ogw-ratelimit-reset', { status: 429, body: { code: 99991400, msg: 'request trigger frequency limit' }, headers: { 'x-ogw-ratelimit-reset': '3' } }, true, 3000],
    ['99991400 (app rate limit)', { status: 400, body: { code: 99991400, msg: 'limit' } }, true, undefined],
    ['230020 (5 QPS per chat)', { status: 400, body: { code: 230020, msg: 'This operation triggers the frequency limit.' } }, true, undefined],
    ['11232 (create message rate limit)', { status: 400, body: { code: 11232, msg: 'create message service trigger rate limit' } }, true, undefined],
    ['HTTP 503', { status: 503, body: 'upstream unavailable' }, true, undefined],
    ['230002 (bot not in the group)', { status: 400, body: { code: 230002, msg: 'The bot can not be outside the group.' } }, false, undefined],
    ['230099 (card content failed)', { status: 400, body: { code: 230099, msg: 'Failed to create card content' } }, false, undefined],
    ['230025 (message too long)', { status: 200, body: { code: 230025, msg: 'too long' } }, false, undefined],
  ])('%s → retryable %s', async (_, answer, retryable, retryAfterMs) => {
    const a = api();
    fake.fail(MESSAGES, answer);
    const err = await send(a);
    expect(err).toBeInstanceOf(FeishuApiError);
    expect(err).toMatchObject({ retryable, retryAfterMs });
  });

  it('a connection that fails is worth another attempt', async () => {
    const a = createFeishuApi({ appId: FAKE_APP_ID, appSecret: FAKE_APP_SECRET, baseUrl: 'http://127.0.0.1:1', logger: { info() {}, error() {} } });
    const err = await send(a);
    expect(err).toMatchObject({ retryable: true });
  });
});

describe('through the pipeline', () => {
  it('delivers each reply exactly once, later, after rate-limit answers', async () => {
    const h = await harness((store) => createFakeBot(store));
    await h.post(say('warm up'));
    await h.pipeline.idle();
    const before = fake.messages.length;
    // The next replies are refused twice each: Feishu's per-chat limit, then the gateway's 429.
    fake.fail((c) => c.path.endsWith('/reply'), { status: 400, body: { code: 230020, msg: 'frequency limit' } }, { status: 429, body: { code: 99991400, msg: 'limit' }, headers: { 'x-ogw-ratelimit-reset': '1' } });
    fake.fail((c) => c.path === MESSAGES, { status: 429, body: { code: 99991400, msg: 'limit' }, headers: { 'x-ogw-ratelimit-reset': '1' } });
    const group = say('first');
    const p2p = feishuEvents.text({ chatId: 'oc_p2p_rate', chatType: 'p2p', sender: ZHANG, text: 'second' });
    expect((await h.post(group)).status).toBe(200);
    expect((await h.post(p2p)).status).toBe(200);
    await h.pipeline.idle();
    const posted = fake.messages.slice(before).map((m) => m.content.text);
    expect(posted.sort()).toEqual(['echo first', 'echo second']);
    const replies = fake.calls.filter((c) => c.path.endsWith('/reply')).slice(-3);
    expect(replies.map((c) => c.status)).toEqual([400, 429, 200]);
    expect(h.logs.filter((l) => l.message === 'send failed, will retry')).toHaveLength(3);
  });

  it('posts once when an answer was lost on the way back: the retry carries the same uuid', async () => {
    const h = await harness((store) => createFakeBot(store));
    fake.fail((c) => c.path.endsWith('/reply'), { status: 502, body: 'bad gateway', afterWork: true });
    const event = say('hello');
    await h.post(event);
    await h.pipeline.idle();
    const attempts = fake.calls.filter((c) => c.path.endsWith('/reply'));
    expect(attempts.map((c) => c.status)).toEqual([502, 200]);
    const uuids = attempts.map((c) => (c.body as { uuid: string }).uuid);
    expect(uuids[0]).toBe(uuids[1]);
    expect(uuids[0]).toBe(feishuUuid(`feishu:ev:${event.header.event_id}#0`));
    expect(uuids[0]!.length).toBeLessThanOrEqual(50);
    expect(fake.messages.map((m) => m.content.text)).toEqual(['echo hello']);
  });

  it('gives up a reply Feishu refuses for good, and logs it', async () => {
    const h = await harness((store) => createFakeBot(store));
    fake.fail((c) => c.path.endsWith('/reply'), { status: 400, body: { code: 230002, msg: 'The bot can not be outside the group.' } });
    await h.post(say('hello'));
    await h.pipeline.idle();
    expect(fake.messages).toEqual([]);
    expect(fake.calls.filter((c) => c.path.endsWith('/reply'))).toHaveLength(1);
    expect(h.logs.some((l) => l.message === 'send failed, given up' && String(l.fields?.detail).includes('230002'))).toBe(true);
    expect((await h.store.listPending()).outbound).toEqual([]);
  });

  it('replies to the chat when the message it answers was recalled', async () => {
    const h = await harness((store) => createFakeBot(store));
    fake.fail((c) => c.path.endsWith('/reply'), { status: 400, body: { code: 230011, msg: 'The message is recalled.' } });
    await h.post(say('hello'));
    await h.pipeline.idle();
    expect(fake.messages).toMatchObject([{ via: 'create', receiveIdType: 'chat_id', receiveId: GROUP, content: { text: 'echo hello' } }]);
  });

  it('uploads a report once though sending its message is retried', async () => {
    const h = await harness((store) => createFakeBot(store));
    fake.fail((c) => c.path.endsWith('/reply'), { status: 500, body: { code: 1, msg: 'internal error' } });
    await h.post(say('file'));
    await h.pipeline.idle();
    expect(fake.files).toHaveLength(1);
    expect(fake.files[0]!.bytes).toEqual(Buffer.from([80, 75, 3, 4]));
    expect(fake.messages).toMatchObject([{ msgType: 'file', content: { file_key: fake.files[0]!.fileKey } }]);
  });

  it('acknowledges at once while the API takes 5 s, and the reply arrives later', { timeout: 30_000 }, async () => {
    let bot!: FakeBot;
    const h = await harness((store) => (bot = createFakeBot(store)));
    // Token, bot identity and the sender's name are fetched on the first message; then the API turns slow.
    await h.post(say('warm up'));
    await h.pipeline.idle();
    fake.delay(() => true, 5000);
    const res = await h.post(say('hello'));
    const ackedAt = performance.now();
    expect(res.status).toBe(200);
    const reply = await fake.waitForCall((c) => c.path.endsWith('/reply') && (c.body as { content: string }).content.includes('echo hello'));
    // The fake answered the reply long after the webhook had answered Feishu.
    expect(reply.answeredAt!).toBeGreaterThan(ackedAt);
    await h.pipeline.idle();
    expect(bot.seen.map((m) => m.text)).toEqual(['warm up', 'hello']);
    expect(fake.messages.map((m) => m.content.text)).toEqual(['echo warm up', 'echo hello']);
  });

  it('sends one chat at most five times a second', () => {
    const { adapter } = adapterAlone();
    expect(adapter.sendIntervalMs).toBe(200);
  });
});

describe('a pressed card', () => {
  /** A bot whose presses wait for the test, then say what was recorded on the card. */
  function gatedBot(): Bot & { release(): void; seen: InboundMessage[] } {
    const seen: InboundMessage[] = [];
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => (open = r));
    return {
      seen,
      release: () => open(),
      async handle(msg) {
        seen.push(msg);
        await gate;
        return { replies: [{ kind: 'text', text: '下一题' }], pressed: { ok: true, toast: '已记录', card: { title: '[部门决策]', text: '✅ 是（张三）' } } };
      },
    };
  }
  const pressValue = { a: { type: 'answer', key: 'judgement:A11', value: '是', stamp: '' }, c: 'group' };

  it('is answered with a toast when the press takes longer than the callback may wait, and updated afterwards with its token', async () => {
    const bot = gatedBot();
    const h = await harness(() => bot);
    const event = feishuEvents.cardAction({ chatId: GROUP, operator: ZHANG, value: pressValue, messageId: 'om_card_1' });
    const res = await h.post(event);
    const answeredAt = performance.now();
    expect(await res.json()).toEqual({ toast: { type: 'info', content: '已收到，正在处理…' } });
    bot.release();
    const update = await fake.waitForCall('/open-apis/interactive/v1/card/update');
    // Never before the callback's answer (Feishu: an update in parallel with the answer is lost).
    expect(update.receivedAt).toBeGreaterThan(answeredAt);
    await h.pipeline.idle();
    expect(fake.cardUpdates).toEqual([{ token: (event.event as { token: string }).token, card: expect.objectContaining({ schema: '2.0', header: expect.objectContaining({ template: 'green' }) }) }]);
    expect(fake.messages.map((m) => m.content.text)).toEqual(['下一题']);
    expect(bot.seen[0]).toMatchObject({ chatId: `feishu:${GROUP}`, chatType: 'group', userId: ZHANG, userName: '张三', action: pressValue.a });
  });

  it('is patched by message id when Feishu refuses the token', async () => {
    const bot = gatedBot();
    const h = await harness(() => bot);
    fake.fail('/open-apis/interactive/v1/card/update', { status: 400, body: { code: 200750, msg: 'token expired' } });
    await h.post(feishuEvents.cardAction({ chatId: GROUP, operator: ZHANG, value: pressValue, messageId: 'om_card_2' }));
    bot.release();
    await h.pipeline.idle();
    expect(fake.patches).toMatchObject([{ messageId: 'om_card_2', content: { schema: '2.0', header: { template: 'green' } } }]);
  });

  it('answers the same callback delivered twice with nothing the second time', async () => {
    const bot = gatedBot();
    bot.release();
    const h = await harness(() => bot);
    const event = feishuEvents.cardAction({ chatId: GROUP, operator: ZHANG, value: pressValue });
    expect(await (await h.post(event)).json()).toMatchObject({ toast: { type: 'success', content: '已记录' }, card: { type: 'raw' } });
    expect(await (await h.post(event)).json()).toEqual({});
    await h.pipeline.idle();
    expect(bot.seen).toHaveLength(1);
  });
});

describe('background work', () => {
  const groupMessage = () => {
    const req = signFeishuRequest(say('开始', { chatId: 'oc_bg' }), { encryptKey: FAKE_ENCRYPT_KEY });
    return new Request('http://worker/webhook/feishu', { method: 'POST', headers: req.headers, body: req.body });
  };

  it('on Node fetches the bot identity ahead, without being asked', async () => {
    adapterAlone();
    const call = await fake.waitForCall('/open-apis/bot/v3/info');
    expect(call.status).toBe(200);
  });

  it('with backgroundWork false calls nothing until prepare, which then removes the bot mention', async () => {
    const { adapter: feishu } = adapterAlone(createMemoryStore(), { backgroundWork: false });
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
