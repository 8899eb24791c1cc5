import { afterEach, describe, expect, it } from 'vitest';
import { createBot, type Bot } from '../src/app/bot';
import type { Logger } from '../src/app/ports';
import { startDingTalkStream, type DingTalkStream } from '../src/channels/dingtalk/stream';
import type { Store } from '../src/store/port';
import { answer002 } from './helpers/answers-002';
import { callbackBody, FAKE_APP_KEY, FAKE_APP_SECRET, startFakeDingTalk, TOPIC_ROBOT, type FakeDingTalk, type FakePerson } from './fakes/dingtalk';
import { GROUP, startDingTalkHarness, type DingTalkHarness } from './fakes/dingtalk-harness';

const ZHANG: FakePerson = { staffId: 'zhangsan01', nick: '张三' };
const LI: FakePerson = { staffId: 'lisi02', nick: '李四' };
const CREATE = '新建自评 南京市数据局 2024 框架=nanjing-2021 截止=2025-05-31';

const open: Array<{ close(): Promise<void> } | { stop(): Promise<void> }> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await ('close' in x ? x.close() : x.stop());
});

async function currentQuestion(h: DingTalkHarness, staffId: string): Promise<string | undefined> {
  const id = await h.store.evaluationIdForChat(`dingtalk:${GROUP}`);
  return id ? (await h.store.getEvaluation(id))?.sessions[staffId]?.current : undefined;
}

describe('DingTalk in Stream mode', () => {
  it("runs 002's whole questionnaire over the Stream connection, through a dropped connection, ending with the report file", async () => {
    const fake = await startFakeDingTalk();
    open.push(fake);
    const h = await startDingTalkHarness({ fake, mode: 'stream' });
    open.push(h);
    // The robot topic was subscribed when the gateway was opened, and no webhook is served.
    expect(fake.subscriptions).toEqual([[{ type: 'CALLBACK', topic: TOPIC_ROBOT }]]);
    expect((await h.post({})).status).toBe(404);

    await h.say(ZHANG, CREATE);
    await h.say(ZHANG, '分配 部门管理 @李四', { at: [LI] });
    let answered = 0;
    let dropped = false;
    let replies: Awaited<ReturnType<DingTalkHarness['say']>> = [];
    for (const person of [LI, ZHANG]) {
      replies = await h.say(person, '开始');
      for (let i = 0; i < 150; i++) {
        const key = await currentQuestion(h, person.staffId);
        if (!key) break;
        replies = await h.say(person, answer002({ key, type: '', options: [] }));
        if (++answered === 20) {
          // The network drops the connection in the middle: the channel opens a new one by itself.
          fake.dropConnections();
          await fake.waitForConnections(2);
          dropped = true;
        }
      }
    }
    expect(dropped).toBe(true);
    expect(fake.connectionCount()).toBe(2);
    expect(replies.map((m) => m.text).join('\n')).toContain('所有问题都已回答：总分 98.5 分，优秀');

    const report = await h.say(ZHANG, '报告');
    expect(report.find((m) => m.kind === 'sampleFile')).toMatchObject({ via: 'group', conversationId: GROUP, file: { fileType: 'docx' } });
    expect(fake.uploads).toHaveLength(1);
    // Every callback was acknowledged (the harness waits for each ACK), and the inbox is empty.
    expect(await h.store.listPending()).toEqual({ inbound: [], outbound: [] });
    expect(h.logs.some((l) => l.message === 'dingtalk stream: connection lost, reconnecting')).toBe(true);
  });

  it('acknowledges a message once it is recorded, before the bot has handled it', async () => {
    const fake = await startFakeDingTalk();
    open.push(fake);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const makeBot = (store: Store): Bot => {
      const bot = createBot({ store });
      return { handle: async (m) => (await gate, bot.handle(m)) };
    };
    const h = await startDingTalkHarness({ fake, mode: 'stream', makeBot });
    open.push(h);
    const body = callbackBody({ conversationId: GROUP, from: ZHANG, text: '帮助', session: fake.session(GROUP) });
    const ack = await fake.waitForAck(fake.pushCallback(body));
    expect(ack).toMatchObject({ code: 200, data: '{"response":null}' });
    // Acknowledged: recorded in the inbox, not yet handled or answered.
    expect((await h.store.listPending()).inbound.map((e) => e.id)).toEqual([`dingtalk:msg:${body['msgId']}`]);
    expect(fake.messages).toEqual([]);
    release();
    await h.server.pipeline.idle();
    expect(fake.messages).toHaveLength(1);
    // Delivered again (DingTalk may, even after an ACK): acknowledged, not answered twice.
    await fake.waitForAck(fake.pushCallback(body));
    await h.server.pipeline.idle();
    expect(fake.messages).toHaveLength(1);
  });

  it('does not acknowledge a message the store could not record, so DingTalk delivers it again', async () => {
    const fake = await startFakeDingTalk();
    open.push(fake);
    let failures = 1;
    const seen: string[] = [];
    const makeBot = (store: Store): Bot => {
      // The store fails the first write (a full disk): the bot is built on the same store.
      const original = store.recordInbound.bind(store);
      store.recordInbound = (...args) => (failures-- > 0 ? Promise.reject(new Error('ENOSPC')) : original(...args));
      const bot = createBot({ store });
      return { handle: (m) => (seen.push(m.text ?? ''), bot.handle(m)) };
    };
    const h = await startDingTalkHarness({ fake, mode: 'stream', makeBot });
    open.push(h);
    const body = callbackBody({ conversationId: GROUP, from: ZHANG, text: '帮助', session: fake.session(GROUP) });
    const first = fake.pushCallback(body);
    // The next frame on the connection is handled after the first: once its ACK is back, the first was decided.
    const probe = callbackBody({ conversationId: 'cidOther==', from: LI, text: '进度', session: fake.session('cidOther==') });
    await fake.waitForAck(fake.pushCallback(probe));
    expect(fake.acks.has(first)).toBe(false);
    const [again] = fake.redeliverUnacked();
    await fake.waitForAck(again!);
    await h.server.pipeline.idle();
    expect(seen.sort()).toEqual(['帮助', '进度']);
  });
});

describe('the Stream receiver', () => {
  const quiet: Logger = { info: () => {}, error: () => {} };
  // Quick reconnects; the watchdog only where it is tested (a busy machine must not look like a silent connection).
  const fast = { reconnect: { firstMs: 20, maxMs: 200, stableMs: 60_000 }, watchdog: { intervalMs: 1000, silenceMs: 60_000 } };

  async function startStream(fake: FakeDingTalk, received: string[], logger: Logger = quiet, watchdog = fast.watchdog): Promise<DingTalkStream> {
    const stream = await startDingTalkStream({
      clientId: FAKE_APP_KEY,
      clientSecret: FAKE_APP_SECRET,
      apiBase: fake.apiBase,
      logger,
      onCallback: async (data) => (received.push((JSON.parse(data) as { text: { content: string } }).text.content.trim()), true),
      reconnect: fast.reconnect,
      watchdog,
    });
    open.push(stream);
    return stream;
  }

  it('retries a gateway that is down with back-off, one attempt at a time, then receives', async () => {
    const fake = await startFakeDingTalk();
    open.push(fake);
    fake.failNext('gateway', { status: 500, body: { code: 'ServiceUnavailable' } }, { status: 502, body: {} }, { status: 503, body: {} });
    const received: string[] = [];
    const stream = await startStream(fake, received);
    expect(stream.connected()).toBe(false);
    await fake.waitForConnections(1);
    // Three failures, one success: no second reconnect path doubling the attempts.
    expect(fake.calls.filter((c) => c.api === 'gateway').map((c) => c.status)).toEqual([500, 502, 503, 200]);
    await fake.waitForAck(fake.sendSystem('ping', { opaque: 'p1' }));
    expect(fake.openConnections()).toBe(1);
    await fake.waitForAck(fake.pushCallback(callbackBody({ conversationId: GROUP, from: ZHANG, text: '进度' })));
    expect(received).toEqual(['进度']);
  });

  it('echoes SYSTEM pings, ignores a malformed frame, and replaces a silent connection', async () => {
    const fake = await startFakeDingTalk();
    open.push(fake);
    const received: string[] = [];
    const logs: string[] = [];
    await startStream(fake, received, { info: (m) => logs.push(m), error: (m) => logs.push(m) }, { intervalMs: 20, silenceMs: 100 });
    await fake.waitForConnections(1);
    const ping = await fake.waitForAck(fake.sendSystem('ping', { opaque: 'abc' }));
    expect(ping).toMatchObject({ code: 200, data: '{"opaque":"abc"}' });
    fake.sendRaw('{"type":"CALLBACK", this is not json');
    await fake.waitForAck(fake.pushCallback(callbackBody({ conversationId: GROUP, from: ZHANG, text: '一' })));
    expect(logs).toContain('dingtalk stream: a frame that is not JSON was ignored');
    // A half-dead connection (no pongs, no frames) never closes by itself: the watchdog replaces it.
    fake.silence(true);
    const pending = fake.waitForConnections(2);
    await pending;
    fake.silence(false);
    expect(logs).toContain('dingtalk stream: connection silent, reconnecting');
    await fake.waitForAck(fake.pushCallback(callbackBody({ conversationId: GROUP, from: ZHANG, text: '二' })));
    expect(received).toEqual(['一', '二']);
  });

  it('opens the next connection at once when the server announces a disconnect, then closes the old one', async () => {
    const fake = await startFakeDingTalk();
    open.push(fake);
    const received: string[] = [];
    const stream = await startStream(fake, received);
    await fake.waitForConnections(1);
    fake.sendSystem('disconnect', { reason: 'connection is expired' });
    await fake.waitForConnections(2);
    await fake.waitForAck(fake.pushCallback(callbackBody({ conversationId: GROUP, from: ZHANG, text: '新连接' })));
    expect(received).toEqual(['新连接']);
    expect(stream.connections()).toBe(2);
    await stream.stop();
    expect(stream.connected()).toBe(false);
  });

  it('replaces a dropped connection with exactly one new connection, and stops for good', async () => {
    const fake = await startFakeDingTalk();
    open.push(fake);
    const stream = await startStream(fake, []);
    await fake.waitForConnections(1);
    fake.dropConnections();
    await fake.waitForConnections(2);
    // The SDK's own reconnect (off here) would add a connection one second after the drop; ours does not.
    await new Promise<void>((r) => setTimeout(r, 1200));
    expect(fake.connectionCount()).toBe(2);
    expect(fake.openConnections()).toBe(1);
    await stream.stop();
    fake.dropConnections();
    // A reconnect would start with a gateway call within a few back-off steps (20 ms each here).
    await new Promise<void>((r) => setTimeout(r, 200));
    expect(fake.calls.filter((c) => c.api === 'gateway')).toHaveLength(2);
    expect(stream.connected()).toBe(false);
  });
});
