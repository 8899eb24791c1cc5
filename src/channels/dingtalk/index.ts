/**
 * The DingTalk channel (钉钉): an enterprise internal app's robot, in HTTP mode (`POST /webhook/dingtalk`,
 * signed callbacks) or Stream mode (a connection the server opens). It only translates: the pipeline
 * records, dedupes, orders and retries.
 *
 * - In: a robot callback becomes one inbound event (`dingtalk:msg:<msgId>`, claimed once), acknowledged
 *   at once with `{"msgtype":"empty"}` (HTTP) or an ACK frame (Stream) once recorded.
 * - Out: a reply goes through the callback's session webhook while it is valid (with @), otherwise
 *   through the OpenAPI (no @); an expired session (300001) falls back to the OpenAPI for the same reply.
 *   Files: media/upload, then `sampleFile`, then a short @ note in groups. Unprompted messages (no
 *   callback) use the chat's last session webhook if still valid, else the OpenAPI.
 * - In groups DingTalk passes only messages that @ the robot: the bot says so once per group.
 *
 * https://open.dingtalk.com/document/development/receive-message
 * https://open.dingtalk.com/document/dingstart/robot-reply-and-send-messages
 *
 * @example
 * const dingtalk = createDingTalkChannel({ appKey, appSecret, robotCode, apiBase, oapiBase, mode: 'http', timestampWindowSeconds: 3600, store, logger })
 * const pipeline = createDefaultPipeline({ store, bot, config, logger, channels: [dingtalk] })
 */
import type { ChannelAdapter, EventSink, Receipt } from '../adapter';
import { SendError } from '../adapter';
import type { Logger } from '../../app/ports';
import type { Delivery, OutboundItem } from '../../core/messages';
import { dingtalkText as T } from '../../core/locale/zh-CN';
import { jsonResponse, readLimitedBody } from '../../lib/http';
import type { Store, StoredFile } from '../../store/port';
import { createDingTalkClient, DINGTALK_FREE_QUOTA, SessionExpiredError } from './client';
import { decodeDingTalkCallback, isDingTalkSessionWebhook, type DecodeOutcome } from './decode';
import { encodeNote, encodeReply, fileExtension, toFileMessage, toOpenApiMessage, toSessionBody, type DingTalkMessage } from './encode';
import { startDingTalkStream, type DingTalkStream } from './stream';
import { checkDingTalkSignature } from './verify';

/** What the DingTalk channel needs. */
export interface DingTalkChannelOptions {
  appKey: string;
  appSecret: string;
  robotCode: string;
  /** DINGTALK_API_BASE, DINGTALK_OAPI_BASE */
  apiBase: string;
  oapiBase: string;
  mode: 'http' | 'stream';
  timestampWindowSeconds: number;
  /** Channel state: session webhooks per chat, the group hint, the month's API count. */
  store: Store;
  /** src/app/ports.ts — never log secrets or message text */
  logger: Logger;
  now?: () => Date;
  /**
   * Whether the channel may leave work for later that no caller waits for (default true). False on
   * Workers: the month's API count is then written before each OpenAPI call, not by a timer that may
   * never fire once the invocation has answered (see `DingTalkClientOptions`).
   */
  backgroundWork?: boolean;
}

/** A callback body is small; anything near this is not DingTalk's. */
const MAX_CALLBACK_BYTES = 256 * 1024;
/**
 * A session webhook is used while it has at least this long left (so a reply sent just before it
 * expires does not fail on the way). DingTalk gives each about 90 minutes.
 */
const SESSION_MARGIN_MS = 60_000;
/** A chat's stored session expiry is rewritten only when it moved this much (not on every message). */
const SESSION_SAVE_STEP_MS = 10 * 60_000;
/** File types `sampleFile` takes. https://open.dingtalk.com/document/development/robot-message-type */
const FILE_TYPES = new Set(['xlsx', 'pdf', 'zip', 'rar', 'doc', 'docx']);

/** What the channel keeps per chat in channel state (`dingtalk:chat:<conversationId>`). */
interface ChatState {
  sessionWebhook?: string;
  sessionWebhookExpiresAt?: number;
  conversationType?: '1' | '2';
  /** The person of a one-to-one chat. */
  staffId?: string;
  /** The group was told to @ the robot. */
  hinted?: boolean;
}

/** A session webhook with its expiry. */
interface Session {
  url: string;
  expiresAt: number;
}

/** Creates the DingTalk channel. */
export function createDingTalkChannel(options: DingTalkChannelOptions): ChannelAdapter {
  const { appSecret, store, logger } = options;
  const now = options.now ?? (() => new Date());
  const windowMs = options.timestampWindowSeconds * 1000;
  const client = createDingTalkClient({ ...options, now });
  const chats = new Map<string, ChatState>();
  /** The session expiry last written to the store, per chat. */
  const savedExpiry = new Map<string, number>();
  /** Steps of a delivery already done (parts sent, a file uploaded), so a retry does not repeat them. */
  const progress = new Map<string, { path: string; done: number; mediaId?: string }>();
  let stream: DingTalkStream | undefined;

  const stateKey = (conversationId: string) => `dingtalk:chat:${conversationId}`;

  async function chatState(conversationId: string): Promise<ChatState> {
    let s = chats.get(conversationId);
    if (!s) {
      s = ((await store.getChannelState(stateKey(conversationId)).catch(() => undefined)) as ChatState | undefined) ?? {};
      chats.set(conversationId, s);
      savedExpiry.set(conversationId, s.sessionWebhookExpiresAt ?? 0);
    }
    return s;
  }

  async function saveChat(conversationId: string, s: ChatState): Promise<void> {
    chats.set(conversationId, s);
    savedExpiry.set(conversationId, s.sessionWebhookExpiresAt ?? 0);
    await store.setChannelState(stateKey(conversationId), { ...s }).catch((err: unknown) => {
      logger.error('dingtalk chat state not saved', { error: err instanceof Error ? err.name : typeof err });
    });
  }

  /**
   * Keeps the newest session webhook of a chat (from a reply's callback), for replies nobody asked for.
   * In memory at once; in the store when the stored one is missing, expired, or 10 minutes older (not
   * on every message: channel state is one file).
   */
  async function rememberSession(conversationId: string, context: ReplyContext, chat: ChatState): Promise<void> {
    if (!context.sessionWebhook || !context.sessionWebhookExpiresAt) return;
    const newer = (chat.sessionWebhookExpiresAt ?? 0) < context.sessionWebhookExpiresAt;
    const staffChanged = context.conversationType === '1' && !!context.staffId && chat.staffId !== context.staffId;
    if (!newer && !staffChanged) return;
    const next: ChatState = { ...chat, conversationType: context.conversationType ?? chat.conversationType ?? '2' };
    if (newer) {
      next.sessionWebhook = context.sessionWebhook;
      next.sessionWebhookExpiresAt = context.sessionWebhookExpiresAt;
    }
    if (context.conversationType === '1' && context.staffId) next.staffId = context.staffId;
    const saved = savedExpiry.get(conversationId) ?? 0;
    const due = staffChanged || saved <= now().getTime() + SESSION_MARGIN_MS || (next.sessionWebhookExpiresAt ?? 0) - saved >= SESSION_SAVE_STEP_MS;
    if (due) await saveChat(conversationId, next);
    else chats.set(conversationId, next);
  }

  /** A valid session for a reply: the callback's or the chat's, whichever lasts longer. */
  function pickSession(context: ReplyContext, chat: ChatState): Session | undefined {
    const t = now().getTime() + SESSION_MARGIN_MS;
    const candidates: Session[] = [];
    if (context.sessionWebhook && context.sessionWebhookExpiresAt) candidates.push({ url: context.sessionWebhook, expiresAt: context.sessionWebhookExpiresAt });
    if (chat.sessionWebhook && chat.sessionWebhookExpiresAt) candidates.push({ url: chat.sessionWebhook, expiresAt: chat.sessionWebhookExpiresAt });
    const valid = candidates.filter((s) => s.expiresAt > t && isDingTalkSessionWebhook(s.url, options.oapiBase));
    return valid.sort((a, b) => b.expiresAt - a.expiresAt)[0];
  }

  /** Turns a decoded callback into the pipeline's receipt (or an answer when there is nothing to record). */
  function receiptFor(outcome: DecodeOutcome): Receipt {
    if (outcome.kind === 'invalid') {
      logger.error('dingtalk: not a robot callback', { field: outcome.field });
      return respond({ error: T.rejected.invalid }, 400);
    }
    if (outcome.kind === 'ignored') {
      // Nothing to answer, and the robot's message service is paused anyway; organisers see it in the log.
      logger.error('dingtalk: robot quota exhausted, a message without text was dropped', { errorCode: outcome.errorCode });
      return respond({ msgtype: 'empty' }, 200);
    }
    if (outcome.droppedSession) logger.error('dingtalk: a session webhook not on DINGTALK_OAPI_BASE was ignored');
    if (outcome.event.message.unsupported !== undefined) logger.info('dingtalk: a message without text', { msgtype: outcome.msgtype });
    return {
      kind: 'events',
      events: [outcome.event],
      // Messages are answered after the acknowledgement, through the session webhook or the OpenAPI.
      waitMs: 0,
      respond: () => jsonResponse({ msgtype: 'empty' }),
    };
  }

  /** Sends the parts of one reply, resuming after the parts a failed attempt already sent. */
  async function sendParts(d: Delivery, path: string, messages: DingTalkMessage[], sendOne: (m: DingTalkMessage) => Promise<void>): Promise<void> {
    const p = progress.get(d.id);
    let done = p && p.path === path ? p.done : 0;
    for (; done < messages.length; done++) {
      await sendOne(messages[done]!);
      progress.set(d.id, { ...progress.get(d.id), path, done: done + 1 });
    }
  }

  /** Sends one reply, by the session webhook while valid, else the OpenAPI. */
  async function sendReply(d: Delivery, item: Extract<OutboundItem, { kind: 'text' | 'card' }>, to: Route): Promise<void> {
    const hint = to.group && !to.chat.hinted && (item.question !== undefined || (item.kind === 'card' && !!item.buttons?.length));
    const mentions = to.group ? mentionsFor(d, item.mentions) : [];
    const base = { chatType: to.group ? ('group' as const) : ('p2p' as const), mentions, hint };
    if (to.session) {
      try {
        const session = to.session;
        await sendParts(d, 'session', encodeReply(item, { ...base, via: 'session' }), (m) => client.sendBySession(session.url, toSessionBody(m)));
        if (hint) await saveChat(to.conversationId, { ...(await chatState(to.conversationId)), hinted: true });
        return;
      } catch (err) {
        if (!(err instanceof SessionExpiredError)) throw err;
        // DingTalk says the session is gone before its stated expiry: forget it, send through the OpenAPI.
        logger.info('dingtalk: session webhook expired, sending through the openapi', { chatId: d.target.chatId });
        await forgetSession(to);
      }
    }
    await sendParts(d, 'openapi', encodeReply(item, { ...base, via: 'openapi' }), (m) => sendOpenApi(to, toOpenApiMessage(m)));
    if (hint) await saveChat(to.conversationId, { ...(await chatState(to.conversationId)), hinted: true });
  }

  async function forgetSession(to: Route): Promise<void> {
    const chat = await chatState(to.conversationId);
    if (to.session && chat.sessionWebhook === to.session.url) {
      const { sessionWebhook: _url, sessionWebhookExpiresAt: _at, ...rest } = chat;
      await saveChat(to.conversationId, rest);
    }
  }

  /** An OpenAPI send to the route's group or person. */
  async function sendOpenApi(to: Route, message: { msgKey: string; msgParam: string }): Promise<void> {
    if (to.group) return client.sendToGroup(to.conversationId, message);
    if (!to.staffId) throw new SendError('no staff id for a one-to-one OpenAPI send (is the robot published?)', false);
    return client.sendToUser(to.staffId, message);
  }

  /** The report (or any file): upload, `sampleFile`, then in groups a short @ note. */
  async function sendFile(d: Delivery, item: Extract<OutboundItem, { kind: 'file' }>, file: StoredFile | undefined, to: Route): Promise<void> {
    if (!file) throw new SendError(`file ${item.fileId} is missing`, false);
    const type = fileExtension(item.name);
    if (!FILE_TYPES.has(type)) throw new SendError(`DingTalk does not send .${type || '?'} files`, false);
    const p = progress.get(d.id) ?? { path: 'file', done: 0 };
    if (!p.mediaId) {
      // An ASCII upload name: DingTalk's handling of UTF-8 multipart file names is undocumented; the name
      // people see is the message's fileName. https://open.dingtalk.com/document/development/upload-media-files
      p.mediaId = await client.uploadFile(file.bytes, `report.${type}`, item.mime);
      progress.set(d.id, { ...p });
    }
    if (p.done < 1) {
      await sendOpenApi(to, toFileMessage(p.mediaId, item.name));
      progress.set(d.id, { ...p, done: 1 });
    }
    // OpenAPI messages cannot @: in a group, a note through the session webhook tells the person.
    // Without a valid session it would only repeat the file's name at the cost of another OpenAPI call.
    if (to.group && to.session) {
      const session = to.session;
      const note = encodeNote(T.fileSent(item.name), { chatType: 'group', via: 'session', mentions: mentionsFor(d, undefined) });
      await client.sendBySession(session.url, toSessionBody(note[0]!)).catch((err: unknown) => {
        // The file is there; a lost note is not worth sending the file again.
        logger.error('dingtalk: the note after a file was not sent', { chatId: d.target.chatId, error: err instanceof Error ? err.name : typeof err });
      });
    }
  }

  /** The people a group reply @-mentions: the person answered, and anyone the reply names. */
  function mentionsFor(d: Delivery, extra: Array<{ userId: string; name?: string }> | undefined): Array<{ userId: string; name?: string }> {
    const out = new Map<string, { userId: string; name?: string }>();
    const add = (userId: string | undefined, name?: string) => {
      // Only staff ids can be @-mentioned; the encrypted senderId ($:LWCP_v1:$…) cannot.
      if (!userId || userId.startsWith('$:') || out.has(userId)) return;
      out.set(userId, name ? { userId, name } : { userId });
    };
    add(d.target.userId, d.target.userName);
    for (const m of extra ?? []) add(m.userId, m.name);
    return [...out.values()];
  }

  async function routeOf(d: Delivery): Promise<Route> {
    const conversationId = d.target.chatId.replace(/^dingtalk:/, '');
    const context = readContext(d.target.context);
    const chat = await chatState(conversationId);
    await rememberSession(conversationId, context, chat);
    const current = await chatState(conversationId);
    const group = d.target.chatType === 'group';
    const staffId = context.staffId ?? (group ? undefined : current.staffId) ?? (d.target.userId?.startsWith('$:') ? undefined : d.target.userId);
    const route: Route = { conversationId, group, chat: current };
    const session = pickSession(context, current);
    if (session) route.session = session;
    if (staffId) route.staffId = staffId;
    return route;
  }

  return {
    id: 'dingtalk',
    durable: true,

    /** Adds this month's API call count to what 进度 tells organisers (the free edition's quota is small). */
    async prepare(message) {
      const { calls } = await client.quota();
      return { ...message, organiserNotes: [T.quotaLine(calls, DINGTALK_FREE_QUOTA)] };
    },

    async receive(request) {
      const t = now().getTime();
      // 1. the signature of the timestamp, within the window, compared in constant time
      const check = checkDingTalkSignature(request.headers.get('timestamp'), request.headers.get('sign'), appSecret, t, windowMs);
      if (!check.ok) {
        logger.error('dingtalk: callback refused', { problem: check.problem });
        return respond({ error: check.problem === 'stale' ? T.rejected.stale : T.rejected.signature }, 401);
      }
      // 2. the body, bounded, then 3. decoded (a body that is not a robot callback is a 400)
      const body = await readLimitedBody(request, MAX_CALLBACK_BYTES);
      if (!body.ok) return respond({ error: T.rejected.tooLarge }, 413);
      return receiptFor(decodeDingTalkCallback(body.bytes, { oapiBase: options.oapiBase, receivedAt: t }));
    },

    async send(d, file) {
      const item = d.item;
      // No interactive cards: a pressed actionCard button sends text, so there is no card to update.
      if (item.kind === 'press') return;
      const to = await routeOf(d);
      try {
        if (item.kind === 'file') await sendFile(d, item, file, to);
        else await sendReply(d, item, to);
      } catch (err) {
        // A final failure is not tried again: forget its progress.
        if (err instanceof SendError && !err.retryable) progress.delete(d.id);
        throw err;
      }
      progress.delete(d.id);
    },

    async start(sink: EventSink) {
      if (options.mode !== 'stream') return;
      stream = await startDingTalkStream({
        clientId: options.appKey,
        clientSecret: appSecret,
        apiBase: options.apiBase,
        logger,
        // The connection is authenticated by the app secret when it is opened: no per-message signature.
        onCallback: async (data) => {
          let json: unknown;
          try {
            json = JSON.parse(data);
          } catch {
            json = undefined;
          }
          const receipt = receiptFor(decodeDingTalkCallback(json, { oapiBase: options.oapiBase, receivedAt: now().getTime() }));
          // Nothing to record (not a callback, the quota variant): acknowledged, since a redelivery changes nothing.
          if (receipt.kind === 'respond') return true;
          const res = await sink(receipt);
          // 200: recorded (or a duplicate). Else the store could not record it: no ACK, DingTalk delivers again.
          return res.ok;
        },
      });
    },

    async stop() {
      await stream?.stop();
      stream = undefined;
      await client.close();
    },
  };
}

/** Where one delivery goes. */
interface Route {
  conversationId: string;
  group: boolean;
  chat: ChatState;
  session?: Session;
  /** The person of a one-to-one chat (for batchSend). */
  staffId?: string;
}

/** The reply context of a delivery (see `DingTalkReplyContext`), read defensively: it comes back from storage. */
interface ReplyContext {
  conversationType?: '1' | '2';
  staffId?: string;
  sessionWebhook?: string;
  sessionWebhookExpiresAt?: number;
}

function readContext(context: Record<string, unknown> | undefined): ReplyContext {
  const c = context ?? {};
  const out: ReplyContext = {};
  if (c['conversationType'] === '1' || c['conversationType'] === '2') out.conversationType = c['conversationType'];
  if (typeof c['staffId'] === 'string' && c['staffId']) out.staffId = c['staffId'];
  if (typeof c['sessionWebhook'] === 'string' && typeof c['sessionWebhookExpiresAt'] === 'number') {
    out.sessionWebhook = c['sessionWebhook'];
    out.sessionWebhookExpiresAt = c['sessionWebhookExpiresAt'];
  }
  return out;
}

function respond(body: unknown, status: number): Receipt {
  return { kind: 'respond', response: jsonResponse(body, status) };
}
