/**
 * A fake DingTalk for tests, on real HTTP at 127.0.0.1 (nothing reaches the internet): the OpenAPI
 * (`/v1.0/oauth2/accessToken`, `/v1.0/robot/groupMessages/send`, `/v1.0/robot/oToMessages/batchSend`),
 * the old API (`/media/upload`, read as raw multipart), session webhooks (`/robot/sendBySession`, with
 * the expired-session answer `errcode 300001`) and the Stream gateway (`/v1.0/gateway/connections/open`
 * and a WebSocket speaking the Stream frames: SYSTEM ping, CALLBACK on the robot topic, ACK frames).
 *
 * It checks what DingTalk checks (token, robotCode, msgParam as a JSON string under 15 000 bytes, session
 * bodies under 20 000 bytes, one-time gateway tickets), records every call, and fails, throttles or
 * drops connections on demand. Plus the helpers that build and sign callbacks as DingTalk does.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { signDingTalkTimestamp } from '../../src/channels/dingtalk/verify';

export const FAKE_APP_KEY = 'dingfakeappkey001';
export const FAKE_APP_SECRET = 'fake-app-secret-GT-0001';
/** The robot's encrypted id in callbacks (it is in `atUsers` of every group message). */
export const FAKE_CHATBOT_USER_ID = '$:LWCP_v1:$robotFakeId==';
/** The robot topic of the Stream protocol. */
export const TOPIC_ROBOT = '/v1.0/im/bot/messages/get';

/** The endpoints, for failing one on demand. */
export type FakeApi = 'token' | 'groupSend' | 'batchSend' | 'upload' | 'session' | 'gateway';

/** A forced answer: status and JSON body (and headers). */
export interface FakeAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** One call the fake received. */
export interface FakeCall {
  api: FakeApi;
  /** The JSON body, or for uploads the form fields. */
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string>;
  /** What the fake answered. */
  status: number;
  answer: unknown;
}

/** A message the robot got across (a session webhook post, a group or one-to-one OpenAPI send), decoded. */
export interface FakeMessage {
  via: 'session' | 'group' | 'oto';
  /** The conversation (session webhooks: the one the session belongs to). */
  conversationId?: string;
  userIds?: string[];
  /** markdown / actionCard / text (session), or the OpenAPI msgKey. */
  kind: string;
  title?: string;
  text?: string;
  buttons?: Array<{ title: string; url: string }>;
  atUserIds?: string[];
  file?: { mediaId: string; fileName: string; fileType: string };
}

/** An uploaded file. */
export interface FakeUpload {
  mediaId: string;
  type: string | undefined;
  fileName: string | undefined;
  contentType: string | undefined;
  bytes: Buffer;
}

export interface FakeDingTalk {
  /** DINGTALK_API_BASE and DINGTALK_OAPI_BASE of the fake. */
  apiBase: string;
  oapiBase: string;
  calls: FakeCall[];
  /** The messages DingTalk accepted, in order. */
  messages: FakeMessage[];
  uploads: FakeUpload[];
  /** Subscriptions sent when opening the gateway. */
  subscriptions: unknown[];
  /** A session webhook for a conversation (valid 90 minutes unless `expiresAt` says otherwise). */
  session(conversationId: string, expiresAt?: number): { url: string; expiresAt: number };
  /** From now on the session answers `errcode 300001` (DingTalk forgot it before its stated expiry). */
  expireSession(url: string): void;
  /** The next calls of an endpoint get these answers, in order ('pass': answered as usual). */
  failNext(api: FakeApi, ...answers: Array<FakeAnswer | 'pass'>): void;
  /** Tokens issued so far stop working (401), as after a revocation. */
  revokeTokens(): void;
  /** Staff ids batchSend lists as invalid. */
  invalidStaffIds: Set<string>;
  // --- Stream ---
  /** WebSocket connections opened so far. */
  connectionCount(): number;
  /** Resolves once `n` connections have been opened in all. */
  waitForConnections(n: number): Promise<void>;
  /** Pushes a robot callback to the newest open connection; its frame's messageId. */
  pushCallback(payload: unknown): string;
  /** Pushes the unacknowledged callbacks again (what DingTalk does about a minute later). */
  redeliverUnacked(): string[];
  /** Resolves with the ACK frame of a pushed message. */
  waitForAck(messageId: string): Promise<AckFrame>;
  /** ACK frames received, by messageId. */
  acks: Map<string, AckFrame>;
  /** Sends a SYSTEM frame (`ping`, `disconnect`) to every open connection; its messageId. */
  sendSystem(topic: string, data?: unknown): string;
  /** Sends raw text (a malformed frame) to the newest connection. */
  sendRaw(text: string): void;
  /** While silent, WebSocket pings get no pong (a half-dead connection). */
  silence(on: boolean): void;
  /** Connections open now. */
  openConnections(): number;
  /** Cuts every open connection at the TCP level, as a network failure would. */
  dropConnections(): void;
  close(): Promise<void>;
}

/** An ACK frame as the client sends it. */
export interface AckFrame {
  code: number;
  headers: { messageId: string; contentType?: string };
  message: string;
  data: string;
}

const SESSION_TTL_MS = 90 * 60_000;
const MSG_PARAM_MAX = 15_000;
const SESSION_BODY_MAX = 20_000;

/** Starts the fake on a free port of 127.0.0.1. */
export async function startFakeDingTalk(options: { tokenTtlSeconds?: number } = {}): Promise<FakeDingTalk> {
  const calls: FakeCall[] = [];
  const messages: FakeMessage[] = [];
  const uploads: FakeUpload[] = [];
  const subscriptions: unknown[] = [];
  const forced = new Map<FakeApi, Array<FakeAnswer | 'pass'>>();
  const tokens = new Map<string, number>();
  const sessions = new Map<string, { conversationId: string; expiresAt: number; expired: boolean }>();
  const tickets = new Set<string>();
  const invalidStaffIds = new Set<string>();
  let tokenSeq = 0;
  let mediaSeq = 0;

  // Stream state
  const sockets = new Set<WebSocket>();
  let newest: WebSocket | undefined;
  let opened = 0;
  const connectionWaiters: Array<{ n: number; resolve: () => void }> = [];
  const pushed = new Map<string, unknown>();
  const acks = new Map<string, AckFrame>();
  const ackWaiters = new Map<string, Array<(a: AckFrame) => void>>();
  const tcpSockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(JSON.stringify({ code: 'fake.crashed', message: String(err) }));
    });
  });
  server.on('connection', (s: Socket) => {
    tcpSockets.add(s);
    s.once('close', () => tcpSockets.delete(s));
  });
  // Pongs by hand, so a half-dead connection can be played.
  const wss = new WebSocketServer({ noServer: true, autoPong: false });
  let silent = false;
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const ticket = url.searchParams.get('ticket') ?? '';
    // A ticket is good for one connection.
    if (url.pathname !== '/connect' || !tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      newest = ws;
      opened++;
      for (const w of connectionWaiters.splice(0)) {
        if (opened >= w.n) w.resolve();
        else connectionWaiters.push(w);
      }
      ws.on('ping', (data) => {
        if (!silent) ws.pong(data);
      });
      ws.on('message', (data) => {
        let frame: AckFrame;
        try {
          frame = JSON.parse(String(data)) as AckFrame;
        } catch {
          return;
        }
        const id = frame?.headers?.messageId;
        if (!id) return;
        acks.set(id, frame);
        for (const w of ackWaiters.get(id) ?? []) w(frame);
        ackWaiters.delete(id);
      });
      ws.once('close', () => {
        sockets.delete(ws);
        if (newest === ws) newest = [...sockets].at(-1);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const raw = await readBody(req);
    const query = Object.fromEntries(url.searchParams);
    const route = `${req.method} ${url.pathname}`;
    const api: FakeApi | undefined = (
      {
        'POST /v1.0/oauth2/accessToken': 'token',
        'POST /v1.0/robot/groupMessages/send': 'groupSend',
        'POST /v1.0/robot/oToMessages/batchSend': 'batchSend',
        'POST /media/upload': 'upload',
        'POST /robot/sendBySession': 'session',
        'POST /v1.0/gateway/connections/open': 'gateway',
      } as Record<string, FakeApi>
    )[route];
    if (!api) return send(res, 404, { code: 'notFound' });
    let body: unknown;
    if (api === 'upload') body = parseMultipart(raw, req.headers['content-type'] ?? '');
    else {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = undefined;
      }
    }
    const record = (status: number, answer: unknown, headers?: Record<string, string>) => {
      calls.push({ api, body, headers: req.headers, query, status, answer });
      send(res, status, answer, headers);
    };
    const force = forced.get(api)?.shift();
    if (force && force !== 'pass') return record(force.status, force.body, force.headers);
    const b = (body ?? {}) as Record<string, unknown>;

    switch (api) {
      case 'token': {
        if (b['appKey'] !== FAKE_APP_KEY || b['appSecret'] !== FAKE_APP_SECRET) return record(400, { code: 'invalidClientIdOrSecret', message: '无效的clientId或者clientSecret' });
        const token = `tok-${++tokenSeq}-${randomUUID()}`;
        const ttl = options.tokenTtlSeconds ?? 7200;
        tokens.set(token, Date.now() + ttl * 1000);
        return record(200, { accessToken: token, expireIn: ttl });
      }
      case 'groupSend':
      case 'batchSend': {
        if (!tokenValid(req.headers['x-acs-dingtalk-access-token'])) return record(401, { code: 'InvalidAuthentication', message: '不合法的access_token', requestid: 'req-auth' });
        if (b['robotCode'] !== FAKE_APP_KEY) return record(400, { code: 'invalidParameter.robotCode.auth', requestid: 'req-robot' });
        const param = readMsgParam(b['msgParam']);
        if (param === 'too-long') return record(400, { code: 'invalidParameter.msgParam.tooLong', requestid: 'req-long' });
        if (!param || typeof b['msgKey'] !== 'string') return record(400, { code: 'invalidParameter.msgParam', requestid: 'req-param' });
        const msg = decodeOpenApi(b['msgKey'], param);
        if (api === 'groupSend') {
          if (typeof b['openConversationId'] !== 'string') return record(400, { code: 'invalid.openConversationId' });
          messages.push({ via: 'group', conversationId: b['openConversationId'], ...msg });
          return record(200, { processQueryKey: `pqk-${calls.length}` });
        }
        const userIds = Array.isArray(b['userIds']) ? (b['userIds'] as string[]) : [];
        if (!userIds.length) return record(400, { code: 'invalidParameter.userIds.empty' });
        const invalid = userIds.filter((u) => invalidStaffIds.has(u));
        const delivered = userIds.filter((u) => !invalidStaffIds.has(u));
        if (delivered.length) messages.push({ via: 'oto', userIds: delivered, ...msg });
        return record(200, { processQueryKey: `pqk-${calls.length}`, invalidStaffIdList: invalid, flowControlledStaffIdList: [] });
      }
      case 'upload': {
        if (!tokenValid(query['access_token'])) return record(200, { errcode: 40014, errmsg: '不合法的access_token' });
        if (query['type'] !== 'file') return record(200, { errcode: 40004, errmsg: '不合法的媒体文件类型' });
        const form = body as ParsedForm;
        const media = form.files['media'];
        if (!media) return record(200, { errcode: 41001, errmsg: '缺少media参数' });
        const mediaId = `@lAzFake${++mediaSeq}`;
        uploads.push({ mediaId, type: form.fields['type'], fileName: media.fileName, contentType: media.contentType, bytes: media.bytes });
        return record(200, { errcode: 0, errmsg: 'ok', media_id: mediaId, created_at: Date.now(), type: 'file' });
      }
      case 'session': {
        const s = sessions.get(query['session'] ?? '');
        if (!s || s.expired || s.expiresAt <= Date.now()) return record(200, { errcode: 300001, errmsg: 'session 不存在' });
        if (raw.byteLength > SESSION_BODY_MAX) return record(200, { errcode: 460101, errmsg: 'message too long, exceed 20000 bytes' });
        const msg = decodeSessionBody(b);
        if (!msg) return record(200, { errcode: 300005, errmsg: 'msgtype不支持' });
        messages.push({ via: 'session', conversationId: s.conversationId, ...msg });
        return record(200, { errcode: 0, errmsg: 'ok' });
      }
      case 'gateway': {
        if (b['clientId'] !== FAKE_APP_KEY || b['clientSecret'] !== FAKE_APP_SECRET) return record(401, { code: 'InvalidAuthentication' });
        subscriptions.push(b['subscriptions']);
        const ticket = randomUUID();
        tickets.add(ticket);
        return record(200, { endpoint: `${base.replace(/^http/, 'ws')}/connect`, ticket });
      }
    }
  }

  function tokenValid(token: unknown): boolean {
    const until = typeof token === 'string' ? tokens.get(token) : undefined;
    return until !== undefined && until > Date.now();
  }

  function frameOf(messageId: string, payload: unknown) {
    return {
      specVersion: '1.0',
      type: 'CALLBACK',
      headers: { appId: 'fake-app', connectionId: 'fake-conn', contentType: 'application/json', messageId, time: String(Date.now()), topic: TOPIC_ROBOT },
      data: JSON.stringify(payload),
    };
  }

  function pushCallback(payload: unknown): string {
    const ws = newest;
    if (!ws || ws.readyState !== ws.OPEN) throw new Error('no open Stream connection');
    const messageId = `fake-msg-${randomUUID()}`;
    pushed.set(messageId, payload);
    ws.send(JSON.stringify(frameOf(messageId, payload)));
    return messageId;
  }

  return {
    apiBase: base,
    oapiBase: base,
    calls,
    messages,
    uploads,
    subscriptions,
    invalidStaffIds,
    session(conversationId, expiresAt = Date.now() + SESSION_TTL_MS) {
      const token = randomUUID().replace(/-/g, '');
      sessions.set(token, { conversationId, expiresAt, expired: false });
      return { url: `${base}/robot/sendBySession?session=${token}`, expiresAt };
    },
    expireSession(url) {
      const s = sessions.get(new URL(url).searchParams.get('session') ?? '');
      if (s) s.expired = true;
    },
    failNext(api, ...answers) {
      forced.set(api, [...(forced.get(api) ?? []), ...answers]);
    },
    revokeTokens() {
      tokens.clear();
    },
    connectionCount: () => opened,
    waitForConnections(n) {
      if (opened >= n) return Promise.resolve();
      return new Promise((resolve) => connectionWaiters.push({ n, resolve }));
    },
    pushCallback,
    redeliverUnacked() {
      const again: string[] = [];
      // A snapshot: each redelivery adds a frame of its own.
      for (const [id, payload] of [...pushed]) {
        if (acks.has(id)) continue;
        pushed.delete(id);
        // A redelivery is a new frame of the same callback (same msgId inside).
        again.push(pushCallback(payload));
      }
      return again;
    },
    waitForAck(messageId) {
      const done = acks.get(messageId);
      if (done) return Promise.resolve(done);
      return new Promise((resolve) => ackWaiters.set(messageId, [...(ackWaiters.get(messageId) ?? []), resolve]));
    },
    acks,
    sendSystem(topic, data = {}) {
      const messageId = `fake-sys-${randomUUID()}`;
      const frame = { specVersion: '1.0', type: 'SYSTEM', headers: { contentType: 'application/json', messageId, time: String(Date.now()), topic }, data: JSON.stringify(data) };
      for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
      return messageId;
    },
    sendRaw(text) {
      newest?.send(text);
    },
    silence(on) {
      silent = on;
    },
    openConnections: () => [...sockets].filter((ws) => ws.readyState === ws.OPEN).length,
    dropConnections() {
      for (const ws of sockets) ws.terminate();
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      for (const s of tcpSockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** msgParam must be a string holding a JSON object, at most 15 000 bytes. */
function readMsgParam(v: unknown): Record<string, unknown> | 'too-long' | undefined {
  if (typeof v !== 'string') return undefined;
  if (Buffer.byteLength(v, 'utf8') > MSG_PARAM_MAX) return 'too-long';
  try {
    const p = JSON.parse(v) as unknown;
    return p && typeof p === 'object' && !Array.isArray(p) ? (p as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function decodeOpenApi(msgKey: string, p: Record<string, unknown>): Omit<FakeMessage, 'via'> {
  const str = (k: string) => (typeof p[k] === 'string' ? (p[k] as string) : undefined);
  if (msgKey === 'sampleFile') return { kind: msgKey, file: { mediaId: str('mediaId') ?? '', fileName: str('fileName') ?? '', fileType: str('fileType') ?? '' } };
  if (msgKey === 'sampleText') return { kind: msgKey, text: str('content') ?? '' };
  const out: Omit<FakeMessage, 'via'> = { kind: msgKey, title: str('title') ?? '', text: str('text') ?? '' };
  if (msgKey === 'sampleActionCard') out.buttons = [{ title: str('singleTitle') ?? '', url: str('singleURL') ?? '' }];
  const n = /^sampleActionCard([2-5])$/.exec(msgKey);
  if (n) out.buttons = Array.from({ length: Number(n[1]) }, (_, i) => ({ title: str(`actionTitle${i + 1}`) ?? '', url: str(`actionURL${i + 1}`) ?? '' }));
  return out;
}

function decodeSessionBody(b: Record<string, unknown>): Omit<FakeMessage, 'via' | 'conversationId'> | undefined {
  const at = (b['at'] ?? {}) as { atUserIds?: string[] };
  const atUserIds = Array.isArray(at.atUserIds) ? at.atUserIds : [];
  if (b['msgtype'] === 'text') return { kind: 'text', text: String((b['text'] as { content?: unknown })?.content ?? ''), atUserIds };
  if (b['msgtype'] === 'markdown') {
    const m = (b['markdown'] ?? {}) as { title?: string; text?: string };
    return { kind: 'markdown', title: m.title ?? '', text: m.text ?? '', atUserIds };
  }
  if (b['msgtype'] === 'actionCard') {
    const c = (b['actionCard'] ?? {}) as { title?: string; text?: string; singleTitle?: string; singleURL?: string; btns?: Array<{ title: string; actionURL: string }> };
    const buttons = c.btns ? c.btns.map((x) => ({ title: x.title, url: x.actionURL })) : c.singleTitle ? [{ title: c.singleTitle, url: c.singleURL ?? '' }] : [];
    return { kind: 'actionCard', title: c.title ?? '', text: c.text ?? '', buttons, atUserIds };
  }
  return undefined;
}

interface ParsedForm {
  fields: Record<string, string>;
  files: Record<string, { fileName: string | undefined; contentType: string | undefined; bytes: Buffer }>;
}

/** Reads a multipart/form-data body as it came (no library: what is on the wire is what is checked). */
function parseMultipart(raw: Buffer, contentType: string): ParsedForm {
  const form: ParsedForm = { fields: {}, files: {} };
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!m) return form;
  const delimiter = Buffer.from(`--${m[1] ?? m[2]}`);
  let pos = raw.indexOf(delimiter);
  while (pos >= 0) {
    const start = pos + delimiter.length;
    if (raw.subarray(start, start + 2).toString() === '--') break;
    const next = raw.indexOf(delimiter, start);
    if (next < 0) break;
    // Each part: CRLF, headers, CRLF CRLF, content, CRLF before the next delimiter.
    const part = raw.subarray(start + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString('utf8');
    const content = part.subarray(split + 4);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    const fileName = /filename="([^"]*)"/i.exec(head)?.[1];
    const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1];
    if (name !== undefined) {
      if (fileName !== undefined) form.files[name] = { fileName, contentType: type, bytes: Buffer.from(content) };
      else form.fields[name] = content.toString('utf8');
    }
    pos = next;
  }
  return form;
}

// --- callbacks as DingTalk sends them ---------------------------------------------------------------

/** A person in the fake organisation. */
export interface FakePerson {
  staffId: string;
  nick: string;
}

/** What a callback says. */
export interface CallbackSpec {
  msgId?: string;
  conversationId: string;
  conversationType?: '1' | '2';
  from: FakePerson;
  text?: string;
  /** Others @-mentioned (the robot is added in groups). */
  at?: FakePerson[];
  session?: { url: string; expiresAt: number };
  msgtype?: string;
  /** Fields merged over the body (for odd variants). */
  extra?: Record<string, unknown>;
}

let msgSeq = 0;

/** A robot callback body as DingTalk sends it (text in a group by default; `text.content` with the leading space of a stripped @). */
export function callbackBody(spec: CallbackSpec): Record<string, unknown> {
  const group = (spec.conversationType ?? '2') === '2';
  const now = Date.now();
  const body: Record<string, unknown> = {
    conversationId: spec.conversationId,
    chatbotCorpId: 'dingfakecorp',
    chatbotUserId: FAKE_CHATBOT_USER_ID,
    msgId: spec.msgId ?? `msgFake${++msgSeq}${randomUUID().slice(0, 8)}==`,
    senderNick: spec.from.nick,
    isAdmin: false,
    senderStaffId: spec.from.staffId,
    createAt: now,
    senderCorpId: 'dingfakecorp',
    conversationType: spec.conversationType ?? '2',
    senderId: `$:LWCP_v1:$${spec.from.staffId}==`,
    robotCode: FAKE_APP_KEY,
    msgtype: spec.msgtype ?? 'text',
  };
  if (group) {
    body['conversationTitle'] = '绩效自评-TEST';
    body['isInAtList'] = true;
    body['atUsers'] = [{ dingtalkId: FAKE_CHATBOT_USER_ID }, ...(spec.at ?? []).map((p) => ({ dingtalkId: `$:LWCP_v1:$${p.staffId}==`, staffId: p.staffId }))];
  }
  if (spec.text !== undefined) body['text'] = { content: group ? ` ${spec.text}` : spec.text };
  if (spec.session) {
    body['sessionWebhook'] = spec.session.url;
    body['sessionWebhookExpiredTime'] = spec.session.expiresAt;
  }
  return { ...body, ...spec.extra };
}

/** The `timestamp` and `sign` headers of a callback, signed with the app secret. */
export function signedHeaders(secret = FAKE_APP_SECRET, timestamp = Date.now()): Record<string, string> {
  return { timestamp: String(timestamp), sign: signDingTalkTimestamp(String(timestamp), secret), 'content-type': 'application/json; charset=utf-8' };
}
