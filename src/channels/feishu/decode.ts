/**
 * Decodes a verified (and decrypted) Feishu v2 envelope into the inbound event the pipeline records:
 * `im.message.receive_v1` (text and post; other message types become an `unsupported` message) and
 * `card.action.trigger` (a pressed button or a submitted card form). Everything else is ignored with
 * a reason, so the webhook acknowledges it and the caller logs it.
 *
 * Vendor docs:
 * - the event envelope: https://open.feishu.cn/document/server-docs/event-subscription-guide/overview
 * - receiving messages: https://open.feishu.cn/document/server-docs/im-v1/message/events/receive
 * - received content formats: https://open.feishu.cn/document/server-docs/im-v1/message-content-description/message_content
 * - card callbacks: https://open.feishu.cn/document/feishu-cards/card-callback-communication
 *
 * @example
 * const decoded = decodeFeishuEvent(plain, { botOpenId, now: Date.now(), unsupportedLabel })
 * if (decoded.kind === 'ignored') logger.info('feishu event ignored', { reason: decoded.reason })
 */
import type { InboundEvent } from '../adapter';
import { parseButtonAction, type ButtonAction, type InboundMessage } from '../../core/messages';

/** A chat id as the bot knows it: the Feishu chat id with the channel's prefix. */
export const feishuChatId = (chatId: string): string => `feishu:${chatId}`;

/** The inbox id of a Feishu event (also its first dedupe key). */
export const feishuEventKey = (eventId: string): string => `feishu:ev:${eventId}`;

/** The business dedupe key of a message: the same message under two event ids is one answer. */
export const feishuMessageKey = (messageId: string): string => `feishu:msg:${messageId}`;

/** What a button carries in its callback value: the action, and the kind of chat it was sent to (the callback does not say). */
export interface ButtonValue {
  a: ButtonAction;
  c: 'group' | 'p2p';
}

/** What decoding needs besides the envelope. */
export interface DecodeContext {
  /** The bot's own open_id, when known (GET /open-apis/bot/v3/info). */
  botOpenId?: string | undefined;
  now: number;
  /** The words for a message type the bot cannot read (image → 图片). */
  unsupportedLabel(messageType: string): string;
  /** Learns a person's display name from the event (a mention's name), for later replies. */
  learnName?(openId: string, name: string): void;
}

/** What the channel keeps in OutboundTarget.context to answer a Feishu event. */
export interface FeishuReplyContext {
  /** A group message to reply to (the reply quotes it, so people see whom the bot answers). */
  replyTo?: string;
  /** The message of a pressed card (for `message.patch`, the fallback of the delayed update). */
  cardMessageId?: string;
  /** The pressed card's update token (30 minutes, two uses) and when it was received (ms). */
  cardToken?: string;
  cardTokenAt?: number;
}

/** The outcome of decoding one envelope. */
export type DecodedEvent =
  | { kind: 'message'; event: InboundEvent }
  | { kind: 'action'; event: InboundEvent }
  | { kind: 'ignored'; reason: string; eventType?: string; /** A card press the bot cannot read: answered with a toast. */ badPress?: boolean };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Ids are opaque, but bounded and printable: anything else is not a Feishu id. */
const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 200 && !/[\u0000-\u001f\u007f]/.test(v);

/** Longest text taken from one message; the dialog itself refuses anything over 20 000 characters. */
const MAX_TEXT = 200_000;

/** Decodes one v2 envelope. Never throws. */
export function decodeFeishuEvent(envelope: Obj, ctx: DecodeContext): DecodedEvent {
  const header = isObj(envelope.header) ? envelope.header : undefined;
  const eventType = str(header?.event_type);
  // v1 envelopes (no `schema`) are not subscribed to: the console must not have both versions of an event.
  if (!header || !eventType) return { kind: 'ignored', reason: 'not a v2 event', ...(str(envelope.type) ? { eventType: str(envelope.type)! } : {}) };
  const eventId = header.event_id;
  if (!isId(eventId)) return { kind: 'ignored', reason: 'no event id', eventType };
  const event = isObj(envelope.event) ? envelope.event : undefined;
  if (!event) return { kind: 'ignored', reason: 'no event body', eventType };
  if (eventType === 'im.message.receive_v1') return decodeMessage(eventId, event, ctx);
  if (eventType === 'card.action.trigger') return decodeCardAction(eventId, event, ctx);
  return { kind: 'ignored', reason: 'unhandled event type', eventType };
}

interface Mention {
  key: string;
  openId?: string;
  name: string;
}

function readMentions(v: unknown): Mention[] {
  if (!Array.isArray(v)) return [];
  const out: Mention[] = [];
  for (const m of v.slice(0, 100)) {
    if (!isObj(m) || typeof m.key !== 'string') continue;
    const id = isObj(m.id) ? m.id : {};
    const openId = isId(id.open_id) ? id.open_id : undefined;
    out.push({ key: m.key, ...(openId ? { openId } : {}), name: typeof m.name === 'string' ? m.name : '' });
  }
  return out;
}

/** A name as an `@name` token: no whitespace inside, so `分配 部门管理 @李四` reads as one name. */
const mentionToken = (name: string): string => name.replace(/\s+/g, '');

function decodeMessage(eventId: string, event: Obj, ctx: DecodeContext): DecodedEvent {
  const type = 'im.message.receive_v1';
  const sender = isObj(event.sender) ? event.sender : {};
  const message = isObj(event.message) ? event.message : undefined;
  if (!message) return { kind: 'ignored', reason: 'no message', eventType: type };
  // Only people: bots (other apps, custom bots) are ignored, and so is anything from the bot itself.
  if (sender.sender_type !== undefined && sender.sender_type !== 'user') return { kind: 'ignored', reason: 'sent by a bot', eventType: type };
  const senderIds = isObj(sender.sender_id) ? sender.sender_id : {};
  const userId = senderIds.open_id;
  if (!isId(userId)) return { kind: 'ignored', reason: 'no sender open_id', eventType: type };
  if (ctx.botOpenId && userId === ctx.botOpenId) return { kind: 'ignored', reason: 'sent by the bot', eventType: type };
  const messageId = message.message_id;
  const chatId = message.chat_id;
  if (!isId(messageId) || !isId(chatId)) return { kind: 'ignored', reason: 'no message or chat id', eventType: type };
  const chatType: 'group' | 'p2p' = message.chat_type === 'p2p' ? 'p2p' : 'group';
  const messageType = typeof message.message_type === 'string' ? message.message_type : '';

  const mentions = readMentions(message.mentions);
  for (const m of mentions) if (m.openId && m.name) ctx.learnName?.(m.openId, m.name);
  const isBot = (m: Mention) => !!ctx.botOpenId && m.openId === ctx.botOpenId;
  // In a group the bot takes only what is addressed to it: messages that @ it. Until its own open_id is
  // known (fetched once, in the background) a message that @s anyone is taken, and `prepare` removes
  // the bot's mention once it is known.
  if (chatType === 'group') {
    const addressed = ctx.botOpenId ? mentions.some(isBot) : mentions.some((m) => !!m.openId);
    if (!addressed) return { kind: 'ignored', reason: 'group message not addressed to the bot', eventType: type };
  }

  let text: string | undefined;
  let unsupported: string | undefined;
  const content = parseContent(message.content);
  if (messageType === 'text') text = typeof content?.text === 'string' ? content.text : '';
  else if (messageType === 'post') text = postText(content, mentions);
  else unsupported = ctx.unsupportedLabel(messageType);

  const kept = mentions.filter((m) => m.openId && !isBot(m));
  const msg: InboundMessage = { channel: 'feishu', chatId: feishuChatId(chatId), chatType, userId, receivedAt: ctx.now };
  if (text !== undefined) msg.text = resolveMentions(text, mentions, isBot).slice(0, MAX_TEXT);
  if (unsupported !== undefined) msg.unsupported = unsupported;
  if (kept.length) msg.mentions = kept.map((m) => ({ userId: m.openId!, ...(m.name ? { name: mentionToken(m.name) } : {}) }));
  const context: FeishuReplyContext = chatType === 'group' ? { replyTo: messageId } : {};
  return {
    kind: 'message',
    event: {
      id: feishuEventKey(eventId),
      keys: [feishuEventKey(eventId), feishuMessageKey(messageId)],
      channel: 'feishu',
      message: msg,
      replyTo: { chatId: msg.chatId, chatType, userId, ...(context.replyTo ? { context: { ...context } } : {}) },
    },
  };
}

function parseContent(v: unknown): Obj | undefined {
  if (typeof v !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(v);
    return isObj(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `@_user_N` placeholders become `@name` (the bot's own mention and `@_all` are removed), so the dialog
 * reads `分配 部门管理 @李四` as people typed it.
 */
function resolveMentions(text: string, mentions: Mention[], isBot: (m: Mention) => boolean): string {
  const byKey = new Map(mentions.map((m) => [m.key, m]));
  // A removed mention takes one space after it along.
  const out = text.replace(/(@_user_\d+|@_all)([ \u00a0]?)/g, (_, key: string, space: string) => {
    if (key === '@_all') return '';
    const m = byKey.get(key);
    if (!m) return `${key}${space}`;
    return isBot(m) ? '' : `@${mentionToken(m.name) || m.openId || ''}${space}`;
  });
  return out.replace(/[ \t\u00a0\u3000]{2,}/g, ' ').trim();
}

/**
 * The text of a post (rich text): the title, then each paragraph's text, links and mentions; pictures,
 * videos and emoji are left out. The content comes either as `{title, content}` or keyed by locale.
 */
function postText(content: Obj | undefined, mentions: Mention[]): string {
  if (!content) return '';
  let body: Obj | undefined = content;
  if (!Array.isArray(content.content)) {
    const first = Object.values(content).find((v) => isObj(v) && Array.isArray(v.content));
    body = isObj(first) ? first : undefined;
  }
  if (!body) return '';
  const lines: string[] = [];
  if (typeof body.title === 'string' && body.title.trim()) lines.push(body.title.trim());
  for (const paragraph of Array.isArray(body.content) ? body.content : []) {
    if (!Array.isArray(paragraph)) continue;
    let line = '';
    for (const el of paragraph) {
      if (!isObj(el)) continue;
      switch (el.tag) {
        case 'text':
        case 'code_block':
        case 'md':
          line += typeof el.text === 'string' ? el.text : '';
          break;
        case 'a':
          line += typeof el.text === 'string' && el.text ? el.text : typeof el.href === 'string' ? el.href : '';
          break;
        case 'at': {
          // In received posts `user_id` is the placeholder key or the open_id; `all` is everyone.
          const id = typeof el.user_id === 'string' ? el.user_id : '';
          if (id === 'all' || id === '@_all') break;
          const m = mentions.find((x) => x.key === id || x.openId === id);
          line += m ? m.key : typeof el.user_name === 'string' ? `@${mentionToken(el.user_name)}` : '';
          break;
        }
        default:
          break;
      }
    }
    lines.push(line);
  }
  return lines.join('\n');
}

function decodeCardAction(eventId: string, event: Obj, ctx: DecodeContext): DecodedEvent {
  const type = 'card.action.trigger';
  const operator = isObj(event.operator) ? event.operator : {};
  const userId = operator.open_id;
  if (!isId(userId)) return { kind: 'ignored', reason: 'no operator open_id', eventType: type };
  const context = isObj(event.context) ? event.context : {};
  const chatId = context.open_chat_id;
  if (!isId(chatId)) return { kind: 'ignored', reason: 'not a chat card', eventType: type };
  const action = isObj(event.action) ? event.action : {};
  const value = readButtonValue(action);
  if (!value) return { kind: 'ignored', reason: 'not one of our buttons', eventType: type, badPress: true };
  const msg: InboundMessage = { channel: 'feishu', chatId: feishuChatId(chatId), chatType: value.c, userId, action: value.a, receivedAt: ctx.now };
  const reply: FeishuReplyContext = {};
  if (isId(context.open_message_id)) reply.cardMessageId = context.open_message_id;
  if (isId(event.token)) {
    reply.cardToken = event.token;
    reply.cardTokenAt = ctx.now;
  }
  return {
    kind: 'action',
    event: {
      id: feishuEventKey(eventId),
      keys: [feishuEventKey(eventId)],
      channel: 'feishu',
      message: msg,
      replyTo: { chatId: msg.chatId, chatType: value.c, userId, context: { ...reply } },
    },
  };
}

/**
 * The action of a pressed button, from its callback value (our `{a, c}` wrapper, or a bare action).
 * A form's submit button is an answer without a value: what was typed (`form_value.answer`) fills it.
 */
function readButtonValue(action: Obj): ButtonValue | undefined {
  const raw = isObj(action.value) ? action.value : undefined;
  if (!raw) return undefined;
  const wrapped = isObj(raw.a);
  let a: unknown = wrapped ? raw.a : raw;
  const c: 'group' | 'p2p' = raw.c === 'p2p' ? 'p2p' : 'group';
  if (isObj(a) && a.type === 'answer' && a.value === undefined) {
    const typed = readFormAnswer(action.form_value) ?? (typeof action.input_value === 'string' ? action.input_value : undefined);
    if (typed !== undefined) a = { ...a, value: typed.slice(0, 20_000) };
  }
  const parsed = parseButtonAction(a);
  return parsed ? { a: parsed, c } : undefined;
}

/** The form's `answer` input (or its only field), as text. */
function readFormAnswer(v: unknown): string | undefined {
  if (!isObj(v)) return undefined;
  const field = v.answer ?? (Object.keys(v).length === 1 ? Object.values(v)[0] : undefined);
  if (typeof field === 'string') return field;
  if (Array.isArray(field)) return field.filter((x) => typeof x === 'string').join(',');
  return undefined;
}
