/**
 * The message pipeline, the same for every channel: a channel's receipt in, the acknowledgement out,
 * and everything between done once.
 *
 * For a platform (a durable channel) an inbound event is claimed (dedupe keys kept for a day) and
 * recorded in the inbox, flushed, before the acknowledgement; it is processed after it, one at a time
 * per chat in arrival order. Processing runs the bot, then records the replies in the outbox and marks
 * the event processed in one flushed step; the replies are then sent, one chat at a time, with
 * retries and back-off until the platform takes them. After a crash, `recover` processes what was
 * recorded but not processed and sends what was recorded but not sent: an event is processed once
 * (the bot recognises a message it already applied), a reply is sent until it is taken (its id is
 * the platform's idempotency key, so a retry does not post twice where the platform dedupes).
 *
 * The local channel is not durable: its events are processed at once and the replies are the response.
 *
 * @example
 * const pipeline = createPipeline({ store, bot, channels: [local, feishu], logger })
 * await pipeline.recover()
 * app.post('/webhook/feishu', (c) => pipeline.receive('feishu', c.req.raw))
 */
import type { ChannelAdapter, EventResult, EventSink, Receipt } from '../channels/adapter';
import { SendError } from '../channels/adapter';
import { serverText } from '../core/locale/zh-CN';
import type { ChannelId, Delivery, HandleResult, InboundMessage, InboxEntry } from '../core/messages';
import { jsonResponse } from '../lib/http';
import { hasInboxOrder, isStoreWriteError, type Store } from '../store/port';
import { createKeyedQueue } from '../store/shared';
import type { Bot } from './bot';
import { describeError, type Logger, type WaitUntil } from './ports';

/** Dedupe keys are kept a day: Feishu retries for about 7 hours, DingTalk within minutes. */
export const DEDUPE_TTL_MS = 24 * 3600 * 1000;
/** How many messages one chat may have waiting before the local channel refuses more. */
export const MAX_PENDING_PER_CHAT = 100;
/**
 * Platform events in processing at once, across chats. Processing is CPU work on the thread that also
 * answers the platforms, then waits for the disk: each event starts in its own turn of the event loop
 * (after the requests already waiting are read), and at most this many are under way, so a burst of
 * chats cannot hold the acknowledgements back (measured at 100 concurrent senders with all events
 * started at once: event-loop delay p99 25–51 ms; started one a turn: 14–19 ms).
 */
export const MAX_PROCESSING = 8;
/** A pressed card is updated later no sooner than this after the callback was answered (Feishu: not before the response). */
const PRESS_UPDATE_DELAY_MS = 1000;

/** Back-off of failed sends. */
export interface RetryPolicy {
  /** The first wait (doubled each attempt), ms. */
  firstMs: number;
  /** The longest wait between attempts, ms. */
  maxMs: number;
  /**
   * Attempts made in this process before a reply is left recorded for the next sweep (Workers: a
   * request cannot wait minutes between attempts; the Cron Trigger's `sweep` tries again). Default: no limit.
   */
  inProcessAttempts?: number;
  /** A reply still not taken this long after it was recorded is given up (and logged), ms. */
  giveUpAfterMs: number;
}

const DEFAULT_RETRY: RetryPolicy = { firstMs: 1000, maxMs: 5 * 60_000, giveUpAfterMs: 24 * 3600 * 1000 };

/** What the pipeline needs. */
export interface PipelineOptions {
  store: Store;
  bot: Bot;
  channels: ChannelAdapter[];
  logger: Logger;
  now?: () => Date;
  retry?: Partial<RetryPolicy>;
  dedupeTtlMs?: number;
  /** Platform events processed at once (default MAX_PROCESSING). */
  maxProcessing?: number;
  /**
   * Several instances share the store (Workers): a recorded platform event is handed off (e.g. sent to a
   * Queue naming its chat) instead of processed here, and whoever takes it up calls `drainChat`, which
   * processes the chat's events under the chat's lease, oldest first (the store must implement
   * `InboxOrder`). Card callbacks are then answered at once too, and the pressed card updated after.
   * When the hand-off resolves to false (no queue) or throws, the event's chat is drained here (Workers:
   * `waitUntil` keeps the isolate alive until it is done; a sweep takes up what an ended isolate left).
   */
  handOff?: (entry: InboxEntry) => Promise<boolean>;
}

/** How long a chat's lease lasts without renewal while its events are processed (renewed per event). */
export const CHAT_LEASE_MS = 60_000;

/** The pipeline. */
export interface Pipeline {
  /** A channel by id (undefined when it is off). */
  channel(id: ChannelId): ChannelAdapter | undefined;
  /** Runs one request of a channel through the pipeline and answers it. */
  receive(channel: ChannelId, request: Request, waitUntil?: WaitUntil): Promise<Response>;
  /** Where a non-webhook receiver of a channel (long connection, Stream) puts its receipts. */
  sink(channel: ChannelId): EventSink;
  /** Records replies nobody asked for (reminders) and sends them. */
  enqueue(deliveries: Delivery[]): Promise<void>;
  /**
   * Records the replies of a reminder slot once (see `Store.claimSlot`) and sends them: false, and
   * nothing sent, when the slot was claimed before (by this run or an earlier one).
   */
  enqueueOnce(slot: string, deliveries: Delivery[], ttlMs: number): Promise<boolean>;
  /** Processes what an earlier run recorded but did not process, and sends what it did not send. */
  recover(): Promise<{ inbound: number; outbound: number }>;
  /**
   * Processes a chat's recorded events under the chat's lease (see `handOff`), oldest first, until none
   * is left, and waits for their replies to be sent: `busy` when another instance holds the lease (it
   * will process what is recorded; the caller retries later to be sure).
   */
  drainChat(channel: ChannelId, chatId: string): Promise<'done' | 'busy'>;
  /**
   * Takes up what was left behind by instances that stopped (several instances: run by the Cron
   * Trigger): events recorded more than `olderThanMs` ago and not processed (their chats drained), and
   * replies recorded that long ago and not sent (sent again: their ids are the platform's idempotency keys).
   */
  sweep(olderThanMs: number): Promise<{ inbound: number; outbound: number; busy: number }>;
  /** Resolves when nothing is being processed, sent or waiting for a retry. */
  idle(): Promise<void>;
  /** Stops retry timers and sends nothing more (recorded replies stay recorded for the next run). */
  close(): void;
}

/** A chat's events waiting to be processed. */
interface ChatQueue {
  jobs: Array<{ entry: InboxEntry; adapter: ChannelAdapter; waiter: Waiter | undefined }>;
  running: boolean;
}

interface Waiter {
  /** The acknowledgement went out without this event's result. */
  gone: boolean;
  /** The result went into the acknowledgement. */
  taken: boolean;
  resolve(r: EventResult): void;
}

/** Creates the pipeline over the given channels. */
export function createPipeline(options: PipelineOptions): Pipeline {
  const { store, bot, logger } = options;
  const now = options.now ?? (() => new Date());
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const ttl = options.dedupeTtlMs ?? DEDUPE_TTL_MS;
  const channels = new Map(options.channels.map((c) => [c.id, c]));
  const handOff = options.handOff;
  const instance = globalThis.crypto.randomUUID();
  let drains = 0;
  const sendInChat = createKeyedQueue();
  // Events waiting per chat, processed in order by one worker per chat (while it has any).
  const chatQueues = new Map<string, ChatQueue>();
  const lastSent = new Map<string, number>();
  // Waits for a retry or a rate limit, ended early by close().
  const sleepers = new Map<ReturnType<typeof setTimeout>, () => void>();
  let closed = false;

  // Work in flight, so tests and a graceful stop can wait for it.
  let active = 0;
  let idleWaiters: Array<() => void> = [];
  const finished = () => {
    if (--active === 0) {
      const ws = idleWaiters;
      idleWaiters = [];
      for (const w of ws) w();
    }
  };
  const track = <T>(p: Promise<T>): Promise<T> => {
    active++;
    return p.finally(finished);
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        sleepers.delete(t);
        resolve();
      }, ms);
      sleepers.set(t, resolve);
    });

  const chatKey = (channel: ChannelId, chatId: string) => `${channel}\u0000${chatId}`;

  // Processing slots: an event waits for one after its chat's turn came, and starts in a later turn of
  // the event loop than the one that freed it (setImmediate: after the I/O already pending).
  const maxProcessing = Math.max(1, options.maxProcessing ?? MAX_PROCESSING);
  let processing = 0;
  const slotWaiters: Array<() => void> = [];
  const starts: Array<() => void> = [];
  let startScheduled = false;
  const nextTurn = typeof setImmediate === 'function' ? setImmediate : (f: () => void) => setTimeout(f, 0);
  /** Starts one waiting task per turn of the event loop. */
  const startOne = () => {
    startScheduled = false;
    starts.shift()?.();
    if (starts.length) {
      startScheduled = true;
      nextTurn(startOne);
    }
  };
  const afterIo = () =>
    new Promise<void>((r) => {
      starts.push(r);
      if (!startScheduled) {
        startScheduled = true;
        nextTurn(startOne);
      }
    });
  async function inSlot<T>(task: () => Promise<T>): Promise<T> {
    if (processing >= maxProcessing) await new Promise<void>((r) => slotWaiters.push(r));
    else processing++;
    try {
      await afterIo();
      return await task();
    } finally {
      // Hand the slot on (the count stays), or free it.
      const next = slotWaiters.shift();
      if (next) next();
      else processing--;
    }
  }

  /** Events of a chat waiting or in progress. */
  const pendingIn = (key: string): number => {
    const queue = chatQueues.get(key);
    return queue ? queue.jobs.length + (queue.running ? 1 : 0) : 0;
  };

  /** Queues one event for processing in its chat's turn (the chat's worker starts if it is not running). */
  function schedule(entry: InboxEntry, adapter: ChannelAdapter, waiter: Waiter | undefined): void {
    const key = chatKey(entry.channel, entry.message.chatId);
    let queue = chatQueues.get(key);
    if (!queue) chatQueues.set(key, (queue = { jobs: [], running: false }));
    queue.jobs.push({ entry, adapter, waiter });
    if (queue.running) return;
    queue.running = true;
    active++;
    void runChat(key, queue);
  }

  /** Processes a chat's events one at a time, in arrival order, until none is left. */
  async function runChat(key: string, queue: ChatQueue): Promise<void> {
    try {
      for (let job = queue.jobs.shift(); job; job = queue.jobs.shift()) {
        const { entry, adapter, waiter } = job;
        try {
          // The local channel's reply is its response: nothing to put before it. A platform message is
          // completed (e.g. names looked up, network time) before it takes a processing slot.
          if (adapter.durable) {
            const message = await prepared(entry, adapter);
            await inSlot(() => processEvent(entry, message, adapter, waiter));
          } else await processEvent(entry, entry.message, adapter, waiter);
        } catch (err) {
          logger.error('processing failed', { channel: entry.channel, inboxId: entry.id, ...describeError(err) });
          waiter?.resolve({ status: 'failed' });
        }
      }
    } finally {
      queue.running = false;
      chatQueues.delete(key);
      finished();
    }
  }

  /** The message as the channel completes it; as recorded when it cannot. */
  async function prepared(entry: InboxEntry, adapter: ChannelAdapter): Promise<InboundMessage> {
    if (!adapter.prepare) return entry.message;
    try {
      return await adapter.prepare(entry.message);
    } catch (err) {
      logger.error('preparing a message failed', { channel: entry.channel, ...describeError(err) });
      return entry.message;
    }
  }

  /** Processes one event; resolves with the sends of its replies (started, not awaited). */
  async function processEvent(entry: InboxEntry, message: InboundMessage, adapter: ChannelAdapter, waiter: Waiter | undefined): Promise<Array<Promise<void>>> {
    let result: HandleResult | undefined;
    let notSaved = false;
    try {
      result = await bot.handle(message);
    } catch (err) {
      // A change the store could not write (a full disk) was not kept: the sender is told to send it again.
      notSaved = isStoreWriteError(err);
      logger.error(notSaved ? 'bot failed: the change was not saved' : 'bot failed', { channel: entry.channel, chatId: entry.message.chatId, ...describeError(err) });
    }
    // Hand the result to the acknowledgement if it is still waiting.
    const inline = !!waiter && !waiter.gone;
    if (waiter && inline) {
      waiter.taken = true;
      waiter.resolve(result ? { status: 'done', result } : { status: 'failed', ...(notSaved ? { notSaved } : {}) });
    }
    if (!adapter.durable) return [];
    const replies = result ?? { replies: [{ kind: 'text' as const, text: notSaved ? serverText.answerNotSaved : serverText.processingFailed }] };
    let deliveries: Delivery[];
    try {
      deliveries = await toDeliveries(entry, replies, !inline);
      await store.settleInbound(entry.id, deliveries);
    } catch (err) {
      // Still recorded as unprocessed: the next run processes it again (the bot knows it was applied).
      logger.error('recording replies failed', { channel: entry.channel, inboxId: entry.id, ...describeError(err) });
      return [];
    }
    return deliveries.map(dispatch);
  }

  /** The replies of an event as deliveries with stable ids; files go to the file store first. */
  async function toDeliveries(entry: InboxEntry, result: HandleResult, pressLater: boolean): Promise<Delivery[]> {
    const t = now().getTime();
    const out: Delivery[] = [];
    const base = { channel: entry.channel, target: entry.replyTo, createdAt: t };
    let i = 0;
    for (const r of result.replies) {
      const id = `${entry.id}#${i++}`;
      if (r.kind === 'file') {
        const stored = await store.putFile({ name: r.name, mime: r.mime, bytes: r.bytes });
        out.push({ ...base, id, item: { kind: 'file', name: r.name, mime: r.mime, fileId: stored.id } });
      } else out.push({ ...base, id, item: r });
    }
    // The pressed card could not be updated in the callback's answer: update it afterwards.
    if (pressLater && result.pressed?.card) {
      out.push({ ...base, id: `${entry.id}#press`, item: { kind: 'press', feedback: result.pressed }, notBefore: t + PRESS_UPDATE_DELAY_MS });
    }
    return out;
  }

  /** Sends a recorded reply in its chat's turn; resolves when it was sent or given up (never rejects). */
  function dispatch(d: Delivery): Promise<void> {
    const adapter = channels.get(d.channel);
    if (!adapter) {
      logger.error('no channel for a recorded reply', { channel: d.channel, deliveryId: d.id });
      return Promise.resolve();
    }
    const key = chatKey(d.channel, d.target.chatId);
    return track(sendInChat(key, () => deliver(adapter, d, key))).catch(() => {});
  }

  /** Sends one reply until it is taken, it cannot be, or it is too old; replies of a chat wait their turn. */
  async function deliver(adapter: ChannelAdapter, d: Delivery, key: string): Promise<void> {
    for (let attempt = 0; !closed; attempt++) {
      const t = now().getTime();
      const wait = Math.max((d.notBefore ?? 0) - t, (lastSent.get(key) ?? 0) + (adapter.sendIntervalMs ?? 0) - t, 0);
      if (wait > 0) await sleep(wait);
      if (closed) return;
      let retryIn: number | undefined;
      try {
        const file = d.item.kind === 'file' ? await store.getFile(d.item.fileId) : undefined;
        if (d.item.kind === 'file' && !file) throw new SendError(`file ${d.item.fileId} is missing`, false);
        await adapter.send(d, file);
        lastSent.set(key, now().getTime());
        await store.settleOutbound(d.id, 'sent').catch((err) => logger.error('recording a sent reply failed', { deliveryId: d.id, ...describeError(err) }));
        return;
      } catch (err) {
        lastSent.set(key, now().getTime());
        // Errors that are not SendError (a network failure inside a client) are worth another attempt.
        const retryable = err instanceof SendError ? err.retryable : true;
        const tooOld = now().getTime() - d.createdAt > retry.giveUpAfterMs || (d.giveUpAt !== undefined && now().getTime() >= d.giveUpAt);
        logger.error(retryable && !tooOld ? 'send failed, will retry' : 'send failed, given up', {
          channel: d.channel,
          chatId: d.target.chatId,
          deliveryId: d.id,
          attempt: attempt + 1,
          ...describeError(err),
        });
        if (!retryable || tooOld) {
          await giveUp(d);
          return;
        }
        // Left recorded: the next sweep sends it again.
        if (attempt + 1 >= (retry.inProcessAttempts ?? Infinity)) return;
        const backoff = Math.min(retry.maxMs, retry.firstMs * 2 ** Math.min(attempt, 20));
        retryIn = Math.max(err instanceof SendError ? (err.retryAfterMs ?? 0) : 0, backoff) + Math.floor(Math.random() * retry.firstMs);
      }
      await sleep(retryIn);
    }
  }

  /** Marks a reply given up; what it says to send instead (a report to the organisers) is recorded first. */
  async function giveUp(d: Delivery): Promise<void> {
    const reports = (d.onFailure ?? []).map(({ onFailure: _, ...r }) => ({ ...r, createdAt: now().getTime() }));
    if (reports.length) {
      try {
        await store.enqueueOutbound(reports);
      } catch (err) {
        // Still pending: the next run tries the reply again rather than lose it unreported.
        logger.error('recording a failure report failed', { deliveryId: d.id, ...describeError(err) });
        return;
      }
    }
    await store.settleOutbound(d.id, 'failed').catch(() => {});
    for (const r of reports) dispatch(r);
  }

  async function accept(adapter: ChannelAdapter, receipt: Receipt & { kind: 'events' }, waitUntil?: WaitUntil): Promise<Response> {
    const results: EventResult[] = receipt.events.map(() => ({ status: 'pending' }));
    const handedOff: InboxEntry[] = [];
    const waits: Array<{ index: number; waiter: Waiter; done: Promise<EventResult> }> = [];
    for (let index = 0; index < receipt.events.length; index++) {
      const event = receipt.events[index]!;
      // A platform message carries its inbox id, so the bot can tell a replay after a crash.
      if (adapter.durable) event.message.messageId = event.id;
      const entry: InboxEntry = { id: event.id, channel: event.channel, message: event.message, replyTo: event.replyTo, receivedAt: now().getTime() };
      if (adapter.durable) {
        let recorded: boolean;
        try {
          recorded = await store.recordInbound(entry, event.keys, ttl);
        } catch (err) {
          // Nothing acknowledged: the platform delivers again later.
          logger.error('recording an event failed', { channel: adapter.id, ...describeError(err) });
          return jsonResponse({ error: serverText.storeUnavailable }, 503);
        }
        if (!recorded) {
          results[index] = { status: 'duplicate' };
          continue;
        }
      } else if (receipt.busy && pendingIn(chatKey(adapter.id, entry.message.chatId)) >= MAX_PENDING_PER_CHAT) {
        return receipt.busy();
      }
      if (adapter.durable && handOff) {
        handedOff.push(entry);
        continue;
      }
      if (receipt.waitMs <= 0) {
        schedule(entry, adapter, undefined);
        continue;
      }
      let resolve!: (r: EventResult) => void;
      const done = new Promise<EventResult>((r) => (resolve = r));
      const waiter: Waiter = { gone: false, taken: false, resolve };
      schedule(entry, adapter, waiter);
      waits.push({ index, waiter, done });
    }
    if (waits.length) {
      const all = Promise.all(waits.map((w) => w.done.then((r) => void (results[w.index] = r))));
      if (receipt.waitMs === Infinity) await all;
      else {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, receipt.waitMs)))]);
        clearTimeout(timer);
      }
      for (const w of waits) if (!w.waiter.taken) w.waiter.gone = true;
    }
    for (const entry of handedOff) {
      let taken = false;
      try {
        taken = await handOff!(entry);
      } catch (err) {
        logger.error('handing an event off failed; processing it here', { channel: entry.channel, inboxId: entry.id, ...describeError(err) });
      }
      // Recorded already: processed here instead (and by a sweep if this instance stops first).
      if (!taken) {
        const drained = track(drainChat(entry.channel, entry.message.chatId).catch((err) => logger.error('processing failed', { channel: entry.channel, ...describeError(err) })));
        // Workers: this request's own work only (a promise of another request's work would be cancelled with it).
        waitUntil?.(drained);
      }
    }
    return receipt.respond(results);
  }

  /** See `Pipeline.drainChat`. */
  async function drainChat(channel: ChannelId, chatId: string): Promise<'done' | 'busy'> {
    if (!hasInboxOrder(store)) throw new Error('drainChat needs a store with InboxOrder (several instances)');
    const adapter = channels.get(channel);
    if (!adapter) {
      logger.error('an event of a channel that is off waits for it', { channel, chatId });
      return 'done';
    }
    const key = chatKey(channel, chatId);
    // One holder per call: two queue invocations in one isolate must not both hold a chat.
    const holder = `${instance}:${++drains}`;
    if (!(await store.leaseChat(key, holder, CHAT_LEASE_MS))) return 'busy';
    active++;
    const sends: Array<Promise<void>> = [];
    try {
      for (;;) {
        const pending = await store.listPendingInbound(channel, chatId);
        if (!pending.length) break;
        for (const entry of pending) {
          // Renewed per event; lost (another instance took an expired lease) means stop: it goes on.
          if (!(await store.leaseChat(key, holder, CHAT_LEASE_MS))) return 'busy';
          const message = await prepared(entry, adapter);
          sends.push(...(await processEvent(entry, message, adapter, undefined)));
        }
        // The replies go out before the lease is released, so another instance's replies to this chat
        // come after them; and the caller (a queue invocation) waits for its own work only.
        await Promise.all(sends.splice(0));
      }
    } finally {
      await Promise.all(sends.splice(0));
      await store.releaseChat(key, holder).catch((err) => logger.error('releasing a chat lease failed', { channel, ...describeError(err) }));
      finished();
    }
    return 'done';
  }

  return {
    channel: (id) => channels.get(id),
    async receive(channel, request, waitUntil) {
      const adapter = channels.get(channel);
      if (!adapter) return jsonResponse({ error: serverText.notFound }, 404);
      const receipt = await adapter.receive(request);
      if (receipt.kind === 'respond') return receipt.response;
      return accept(adapter, receipt, waitUntil);
    },
    sink(channel) {
      const adapter = channels.get(channel);
      if (!adapter) throw new Error(`channel ${channel} is off`);
      return (receipt) => accept(adapter, receipt);
    },
    async enqueue(deliveries) {
      await store.enqueueOutbound(deliveries);
      for (const d of deliveries) dispatch(d);
    },
    async enqueueOnce(slot, deliveries, ttlMs) {
      if (!(await store.claimSlot(slot, deliveries, ttlMs))) return false;
      for (const d of deliveries) dispatch(d);
      return true;
    },
    async recover() {
      const pending = await store.listPending();
      let inbound = 0;
      for (const entry of pending.inbound) {
        const adapter = channels.get(entry.channel);
        if (!adapter) {
          logger.error('an unprocessed event of a channel that is off now waits for it', { channel: entry.channel, inboxId: entry.id });
          continue;
        }
        schedule(entry, adapter, undefined);
        inbound++;
      }
      for (const d of pending.outbound) dispatch(d);
      if (inbound || pending.outbound.length) logger.info('recovering', { inbound, outbound: pending.outbound.length });
      return { inbound, outbound: pending.outbound.length };
    },
    drainChat(channel, chatId) {
      return drainChat(channel, chatId);
    },
    async sweep(olderThanMs) {
      const before = now().getTime() - olderThanMs;
      const pending = await store.listPending();
      const chats = new Map<string, { channel: ChannelId; chatId: string }>();
      for (const e of pending.inbound) if (e.receivedAt <= before) chats.set(chatKey(e.channel, e.message.chatId), { channel: e.channel, chatId: e.message.chatId });
      let busy = 0;
      for (const { channel, chatId } of chats.values()) if ((await drainChat(channel, chatId)) === 'busy') busy++;
      const outbound = pending.outbound.filter((d) => d.createdAt <= before && (d.notBefore ?? 0) <= before);
      for (const d of outbound) dispatch(d);
      if (chats.size || outbound.length) logger.info('swept', { chats: chats.size, busy, outbound: outbound.length });
      return { inbound: chats.size, outbound: outbound.length, busy };
    },
    idle() {
      return active === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r));
    },
    close() {
      closed = true;
      for (const [t, wake] of sleepers) {
        clearTimeout(t);
        wake();
      }
      sleepers.clear();
    },
  };
}
