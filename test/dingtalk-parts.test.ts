import { describe, expect, it, afterEach } from 'vitest';
import type { Logger } from '../src/app/ports';
import { SendError } from '../src/channels/adapter';
import { createDingTalkClient, DINGTALK_QUOTA_STATE_KEY, quotaMonth, SessionExpiredError, type DingTalkClient } from '../src/channels/dingtalk/client';
import { decodeDingTalkCallback } from '../src/channels/dingtalk/decode';
import {
  encodeReply,
  MSG_PARAM_MAX_BYTES,
  readSendMessageLink,
  SESSION_BODY_MAX_BYTES,
  splitByBytes,
  toOpenApiMessage,
  toSessionBody,
} from '../src/channels/dingtalk/encode';
import { checkDingTalkSignature, signDingTalkTimestamp } from '../src/channels/dingtalk/verify';
import { createDingTalkChannel } from '../src/channels/dingtalk';
import { createPlatformChannels } from '../src/channels/registry';
import { loadConfig } from '../src/config';
import type { Button, Delivery } from '../src/core/messages';
import { createMemoryStore } from '../src/store/memory';
import type { Store } from '../src/store/port';
import { callbackBody, FAKE_APP_KEY, FAKE_APP_SECRET, FAKE_CHATBOT_USER_ID, startFakeDingTalk, type FakeDingTalk } from './fakes/dingtalk';

const HOUR = 3600_000;

describe('verifying a callback signature', () => {
  it("matches DingTalk's documented example", () => {
    // https://open.dingtalk.com/document/development/receive-message (timestamp and secret of the doc's sample)
    expect(signDingTalkTimestamp('1577262236757', 'this is a secret')).toBe('DJrE6qdyVGCQz9z5r2MDuNcNAhwYnuAkyj13cx169CA=');
    expect(checkDingTalkSignature('1577262236757', 'DJrE6qdyVGCQz9z5r2MDuNcNAhwYnuAkyj13cx169CA=', 'this is a secret', 1577262236757 + HOUR, HOUR)).toEqual({ ok: true });
  });

  it('refuses, in order: missing headers, a timestamp that is not milliseconds, outside the window, a different signature', () => {
    const ts = '1577262236757';
    const sign = signDingTalkTimestamp(ts, 's');
    const at = Number(ts);
    expect(checkDingTalkSignature(undefined, sign, 's', at, HOUR)).toEqual({ ok: false, problem: 'missing' });
    expect(checkDingTalkSignature(ts, '', 's', at, HOUR)).toEqual({ ok: false, problem: 'missing' });
    for (const bad of ['-1577262236757', '1.5e12', '0x5BF', ' ', '15772622367570000000']) {
      expect(checkDingTalkSignature(bad, sign, 's', at, HOUR).ok).toBe(false);
    }
    expect(checkDingTalkSignature(ts, sign, 's', at + HOUR + 1, HOUR)).toEqual({ ok: false, problem: 'stale' });
    expect(checkDingTalkSignature(ts, sign, 's', at - HOUR - 1, HOUR)).toEqual({ ok: false, problem: 'stale' });
    // A stale timestamp is refused even with a valid signature; a fresh one with a wrong signature too.
    expect(checkDingTalkSignature(ts, signDingTalkTimestamp(ts, 'other'), 's', at, HOUR)).toEqual({ ok: false, problem: 'mismatch' });
    // Base64 that decodes to the same bytes but is not what DingTalk sends, a prefix, something longer.
    expect(checkDingTalkSignature(ts, `${sign.slice(0, 8)} ${sign.slice(8)}`, 's', at, HOUR).ok).toBe(false);
    expect(checkDingTalkSignature(ts, sign.slice(0, 20), 's', at, HOUR).ok).toBe(false);
    expect(checkDingTalkSignature(ts, `${sign}AAAA`, 's', at, HOUR).ok).toBe(false);
    expect(checkDingTalkSignature(ts, sign, 's', at, HOUR).ok).toBe(true);
  });
});

describe('decoding a callback', () => {
  const oapiBase = 'https://oapi.dingtalk.com';
  const decode = (body: unknown) => decodeDingTalkCallback(body, { oapiBase, receivedAt: 1000 });
  const zhang = { staffId: 'zhangsan01', nick: '张三' };

  it('reads a group text: trimmed, the staff id as user, the conversation as chat, the session webhook as reply context', () => {
    const session = { url: `${oapiBase}/robot/sendBySession?session=abc`, expiresAt: 5_400_000 };
    const out = decode(callbackBody({ msgId: 'msgA==', conversationId: 'cidG==', from: zhang, text: '  5763.6 \n', session }));
    expect(out).toMatchObject({
      kind: 'message',
      event: {
        id: 'dingtalk:msg:msgA==',
        keys: ['dingtalk:msg:msgA=='],
        channel: 'dingtalk',
        message: { channel: 'dingtalk', chatId: 'dingtalk:cidG==', chatType: 'group', userId: 'zhangsan01', userName: '张三', text: '5763.6', receivedAt: 1000 },
        replyTo: {
          chatId: 'dingtalk:cidG==',
          chatType: 'group',
          userId: 'zhangsan01',
          userName: '张三',
          context: { conversationId: 'cidG==', conversationType: '2', staffId: 'zhangsan01', sessionWebhook: session.url, sessionWebhookExpiresAt: session.expiresAt },
        },
      },
    });
    if (out.kind === 'message') expect(out.event.message.mentions).toBeUndefined();
    // Without its expiry, a session webhook is taken to last the documented 90 minutes.
    const noExpiry = decode({ ...callbackBody({ conversationId: 'cidG==', from: zhang, text: 'x', session }), sessionWebhookExpiredTime: undefined });
    expect(noExpiry).toMatchObject({ context: { sessionWebhookExpiresAt: 1000 + 90 * 60_000 } });
  });

  it('reads private chats, the encrypted sender id when there is no staff id, a numeric conversation type', () => {
    const p2p = decode({ ...callbackBody({ conversationId: 'cidP==', conversationType: '1', from: zhang, text: '是' }), senderStaffId: undefined });
    expect(p2p).toMatchObject({ kind: 'message', event: { message: { chatType: 'p2p', userId: '$:LWCP_v1:$zhangsan01==' } } });
    const numeric = decode({ ...callbackBody({ conversationId: 'cidP==', from: zhang, text: '是' }), conversationType: 1 });
    expect(numeric).toMatchObject({ kind: 'message', event: { message: { chatType: 'p2p' } } });
  });

  it('takes the people @-mentioned besides the robot, with their names from the text when the counts agree', () => {
    const li = { staffId: 'lisi02', nick: '李四' };
    const wang = { staffId: 'wangwu03', nick: '王五' };
    const both = decode(callbackBody({ conversationId: 'c', from: zhang, text: '分配 部门管理 @李四 @王五', at: [li, wang] }));
    expect(both.kind === 'message' && both.event.message.mentions).toEqual([
      { userId: 'lisi02', name: '李四' },
      { userId: 'wangwu03', name: '王五' },
    ]);
    // A mention without a staff id (an external member) is left out; names are not guessed then.
    const body = callbackBody({ conversationId: 'c', from: zhang, text: '分配 部门管理 @李四 @外部', at: [li] });
    (body['atUsers'] as unknown[]).push({ dingtalkId: '$:LWCP_v1:$ext' });
    const partial = decode(body);
    expect(partial.kind === 'message' && partial.event.message.mentions).toEqual([{ userId: 'lisi02' }]);
    // The robot itself (its chatbotUserId) is never a mention, even if it came with a staff id.
    const robot = callbackBody({ conversationId: 'c', from: zhang, text: '开始' });
    robot['atUsers'] = [{ dingtalkId: FAKE_CHATBOT_USER_ID, staffId: 'robot-staff' }];
    const r = decode(robot);
    expect(r.kind === 'message' && r.event.message.mentions).toBeUndefined();
  });

  it('reads the kinds without text as unsupported, and the quota variant as nothing to answer', () => {
    const kind = (msgtype: string, content: unknown) => {
      const out = decode({ ...callbackBody({ conversationId: 'c', from: zhang, msgtype }), content });
      return out.kind === 'message' ? [out.event.message.text, out.event.message.unsupported] : out.kind;
    };
    expect(kind('picture', { downloadCode: 'x' })).toEqual([undefined, '图片']);
    expect(kind('audio', { duration: 4000, downloadCode: 'x', recognition: '钉钉' })).toEqual([undefined, '语音']);
    expect(kind('file', { downloadCode: 'x', fileName: 'a.pdf' })).toEqual([undefined, '文件']);
    expect(kind('video', { downloadCode: 'x' })).toEqual([undefined, '视频']);
    expect(kind('interactiveCard', {})).toEqual([undefined, '这类消息']);
    expect(kind('richText', { richText: [{ text: '是，' }, { type: 'picture' }, { text: '有记录' }] })).toEqual(['是，有记录', undefined]);
    // An empty text (only the @) is an empty message, not an unsupported one.
    expect(kind('text', undefined)).toEqual([undefined, undefined]);
    const quota = decode({ ...callbackBody({ conversationId: 'c', from: zhang }), errorCode: 20001, errorMessage: '受调用量超量影响' });
    expect(quota).toEqual({ kind: 'ignored', reason: 'quota-exhausted', errorCode: '20001' });
  });

  it('keeps only session webhooks on DINGTALK_OAPI_BASE', () => {
    const at = (url: string) => decode(callbackBody({ conversationId: 'c', from: zhang, text: 'x', session: { url, expiresAt: 9 } }));
    expect(at(`${oapiBase}/robot/sendBySession?session=1`)).toMatchObject({ droppedSession: false, context: { sessionWebhook: `${oapiBase}/robot/sendBySession?session=1` } });
    for (const url of ['https://evil.example/robot/sendBySession?session=1', `${oapiBase}/robot/send?access_token=1`, 'http://oapi.dingtalk.com/robot/sendBySession?session=1', 'https://user:pw@oapi.dingtalk.com/robot/sendBySession', 'not a url']) {
      const out = at(url);
      expect(out, url).toMatchObject({ kind: 'message', droppedSession: true });
      if (out.kind === 'message') expect(out.context.sessionWebhook).toBeUndefined();
    }
  });
});

describe('encoding replies', () => {
  const answer = (value: string): Button => ({ label: value, action: { type: 'answer', key: 'judgement:A11', value, stamp: 's1' } });
  const question = { key: 'judgement:A11', type: 'boolean' as const, options: ['是', '否'] };

  it('splits a long text by UTF-8 bytes under both limits, without cutting a character, the @ with the last part', () => {
    const line = '预算执行率按年初预算数与调整预算数计算，😀“引号”\\反斜杠\t';
    const text = Array.from({ length: 900 }, (_, i) => `${i + 1}. ${line}`).join('\n');
    for (const via of ['session', 'openapi'] as const) {
      const parts = encodeReply({ kind: 'text', text, mentions: [{ userId: 'lisi02', name: '李四' }] }, { chatType: 'group', via, mentions: [{ userId: 'lisi02', name: '李四' }] });
      expect(parts.length).toBeGreaterThan(2);
      for (const p of parts) {
        const size = via === 'session' ? Buffer.byteLength(JSON.stringify(toSessionBody(p))) : Buffer.byteLength(toOpenApiMessage(p).msgParam);
        expect(size).toBeLessThanOrEqual(via === 'session' ? SESSION_BODY_MAX_BYTES : MSG_PARAM_MAX_BYTES);
        expect(p.text).not.toContain('\uFFFD');
        expect(p.text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
      }
      const tail = via === 'session' ? '  \n@lisi02' : '  \n@李四';
      expect(parts.map((p) => p.text).join('')).toBe(`${text.split('\n').join('  \n')}${tail}`);
      expect(parts.map((p) => p.atUserIds)).toEqual(parts.map((_, i) => (via === 'session' && i === parts.length - 1 ? ['lisi02'] : [])));
      expect(parts[0]!.title).toMatch(/（1\/\d+）$/);
    }
  });

  it('splits at a line break when there is one, and keeps every character', () => {
    expect(splitByBytes('一二三', 6)).toEqual(['一二', '三']);
    // A line break costs two bytes escaped; a break in the first half of a part is not worth cutting at.
    expect(splitByBytes('ab\ncdefghij', 10)).toEqual(['ab\ncdefgh', 'ij']);
    expect(splitByBytes('abcdef\nghijk', 10)).toEqual(['abcdef\n', 'ghijk']);
    expect(splitByBytes('"\\"\\', 8)).toEqual(['"\\"\\']);
    expect(splitByBytes('"\\"\\"', 8)).toEqual(['"\\"\\', '"']);
    expect(splitByBytes('😀😀😀', 8)).toEqual(['😀😀', '😀']);
    expect(splitByBytes('', 10)).toEqual(['']);
  });

  it('shows choices as numbered options in groups, and as buttons that send the words back in private chats', () => {
    const card = { kind: 'card' as const, title: '[部门决策 › 决策制度]', text: '议事规则是否合理清晰？', buttons: [answer('是'), answer('否'), { label: '跳过', action: { type: 'command' as const, command: 'skip' as const } }], question };
    const [group] = encodeReply(card, { chatType: 'group', via: 'session', mentions: [{ userId: 'u1' }] });
    expect(group!.type).toBe('markdown');
    expect(group!.text).toContain('1. 是  \n2. 否  \n请回复序号或选项文字  \n也可回复：「跳过」');
    expect(group!.text.endsWith('  \n@u1')).toBe(true);
    const [p2p] = encodeReply(card, { chatType: 'p2p', via: 'session', mentions: [{ userId: 'u1' }] });
    expect(p2p).toMatchObject({ type: 'actionCard', atUserIds: [] });
    if (p2p?.type !== 'actionCard') throw new Error('not a card');
    expect(p2p.buttons.map((b) => [b.title, readSendMessageLink(b.url)])).toEqual([
      ['是', '是'],
      ['否', '否'],
      ['跳过', '跳过'],
    ]);
    expect(p2p.buttons[0]!.url).toBe('dtmd://dingtalkclient/sendMessage?content=%E6%98%AF');
    expect(toSessionBody(p2p)).toMatchObject({ msgtype: 'actionCard', actionCard: { btnOrientation: '0', btns: [{ title: '是' }, { title: '否' }, { title: '跳过' }] } });
    expect(toOpenApiMessage(p2p).msgKey).toBe('sampleActionCard3');
    expect(JSON.parse(toOpenApiMessage(p2p).msgParam)).toMatchObject({ actionTitle3: '跳过', actionURL3: 'dtmd://dingtalkclient/sendMessage?content=%E8%B7%B3%E8%BF%87' });
  });

  it('does not list options twice, and shows more than five buttons as words to type even in private chats', () => {
    const graded = { kind: 'card' as const, title: 'T', text: '工作开展情况如何？\n1. 充分\n2. 部分环节不充分', buttons: [answer('充分'), answer('部分环节不充分')], question: { ...question, options: ['充分', '部分环节不充分'] } };
    const [m] = encodeReply(graded, { chatType: 'group', via: 'openapi' });
    expect(m!.text.match(/1\. 充分/g)).toHaveLength(1);
    const many = { kind: 'card' as const, title: '修改哪一项', text: '请选择', buttons: Array.from({ length: 8 }, (_, i) => ({ label: `第${i + 1}项`, action: { type: 'command' as const, command: 'edit' as const, arg: `fact:x${i}` } })) };
    const [p] = encodeReply(many, { chatType: 'p2p', via: 'session' });
    expect(p!.type).toBe('markdown');
    expect(p!.text).toContain('「修改 fact:x7」');
  });

  it('cannot @ through the OpenAPI: names the person instead', () => {
    const [m] = encodeReply({ kind: 'text', text: '已记录' }, { chatType: 'group', via: 'openapi', mentions: [{ userId: 'lisi02', name: '李四' }, { userId: 'w3' }] });
    expect(m).toEqual({ type: 'markdown', title: '已记录', text: '已记录  \n@李四', atUserIds: [] });
    expect(toOpenApiMessage(m!)).toEqual({ msgKey: 'sampleMarkdown', msgParam: JSON.stringify({ title: '已记录', text: '已记录  \n@李四' }) });
  });
});

describe('the OpenAPI client', () => {
  let fake: FakeDingTalk;
  afterEach(async () => fake?.close());

  function makeClient(store: Store = createMemoryStore(), clock: { t: number } = { t: Date.now() }, logs: Array<[string, Record<string, unknown> | undefined]> = [], apiBase?: string, backgroundWork?: boolean): DingTalkClient {
    const logger: Logger = { info: (m, f) => void logs.push([m, f]), error: (m, f) => void logs.push([m, f]) };
    return createDingTalkClient({
      appKey: FAKE_APP_KEY,
      appSecret: FAKE_APP_SECRET,
      robotCode: FAKE_APP_KEY,
      apiBase: apiBase ?? fake.apiBase,
      oapiBase: fake.oapiBase,
      store,
      logger,
      now: () => new Date(clock.t),
      quotaFlushMs: 60_000,
      ...(backgroundWork !== undefined ? { backgroundWork } : {}),
    });
  }
  const md = { msgKey: 'sampleMarkdown', msgParam: JSON.stringify({ title: 't', text: 'x' }) };
  const tokenCalls = () => fake.calls.filter((c) => c.api === 'token').length;
  const failureOf = async (p: Promise<unknown>) => {
    const err = await p.then(() => undefined, (e: unknown) => e);
    if (!(err instanceof SendError)) throw new Error(`expected a SendError, got ${String(err)}`);
    return err;
  };

  it('fetches the token once for concurrent calls, and again only shortly before it expires', async () => {
    fake = await startFakeDingTalk();
    const clock = { t: Date.now() };
    const client = makeClient(undefined, clock);
    await Promise.all(Array.from({ length: 10 }, (_, i) => client.sendToGroup(`cid${i}`, md)));
    expect(tokenCalls()).toBe(1);
    expect(fake.messages).toHaveLength(10);
    clock.t += 100 * 60_000;
    await client.sendToGroup('cid', md);
    expect(tokenCalls()).toBe(1);
    // 7200 s tokens are renewed in their last 10 minutes.
    clock.t += 11 * 60_000;
    await Promise.all([client.sendToGroup('cid', md), client.sendToUser('u1', md)]);
    expect(tokenCalls()).toBe(2);
  });

  it('as on Workers (backgroundWork false), shares no token fetch between concurrent calls, keeps the token it got, and stores every call in the count', async () => {
    fake = await startFakeDingTalk();
    const store = createMemoryStore();
    const client = makeClient(store, undefined, [], undefined, false);
    // Concurrent calls may be different invocations: none waits for another's fetch.
    await Promise.all(Array.from({ length: 3 }, (_, i) => client.sendToGroup(`cid${i}`, md)));
    expect(tokenCalls()).toBe(3);
    await client.sendToGroup('cid', md);
    expect(tokenCalls()).toBe(3);
    expect(fake.messages).toHaveLength(4);
    // Each call counted in the store before it resolved (no timer, no shared write chain).
    expect(await client.quota()).toEqual({ month: quotaMonth(new Date()), calls: 4 });
    await store.setChannelState(DINGTALK_QUOTA_STATE_KEY, { month: quotaMonth(new Date()), calls: 40 });
    await client.sendToUser('u1', md);
    expect(await store.getChannelState(DINGTALK_QUOTA_STATE_KEY)).toEqual({ month: quotaMonth(new Date()), calls: 41 });
  });

  it('after a refused token, fetches a new one and says the send is worth retrying', async () => {
    fake = await startFakeDingTalk();
    const client = makeClient();
    await client.sendToGroup('cid', md);
    fake.revokeTokens();
    const err = await failureOf(client.sendToGroup('cid', md));
    expect(err.retryable).toBe(true);
    await client.sendToGroup('cid', md);
    expect(tokenCalls()).toBe(2);
    // Wrong credentials are not worth retrying.
    fake.revokeTokens();
    fake.failNext('token', { status: 400, body: { code: 'invalidClientIdOrSecret' } });
    expect((await failureOf(client.sendToGroup('cid', md))).retryable).toBe(true);
    expect((await failureOf(client.sendToGroup('cid', md))).retryable).toBe(false);
  });

  it('retries only throttling and server errors, honouring Retry-After; HTTP 200 with an errcode is a failure', async () => {
    fake = await startFakeDingTalk();
    const client = makeClient();
    const cases: Array<[Parameters<FakeDingTalk['failNext']>[1], boolean, number | undefined]> = [
      [{ status: 403, body: { code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', requestid: 'r1' } }, true, undefined],
      [{ status: 429, body: {}, headers: { 'retry-after': '3' } }, true, 3000],
      [{ status: 400, body: { code: 'send.too.fast' } }, true, undefined],
      [{ status: 500, body: { code: 'InternalError' } }, true, undefined],
      [{ status: 503, body: '<html>busy</html>' }, true, undefined],
      [{ status: 200, body: { status: 1111, wait: 5 } }, true, 300_000],
      [{ status: 200, body: { errcode: 90018, errmsg: 'qps' } }, true, undefined],
      [{ status: 400, body: { code: 'invalidParameter.robotCode.empty', message: '请检查机器人是否在群内' } }, false, undefined],
      [{ status: 403, body: { code: 'Forbidden.AccessDenied.ApiCountLimitForOrg' } }, false, undefined],
      [{ status: 200, body: { errcode: '40035', errmsg: '不合法的参数' } }, false, undefined],
    ];
    for (const [answer, retryable, after] of cases) {
      fake.failNext('groupSend', answer);
      const err = await failureOf(client.sendToGroup('cid', md));
      expect([err.retryable, err.retryAfterMs], JSON.stringify(answer)).toEqual([retryable, after]);
    }
    // Session webhooks: 200 with errcode, 300001 told apart.
    const session = fake.session('cid');
    fake.failNext('session', { status: 200, body: { errcode: 410100, errmsg: '发送速度太快而限流' } }, { status: 200, body: { errcode: 430101, errmsg: '含有不安全的外链' } });
    expect((await failureOf(client.sendBySession(session.url, { msgtype: 'text', text: { content: 'x' } }))).retryable).toBe(true);
    expect((await failureOf(client.sendBySession(session.url, { msgtype: 'text', text: { content: 'x' } }))).retryable).toBe(false);
    fake.expireSession(session.url);
    expect(await failureOf(client.sendBySession(session.url, { msgtype: 'text', text: { content: 'x' } }))).toBeInstanceOf(SessionExpiredError);
    // Uploads: errcode in a 200.
    fake.failNext('upload', { status: 200, body: { errcode: 40004, errmsg: '不合法的媒体文件类型' } });
    expect((await failureOf(client.uploadFile(new Uint8Array([1]), 'report.docx', 'application/octet-stream'))).retryable).toBe(false);
    expect((await failureOf(client.uploadFile(new Uint8Array(20 * 1024 * 1024 + 1), 'report.docx', 'application/octet-stream'))).retryable).toBe(false);
  });

  it('checks batchSend\'s lists: an invalid staff id is final, a throttled one is retried', async () => {
    fake = await startFakeDingTalk();
    const client = makeClient();
    fake.invalidStaffIds.add('gone01');
    expect((await failureOf(client.sendToUser('gone01', md))).retryable).toBe(false);
    fake.failNext('batchSend', { status: 200, body: { processQueryKey: 'k', invalidStaffIdList: [], flowControlledStaffIdList: ['u1'] } });
    expect((await failureOf(client.sendToUser('u1', md))).retryable).toBe(true);
    await client.sendToUser('u1', md);
    expect(fake.messages.at(-1)).toMatchObject({ via: 'oto', userIds: ['u1'] });
  });

  it('treats an unreachable DingTalk as worth retrying', async () => {
    fake = await startFakeDingTalk();
    const closed = await startFakeDingTalk();
    const base = closed.apiBase;
    await closed.close();
    const err = await failureOf(makeClient(undefined, undefined, undefined, base).sendToGroup('cid', md));
    expect(err.retryable).toBe(true);
  });

  it('uploads the file as multipart field `media` with type=file in the query and the form', async () => {
    fake = await startFakeDingTalk();
    const client = makeClient();
    const bytes = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0xff, 0x00, 0x0d, 0x0a]);
    const mediaId = await client.uploadFile(bytes, 'report.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(fake.uploads).toEqual([
      { mediaId, type: 'file', fileName: 'report.docx', contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', bytes: Buffer.from(bytes) },
    ]);
    expect(fake.calls.find((c) => c.api === 'upload')!.query['type']).toBe('file');
  });

  it('counts every OpenAPI call this month (not token fetches or session replies), logged at once, stored in batches and on close', async () => {
    fake = await startFakeDingTalk();
    const store = createMemoryStore();
    const month = quotaMonth(new Date());
    await store.setChannelState(DINGTALK_QUOTA_STATE_KEY, { month, calls: 41 });
    const clock = { t: Date.now() };
    const logs: Array<[string, Record<string, unknown> | undefined]> = [];
    const client = makeClient(store, clock, logs);
    await client.sendToGroup('cid', md);
    await client.sendToUser('u1', md);
    await client.uploadFile(new Uint8Array([1]), 'report.docx', 'application/octet-stream');
    await client.sendBySession(fake.session('cid').url, { msgtype: 'text', text: { content: 'x' } });
    fake.failNext('groupSend', { status: 500, body: {} });
    await client.sendToGroup('cid', md).catch(() => {});
    expect(logs.filter(([m]) => m === 'dingtalk openapi call').map(([, f]) => [f?.['api'], f?.['calls']])).toEqual([
      ['robot/groupMessages/send', 42],
      ['robot/oToMessages/batchSend', 43],
      ['media/upload', 44],
      ['robot/groupMessages/send', 45],
    ]);
    // Not yet written (batched), written by close.
    expect(await store.getChannelState(DINGTALK_QUOTA_STATE_KEY)).toEqual({ month, calls: 41 });
    await client.close();
    expect(await store.getChannelState(DINGTALK_QUOTA_STATE_KEY)).toEqual({ month, calls: 45 });
    // A new month starts from zero; after close, a call still in flight is written at once.
    clock.t += 32 * 24 * HOUR;
    await client.sendToGroup('cid', md);
    expect(await store.getChannelState(DINGTALK_QUOTA_STATE_KEY)).toEqual({ month: quotaMonth(new Date(clock.t)), calls: 1 });
    // DingTalk's month is China's: the last evening of May in UTC is already June there.
    expect(quotaMonth(new Date('2025-05-31T17:00:00Z'))).toBe('2025-06');
    expect(quotaMonth(new Date('2025-05-31T15:59:59Z'))).toBe('2025-05');
    // No secret or token in any log line.
    expect(JSON.stringify(logs)).not.toMatch(new RegExp(`${FAKE_APP_SECRET}|tok-`));
  });

  it('without background work (Workers), stores each call\'s count before the call resolves, not by the timer, the newest last', async () => {
    fake = await startFakeDingTalk();
    const store = createMemoryStore();
    const month = quotaMonth(new Date());
    const client = makeClient(store, undefined, undefined, undefined, false);
    await client.sendToGroup('cid', md);
    expect(await store.getChannelState(DINGTALK_QUOTA_STATE_KEY)).toEqual({ month, calls: 1 });
    // Concurrent calls: every write is done when the calls are, and the last write is the highest count.
    await Promise.all(Array.from({ length: 8 }, (_, i) => client.sendToGroup(`cid${i}`, md)));
    expect(await store.getChannelState(DINGTALK_QUOTA_STATE_KEY)).toEqual({ month, calls: 9 });
  });
});

describe("the DingTalk channel's sends", () => {
  let fake: FakeDingTalk;
  afterEach(async () => fake?.close());
  const quiet: Logger = { info: () => {}, error: () => {} };

  async function channel() {
    fake = await startFakeDingTalk();
    const store = createMemoryStore();
    const dingtalk = createDingTalkChannel({ appKey: FAKE_APP_KEY, appSecret: FAKE_APP_SECRET, robotCode: FAKE_APP_KEY, apiBase: fake.apiBase, oapiBase: fake.oapiBase, mode: 'http', timestampWindowSeconds: 3600, store, logger: quiet });
    return { store, dingtalk };
  }
  const delivery = (id: string, item: Delivery['item'], context?: Record<string, unknown>): Delivery => ({
    id,
    channel: 'dingtalk',
    target: { chatId: 'dingtalk:cidG==', chatType: 'group', userId: 'zhangsan01', userName: '张三', ...(context ? { context } : {}) },
    item,
    createdAt: Date.now(),
  });
  const sendOnce = (p: Promise<void>) => p.then(() => undefined, (e: unknown) => e as SendError);

  it('resumes a long reply after a failed part without posting the parts already taken', async () => {
    const { dingtalk } = await channel();
    const session = fake.session('cidG==');
    const context = { conversationId: 'cidG==', conversationType: '2', staffId: 'zhangsan01', sessionWebhook: session.url, sessionWebhookExpiresAt: session.expiresAt };
    const text = Array.from({ length: 800 }, (_, i) => `第${i + 1}行：部门整体支出绩效自评价说明`).join('\n');
    const d = delivery('dingtalk:msg:1#0', { kind: 'text', text }, context);
    fake.failNext('session', 'pass', { status: 502, body: {} });
    const err = await sendOnce(dingtalk.send(d));
    expect(err).toBeInstanceOf(SendError);
    expect(err!.retryable).toBe(true);
    await dingtalk.send(d);
    const parts = fake.messages.map((m) => m.text!);
    expect(parts.length).toBeGreaterThan(2);
    expect(new Set(parts).size).toBe(parts.length);
    expect(parts.join('').startsWith(`第1行`)).toBe(true);
    expect(parts.at(-1)).toContain('第800行');
  });

  it('sends a file once: a failed sampleFile is retried without uploading again; a press is nothing to send', async () => {
    const { store, dingtalk } = await channel();
    const stored = await store.putFile({ name: '报告.docx', mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', bytes: new Uint8Array([0x50, 0x4b, 1, 2]) });
    const d = delivery('dingtalk:msg:2#1', { kind: 'file', name: '报告.docx', mime: stored.mime, fileId: stored.id });
    fake.failNext('groupSend', { status: 503, body: {} });
    expect((await sendOnce(dingtalk.send(d, stored)))!.retryable).toBe(true);
    await dingtalk.send(d, stored);
    expect(fake.uploads).toHaveLength(1);
    expect(fake.messages).toEqual([{ via: 'group', conversationId: 'cidG==', kind: 'sampleFile', file: { mediaId: fake.uploads[0]!.mediaId, fileName: '报告.docx', fileType: 'docx' } }]);
    // No session: no note after the file (it could not @ anyway, and would cost another call).
    const xls = delivery('dingtalk:msg:3#0', { kind: 'file', name: '表.exe', mime: 'application/octet-stream', fileId: stored.id });
    expect((await sendOnce(dingtalk.send(xls, stored)))!.retryable).toBe(false);
    await dingtalk.send(delivery('dingtalk:msg:4#press', { kind: 'press', feedback: { ok: true, toast: '已记录' } }));
    expect(fake.calls.filter((c) => c.api !== 'token')).toHaveLength(3);
  });

  it('made as on Workers (backgroundWork false), has sent an OpenAPI reply and stored its call count when send resolves', async () => {
    fake = await startFakeDingTalk();
    const store = createMemoryStore();
    const config = loadConfig({ DINGTALK_APP_KEY: FAKE_APP_KEY, DINGTALK_APP_SECRET: FAKE_APP_SECRET, DINGTALK_API_BASE: fake.apiBase, DINGTALK_OAPI_BASE: fake.oapiBase, DINGTALK_MODE: 'http' });
    const [dingtalk] = createPlatformChannels(config, { store, logger: quiet, backgroundWork: false });
    expect(dingtalk!.id).toBe('dingtalk');
    // No session webhook: the reply goes through the OpenAPI, a counted call.
    await dingtalk!.send(delivery('dingtalk:msg:5#0', { kind: 'text', text: '已记录' }));
    expect(fake.messages).toMatchObject([{ via: 'group', conversationId: 'cidG==' }]);
    // Nothing is left to a timer, which may never fire once a Workers invocation has answered.
    expect(await store.getChannelState(DINGTALK_QUOTA_STATE_KEY)).toEqual({ month: quotaMonth(new Date()), calls: 1 });
  });
});
