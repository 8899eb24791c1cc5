/**
 * The one inbound message type and the one outbound union every channel translates to and from.
 * Channels (local, Feishu, DingTalk) verify, decode and encode; the core never sees a platform payload.
 */

/** A message (or a button press) from a person, whatever the platform. */
export interface InboundMessage {
  channel: 'local' | 'feishu' | 'dingtalk';
  chatId: string;
  chatType: 'group' | 'p2p';
  userId: string;
  userName?: string;
  /** Text with any @bot mention removed. */
  text?: string;
  /** A pressed button's action, posted back as it was sent. */
  action?: Record<string, unknown>;
  /** People @-mentioned in the text (other than the bot). */
  mentions?: Array<{ userId: string; name?: string }>;
  /** The platform's message id, for dedupe. */
  messageId?: string;
  /** Milliseconds since the epoch. */
  receivedAt: number;
}

/** What a question expects, so clients can show the right input. */
export interface QuestionMeta {
  key: string;
  type: 'number' | 'percent' | 'boolean' | 'choice' | 'multi' | 'count' | 'score' | 'text' | 'date' | 'list';
  unit?: string;
  options?: string[];
}

export interface Button {
  label: string;
  action: Record<string, unknown>;
}

/** A person to @-mention in a reply (reminders, assignments). */
export interface Mention {
  userId: string;
  name?: string;
}

/** A reply as the core produces it. */
export type Reply =
  | { kind: 'text'; text: string; question?: QuestionMeta; mentions?: Mention[] }
  | { kind: 'card'; title: string; text: string; buttons?: Button[]; question?: QuestionMeta; mentions?: Mention[] }
  | { kind: 'file'; name: string; mime: string; bytes: Uint8Array };

/** A reply as the local channel's JSON shows it (files become links). */
export type LocalReply =
  | Exclude<Reply, { kind: 'file' }>
  | { kind: 'file'; name: string; url: string };
