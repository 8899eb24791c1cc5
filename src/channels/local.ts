/**
 * The local channel: JSON in, JSON out, for the console page, the terminal chat, other programs and
 * tests. Decodes `POST /api/local/messages` bodies into InboundMessage and answers with the replies
 * in the response (file replies are stored and become links). It records nothing before answering:
 * a client that gets no response knows nothing was acknowledged. Messages nobody asked for
 * (reminders) wait in a per-chat mailbox kept in the store's channel state (so a restart loses none),
 * read with `GET /api/local/messages?chatId=…`. The channel also
 * keeps each chat's recent conversation (what was said, what came back) in memory, for a console that
 * opens a chat it has not seen (`GET /api/local/history?chatId=…`); it does not outlive the process.
 */
import { z } from 'zod';
import { actionAsText } from '../core/dialog/commands';
import { parseButtonAction, type Delivery, type InboundMessage, type Reply } from '../core/messages';
import { serverText as T } from '../core/locale/zh-CN';
import { jsonResponse, readLimitedBody } from '../lib/http';
import type { Store, StoredFile } from '../store/port';
import type { ChannelAdapter, Receipt } from './adapter';

/** A reply as the local channel's JSON shows it (files become links). */
export type LocalReply = Exclude<Reply, { kind: 'file' }> | { kind: 'file'; name: string; url: string };

/** Unprompted messages a local chat's mailbox keeps until read (older ones are dropped). */
const MAILBOX_SIZE = 100;

/** The channel-state key of a local chat's mailbox. */
const mailboxKey = (chatId: string) => `local-mailbox:${chatId}`;

/** Entries of conversation kept per chat, and chats kept (the least recently active are forgotten). */
const HISTORY_SIZE = 200;
const HISTORY_CHATS = 50;

/** One entry of a local chat's conversation: a message someone sent (a pressed button as its words in ［］), or a reply. */
export type LocalHistoryEntry = { from: 'user'; userId: string; name: string; text: string } | { from: 'bot'; reply: LocalReply };

const E = T.expected;

/** The body of `POST /api/local/messages`. */
export const localMessageSchema = z.object({
  chatId: z.string({ error: E.chatId }).trim().min(1, E.chatId).max(256, E.chatId),
  userId: z.string({ error: E.userId }).trim().min(1, E.userId).max(256, E.userId),
  userName: z.string({ error: E.userName }).max(100, E.userName).optional(),
  chatType: z.enum(['group', 'p2p'], { error: E.chatType }).optional(),
  text: z.string({ error: E.text }).max(20_000, E.text).optional(),
  action: z.record(z.string(), z.unknown(), { error: E.action }).optional(),
});

/** A decoded message, or the field that was wrong and why (in Chinese, for the client). */
export type DecodeResult = { ok: true; message: InboundMessage } | { ok: false; field?: string; error: string };

/** Strict UTF-8 (invalid bytes are a bad request, not replacement characters); stateless, so shared. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a local-channel request body (raw bytes) into an InboundMessage. */
export function decodeLocalMessage(bytes: Uint8Array, receivedAt: number): DecodeResult {
  let body: unknown;
  try {
    body = JSON.parse(utf8.decode(bytes));
  } catch {
    return { ok: false, error: T.badJson };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, error: T.badJson };
  const parsed = localMessageSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? '');
    const expected = (E as Record<string, string>)[field] ?? issue.message;
    return { ok: false, field, error: T.badField(field, expected) };
  }
  const b = parsed.data;
  const text = b.text?.trim() ? b.text : undefined;
  if (text === undefined && b.action === undefined) return { ok: false, field: 'text', error: T.badField('text', E.textOrAction) };
  let action: InboundMessage['action'];
  if (b.action !== undefined) {
    action = parseButtonAction(b.action);
    if (!action) return { ok: false, field: 'action', error: T.badField('action', E.action) };
  }
  const message: InboundMessage = {
    channel: 'local',
    chatId: b.chatId,
    chatType: b.chatType ?? 'group',
    userId: b.userId,
    receivedAt,
  };
  if (b.userName !== undefined) message.userName = b.userName;
  if (text !== undefined) message.text = text;
  if (action !== undefined) message.action = action;
  return { ok: true, message };
}

/** The URL a stored file is served at: `/files/<id>`, absolute when a public base URL is configured. */
export function formatFileUrl(id: string, publicBaseUrl?: string): string {
  return `${publicBaseUrl ?? ''}/files/${encodeURIComponent(id)}`;
}

/** Encodes replies for the local channel: files are stored and replaced by links; the rest pass through. */
export async function encodeLocalReplies(replies: Reply[], store: Store, publicBaseUrl?: string): Promise<LocalReply[]> {
  const out: LocalReply[] = [];
  for (const r of replies) {
    if (r.kind === 'file') {
      const stored = await store.putFile({ name: r.name, mime: r.mime, bytes: r.bytes });
      out.push({ kind: 'file', name: r.name, url: formatFileUrl(stored.id, publicBaseUrl) });
    } else out.push(r);
  }
  return out;
}

/** What the local channel needs. */
export interface LocalChannelOptions {
  store: Store;
  now?: () => Date;
  publicBaseUrl?: string;
}

/** The local channel, with its mailbox of unprompted messages. */
export interface LocalChannel extends ChannelAdapter {
  /** Takes the unprompted messages waiting for a chat (oldest first), emptying its mailbox. */
  takeMailbox(chatId: string): Promise<LocalReply[]>;
  /** A chat's recent conversation, oldest first (empty for a chat this process has not seen). */
  history(chatId: string): LocalHistoryEntry[];
  /** Forgets a chat's conversation (the console's 清空记录). */
  clearHistory(chatId: string): void;
}

/** Creates the local channel. @example const local = createLocalChannel({ store }) */
export function createLocalChannel(options: LocalChannelOptions): LocalChannel {
  const { store, publicBaseUrl } = options;
  const now = options.now ?? (() => new Date());
  // Mailbox reads and writes of one chat, one after another (a read-modify-write each).
  const mailboxTurns = new Map<string, Promise<unknown>>();
  const withMailbox = <T>(chatId: string, work: (box: LocalReply[]) => Promise<T>): Promise<T> => {
    const run = (mailboxTurns.get(chatId) ?? Promise.resolve()).then(async () => {
      const stored = await store.getChannelState(mailboxKey(chatId));
      return work(Array.isArray(stored?.replies) ? (stored.replies as LocalReply[]) : []);
    });
    const settled = run.catch(() => {});
    mailboxTurns.set(chatId, settled);
    void settled.then(() => mailboxTurns.get(chatId) === settled && mailboxTurns.delete(chatId));
    return run;
  };
  // By chat, in order of last activity (a Map keeps insertion order: re-inserted on every entry).
  const histories = new Map<string, LocalHistoryEntry[]>();
  const remember = (chatId: string, entries: LocalHistoryEntry[]) => {
    const list = histories.get(chatId) ?? [];
    histories.delete(chatId);
    list.push(...entries);
    if (list.length > HISTORY_SIZE) list.splice(0, list.length - HISTORY_SIZE);
    histories.set(chatId, list);
    if (histories.size > HISTORY_CHATS) histories.delete(histories.keys().next().value!);
  };
  let seq = 0;
  return {
    id: 'local',
    durable: false,
    async receive(request): Promise<Receipt> {
      // JSON only: a cross-site form or text/plain post cannot send it without a CORS preflight.
      if (!/^application\/json\s*(;|$)/i.test(request.headers.get('content-type')?.trim() ?? '')) return respondJson({ error: T.notJson }, 415);
      const body = await readLimitedBody(request);
      if (!body.ok) return respondJson({ error: T.tooLarge }, 413);
      const decoded = decodeLocalMessage(body.bytes, now().getTime());
      if (!decoded.ok) return respondJson({ error: decoded.error, ...(decoded.field ? { field: decoded.field } : {}) }, 400);
      const msg = decoded.message;
      return {
        kind: 'events',
        events: [{ id: `local:${msg.receivedAt}:${++seq}`, keys: [], channel: 'local', message: msg, replyTo: { chatId: msg.chatId, chatType: msg.chatType, userId: msg.userId } }],
        waitMs: Infinity,
        respond: async ([outcome]) => {
          // Not saved (a full disk): 507, with the chat's own words for it, so nobody takes it for an answer kept.
          if (outcome?.status === 'failed' && outcome.notSaved) return jsonResponse({ error: T.answerNotSaved, notSaved: true, replies: [{ kind: 'text', text: T.answerNotSaved }] }, 507);
          if (outcome?.status !== 'done') return jsonResponse({ error: T.internalError }, 500);
          const replies = [...outcome.result.replies];
          // A refused press says why on the card elsewhere; here, in the chat.
          const pressed = outcome.result.pressed;
          if (pressed && !pressed.ok && !replies.length) replies.push({ kind: 'text', text: pressed.toast });
          const encoded = await encodeLocalReplies(replies, store, publicBaseUrl);
          const said = msg.text ?? (msg.action ? `［${actionAsText(msg.action)}］` : '');
          remember(msg.chatId, [{ from: 'user', userId: msg.userId, name: msg.userName ?? msg.userId, text: said }, ...encoded.map((reply) => ({ from: 'bot' as const, reply }))]);
          return jsonResponse({ replies: encoded });
        },
        busy: () => jsonResponse({ error: T.chatBusy }, 429),
      };
    },
    async send(delivery: Delivery, file?: StoredFile) {
      const item = delivery.item;
      if (item.kind === 'press') return;
      const reply: LocalReply =
        item.kind === 'file' ? { kind: 'file', name: item.name, url: formatFileUrl(file?.id ?? item.fileId, publicBaseUrl) } : item;
      const chatId = delivery.target.chatId;
      await withMailbox(chatId, async (box) => {
        box.push(reply);
        if (box.length > MAILBOX_SIZE) box.splice(0, box.length - MAILBOX_SIZE);
        await store.setChannelState(mailboxKey(chatId), { replies: box });
      });
      remember(chatId, [{ from: 'bot', reply }]);
    },
    async takeMailbox(chatId) {
      return withMailbox(chatId, async (box) => {
        if (box.length) await store.setChannelState(mailboxKey(chatId), undefined);
        return box;
      });
    },
    history(chatId) {
      return [...(histories.get(chatId) ?? [])];
    },
    clearHistory(chatId) {
      histories.delete(chatId);
    },
  };
}

function respondJson(body: unknown, status: number): Receipt {
  return { kind: 'respond', response: jsonResponse(body, status) };
}
