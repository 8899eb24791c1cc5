/**
 * The one inbound message type and the one outbound union every channel translates to and from.
 * Channels (local, Feishu, DingTalk) verify, decode and encode; the core never sees a platform payload.
 */
import { z } from 'zod';
import { COMMAND_WORDS, type CommandName } from './dialog/commands';

/** The channels a message can come from. */
export type ChannelId = 'local' | 'feishu' | 'dingtalk';

/** A message (or a button press) from a person, whatever the platform. */
export interface InboundMessage {
  channel: ChannelId;
  /**
   * The chat. Platform chats carry their channel as a prefix (`feishu:oc_…`, `dingtalk:cid…`) so two
   * platforms can never share a chat; local chat ids are taken as given.
   */
  chatId: string;
  chatType: 'group' | 'p2p';
  userId: string;
  userName?: string;
  /** Text with any @bot mention removed. */
  text?: string;
  /** A pressed button's action (or a submitted card form), as it was sent. */
  action?: ButtonAction;
  /**
   * What was sent when the bot cannot read it (a picture, a sticker, a file in a group…), in words
   * ("图片"): the bot says what it can take instead and changes nothing.
   */
  unsupported?: string;
  /** People @-mentioned in the text (other than the bot). */
  mentions?: Array<{ userId: string; name?: string }>;
  /**
   * The id of the recorded inbound event this message came in (the inbox entry): handling the same id
   * twice (a replay after a crash) gives the first handling's replies and changes nothing.
   */
  messageId?: string;
  /** Milliseconds since the epoch. */
  receivedAt: number;
  /**
   * Lines the channel adds to 进度 for organisers (DingTalk: how much of the month's API quota is used).
   * Filled in after the message was recorded (`ChannelAdapter.prepare`), never stored.
   */
  organiserNotes?: string[];
}

/**
 * What a button does when pressed: answer a question with a value (the question's `stamp` says which
 * state of the answer the button was shown for, so a press on an outdated card is refused), or run a
 * command by its id. A card form's submit button is an answer without a value: the channel fills in
 * what was typed.
 */
export type ButtonAction =
  | { type: 'answer'; key: string; value?: string; stamp?: string }
  | { type: 'command'; command: CommandName; arg?: string };

const COMMAND_IDS = Object.keys(COMMAND_WORDS) as [CommandName, ...CommandName[]];

/** The shape of a button action on the wire (local JSON, a Feishu card's `value`). */
export const buttonActionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('answer'), key: z.string().min(1).max(200), value: z.string().max(20_000).optional(), stamp: z.string().max(40).optional() }).strict(),
  z.object({ type: z.literal('command'), command: z.enum(COMMAND_IDS), arg: z.string().max(200).optional() }).strict(),
]);

/** A button action from untrusted input, or undefined when it is not one. @example parseButtonAction({ type: 'command', command: 'start' }) */
export function parseButtonAction(value: unknown): ButtonAction | undefined {
  const parsed = buttonActionSchema.safeParse(value);
  return parsed.success ? (parsed.data as ButtonAction) : undefined;
}

/** What a question expects, so clients can show the right input. */
export interface QuestionMeta {
  key: string;
  type: 'number' | 'percent' | 'boolean' | 'choice' | 'multi' | 'count' | 'score' | 'text' | 'date' | 'list';
  unit?: string;
  options?: string[];
  /** The state of the answer when the question was asked; buttons and forms send it back (see ButtonAction). */
  stamp?: string;
}

export interface Button {
  label: string;
  action: ButtonAction;
}

/** A person to @-mention in a reply (reminders, assignments). */
export interface Mention {
  userId: string;
  name?: string;
}

/**
 * 得分 as figures, beside the card's text, for channels that draw it (a chart and a table). The text
 * says the same, so a channel that ignores it loses nothing.
 */
export interface ScoreSummary {
  total: number;
  base: number;
  bonus: number;
  penalty: number;
  /** The grade; null while not every item is answered (shown as 「未填完」). */
  grade: string | null;
  final: boolean;
  /** Completion in items (see scoring/summary `itemCounts`). */
  items: { scored: number; applicable: number; notApplicable: number };
  deductions: number;
  /** Level-1 indicators: the subtotal (null before any item under it is scored) out of the points that count. */
  sections: Array<{ code: string; name: string; score: number | null; max: number; complete: boolean }>;  /** Lines the text has after the figures (re-basing, the provisional notice), for channels that draw the figures. */
  notes: string[];
}

/** 对比 as figures: this year's evaluation against last year's of the same unit, per level-1 indicator. */
export interface ScoreComparison {
  unit: string;
  previousYear: number;
  year: number;
  previous: { total: number; grade: string | null; final: boolean };
  current: { total: number; grade: string | null; final: boolean };
  /** Matched by name, else by code; null where that year has no such indicator or no score yet. */
  sections: Array<{ name: string; previous: number | null; previousMax: number | null; current: number | null; currentMax: number | null }>;
}

/** A reply as the core produces it. */
export type Reply =
  | { kind: 'text'; text: string; question?: QuestionMeta; mentions?: Mention[] }
  | {
      kind: 'card';
      title: string;
      text: string;
      buttons?: Button[];
      question?: QuestionMeta;
      mentions?: Mention[];
      /** 得分's figures (the text says the same). */
      scoreSummary?: ScoreSummary;
      /** 对比's figures (the text says the same). */
      comparison?: ScoreComparison;
    }
  | { kind: 'file'; name: string; mime: string; bytes: Uint8Array };

/**
 * What the person who pressed a button (or submitted a card form) should see on the card itself:
 * a short toast, and what the card should now say (the question with what was recorded and by whom).
 * Channels without interactive cards ignore it; the replies say the same in the chat.
 */
export interface PressFeedback {
  ok: boolean;
  toast: string;
  /** The card's new content; undefined leaves the card as it is (e.g. a bad value: it is asked again). */
  card?: { title: string; text: string };
}

/** Everything one inbound message produced: the replies to post, and feedback for a pressed card. */
export interface HandleResult {
  replies: Reply[];
  pressed?: PressFeedback;
}

/** Where replies go: a chat, and (for platforms that need it) the person answered and how to reach them. */
export interface OutboundTarget {
  /** The chat, as in InboundMessage.chatId (prefixed for platform chats). */
  chatId: string;
  chatType: 'group' | 'p2p';
  /** The person the replies answer (mentioned where the platform needs it). */
  userId?: string;
  userName?: string;
  /** What the channel needs to reply (JSON): the platform message to reply to, a session webhook… */
  context?: Record<string, unknown>;
}

/** A reply as the outbox keeps it: a file is kept in the file store and named by its id. */
export type OutboundItem =
  | Exclude<Reply, { kind: 'file' }>
  | { kind: 'file'; name: string; mime: string; fileId: string }
  /** A pressed card's new content, sent after the callback was answered (Feishu's delayed update). */
  | { kind: 'press'; feedback: PressFeedback };

/** One reply to send, recorded in the outbox before it is sent and sent until the platform takes it. */
export interface Delivery {
  /** Stable: the same reply recorded twice has the same id, which is also the platform's idempotency key. */
  id: string;
  channel: ChannelId;
  target: OutboundTarget;
  item: OutboundItem;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Not to be sent before this time (ms since the epoch). */
  notBefore?: number;
  /** Given up at this time when still not taken (ms since the epoch); otherwise the pipeline's limit. */
  giveUpAt?: number;
  /**
   * Sent instead when this reply is given up (a reminder that could not get through, reported to the
   * organisers). Never nested: these have no `onFailure` of their own.
   */
  onFailure?: Delivery[];
  /** Feishu: after sending, make the message urgent (加急, in-app) for these people. Ignored elsewhere. */
  urgentFor?: string[];
}

/** An inbound event as the inbox records it before the platform gets its acknowledgement. */
export interface InboxEntry {
  /** Unique id, e.g. `feishu:ev:5e37…`; becomes the message's `messageId`. */
  id: string;
  channel: ChannelId;
  message: InboundMessage;
  /** Where its replies go. */
  replyTo: OutboundTarget;
  /** Milliseconds since the epoch. */
  receivedAt: number;
}
