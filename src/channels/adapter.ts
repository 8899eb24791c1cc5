/**
 * The channel contract: what every channel (local, Feishu, DingTalk) implements, and nothing more.
 * A channel translates: it verifies and decodes a platform request into inbound events and the
 * acknowledgement the platform expects, and it encodes and sends a recorded reply. Recording,
 * dedupe, ordering, processing and retries belong to the pipeline (`src/app/pipeline.ts`), the same
 * for every channel.
 *
 * @example
 * const receipt = await adapter.receive(request)
 * if (receipt.kind === 'respond') return receipt.response  // a challenge, a rejection, an ignored event
 */
import type { ChannelId, Delivery, HandleResult, InboundMessage, InboxEntry } from '../core/messages';
import type { StoredFile } from '../store/port';

/** A verified, decoded inbound event, ready to be recorded and processed. */
export interface InboundEvent extends Omit<InboxEntry, 'receivedAt'> {
  /**
   * Dedupe keys claimed persistently with the event (e.g. the Feishu event id and message id): when any
   * is already claimed the event is a duplicate delivery and is dropped.
   */
  keys: string[];
}

/** What a channel makes of one request. */
export type Receipt =
  /** Answered at once with nothing to record: a URL challenge, a rejected request, an ignored event. */
  | { kind: 'respond'; response: Response }
  /** Events to record and process, and the acknowledgement. */
  | {
      kind: 'events';
      events: InboundEvent[];
      /**
       * How long the acknowledgement may wait for the events' results: 0 to answer at once (messages:
       * the work happens after the response), a budget for card callbacks (the result goes into the
       * response when it is ready in time), Infinity for the local channel (the replies are the response).
       */
      waitMs: number;
      /** The acknowledgement, given what became of each event by then. */
      respond(results: EventResult[]): Response | Promise<Response>;
      /** The answer when the chat already has too many messages waiting (the local channel: 429). */
      busy?(): Response;
    };

/** What became of one event by the time the acknowledgement goes out. */
export type EventResult =
  /** Processed: its replies and the feedback for a pressed card. */
  | { status: 'done'; result: HandleResult }
  /** Recorded, and processed after the acknowledgement (its replies go through the outbox). */
  | { status: 'pending' }
  /** Delivered before: dropped. */
  | { status: 'duplicate' }
  /**
   * Processing failed (logged); for durable channels the failure is answered in the chat instead.
   * `notSaved`: the store could not write the change (nothing of it was kept), so the sender should send again.
   */
  | { status: 'failed'; notSaved?: boolean };

/** A failed send, and whether trying again later may succeed. */
export class SendError extends Error {
  override name = 'SendError';
  constructor(
    message: string,
    /** True for throttling, timeouts, 5xx, an expired token: worth another attempt. */
    readonly retryable: boolean,
    /** How long the platform asked us to wait (ms), when it said. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** A channel. */
export interface ChannelAdapter {
  readonly id: ChannelId;
  /**
   * True for platforms: events are claimed and recorded durably before the acknowledgement and
   * processed after it. False for the local channel, whose response carries the replies (a client
   * that gets no response knows nothing was acknowledged).
   */
  readonly durable: boolean;
  /** Verifies and decodes one request (the raw body is read here, once). Never throws for bad input. */
  receive(request: Request): Promise<Receipt>;
  /**
   * Sends one recorded reply (to a chat or a user, prompted or not). Idempotent where the platform
   * allows (the delivery id is the platform's idempotency key). Throws SendError.
   */
  send(delivery: Delivery, file?: StoredFile): Promise<void>;
  /**
   * Completes a recorded message before the bot sees it, after the acknowledgement went out (e.g. the
   * sender's display name from the platform's contact API, cached). Must not throw for a platform
   * error: a message without a name is still a message.
   */
  prepare?(message: InboundMessage): Promise<InboundMessage>;
  /** Least time between two sends to one chat (the platform's per-chat rate limit), in ms. */
  readonly sendIntervalMs?: number;
  /** Starts a receiver that is not a webhook (Feishu's long connection, DingTalk Stream). */
  start?(sink: EventSink): Promise<void>;
  /** Stops what `start` started. */
  stop?(): Promise<void>;
}

/** Where a non-webhook receiver puts what it receives: the same pipeline as the webhooks. */
export type EventSink = (receipt: Receipt & { kind: 'events' }) => Promise<Response>;
