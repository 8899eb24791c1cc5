import JSZip from 'jszip';
import { afterEach, describe, expect, it } from 'vitest';
import { createBot, type Bot } from '../src/app/bot';
import { DINGTALK_QUOTA_STATE_KEY, quotaMonth } from '../src/channels/dingtalk/client';
import { readSendMessageLink } from '../src/channels/dingtalk/encode';
import { dingtalkText } from '../src/core/locale/zh-CN';
import type { InboundMessage } from '../src/core/messages';
import type { Store } from '../src/store/port';
import { answer002 } from './helpers/answers-002';
import { callbackBody, signedHeaders, startFakeDingTalk, type FakeDingTalk, type FakeMessage, type FakePerson } from './fakes/dingtalk';
import { GROUP, startDingTalkHarness, type DingTalkHarness } from './fakes/dingtalk-harness';

const ZHANG: FakePerson = { staffId: 'zhangsan01', nick: '张三' };
const LI: FakePerson = { staffId: 'lisi02', nick: '李四' };
const CREATE = '新建自评 南京市数据局 2024 框架=nanjing-2021 截止=2025-05-31';
const LI_P2P = 'cidFakeP2PLisi==';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

async function start(options: { makeBot?: (store: Store) => Bot } = {}): Promise<{ fake: FakeDingTalk; h: DingTalkHarness }> {
  const fake = await startFakeDingTalk();
  open.push(fake);
  const h = await startDingTalkHarness({ fake, mode: 'http', ...options });
  open.push(h);
  return { fake, h };
}

/** A bot that counts what it was given. */
function countingBot(seen: InboundMessage[]) {
  return (store: Store): Bot => {
    const bot = createBot({ store });
    return { handle: (m) => (seen.push(m), bot.handle(m)) };
  };
}

/** The question a person is being asked in the group's evaluation (the store's session state). */
async function currentQuestion(h: DingTalkHarness, staffId: string): Promise<string | undefined> {
  const id = await h.store.evaluationIdForChat(`dingtalk:${GROUP}`);
  return id ? (await h.store.getEvaluation(id))?.sessions[staffId]?.current : undefined;
}

const textOf = (ms: FakeMessage[]) => ms.map((m) => `${m.title ?? ''}\n${m.text ?? ''}`).join('\n');

describe('DingTalk over HTTP callbacks', () => {
  it("runs 002's whole questionnaire with two people in one group (and a private chat), ending with the report file", async () => {
    const { fake, h } = await start();
    const created = await h.say(ZHANG, CREATE);
    expect(textOf(created)).toContain('已创建「南京市数据局2024年度部门整体绩效自评价」');
    // @李四 in DingTalk: the robot gets the mention with 李四's staff id.
    const assigned = await h.say(ZHANG, '分配 部门管理 @李四', { at: [LI] });
    expect(textOf(assigned)).toContain('已将「部门管理」分配给');
    expect(assigned.at(-1)!.atUserIds).toEqual(expect.arrayContaining(['zhangsan01', 'lisi02']));

    // 李四 starts in a private chat with the robot: it reaches the group's evaluation, and choices are buttons there.
    const p2p = { conversationId: LI_P2P, conversationType: '1' as const };
    const first = await h.say(LI, '开始', p2p);
    expect(textOf(first)).toContain('南京市数据局2024年度部门整体绩效自评价');
    let pressed = 0;
    let replies = first;
    for (let i = 0; i < 40 && pressed < 2; i++) {
      const key = await currentQuestion(h, LI.staffId);
      if (!key) break;
      const card = replies.find((m) => m.kind === 'actionCard');
      const want = answer002({ key, type: '', options: [] });
      const button = card?.buttons?.find((b) => want.startsWith(readSendMessageLink(b.url) ?? '\u0000'));
      // A button sends its words back as the person, the same as typing them.
      if (button && readSendMessageLink(button.url) === want) {
        pressed++;
        replies = await h.say(LI, readSendMessageLink(button.url)!, p2p);
      } else replies = await h.say(LI, want, p2p);
    }
    expect(pressed).toBeGreaterThan(0);
    for (const m of fake.messages.filter((x) => x.conversationId === LI_P2P)) {
      expect(m.via).toBe('session');
      // No @ in a private chat, no hint about @.
      expect(m.atUserIds).toEqual([]);
      expect(m.text).not.toContain('只有 @我');
    }

    // Then both answer the rest in the group, each @-mentioned in the replies to them.
    const asked: Record<string, string[]> = { [LI.staffId]: [], [ZHANG.staffId]: [] };
    for (const person of [LI, ZHANG]) {
      replies = await h.say(person, '开始');
      for (let i = 0; i < 150; i++) {
        const key = await currentQuestion(h, person.staffId);
        if (!key) break;
        asked[person.staffId]!.push(key);
        replies = await h.say(person, answer002({ key, type: '', options: [] }));
        const last = replies.at(-1)!;
        expect(last.atUserIds).toContain(person.staffId);
        expect(last.text).toContain(`@${person.staffId}`);
      }
    }
    expect(asked[LI.staffId]!.length).toBeGreaterThan(5);
    expect(asked[ZHANG.staffId]!.length).toBeGreaterThan(5);
    expect(textOf(replies)).toContain('所有问题都已回答：总分 98.5 分，优秀');

    const group = fake.messages.filter((m) => m.conversationId === GROUP);
    // Every reply went through the session webhook; the group was told once to @ the robot.
    expect(group.every((m) => m.via === 'session')).toBe(true);
    expect(group.filter((m) => m.text?.includes('只有 @我'))).toHaveLength(1);
    // Choices in the group are numbered options to type (a button's message may not @ the robot there).
    expect(group.some((m) => m.kind === 'actionCard')).toBe(false);
    expect(group.some((m) => /1\. 是 {2}\n2\. 否/.test(m.text ?? ''))).toBe(true);

    // The report: uploaded (type file, an ASCII upload name), sent as sampleFile to the group, then a note with @.
    const report = await h.say(ZHANG, '报告');
    expect(fake.uploads).toHaveLength(1);
    const upload = fake.uploads[0]!;
    expect(upload.type).toBe('file');
    expect(upload.fileName).toBe('report.docx');
    const zip = await JSZip.loadAsync(upload.bytes);
    expect(await zip.file('word/document.xml')!.async('string')).toContain('98.5');
    const file = report.find((m) => m.kind === 'sampleFile')!;
    expect(file).toMatchObject({ via: 'group', conversationId: GROUP, file: { mediaId: upload.mediaId, fileName: '南京市数据局2024年度部门整体绩效自评价报告.docx', fileType: 'docx' } });
    const note = report[report.indexOf(file) + 1]!;
    expect(note).toMatchObject({ via: 'session', atUserIds: ['zhangsan01'] });
    expect(note.text).toContain('报告已发送到本群');

    // Two OpenAPI calls this month (the upload and the file): 进度 tells the organiser, not others; the
    // count is written to channel state by a clean stop.
    const calls = h.logs.filter((l) => l.message === 'dingtalk openapi call');
    expect(calls.map((l) => l.fields?.['api'])).toEqual(['media/upload', 'robot/groupMessages/send']);
    expect(textOf(await h.say(ZHANG, '进度'))).toContain('本月钉钉开放接口已调用 2 次');
    expect(textOf(await h.say(LI, '进度'))).not.toContain('钉钉开放接口');
    await h.close();
    expect(await h.store.getChannelState(DINGTALK_QUOTA_STATE_KEY)).toEqual({ month: quotaMonth(new Date()), calls: 2 });
    // Nothing left in the inbox or outbox, and no message text in the log.
    expect(await h.store.listPending()).toEqual({ inbound: [], outbound: [] });
    expect(JSON.stringify(h.logs)).not.toMatch(/南京市数据局|5763|新建自评/);
  });

  it('answers a msgId delivered twice once, also when the second delivery comes while the first is processed', async () => {
    const seen: InboundMessage[] = [];
    const { fake, h } = await start({ makeBot: countingBot(seen) });
    const body = callbackBody({ conversationId: GROUP, from: ZHANG, text: '帮助', session: fake.session(GROUP) });
    const [a, b] = await Promise.all([h.post(body), h.post(body)]);
    expect([await a.text(), await b.text()]).toEqual(['{"msgtype":"empty"}', '{"msgtype":"empty"}']);
    await h.server.pipeline.idle();
    const again = await h.deliver(body);
    expect(again).toEqual([]);
    expect(seen.map((m) => m.text)).toEqual(['帮助']);
    expect(seen[0]!.messageId).toBe(`dingtalk:msg:${body['msgId']}`);
    expect(fake.messages).toHaveLength(1);
  });

  it('refuses a bad signature and a stale timestamp with 401, recording nothing', async () => {
    const seen: InboundMessage[] = [];
    const { fake, h } = await start({ makeBot: countingBot(seen) });
    const body = callbackBody({ conversationId: GROUP, from: ZHANG, text: '帮助', session: fake.session(GROUP) });
    const now = Date.now();
    const cases: Array<Record<string, string>> = [
      signedHeaders('another-secret', now),
      { ...signedHeaders(undefined, now), sign: signedHeaders(undefined, now + 1)['sign']! },
      { ...signedHeaders(undefined, now), sign: 'short' },
      { 'content-type': 'application/json' },
      signedHeaders(undefined, now - 3600_000 - 60_000),
      signedHeaders(undefined, now + 3600_000 + 60_000),
      { ...signedHeaders(undefined, now), timestamp: `${now}.5` },
    ];
    for (const headers of cases) {
      const res = await h.post(body, headers);
      expect(res.status).toBe(401);
    }
    await h.server.pipeline.idle();
    expect(await h.store.listPending()).toEqual({ inbound: [], outbound: [] });
    expect(seen).toEqual([]);
    expect(fake.messages).toEqual([]);
    // The msgId was not claimed: the same callback, signed properly, is answered.
    expect(await h.deliver(body)).toHaveLength(1);
    expect(seen).toHaveLength(1);
    expect(h.logs.filter((l) => l.message === 'dingtalk: callback refused').map((l) => l.fields?.['problem'])).toEqual([
      'mismatch',
      'mismatch',
      'mismatch',
      'missing',
      'stale',
      'stale',
      'malformed',
    ]);
  });

  it('honours DINGTALK_TIMESTAMP_WINDOW_SECONDS', async () => {
    const fake = await startFakeDingTalk();
    open.push(fake);
    const h = await startDingTalkHarness({ fake, timestampWindowSeconds: 60 });
    open.push(h);
    const body = callbackBody({ conversationId: GROUP, from: ZHANG, text: '帮助', session: fake.session(GROUP) });
    expect((await h.post(body, signedHeaders(undefined, Date.now() - 120_000))).status).toBe(401);
    expect((await h.post(body, signedHeaders(undefined, Date.now() - 30_000))).status).toBe(200);
  });

  it('sends a reply through the OpenAPI when the session webhook has expired, or DingTalk says so (300001)', async () => {
    const { fake, h } = await start();
    // Expired by its stated time: straight to groupMessages/send, no @ possible, the name instead.
    const stale = fake.session(GROUP, Date.now() - 1000);
    const byTime = await h.deliver(callbackBody({ conversationId: GROUP, from: ZHANG, text: '帮助', session: stale }));
    expect(byTime).toHaveLength(1);
    expect(byTime[0]).toMatchObject({ via: 'group', conversationId: GROUP, kind: 'sampleMarkdown' });
    expect(byTime[0]!.text).toContain('@张三');
    expect(fake.calls.filter((c) => c.api === 'session')).toEqual([]);

    // Valid by its time, but DingTalk answers 300001: the same reply goes through the OpenAPI.
    const session = fake.session(GROUP);
    fake.expireSession(session.url);
    const by300001 = await h.deliver(callbackBody({ conversationId: GROUP, from: ZHANG, text: '帮助', session }));
    expect(fake.calls.filter((c) => c.api === 'session').map((c) => (c.answer as { errcode: number }).errcode)).toEqual([300001]);
    expect(by300001).toHaveLength(1);
    expect(by300001[0]).toMatchObject({ via: 'group', kind: 'sampleMarkdown' });
    // The same reply (the group's one-time hint about @ went with the first).
    expect(byTime[0]!.text).toContain('只有 @我');
    expect(by300001[0]!.text).toBe(byTime[0]!.text!.replace(`  \n  \n${dingtalkText.atHint}`, ''));

    // In a private chat the OpenAPI sends to the person (batchSend).
    const p2p = await h.deliver(callbackBody({ conversationId: LI_P2P, conversationType: '1', from: LI, text: '帮助', session: fake.session(LI_P2P, Date.now() - 1) }));
    expect(p2p[0]).toMatchObject({ via: 'oto', userIds: ['lisi02'] });
    expect(await h.store.listPending()).toEqual({ inbound: [], outbound: [] });
  });

  it('uses the session webhook kept for the chat for a message nobody asked for, and the OpenAPI once it expired', async () => {
    const { fake, h } = await start();
    await h.say(ZHANG, '帮助');
    const reminder = (id: string) => ({ id, channel: 'dingtalk' as const, target: { chatId: `dingtalk:${GROUP}`, chatType: 'group' as const }, item: { kind: 'text' as const, text: '提醒：请尽快填写' }, createdAt: Date.now() });
    await h.server.pipeline.enqueue([reminder('r1')]);
    await h.server.pipeline.idle();
    expect(fake.messages.at(-1)).toMatchObject({ via: 'session', conversationId: GROUP });
    expect(fake.messages.at(-1)!.text).toContain('提醒');
    for (const c of fake.calls.filter((x) => x.api === 'session')) fake.expireSession(`${fake.oapiBase}/robot/sendBySession?session=${c.query['session']}`);
    await h.server.pipeline.enqueue([reminder('r2')]);
    await h.server.pipeline.idle();
    expect(fake.messages.at(-1)).toMatchObject({ via: 'group', conversationId: GROUP, kind: 'sampleMarkdown' });
  });
});

describe('DingTalk bad input', () => {
  it('answers 4xx and records nothing for bodies that are not robot callbacks', async () => {
    const seen: InboundMessage[] = [];
    const { fake, h } = await start({ makeBot: countingBot(seen) });
    const valid = callbackBody({ conversationId: GROUP, from: ZHANG, text: '帮助', session: fake.session(GROUP) });
    const bodies: Array<[unknown, number]> = [
      ['{"msgId":', 400],
      ['[1,2,3]', 400],
      ['"text"', 400],
      ['null', 400],
      [{}, 400],
      [{ ...valid, msgId: undefined }, 400],
      [{ ...valid, msgId: '' }, 400],
      [{ ...valid, conversationId: 42 }, 400],
      [{ ...valid, conversationType: '3' }, 400],
      [{ ...valid, conversationId: 'cid\u0000evil' }, 400],
      [{ ...valid, senderStaffId: undefined, senderId: undefined }, 400],
      [new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 400],
      [JSON.stringify({ ...valid, pad: 'x'.repeat(300 * 1024) }), 413],
    ];
    for (const [body, status] of bodies) {
      const res = await h.post(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
    }
    await h.server.pipeline.idle();
    expect(await h.store.listPending()).toEqual({ inbound: [], outbound: [] });
    expect(seen).toEqual([]);
    expect(fake.messages).toEqual([]);
    // The server is fine afterwards.
    expect(await h.deliver(valid)).toHaveLength(1);
  });

  it('answers a picture or a rich text without text briefly, and drops the quota-exhausted variant (20001), never crashing', async () => {
    const seen: InboundMessage[] = [];
    const { fake, h } = await start({ makeBot: countingBot(seen) });
    const picture = await h.deliver(
      callbackBody({ conversationId: GROUP, from: ZHANG, msgtype: 'picture', session: fake.session(GROUP), extra: { content: { downloadCode: 'mIofN681', pictureDownloadCode: 'pWjA' } } }),
    );
    expect(picture).toHaveLength(1);
    expect(picture[0]!.text).toContain('暂时无法识别图片');
    const rich = await h.deliver(
      callbackBody({ conversationId: GROUP, from: ZHANG, msgtype: 'richText', session: fake.session(GROUP), extra: { content: { richText: [{ type: 'picture', downloadCode: 'x' }] } } }),
    );
    expect(rich[0]!.text).toContain('暂时无法识别图片');
    // A rich text with words is read as its words.
    await h.deliver(
      callbackBody({ conversationId: GROUP, from: ZHANG, msgtype: 'richText', session: fake.session(GROUP), extra: { content: { richText: [{ text: '帮' }, { type: 'picture', downloadCode: 'x' }, { text: '助 ' }] } } }),
    );
    // The variant of the 2026 doc page: a top-level string `content`.
    await h.deliver({ ...callbackBody({ conversationId: GROUP, from: ZHANG, session: fake.session(GROUP) }), content: ' 进度' });
    expect(seen.map((m) => m.text ?? `(${m.unsupported})`)).toEqual(['(图片)', '(图片)', '帮助', '进度']);

    const quota = callbackBody({ conversationId: GROUP, from: ZHANG, session: fake.session(GROUP), extra: { errorCode: '20001', errorMessage: '受调用量超量影响，当前我的消息服务已经暂停' } });
    const before = fake.messages.length;
    const res = await h.post(quota);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"msgtype":"empty"}');
    await h.server.pipeline.idle();
    expect(seen).toHaveLength(4);
    expect(fake.messages.length).toBe(before);
    expect(h.logs.some((l) => l.level === 'error' && l.message.includes('quota exhausted') && l.fields?.['errorCode'] === '20001')).toBe(true);
  });

  it('never posts to a session webhook that is not on DINGTALK_OAPI_BASE (the signature does not cover the body)', async () => {
    const { fake, h } = await start();
    const real = fake.session(GROUP);
    const foreign = real.url.replace('127.0.0.1', 'localhost');
    const out = await h.deliver(callbackBody({ conversationId: GROUP, from: ZHANG, text: '帮助', session: { url: foreign, expiresAt: real.expiresAt } }));
    expect(out).toHaveLength(1);
    expect(out[0]!.via).toBe('group');
    expect(fake.calls.filter((c) => c.api === 'session')).toEqual([]);
    expect(h.logs.some((l) => l.message.includes('session webhook not on DINGTALK_OAPI_BASE'))).toBe(true);
  });
});
