/**
 * A fake Feishu Open Platform for tests: real HTTP on 127.0.0.1, the endpoints the channel calls
 * (token, bot info, contact, messages create/reply/patch, files, card update), the long connection's
 * endpoint discovery and a pbbp2 WebSocket. It records every call, keeps what was posted (one message
 * per `uuid`, as Feishu dedupes), and can delay or fail calls on demand, rate-limit answers included.
 * Also: a helper that encrypts and signs events exactly as Feishu does.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import protobuf from 'protobufjs';
import { computeFeishuSignature, encryptFeishu } from '../../src/channels/feishu/verify';

/** A test app id the SDK's WSClient accepts (`cli_` + 16 hex digits). */
export const FAKE_APP_ID = 'cli_a1b2c3d4e5f60718';
export const FAKE_APP_SECRET = 'secret-for-tests';
export const FAKE_VERIFICATION_TOKEN = 'vt-test-0123456789';
export const FAKE_ENCRYPT_KEY = 'ek-test-abcdef';
export const BOT_OPEN_ID = 'ou_bot0000000000000000000000000001';
export const BOT_NAME = '绩效自评助手';

/** The Feishu app's settings (variables, as `.dev.vars` or the environment hold them) pointing at a fake at `url`. */
export function fakeFeishuVars(url: string): Record<string, string> {
  return { FEISHU_APP_ID: FAKE_APP_ID, FEISHU_APP_SECRET: FAKE_APP_SECRET, FEISHU_VERIFICATION_TOKEN: FAKE_VERIFICATION_TOKEN, FEISHU_ENCRYPT_KEY: FAKE_ENCRYPT_KEY, FEISHU_BASE_URL: url };
}

/** One recorded call. */
export interface FakeCall {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Parsed JSON, or the multipart parts, or undefined. */
  body: unknown;
  status?: number;
  /** When the request arrived and when it was answered (ms, performance.now of this process). */
  receivedAt: number;
  answeredAt?: number;
}

/** A message as posted (create or reply), after uuid dedupe. */
export interface PostedMessage {
  messageId: string;
  via: 'create' | 'reply';
  receiveIdType?: string;
  receiveId?: string;
  /** For replies, the message replied to. */
  replyTo?: string;
  msgType: string;
  /** `content` parsed. */
  content: any;
  uuid?: string;
}

/** An answer to give instead of the normal one. */
export interface FakeAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Do the work first (a message is posted), then answer this: an answer lost on the way back. */
  afterWork?: boolean;
}

type Match = (call: FakeCall) => boolean;

/** A multipart part (binary kept as bytes: parsers that read filename-less parts as text would corrupt it). */
export interface MultipartPart {
  name: string;
  contentType?: string;
  bytes: Buffer;
}

export interface FakeFeishu {
  url: string;
  calls: FakeCall[];
  messages: PostedMessage[];
  files: Array<{ fileKey: string; fileName: string; fileType: string; bytes: Buffer }>;
  cardUpdates: Array<{ token: string; card: any }>;
  patches: Array<{ messageId: string; content: any }>;
  /** Messages made urgent (加急, in-app), with the people buzzed. */
  urgents: Array<{ messageId: string; userIds: string[] }>;
  /** People the contact API knows (open_id → name). */
  users: Map<string, string>;
  tokensIssued(): number;
  /** Calls of one API (by path prefix, e.g. '/open-apis/im/v1/messages'). */
  callsTo(pathPrefix: string, method?: string): FakeCall[];
  /** The next `answers.length` calls matching `match` get these answers (then normal service). */
  fail(match: Match | string, ...answers: FakeAnswer[]): void;
  /** Calls matching `match` are answered `ms` later (until `undelay`). */
  delay(match: Match | string, ms: number): void;
  undelay(): void;
  /** Every token issued so far becomes invalid (99991663 on use). */
  invalidateTokens(): void;
  /** Resolves when a call matching `match` has been answered (one not seen by an earlier wait). */
  waitForCall(match: Match | string): Promise<FakeCall>;
  /** The long connection: how many WebSocket clients are connected, waiting for one, pushing an event. */
  wsClients(): number;
  waitForWsClient(): Promise<void>;
  /** Pushes an event frame and resolves with the client's ACK: `{code, data}` (`data` decoded from base64 JSON). */
  pushEvent(envelope: unknown): Promise<{ code: number; data?: unknown }>;
  close(): Promise<void>;
}

const matcher = (m: Match | string): Match => (typeof m === 'string' ? (c) => c.path.startsWith(m) : m);

/** Starts the fake on a free port of 127.0.0.1. */
export async function startFakeFeishu(): Promise<FakeFeishu> {
  const calls: FakeCall[] = [];
  const messages: PostedMessage[] = [];
  const byUuid = new Map<string, PostedMessage>();
  const files: FakeFeishu['files'] = [];
  const cardUpdates: FakeFeishu['cardUpdates'] = [];
  const patches: FakeFeishu['patches'] = [];
  const urgents: FakeFeishu['urgents'] = [];
  const users = new Map<string, string>();
  const validTokens = new Set<string>();
  let issued = 0;
  let seq = 0;
  const failures: Array<{ match: Match; answer: FakeAnswer }> = [];
  const delays: Array<{ match: Match; ms: number }> = [];
  const waiters: Array<{ match: Match; resolve: (c: FakeCall) => void }> = [];
  const seenByWait = new Set<FakeCall>();

  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readAll(req);
    const u = new URL(req.url ?? '/', url);
    const call: FakeCall = { method: req.method ?? 'GET', path: u.pathname, query: u.searchParams, headers: req.headers, body: undefined, receivedAt: performance.now() };
    const type = String(req.headers['content-type'] ?? '');
    if (type.startsWith('multipart/form-data')) call.body = parseMultipart(raw, type);
    else if (raw.length) {
      try {
        call.body = JSON.parse(raw.toString('utf8'));
      } catch {
        call.body = raw.toString('utf8');
      }
    }
    calls.push(call);
    const d = delays.find((x) => x.match(call));
    if (d) await new Promise((r) => setTimeout(r, d.ms));
    const i = failures.findIndex((f) => f.match(call));
    const failure = i >= 0 ? failures.splice(i, 1)[0]!.answer : undefined;
    const normal = !failure || failure.afterWork ? route(call) : undefined;
    const answer = failure ?? normal!;
    call.status = answer.status;
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...(answer.headers ?? {}) });
    res.end(JSON.stringify(answer.body));
    call.answeredAt = performance.now();
    for (const w of [...waiters]) {
      if (!seenByWait.has(call) && w.match(call)) {
        seenByWait.add(call);
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(call);
      }
    }
  }

  const ok = (body: Record<string, unknown>): FakeAnswer => ({ status: 200, body: { code: 0, msg: 'success', ...body } });
  const invalidToken: FakeAnswer = { status: 400, body: { code: 99991663, msg: 'Invalid access token for authorization. Please make a request with token attached.' } };

  function authorised(call: FakeCall): boolean {
    const auth = String(call.headers.authorization ?? '');
    return auth.startsWith('Bearer ') && validTokens.has(auth.slice('Bearer '.length));
  }

  function route(call: FakeCall): FakeAnswer {
    const { method, path } = call;
    const body = (call.body ?? {}) as Record<string, any>;
    if (method === 'POST' && path === '/open-apis/auth/v3/tenant_access_token/internal') {
      if (body.app_id !== FAKE_APP_ID || body.app_secret !== FAKE_APP_SECRET) return { status: 200, body: { code: 10014, msg: 'app secret invalid' } };
      const token = `t-${++issued}`;
      validTokens.add(token);
      return { status: 200, body: { code: 0, msg: 'ok', tenant_access_token: token, expire: 7200 } };
    }
    if (method === 'POST' && path === '/callback/ws/endpoint') {
      if (body.AppID !== FAKE_APP_ID || body.AppSecret !== FAKE_APP_SECRET) return { status: 200, body: { code: 514, msg: 'auth failed' } };
      return {
        status: 200,
        body: { code: 0, msg: 'ok', data: { URL: `ws://127.0.0.1:${port}/ws?device_id=dev-1&service_id=7`, ClientConfig: { PingInterval: 120, ReconnectCount: -1, ReconnectInterval: 120, ReconnectNonce: 0 } } },
      };
    }
    if (!authorised(call)) return invalidToken;
    if (method === 'GET' && path === '/open-apis/bot/v3/info') {
      return { status: 200, body: { code: 0, msg: 'ok', bot: { open_id: BOT_OPEN_ID, app_name: BOT_NAME, activate_status: 2 } } };
    }
    const contact = /^\/open-apis\/contact\/v3\/users\/([^/]+)$/.exec(path);
    if (method === 'GET' && contact) {
      const id = decodeURIComponent(contact[1]!);
      const name = users.get(id);
      if (!name) return { status: 400, body: { code: 41050, msg: 'no user authority error' } };
      return ok({ data: { user: { open_id: id, name } } });
    }
    if (method === 'POST' && path === '/open-apis/im/v1/messages') {
      return post(call, { via: 'create', receiveIdType: call.query.get('receive_id_type') ?? '', receiveId: body.receive_id });
    }
    const reply = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/reply$/.exec(path);
    if (method === 'POST' && reply) return post(call, { via: 'reply', replyTo: decodeURIComponent(reply[1]!) });
    const urgent = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/urgent_app$/.exec(path);
    if (method === 'PATCH' && urgent) {
      const messageId = decodeURIComponent(urgent[1]!);
      if (!messages.some((m) => m.messageId === messageId)) return { status: 400, body: { code: 230001, msg: 'message not found' } };
      urgents.push({ messageId, userIds: [...(body.user_id_list ?? [])] });
      return ok({ data: { invalid_user_id_list: [] } });
    }
    const patch = /^\/open-apis\/im\/v1\/messages\/([^/]+)$/.exec(path);
    if (method === 'PATCH' && patch) {
      patches.push({ messageId: decodeURIComponent(patch[1]!), content: JSON.parse(String(body.content)) });
      return ok({});
    }
    if (method === 'POST' && path === '/open-apis/im/v1/files') {
      const parts = call.body as MultipartPart[];
      const field = (n: string) => parts.find((p) => p.name === n);
      const bytes = field('file')?.bytes;
      if (!bytes?.length) return { status: 400, body: { code: 234010, msg: 'file size is 0' } };
      const fileKey = `file_v3_${++seq}`;
      files.push({ fileKey, fileName: field('file_name')!.bytes.toString('utf8'), fileType: field('file_type')!.bytes.toString('utf8'), bytes });
      return ok({ data: { file_key: fileKey } });
    }
    if (method === 'POST' && path === '/open-apis/interactive/v1/card/update') {
      cardUpdates.push({ token: body.token, card: body.card });
      return ok({});
    }
    return { status: 404, body: { code: 404, msg: 'not found' } };
  }

  function post(call: FakeCall, where: Partial<PostedMessage>): FakeAnswer {
    const body = call.body as Record<string, any>;
    // Feishu keeps one success per uuid for an hour: a retry gets the first message back.
    const uuid = typeof body.uuid === 'string' ? body.uuid : undefined;
    if (uuid && uuid.length > 50) return { status: 400, body: { code: 230001, msg: 'invalid uuid' } };
    const earlier = uuid ? byUuid.get(uuid) : undefined;
    if (earlier) return ok({ data: { message_id: earlier.messageId } });
    let content: unknown;
    try {
      content = JSON.parse(String(body.content));
    } catch {
      return { status: 400, body: { code: 230001, msg: 'content is not JSON' } };
    }
    const m: PostedMessage = { messageId: `om_${++seq}`, via: 'create', msgType: String(body.msg_type), content, ...where, ...(uuid ? { uuid } : {}) };
    messages.push(m);
    if (uuid) byUuid.set(uuid, m);
    return ok({ data: { message_id: m.messageId, msg_type: m.msgType } });
  }

  // The long connection: pbbp2 frames over a WebSocket (the `ws` package, installed with the SDK).
  const root = protobuf.Root.fromJSON(PBBP2);
  const Frame = root.lookupType('pbbp2.Frame');
  const require = createRequire(import.meta.url);
  const { WebSocketServer } = require('ws') as { WebSocketServer: new (o: { noServer: true }) => WsServer };
  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<WsSocket>();
  const acks = new Map<string, (ack: { code: number; data?: unknown }) => void>();
  let connectedWaiters: Array<() => void> = [];
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!req.url?.startsWith('/ws')) return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data: Buffer) => {
        const frame = Frame.toObject(Frame.decode(data), { longs: Number }) as { method: number; headers?: Array<{ key: string; value: string }>; payload?: Uint8Array };
        const h = Object.fromEntries((frame.headers ?? []).map((x) => [x.key, x.value]));
        if (frame.method !== 1 || !h.message_id) return;
        const resolve = acks.get(h.message_id);
        if (!resolve) return;
        acks.delete(h.message_id);
        const payload = JSON.parse(Buffer.from(frame.payload ?? []).toString('utf8')) as { code: number; data?: string };
        resolve({ code: payload.code, ...(payload.data ? { data: JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8')) } : {}) });
      });
      // The SDK attaches its message listener only after `open` resolves: give it a moment before anything is pushed.
      setTimeout(() => {
        const ws2 = connectedWaiters;
        connectedWaiters = [];
        for (const w of ws2) w();
      }, 150);
    });
  });

  return {
    url,
    calls,
    messages,
    files,
    cardUpdates,
    patches,
    urgents,
    users,
    tokensIssued: () => issued,
    callsTo: (prefix, method) => calls.filter((c) => c.path.startsWith(prefix) && (!method || c.method === method)),
    fail: (match, ...answers) => {
      for (const answer of answers) failures.push({ match: matcher(match), answer });
    },
    delay: (match, ms) => void delays.push({ match: matcher(match), ms }),
    undelay: () => void delays.splice(0),
    invalidateTokens: () => validTokens.clear(),
    waitForCall: (match) => {
      const m = matcher(match);
      const done = calls.find((c) => c.answeredAt !== undefined && !seenByWait.has(c) && m(c));
      if (done) {
        seenByWait.add(done);
        return Promise.resolve(done);
      }
      return new Promise((resolve) => waiters.push({ match: m, resolve }));
    },
    wsClients: () => sockets.size,
    waitForWsClient: () => (sockets.size ? Promise.resolve() : new Promise<void>((r) => connectedWaiters.push(r))),
    pushEvent: (envelope) => {
      const ws = [...sockets][0];
      if (!ws) return Promise.reject(new Error('no long-connection client'));
      const messageId = `ws-msg-${++seq}`;
      const frame = Frame.fromObject({
        SeqID: seq,
        LogID: seq,
        service: 7,
        method: 1,
        headers: [
          { key: 'type', value: 'event' },
          { key: 'message_id', value: messageId },
          { key: 'sum', value: '1' },
          { key: 'seq', value: '0' },
          { key: 'trace_id', value: `trace-${seq}` },
        ],
        payload: Buffer.from(JSON.stringify(envelope), 'utf8'),
      });
      return new Promise((resolve) => {
        acks.set(messageId, resolve);
        ws.send(Frame.encode(frame).finish());
      });
    },
    close: async () => {
      for (const s of sockets) s.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface WsSocket {
  on(event: 'close', cb: () => void): void;
  on(event: 'message', cb: (data: Buffer) => void): void;
  send(data: Uint8Array): void;
  terminate(): void;
}
interface WsServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, cb: (ws: WsSocket) => void): void;
  close(): void;
}

/** The long connection's frame format, as in the SDK (`pbbp2.Frame`, `pbbp2.Header`). */
const PBBP2 = {
  nested: {
    pbbp2: {
      nested: {
        Header: { fields: { key: { rule: 'required', type: 'string', id: 1 }, value: { rule: 'required', type: 'string', id: 2 } } },
        Frame: {
          fields: {
            SeqID: { rule: 'required', type: 'uint64', id: 1 },
            LogID: { rule: 'required', type: 'uint64', id: 2 },
            service: { rule: 'required', type: 'int32', id: 3 },
            method: { rule: 'required', type: 'int32', id: 4 },
            headers: { rule: 'repeated', type: 'Header', id: 5 },
            payloadEncoding: { type: 'string', id: 6 },
            payloadType: { type: 'string', id: 7 },
            payload: { type: 'bytes', id: 8 },
            LogIDNew: { type: 'string', id: 9 },
          },
        },
      },
    },
  },
};

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Splits a multipart body into its parts, keeping each part's bytes as they came. */
export function parseMultipart(raw: Buffer, contentType: string): MultipartPart[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (!boundary) return [];
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const parts: MultipartPart[] = [];
  let start = raw.indexOf(delimiter);
  while (start >= 0) {
    const from = start + delimiter.length;
    if (raw.subarray(from, from + 2).toString() === '--') break;
    const next = raw.indexOf(delimiter, from);
    if (next < 0) break;
    // Part: CRLF, headers, CRLF CRLF, body, CRLF.
    const part = raw.subarray(from + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString('utf8');
    const name = /name="([^"]*)"/.exec(head)?.[1] ?? '';
    const contentTypeOfPart = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1];
    parts.push({ name, ...(contentTypeOfPart ? { contentType: contentTypeOfPart } : {}), bytes: Buffer.from(part.subarray(split + 4)) });
    start = next;
  }
  return parts;
}

/** A webhook request as Feishu sends it: the body (encrypted when a key is given) and its signature headers. */
export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/**
 * Encrypts and signs an envelope exactly as Feishu does: body `{"encrypt": base64(iv ‖ AES-256-CBC)}`,
 * `X-Lark-Signature` = sha256(timestamp + nonce + encryptKey + raw body). Without a key the body is
 * the plain JSON and there is no signature (Feishu signs only with an Encrypt Key).
 */
export function signFeishuRequest(envelope: unknown, options: { encryptKey?: string; timestamp?: string; nonce?: string } = {}): SignedRequest {
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? randomBytes(8).toString('hex');
  if (!options.encryptKey) {
    return { body: JSON.stringify(envelope), headers: { 'content-type': 'application/json; charset=utf-8', 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': nonce } };
  }
  const body = JSON.stringify({ encrypt: encryptFeishu(JSON.stringify(envelope), options.encryptKey) });
  return {
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-lark-request-timestamp': timestamp,
      'x-lark-request-nonce': nonce,
      'x-lark-signature': computeFeishuSignature(timestamp, nonce, options.encryptKey, Buffer.from(body, 'utf8')),
    },
  };
}

/** Builders of the envelopes Feishu sends. */
export const feishuEvents = {
  /** `im.message.receive_v1` with a text (mentions as `@_user_N` placeholders, in order). */
  text(o: { eventId?: string; messageId?: string; chatId: string; chatType?: 'group' | 'p2p'; sender: string; text: string; mentions?: Array<{ openId: string; name: string }>; appId?: string; token?: string; senderType?: string }) {
    const mentions = (o.mentions ?? []).map((m, i) => ({ key: `@_user_${i + 1}`, id: { open_id: m.openId, union_id: `on_${m.openId}`, user_id: '' }, name: m.name, tenant_key: 'tk' }));
    return envelope('im.message.receive_v1', o, {
      sender: { sender_id: { open_id: o.sender, union_id: `on_${o.sender}`, user_id: '' }, sender_type: o.senderType ?? 'user', tenant_key: 'tk' },
      message: {
        message_id: o.messageId ?? `om_in_${randomBytes(6).toString('hex')}`,
        create_time: String(Date.now()),
        chat_id: o.chatId,
        chat_type: o.chatType ?? 'group',
        message_type: 'text',
        content: JSON.stringify({ text: o.text }),
        ...(mentions.length ? { mentions } : {}),
      },
    });
  },
  /** `im.message.receive_v1` of any type with the given content object. */
  message(o: { eventId?: string; messageId?: string; chatId: string; chatType?: 'group' | 'p2p'; sender: string; type: string; content: unknown; mentions?: Array<{ openId: string; name: string }> }) {
    const mentions = (o.mentions ?? []).map((m, i) => ({ key: `@_user_${i + 1}`, id: { open_id: m.openId }, name: m.name }));
    return envelope('im.message.receive_v1', o, {
      sender: { sender_id: { open_id: o.sender }, sender_type: 'user' },
      message: {
        message_id: o.messageId ?? `om_in_${randomBytes(6).toString('hex')}`,
        chat_id: o.chatId,
        chat_type: o.chatType ?? 'group',
        message_type: o.type,
        content: JSON.stringify(o.content),
        ...(mentions.length ? { mentions } : {}),
      },
    });
  },
  /** `card.action.trigger`: a button pressed (its callback value), with a form's values if submitted. */
  cardAction(o: { eventId?: string; chatId: string; operator: string; value: unknown; formValue?: Record<string, unknown>; messageId?: string; token?: string; appId?: string }) {
    return envelope('card.action.trigger', o, {
      operator: { open_id: o.operator, union_id: `on_${o.operator}`, tenant_key: 'tk' },
      token: `c-${randomBytes(8).toString('hex')}`,
      action: { tag: 'button', value: o.value, ...(o.formValue ? { name: 'answer_submit', form_value: o.formValue } : {}) },
      host: 'im_message',
      context: { open_message_id: o.messageId ?? 'om_card', open_chat_id: o.chatId },
    });
  },
  challenge(challenge: string, token = FAKE_VERIFICATION_TOKEN) {
    return { challenge, token, type: 'url_verification' };
  },
};

function envelope(eventType: string, o: { eventId?: string; appId?: string; token?: string }, event: unknown) {
  return {
    schema: '2.0',
    header: {
      event_id: o.eventId ?? randomBytes(16).toString('hex'),
      token: o.token ?? FAKE_VERIFICATION_TOKEN,
      create_time: String(Date.now()),
      event_type: eventType,
      tenant_key: 'tk',
      app_id: o.appId ?? FAKE_APP_ID,
    },
    event,
  };
}

/** sha256 hex (for tests that compare uuids). */
export const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');
