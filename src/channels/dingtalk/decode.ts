/**
 * Decoding a DingTalk robot callback (the HTTP body, or a Stream CALLBACK frame's `data`) into the one
 * inbound event type. The same payload arrives both ways:
 * https://open.dingtalk.com/document/development/receive-message
 * https://open.dingtalk.com/document/development/robot-message-type
 *
 * @example
 * const out = decodeDingTalkCallback(bytes, { oapiBase: 'https://oapi.dingtalk.com', receivedAt: Date.now() })
 * if (out.kind === 'message') record(out.event)
 */
import { z } from 'zod';
import type { InboundEvent } from '../adapter';
import type { InboundMessage, OutboundTarget } from '../../core/messages';
import { dingtalkText as T } from '../../core/locale/zh-CN';

/** What a reply needs to reach the chat a callback came from, kept in `OutboundTarget.context`. */
export interface DingTalkReplyContext {
  /** The conversation (a group's `openConversationId`). */
  conversationId: string;
  /** "1" one-to-one, "2" group, as DingTalk says it. */
  conversationType: '1' | '2';
  /** The sender's staff id (userId), when DingTalk gave it (only once the robot is published). */
  staffId?: string;
  /** The session webhook of the callback: replies go there, with @, until it expires. */
  sessionWebhook?: string;
  /** When the session webhook expires, ms since the epoch. */
  sessionWebhookExpiresAt?: number;
}

/** What became of a callback body. */
export type DecodeOutcome =
  /** A message to record. `droppedSession` when its session webhook did not point at DingTalk and was ignored. */
  | { kind: 'message'; event: InboundEvent; context: DingTalkReplyContext; droppedSession: boolean; msgtype: string }
  /**
   * A callback with nothing to answer: the variant DingTalk sends when the organisation's robot quota is
   * used up (no text, errorCode 20001, "受调用量超量影响，当前我的消息服务已经暂停"). Logged, not recorded.
   */
  | { kind: 'ignored'; reason: 'quota-exhausted'; errorCode: string }
  /** Not a DingTalk robot callback (4xx). `field` names what was wrong, for the log. */
  | { kind: 'invalid'; field: string };

/** What decoding needs to know. */
export interface DecodeOptions {
  /** DINGTALK_OAPI_BASE: a session webhook must be on this origin (`/robot/sendBySession`). */
  oapiBase: string;
  /** When the callback arrived, ms since the epoch. */
  receivedAt: number;
}

/** How long a session webhook lasts when the callback does not say (90 minutes in every sample). */
const SESSION_TTL_MS = 90 * 60_000;

/** Ids and names are short printable strings; anything else is not from DingTalk. */
const id = z.string().min(1).max(256).regex(/^[^\u0000-\u001f\u007f]+$/);
const optionalId = id.optional().catch(undefined);
const optionalText = z.string().max(200).optional().catch(undefined);

/** The fields of a callback we read. Optional fields of an unexpected type are dropped, not fatal. */
const callbackSchema = z.object({
  msgId: id,
  conversationId: id,
  // A string in every sample; a number would be a harmless variation.
  conversationType: z.union([z.literal('1'), z.literal('2'), z.literal(1).transform(() => '1' as const), z.literal(2).transform(() => '2' as const)]),
  senderStaffId: optionalId,
  senderId: z.string().min(1).max(512).optional().catch(undefined),
  senderNick: optionalText,
  msgtype: z.string().max(40).optional().catch(undefined),
  text: z.object({ content: z.string().max(100_000).optional().catch(undefined) }).optional().catch(undefined),
  // The 2026 "机器人接收消息" page shows a top-level string `content`; other kinds carry an object.
  content: z.union([z.string().max(100_000), z.record(z.string(), z.unknown())]).optional().catch(undefined),
  isInAtList: z.boolean().optional().catch(undefined),
  atUsers: z
    .array(z.object({ dingtalkId: z.string().max(512).optional().catch(undefined), staffId: optionalId }))
    .max(200)
    .optional()
    .catch(undefined),
  chatbotUserId: z.string().max(512).optional().catch(undefined),
  sessionWebhook: z.string().max(2048).optional().catch(undefined),
  sessionWebhookExpiredTime: z.coerce.number().int().positive().optional().catch(undefined),
  errorCode: z.union([z.string().max(40), z.number()]).optional().catch(undefined),
});

/** Strict UTF-8: invalid bytes are a bad request, not replacement characters. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The kinds of message without text, as the bot names them ("暂时无法识别图片"). */
const KIND_NAMES: Record<string, string> = {
  picture: T.kinds.picture,
  richText: T.kinds.richText,
  audio: T.kinds.audio,
  video: T.kinds.video,
  file: T.kinds.file,
};

/**
 * Decodes a callback body (raw bytes or already-parsed JSON). Never throws: a body that is not a robot
 * callback is `invalid`; a message without text is recorded as `unsupported` (the bot says what it
 * can take instead); the quota-exhausted variant is `ignored`.
 */
export function decodeDingTalkCallback(body: Uint8Array | unknown, options: DecodeOptions): DecodeOutcome {
  let json: unknown = body;
  if (body instanceof Uint8Array) {
    try {
      json = JSON.parse(utf8.decode(body));
    } catch {
      return { kind: 'invalid', field: 'json' };
    }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { kind: 'invalid', field: 'json' };
  const parsed = callbackSchema.safeParse(json);
  if (!parsed.success) return { kind: 'invalid', field: String(parsed.error.issues[0]?.path[0] ?? 'body') };
  const cb = parsed.data;

  const text = readText(cb);
  if (text === undefined && cb.errorCode !== undefined) {
    // https://open.dingtalk.com/document/development/robot-message-type (错误码 20001)
    return { kind: 'ignored', reason: 'quota-exhausted', errorCode: String(cb.errorCode) };
  }
  // The staff id is the person's userId in the organisation, the same in every chat (a private chat
  // reaches their group's evaluation by it); DingTalk gives it only once the robot is published, and
  // never for external members: the encrypted senderId stands in then.
  const userId = cb.senderStaffId ?? cb.senderId;
  if (!userId) return { kind: 'invalid', field: 'senderStaffId' };

  const chatType = cb.conversationType === '1' ? 'p2p' : 'group';
  const chatId = `dingtalk:${cb.conversationId}`;
  const msgtype = cb.msgtype ?? 'text';
  const message: InboundMessage = { channel: 'dingtalk', chatId, chatType, userId, receivedAt: options.receivedAt };
  if (cb.senderNick) message.userName = cb.senderNick;
  if (text) message.text = text;
  else if (msgtype !== 'text') message.unsupported = KIND_NAMES[msgtype] ?? T.kinds.other;
  const mentions = readMentions(cb, text);
  if (mentions.length) message.mentions = mentions;

  const context: DingTalkReplyContext = { conversationId: cb.conversationId, conversationType: cb.conversationType };
  if (cb.senderStaffId) context.staffId = cb.senderStaffId;
  let droppedSession = false;
  if (cb.sessionWebhook) {
    if (isDingTalkSessionWebhook(cb.sessionWebhook, options.oapiBase)) {
      context.sessionWebhook = cb.sessionWebhook;
      // DingTalk sends the expiry, 90 minutes after the message in every sample; without it, assume that
      // (a session gone sooner answers 300001, and the reply goes through the OpenAPI then).
      context.sessionWebhookExpiresAt = cb.sessionWebhookExpiredTime ?? options.receivedAt + SESSION_TTL_MS;
    } else droppedSession = true;
  }
  const replyTo: OutboundTarget = { chatId, chatType, userId, context: { ...context } };
  if (cb.senderNick) replyTo.userName = cb.senderNick;
  const key = `dingtalk:msg:${cb.msgId}`;
  return { kind: 'message', event: { id: key, keys: [key], channel: 'dingtalk', message, replyTo }, context, droppedSession, msgtype };
}

/** The text of a callback, trimmed (group messages start with a space where the @ was); undefined when none. */
function readText(cb: z.infer<typeof callbackSchema>): string | undefined {
  let raw: string | undefined;
  if (typeof cb.text?.content === 'string') raw = cb.text.content;
  else if (typeof cb.content === 'string') raw = cb.content;
  else if (cb.content && Array.isArray(cb.content['richText'])) {
    // richText: [{text}, {type:'picture', downloadCode}, …]; the text parts, in order.
    raw = (cb.content['richText'] as unknown[])
      .map((part) => (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : ''))
      .join('');
  }
  const t = raw?.trim();
  return t ? t : undefined;
}

/**
 * The people @-mentioned besides the robot, by staff id (DingTalk lists the robot in `atUsers` too, under
 * its `chatbotUserId`). DingTalk gives no names; the text keeps "@名字" for each, so when the counts
 * agree the names are taken from the text in order.
 */
function readMentions(cb: z.infer<typeof callbackSchema>, text: string | undefined): NonNullable<InboundMessage['mentions']> {
  const others = (cb.atUsers ?? []).filter((u) => u.staffId && (!cb.chatbotUserId || u.dingtalkId !== cb.chatbotUserId));
  const names = text ? [...text.matchAll(/@([^\s@]+)/g)].map((m) => m[1]!) : [];
  const seen = new Set<string>();
  const out: NonNullable<InboundMessage['mentions']> = [];
  others.forEach((u, i) => {
    if (seen.has(u.staffId!)) return;
    seen.add(u.staffId!);
    out.push(names.length === others.length ? { userId: u.staffId!, name: names[i]! } : { userId: u.staffId! });
  });
  return out;
}

/**
 * True when a session webhook is DingTalk's (`{DINGTALK_OAPI_BASE}/robot/sendBySession?session=…`). The
 * callback's signature covers only the timestamp, so a replayed signature could carry any URL: we never
 * post to one that is not DingTalk's. https://open.dingtalk.com/document/dingstart/robot-reply-and-send-messages
 */
export function isDingTalkSessionWebhook(url: string, oapiBase: string): boolean {
  try {
    const u = new URL(url);
    const base = new URL(oapiBase);
    return u.origin === base.origin && u.pathname === '/robot/sendBySession' && !u.username && !u.password;
  } catch {
    return false;
  }
}
