/**
 * POST /webhook/feishu step by step, over real HTTP against the fake Open Platform: raw body →
 * challenge → decrypt → signature → token → app → timestamp → claim → record → 200 → process.
 * Every refusal is a 4xx that records nothing (nothing pending, the bot saw nothing, and the same
 * event sent properly afterwards is still taken: its id was not claimed).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeBot, type FakeBot } from './helpers/fake-bot';
import {
  BOT_NAME,
  BOT_OPEN_ID,
  FAKE_APP_SECRET,
  FAKE_ENCRYPT_KEY,
  FAKE_VERIFICATION_TOKEN,
  feishuEvents,
  signFeishuRequest,
  startFakeFeishu,
  type FakeFeishu,
} from './fakes/feishu';
import { startFeishuHarness, type FeishuHarness, type HarnessOptions } from './fakes/feishu-harness';
import { computeFeishuSignature, encryptFeishu } from '../src/channels/feishu/verify';

const GROUP = 'oc_group_webhook';
const ZHANG = 'ou_zhangsan000000000000000000000001';
const AT_BOT = { openId: BOT_OPEN_ID, name: BOT_NAME };

let fake: FakeFeishu;
let h: FeishuHarness;
let bot: FakeBot;
const open: FeishuHarness[] = [];

async function harness(o: Partial<HarnessOptions> = {}): Promise<FeishuHarness> {
  const started = await startFeishuHarness({ fake, makeBot: (store) => (bot = createFakeBot(store)), ...o });
  open.push(started);
  return started;
}

beforeEach(async () => {
  fake = await startFakeFeishu();
});
afterEach(async () => {
  for (const x of open.splice(0)) await x.close();
  await fake.close();
});

/** A group message that @s the bot. */
const say = (text: string, o: Partial<Parameters<typeof feishuEvents.text>[0]> = {}) =>
  feishuEvents.text({ chatId: GROUP, sender: ZHANG, text: `@_user_1 ${text}`, mentions: [AT_BOT], ...o });

/** Resolves once `cond` holds (checked every few milliseconds). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

/** Nothing recorded: nothing pending, the bot saw nothing, and the event is still new to the store. */
async function expectNothingRecorded(x: FeishuHarness, envelope: ReturnType<typeof say>): Promise<void> {
  expect((await x.store.listPending()).inbound).toEqual([]);
  await x.pipeline.idle();
  expect(bot.seen).toEqual([]);
  const ok = await x.post(envelope);
  expect(ok.status).toBe(200);
  await x.pipeline.idle();
  expect(bot.seen).toHaveLength(1);
}

describe('raw body', () => {
  beforeEach(async () => {
    h = await harness();
  });

  it.each([
    ['not JSON', '{"encrypt":'],
    ['a JSON array', '[1,2,3]'],
    ['a JSON string', '"hello"'],
  ])('refuses %s with 400', async (_, body) => {
    const res = await h.postRaw(body, { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: expect.any(String) });
    await expectNothingRecorded(h, say('hello'));
  });

  it('refuses bytes that are not UTF-8 with 400', async () => {
    const res = await h.postRaw(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
  });

  it('refuses a body over 1 MB with 413', async () => {
    const res = await h.postRaw(JSON.stringify({ encrypt: 'a'.repeat(1024 * 1024 + 10) }), { 'content-type': 'application/json' });
    expect(res.status).toBe(413);
    await expectNothingRecorded(h, say('hello'));
  });

  it('signs the raw bytes: a body with whitespace, signed as sent, is taken (the SDK would re-serialise and refuse it)', async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const body = `{ "encrypt" :  "${encryptFeishu(JSON.stringify(say('hello')), FAKE_ENCRYPT_KEY)}" }\n`;
    const sig = computeFeishuSignature(ts, 'n1', FAKE_ENCRYPT_KEY, Buffer.from(body));
    const res = await h.postRaw(body, { 'content-type': 'application/json', 'x-lark-request-timestamp': ts, 'x-lark-request-nonce': 'n1', 'x-lark-signature': sig });
    expect(res.status).toBe(200);
    await h.pipeline.idle();
    expect(bot.seen.map((m) => m.text)).toEqual(['hello']);
  });
});

describe('url_verification challenge', () => {
  it('answers a plain challenge when no Encrypt Key is set, checking the token', async () => {
    h = await harness({ encryptKey: null });
    const good = await h.postRaw(JSON.stringify(feishuEvents.challenge('c-plain')), { 'content-type': 'application/json' });
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual({ challenge: 'c-plain' });
    const bad = await h.postRaw(JSON.stringify(feishuEvents.challenge('c-plain', 'not-the-token')), { 'content-type': 'application/json' });
    expect(bad.status).toBe(401);
    expect(await bad.text()).not.toContain('c-plain');
  });

  it('decrypts a challenge when an Encrypt Key is set (unsigned, as Feishu sends it), checking the token', async () => {
    h = await harness();
    const body = (challenge: unknown) => JSON.stringify({ encrypt: encryptFeishu(JSON.stringify(challenge), FAKE_ENCRYPT_KEY) });
    const good = await h.postRaw(body(feishuEvents.challenge('c-encrypted')), { 'content-type': 'application/json' });
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual({ challenge: 'c-encrypted' });
    const bad = await h.postRaw(body(feishuEvents.challenge('c-encrypted', 'wrong')), { 'content-type': 'application/json' });
    expect(bad.status).toBe(401);
  });

  it('takes an encrypted challenge without a Verification Token configured (only Feishu knows the key), but no plain one', async () => {
    // An Encrypt Key alone authenticates every request (encrypted and signed): the webhook is on.
    h = await harness({ verificationToken: null });
    const headers = { 'content-type': 'application/json' };
    const encrypted = JSON.stringify({ encrypt: encryptFeishu(JSON.stringify(feishuEvents.challenge('c-1')), FAKE_ENCRYPT_KEY) });
    const taken = await h.postRaw(encrypted, headers);
    expect(taken.status).toBe(200);
    expect(await taken.json()).toEqual({ challenge: 'c-1' });
    const refused = await h.postRaw(JSON.stringify(feishuEvents.challenge('c-2')), headers);
    expect(refused.status).toBe(401);
    expect((await h.post(say('hello'))).status).toBe(200);
  });
});

describe('decrypt', () => {
  beforeEach(async () => {
    h = await harness();
  });

  it('refuses ciphertext that does not decrypt, with one answer for every kind of failure', async () => {
    const answers: Array<[number, unknown]> = [];
    for (const encrypt of ['not base64 at all!', Buffer.alloc(48, 7).toString('base64'), encryptFeishu(JSON.stringify(say('x')), 'another key'), encryptFeishu('not json', FAKE_ENCRYPT_KEY)]) {
      const res = await h.postRaw(JSON.stringify({ encrypt }), { 'content-type': 'application/json' });
      answers.push([res.status, await res.json()]);
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]![0]).toBe(400);
    await expectNothingRecorded(h, say('hello'));
  });

  it('refuses an encrypted body when no Encrypt Key is configured', async () => {
    const plainHarness = await harness({ encryptKey: null });
    const res = await plainHarness.postRaw(JSON.stringify({ encrypt: encryptFeishu('{}', FAKE_ENCRYPT_KEY) }), { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
  });
});

describe('signature', () => {
  beforeEach(async () => {
    h = await harness();
  });

  it('refuses a bad signature with 401 and records nothing', async () => {
    const envelope = say('hello');
    const req = signFeishuRequest(envelope, { encryptKey: FAKE_ENCRYPT_KEY });
    const res = await h.postRaw(req.body, { ...req.headers, 'x-lark-signature': computeFeishuSignature(req.headers['x-lark-request-timestamp']!, 'other-nonce', FAKE_ENCRYPT_KEY, Buffer.from(req.body)) });
    expect(res.status).toBe(401);
    await expectNothingRecorded(h, envelope);
  });

  it('refuses a request without signature headers, and one signed with another key', async () => {
    const envelope = say('hello');
    const req = signFeishuRequest(envelope, { encryptKey: FAKE_ENCRYPT_KEY });
    expect((await h.postRaw(req.body, { 'content-type': 'application/json' })).status).toBe(401);
    const other = computeFeishuSignature(req.headers['x-lark-request-timestamp']!, req.headers['x-lark-request-nonce']!, FAKE_APP_SECRET, Buffer.from(req.body));
    expect((await h.postRaw(req.body, { ...req.headers, 'x-lark-signature': other })).status).toBe(401);
    await expectNothingRecorded(h, envelope);
  });

  it('refuses a body changed after signing', async () => {
    const req = signFeishuRequest(say('hello'), { encryptKey: FAKE_ENCRYPT_KEY });
    const swapped = JSON.stringify({ encrypt: encryptFeishu(JSON.stringify(say('forged')), FAKE_ENCRYPT_KEY) });
    expect((await h.postRaw(swapped, req.headers)).status).toBe(401);
    expect((await h.postRaw(`${req.body} `, req.headers)).status).toBe(401);
  });

  it('refuses a plain (unencrypted) event when an Encrypt Key is set and it is not signed', async () => {
    const res = await h.postRaw(JSON.stringify(say('hello')), { 'content-type': 'application/json' });
    expect(res.status).toBe(401);
  });
});

describe('verification token', () => {
  it('refuses a signed event carrying another token (the SDK never checks it)', async () => {
    h = await harness();
    const envelope = say('hello', { token: 'someone-elses-token' });
    expect((await h.post(envelope)).status).toBe(401);
    await expectNothingRecorded(h, say('hello'));
  });

  it('is the only check without an Encrypt Key: a forged plain event is refused', async () => {
    h = await harness({ encryptKey: null });
    expect((await h.post(say('hello', { token: 'guess' }))).status).toBe(401);
    const ok = await h.post(say('hello'));
    expect(ok.status).toBe(200);
  });

  it('refuses every event when neither an Encrypt Key nor a Verification Token is configured', async () => {
    h = await harness({ encryptKey: null, verificationToken: null });
    expect((await h.post(say('hello'))).status).toBe(404);
    const req = signFeishuRequest(say('hello'));
    const receipt = await h.feishu.receive(new Request('http://x/webhook/feishu', { method: 'POST', headers: req.headers, body: req.body }));
    expect(receipt.kind === 'respond' && receipt.response.status).toBe(503);
    expect(h.logs.some((l) => l.message === 'feishu request refused')).toBe(true);
  });
});

describe('app id', () => {
  it("refuses another app's event with 403", async () => {
    h = await harness();
    const res = await h.post(say('hello', { appId: 'cli_ffffffffffffffff' }));
    expect(res.status).toBe(403);
    await expectNothingRecorded(h, say('hello'));
  });
});

describe('timestamp window', () => {
  beforeEach(async () => {
    h = await harness({ timestampWindowSeconds: 300 });
  });

  it('refuses a stale or a future timestamp, even correctly signed', async () => {
    const envelope = say('hello');
    const now = Math.floor(Date.now() / 1000);
    expect((await h.post(envelope, { timestamp: String(now - 3600) })).status).toBe(401);
    expect((await h.post(envelope, { timestamp: String(now + 3600) })).status).toBe(401);
    await expectNothingRecorded(h, envelope);
  });

  it("falls back to the event's create_time when the header cannot be read", async () => {
    const stale = say('old');
    stale.header.create_time = String(Date.now() - 3600_000);
    expect((await h.post(stale, { timestamp: 'yesterday-ish' })).status).toBe(401);
    expect((await h.post(say('fresh'), { timestamp: 'yesterday-ish' })).status).toBe(200);
  });

  it('reads milliseconds and a Go time.String() timestamp leniently', async () => {
    expect((await h.post(say('a'), { timestamp: String(Date.now()) })).status).toBe(200);
    const d = new Date(Date.now() + 8 * 3600_000);
    const go = `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)}.05 +0800 CST m=+3612.1`;
    expect((await h.post(say('b'), { timestamp: go })).status).toBe(200);
  });

  it("checks the event's create_time when there is no signature (no Encrypt Key)", async () => {
    const plain = await harness({ encryptKey: null, timestampWindowSeconds: 300 });
    const stale = say('hello');
    stale.header.create_time = String(Date.now() - 3600_000);
    const res = await plain.postRaw(JSON.stringify(stale), { 'content-type': 'application/json' });
    expect(res.status).toBe(401);
  });
});

describe('claim, record, 200, process', () => {
  beforeEach(async () => {
    h = await harness();
  });

  it('answers the same event delivered three times once', async () => {
    const envelope = say('hello');
    for (let i = 0; i < 3; i++) {
      const res = await h.post(envelope);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({});
    }
    await h.pipeline.idle();
    expect(bot.seen.map((m) => m.text)).toEqual(['hello']);
    expect(fake.messages.map((m) => m.content)).toEqual([{ text: 'echo hello' }]);
  });

  it('answers the same message under two event ids once (Feishu: dedupe messages on message_id)', async () => {
    const first = say('hello', { messageId: 'om_same' });
    const second = say('hello', { messageId: 'om_same' });
    expect(first.header.event_id).not.toBe(second.header.event_id);
    expect((await h.post(first)).status).toBe(200);
    expect((await h.post(second)).status).toBe(200);
    await h.pipeline.idle();
    expect(bot.seen).toHaveLength(1);
    expect(fake.messages).toHaveLength(1);
  });

  it('records the event before the 200 and processes it after: the acknowledgement does not wait for the bot', async () => {
    const envelope = say('wait');
    const res = await h.post(envelope);
    expect(res.status).toBe(200);
    // Acknowledged while the bot is still working on it: recorded, not processed.
    const pending = await h.store.listPending();
    expect(pending.inbound.map((e) => e.id)).toEqual([`feishu:ev:${envelope.header.event_id}`]);
    expect(pending.inbound[0]!.message).toMatchObject({ channel: 'feishu', chatId: `feishu:${GROUP}`, chatType: 'group', userId: ZHANG, text: expect.stringMatching(/wait$/) });
    expect(fake.messages).toEqual([]);
    await until(() => bot.seen.length === 1);
    bot.release(`feishu:${GROUP}`);
    await h.pipeline.idle();
    expect((await h.store.listPending()).inbound).toEqual([]);
    // In a group the reply quotes the message it answers.
    expect(bot.seen.map((m) => m.text)).toEqual(['wait']);
    expect(fake.messages).toMatchObject([{ via: 'reply', replyTo: (envelope.event as { message: { message_id: string } }).message.message_id, content: { text: 'waited' } }]);
  });
});

describe('what is not for the bot', () => {
  beforeEach(async () => {
    h = await harness();
  });

  it('acknowledges and logs an unknown event type without recording it', async () => {
    const envelope = { ...say('x'), header: { ...say('x').header, event_type: 'im.chat.member.bot.added_v1' }, event: { chat_id: GROUP } };
    const res = await h.post(envelope);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expect(h.logs).toContainEqual({ level: 'info', message: 'feishu event ignored', fields: { eventType: 'im.chat.member.bot.added_v1', reason: 'unhandled event type' } });
    expect((await h.store.listPending()).inbound).toEqual([]);
  });

  it('ignores group messages that do not @ the bot, and messages sent by bots', async () => {
    // The bot's identity is fetched once, in the background, on the first event.
    await h.post(say('first'));
    await h.pipeline.idle();
    bot.seen.length = 0;
    const other = feishuEvents.text({ chatId: GROUP, sender: ZHANG, text: '@_user_1 看一下', mentions: [{ openId: 'ou_lisi', name: '李四' }] });
    const none = feishuEvents.text({ chatId: GROUP, sender: ZHANG, text: '大家好' });
    const fromBot = say('hello', { senderType: 'app' });
    for (const e of [other, none, fromBot]) expect((await h.post(e)).status).toBe(200);
    await h.pipeline.idle();
    expect(bot.seen).toEqual([]);
  });

  it('takes a private message without any @', async () => {
    const res = await h.post(feishuEvents.text({ chatId: 'oc_p2p', chatType: 'p2p', sender: ZHANG, text: '你好' }));
    expect(res.status).toBe(200);
    await h.pipeline.idle();
    expect(bot.seen.map((m) => [m.chatType, m.text])).toEqual([['p2p', '你好']]);
    // In a private chat the reply is a plain message to the chat.
    expect(fake.messages).toMatchObject([{ via: 'create', receiveIdType: 'chat_id', receiveId: 'oc_p2p' }]);
  });

  it('refuses webhook requests in long-connection mode', async () => {
    const ws = await harness({ mode: 'ws' });
    expect((await ws.post(say('hello'))).status).toBe(404);
    const req = signFeishuRequest(say('hello'), { encryptKey: FAKE_ENCRYPT_KEY });
    const receipt = await ws.feishu.receive(new Request('http://x/webhook/feishu', { method: 'POST', headers: req.headers, body: req.body }));
    expect(receipt.kind === 'respond' && receipt.response.status).toBe(503);
  });
});

describe('logs', () => {
  it('never carry message text or secrets', async () => {
    h = await harness();
    await h.post(say('机密的回答 6091.91'));
    await h.post(say('another', { token: 'x' }));
    await h.pipeline.idle();
    const text = JSON.stringify(h.logs);
    for (const secret of ['机密的回答', FAKE_APP_SECRET, FAKE_ENCRYPT_KEY, FAKE_VERIFICATION_TOKEN]) expect(text).not.toContain(secret);
  });
});
