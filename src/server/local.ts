/**
 * The local channel: JSON in, JSON out. Decodes `POST /api/local/messages` bodies into InboundMessage
 * and encodes the bot's replies for the wire (file replies are stored and become links).
 */
import { z } from 'zod';
import type { InboundMessage, LocalReply, Reply } from '../channels/types';
import { serverText as T } from '../core/locale/zh-CN';
import type { Store } from '../store/port';

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
  const message: InboundMessage = {
    channel: 'local',
    chatId: b.chatId,
    chatType: b.chatType ?? 'group',
    userId: b.userId,
    receivedAt,
  };
  if (b.userName !== undefined) message.userName = b.userName;
  if (text !== undefined) message.text = text;
  if (b.action !== undefined) message.action = b.action;
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
