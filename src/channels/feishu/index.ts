/**
 * The Feishu (飞书) channel: events and card callbacks in (the webhook `POST /webhook/feishu`, or the
 * long connection), replies out through the official SDK. The pipeline records each event before the
 * acknowledgement and processes it after; this adapter verifies, decodes, encodes and sends.
 *
 * A webhook request goes through named steps, each refusing with a 4xx and recording nothing:
 * raw body → (signature, when the request is signed) → decrypt → url_verification challenge (token
 * checked) → signature → Verification Token → app id → timestamp window → decode. Claiming the event
 * id (and a message's id), recording and the 200 are the pipeline's (`src/app/pipeline.ts`).
 * Webhook guide: https://open.feishu.cn/document/event-subscription-guide/event-subscriptions/event-subscription-configure-/choose-a-subscription-mode/send-notifications-to-developers-server
 *
 * Messages are acknowledged at once (`{}`; Feishu delivers again after 3 s without a 200). A card
 * callback is answered within Feishu's 3 s with a toast and the updated card when the press was
 * handled in time (about 1.5 s), else with a toast, and the card is updated later with the callback's
 * token (never before the answer went out; the pipeline waits for that).
 * Card callbacks: https://open.feishu.cn/document/feishu-cards/card-callback-communication
 *
 * @example
 * const feishu = createFeishuChannel({ appId, appSecret, verificationToken, encryptKey, baseUrl, mode: 'webhook', timestampWindowSeconds: 3600, store, logger })
 * const pipeline = createDefaultPipeline({ store, bot, config, logger, channels: [feishu] })
 */
import { createSingleFlight } from '../../lib/single-flight';
import { describeError, type Logger } from '../../app/ports';
import { feishuText } from '../../core/locale/zh-CN';
import type { Delivery, InboundMessage, PressFeedback } from '../../core/messages';
import { jsonResponse, MAX_BODY_BYTES, readLimitedBody } from '../../lib/http';
import type { Store, StoredFile } from '../../store/port';
import { SendError, type ChannelAdapter, type EventResult, type EventSink, type Receipt } from '../adapter';
import { createFeishuApi, feishuUuid, FeishuApiError, REPLY_TARGET_GONE, type FeishuApi, type MessageBody } from './client';
import { decodeFeishuEvent, type DecodeContext, type FeishuReplyContext } from './decode';
import { buildAnsweredCard, encodeFeishuReply } from './encode';
import { decryptFeishu, isFreshTimestamp, parseFeishuTimestamp, readSignatureHeaders, verifyFeishuSignature, verifyFeishuToken } from './verify';
import { startFeishuLongConnection, type LongConnection } from './ws';

/** What the Feishu channel needs. */
export interface FeishuChannelOptions {
  appId: string;
  appSecret: string;
  verificationToken?: string;
  encryptKey?: string;
  /** FEISHU_BASE_URL (SDK domain; also WS endpoint discovery). */
  baseUrl: string;
  mode: 'webhook' | 'ws';
  timestampWindowSeconds: number;
  /** Channel state (a report's uploaded file key, so a retry does not upload it again). */
  store: Store;
  /** Never given secrets or message text. */
  logger: Logger;
  now?: () => Date;
  /**
   * Whether the channel may start work that no caller waits for: the bot's identity fetched ahead, on
   * creation and on each event until known (default true). False on Workers, where such work is
   * cancelled with the request that started it, and the shared fetch it leaves pending (the identity,
   * the tenant token) would stall every later call of the isolate; `prepare` then fetches it, awaited.
   */
  backgroundWork?: boolean;
}

/** How long a card callback's answer waits for the press's result (Feishu allows 3 s in all). */
const CARD_WAIT_MS = 1500;
/** Sends to one chat at most 5 a second: https://open.feishu.cn/document/server-docs/im-v1/message/create */
const SEND_INTERVAL_MS = 200;
/** A card callback token is valid 30 minutes: https://open.feishu.cn/document/server-docs/im-v1/message-card/delay-update-message-card */
const CARD_TOKEN_TTL_MS = 29 * 60_000;
/** Names are looked up again after this long (people get renamed). */
const NAME_TTL_MS = 12 * 3600_000;
/** A failed name lookup (often a missing contact permission) is not tried again sooner. */
const NAME_RETRY_MS = 10 * 60_000;
/** A name lookup may delay a message this long at most. */
const NAME_TIMEOUT_MS = 3000;
const NAMES_KEPT = 10_000;
/** A failed bot-identity fetch is not tried again sooner. */
const IDENTITY_RETRY_MS = 30_000;

const R = feishuText.rejected;

/** Creates the Feishu channel. */
export function createFeishuChannel(options: FeishuChannelOptions): ChannelAdapter {
  const { appId, verificationToken, encryptKey, store, logger, timestampWindowSeconds } = options;
  const now = options.now ?? (() => new Date());
  const background = options.backgroundWork ?? true;
  const api: FeishuApi = createFeishuApi({ appId: options.appId, appSecret: options.appSecret, baseUrl: options.baseUrl, logger, now: () => now().getTime(), shareCalls: background });
  // Lookups in flight are shared by concurrent callers, but not between Workers invocations (see createSingleFlight).
  const once = createSingleFlight(background);

  // The bot's own open_id, fetched once (in the background: never on the acknowledgement's path).
  let identity: { openId: string; name?: string } | undefined;
  let identityFailedAt = -Infinity;
  function loadIdentity(): Promise<typeof identity> {
    if (identity) return Promise.resolve(identity);
    if (now().getTime() - identityFailedAt < IDENTITY_RETRY_MS) return Promise.resolve(undefined);
    return once('bot info', () =>
      api
        .botInfo()
        .then((info) => (identity = info))
        .catch((err: unknown) => {
          identityFailedAt = now().getTime();
          logger.error('feishu bot info failed', { detail: err instanceof Error ? err.message : typeof err });
          return undefined;
        }),
    );
  }

  // Display names by open_id: from mentions in events and from the contact API.
  const names = new Map<string, { name?: string; until: number }>();
  function learnName(openId: string, name: string, ttl = NAME_TTL_MS): void {
    names.delete(openId);
    names.set(openId, { name, until: now().getTime() + ttl });
    if (names.size > NAMES_KEPT) names.delete(names.keys().next().value!);
  }
  function cachedName(openId: string): string | undefined {
    return names.get(openId)?.name;
  }
  function lookupName(openId: string): Promise<string | undefined> {
    const hit = names.get(openId);
    if (hit && hit.until > now().getTime()) return Promise.resolve(hit.name);
    return once(`name ${openId}`, () =>
      api
        .userName(openId, NAME_TIMEOUT_MS)
        .then((name) => {
          if (name) learnName(openId, name);
          else names.set(openId, { until: now().getTime() + NAME_RETRY_MS });
          return name ?? hit?.name;
        })
        .catch((err: unknown) => {
          names.set(openId, { ...(hit?.name ? { name: hit.name } : {}), until: now().getTime() + NAME_RETRY_MS });
          logger.info('feishu name lookup failed', { code: err instanceof FeishuApiError ? err.code : undefined });
          return hit?.name;
        }),
    );
  }

  // Known before the first group message, as a rule (a message that comes first is handled in `prepare`).
  if (background) void loadIdentity();

  // One context, updated per event (decoding is synchronous).
  const decodeContext: DecodeContext & { botOpenId: string | undefined } = {
    botOpenId: undefined,
    now: 0,
    unsupportedLabel: (type) => feishuText.unsupported[type] ?? feishuText.unsupportedOther,
    learnName: (id, name) => learnName(id, name),
  };

  function reject(status: number, error: string, reason: string): Receipt {
    logger.error('feishu request refused', { reason });
    return { kind: 'respond', response: jsonResponse({ error }, status) };
  }

  /** The steps after authentication, shared by the webhook and the long connection: app id, then decode. */
  function acceptEnvelope(plain: Record<string, unknown>): Receipt {
    const header = isObj(plain.header) ? plain.header : undefined;
    // An event of another app (a second app pointed at this URL, or a replay from elsewhere).
    if (header && header.app_id !== appId) return reject(403, R.wrongApp, 'wrong app id');
    if (!identity && background) void loadIdentity();
    decodeContext.botOpenId = identity?.openId;
    decodeContext.now = now().getTime();
    const decoded = decodeFeishuEvent(plain, decodeContext);
    if (decoded.kind === 'ignored') {
      logger.info('feishu event ignored', { eventType: decoded.eventType, reason: decoded.reason });
      const body = decoded.badPress ? { toast: { type: 'info', content: feishuText.badButton } } : {};
      return { kind: 'respond', response: jsonResponse(body) };
    }
    if (decoded.kind === 'message') {
      return { kind: 'events', events: [decoded.event], waitMs: 0, respond: () => jsonResponse({}) };
    }
    return { kind: 'events', events: [decoded.event], waitMs: CARD_WAIT_MS, respond: ([r]) => jsonResponse(answerPress(r)) };
  }

  async function receive(request: Request): Promise<Receipt> {
    if (options.mode === 'ws') return reject(503, R.wsMode, 'webhook request in long-connection mode');
    // Without an Encrypt Key and a Verification Token nothing authenticates a request.
    if (!encryptKey && !verificationToken) return reject(503, R.notConfigured, 'neither encrypt key nor verification token configured');

    // Raw body: kept as bytes, because the signature is over exactly these bytes.
    const body = await readLimitedBody(request, MAX_BODY_BYTES);
    if (!body.ok) return reject(413, R.tooLarge, 'body too large');
    const outer = parseJsonObject(body.bytes);
    if (!outer) return reject(400, R.badBody, 'not a JSON object');
    const headers = readSignatureHeaders(request.headers);

    // Decrypt. A signed request's signature is checked first: nothing unauthenticated is decrypted
    // but the (unsigned) challenge, and every decryption failure gets the same answer.
    let plain = outer;
    let signed = false;
    if (typeof outer.encrypt === 'string') {
      if (!encryptKey) return reject(400, R.badBody, 'encrypted body but no encrypt key configured');
      if (headers.signature !== null) {
        if (!verifyFeishuSignature(headers, encryptKey, body.bytes)) return reject(401, R.badSignature, 'bad signature');
        signed = true;
      }
      const decrypted = decryptObject(outer.encrypt, encryptKey);
      if (!decrypted) return reject(400, R.badBody, 'cannot decrypt');
      plain = decrypted;
    }

    // The url_verification challenge: unsigned, answered within 1 s, its token checked (with no token
    // configured only an encrypted challenge proves it comes from Feishu).
    if (plain.type === 'url_verification') {
      const trusted = verificationToken ? verifyFeishuToken(plain.token, verificationToken) : typeof outer.encrypt === 'string';
      if (!trusted) return reject(401, R.badToken, 'challenge with a wrong token');
      if (typeof plain.challenge !== 'string') return reject(400, R.badBody, 'challenge without a challenge');
      return { kind: 'respond', response: jsonResponse({ challenge: plain.challenge }) };
    }

    // Signature: sha256(timestamp + nonce + encryptKey + raw body), required once an Encrypt Key is set.
    if (encryptKey && !signed && !verifyFeishuSignature(headers, encryptKey, body.bytes)) return reject(401, R.badSignature, 'bad or missing signature');

    // Verification Token: v2 in header.token, v1 at the top (the SDK never checks it).
    if (verificationToken) {
      const header = isObj(plain.header) ? plain.header : undefined;
      if (!verifyFeishuToken(header ? header.token : plain.token, verificationToken)) return reject(401, R.badToken, 'wrong verification token');
    }

    // Timestamp window: the signed header (seconds), else the event's create_time (ms or µs).
    const header = isObj(plain.header) ? plain.header : undefined;
    const ts = parseFeishuTimestamp(headers.timestamp) ?? parseFeishuTimestamp(typeof header?.create_time === 'string' ? header.create_time : undefined);
    if (ts === undefined ? Boolean(encryptKey) : !isFreshTimestamp(ts, now().getTime(), timestampWindowSeconds)) {
      return reject(401, R.stale, 'stale or unreadable timestamp');
    }

    return acceptEnvelope(plain);
  }

  /** The answer of a card callback, from what became of the press by then. */
  function answerPress(r: EventResult | undefined): Record<string, unknown> {
    if (!r || r.status === 'duplicate') return {};
    if (r.status === 'pending') return { toast: { type: 'info', content: feishuText.pending } };
    if (r.status === 'failed') return { toast: { type: 'error', content: feishuText.failed } };
    const pressed = r.result.pressed;
    if (!pressed) return {};
    const out: Record<string, unknown> = { toast: { type: pressed.ok ? 'success' : 'warning', content: pressed.toast } };
    // A 2.0 card must stay 2.0 (error 200830 otherwise).
    if (pressed.card) out.card = { type: 'raw', data: buildAnsweredCard(pressed.card) };
    return out;
  }

  async function send(delivery: Delivery, file?: StoredFile): Promise<void> {
    const { target, item } = delivery;
    const ctx = (target.context ?? {}) as FeishuReplyContext;
    const receiver = receiverOf(target.chatId);
    if (!receiver) throw new SendError(`not a Feishu chat: ${target.chatId.slice(0, 40)}`, false);
    const uuid = feishuUuid(delivery.id);
    switch (item.kind) {
      case 'press':
        return updatePressed(item.feedback, ctx);
      case 'file': {
        if (!file) throw new SendError('file missing', false);
        const fileKey = await uploadOnce(delivery.id, file);
        await post(receiver, ctx, { msgType: 'file', content: JSON.stringify({ file_key: fileKey }), uuid });
        await store.setChannelState(fileStateKey(delivery.id), undefined).catch(() => {});
        return;
      }
      default: {
        const encoded = encodeFeishuReply(item, target, cachedName);
        const messageId = await post(receiver, ctx, { ...encoded, uuid });
        if (delivery.urgentFor?.length && messageId) {
          // The reminder is there; a buzz refused (group settings, quota) is logged, not worth a resend.
          await api.urgentApp(messageId, delivery.urgentFor).catch((err: unknown) => logger.error('feishu: urgent (加急) refused', { deliveryId: delivery.id, ...describeError(err) }));
        }
      }
    }
  }

  /** A reply to the person's group message when there is one (quoting it), else a message to the chat. */
  async function post(receiver: Receiver, ctx: FeishuReplyContext, msg: MessageBody): Promise<string | undefined> {
    if (ctx.replyTo) {
      try {
        return await api.replyMessage({ messageId: ctx.replyTo, ...msg });
      } catch (err) {
        // The message was recalled or deleted meanwhile: say it to the chat instead.
        if (!(err instanceof FeishuApiError && err.code !== undefined && REPLY_TARGET_GONE.has(err.code))) throw err;
      }
    }
    return api.createMessage({ ...receiver, ...msg });
  }

  /** The file key of a report, uploaded once even when sending the message is retried (after a restart too). */
  async function uploadOnce(deliveryId: string, file: StoredFile): Promise<string> {
    const key = fileStateKey(deliveryId);
    const kept = await store.getChannelState(key).catch(() => undefined);
    if (typeof kept?.fileKey === 'string') return kept.fileKey;
    const fileKey = await api.uploadFile(file.name, file.bytes);
    await store.setChannelState(key, { fileKey }).catch(() => {});
    return fileKey;
  }

  /**
   * A pressed card's new content after the callback was answered: the delayed update with the
   * callback's token while it is valid, else (or when Feishu refuses it) a patch of the card message.
   * https://open.feishu.cn/document/server-docs/im-v1/message-card/patch
   */
  async function updatePressed(feedback: PressFeedback, ctx: FeishuReplyContext): Promise<void> {
    if (!feedback.card) return;
    const card = buildAnsweredCard(feedback.card);
    if (ctx.cardToken && now().getTime() - (ctx.cardTokenAt ?? 0) < CARD_TOKEN_TTL_MS) {
      try {
        await api.updateCard(ctx.cardToken, card);
        return;
      } catch (err) {
        if (!ctx.cardMessageId || (err instanceof SendError && err.retryable)) throw err;
      }
    }
    if (ctx.cardMessageId) await api.patchMessage(ctx.cardMessageId, JSON.stringify(card));
  }

  /** Completes a recorded message: the bot's own mention removed (if decoding could not yet tell it), names filled in. */
  async function prepare(message: InboundMessage): Promise<InboundMessage> {
    let m = message;
    if (m.mentions?.length) {
      const bot = identity ?? (await loadIdentity());
      if (bot) m = removeMention(m, bot.openId);
    }
    const wanted = [...(m.userName ? [] : [m.userId]), ...(m.mentions ?? []).filter((x) => !x.name).map((x) => x.userId)];
    if (!wanted.length) return m;
    // Known (or known to be unknown) names need no lookup: the common case, answered without waiting.
    const t = now().getTime();
    const found = new Map<string, string | undefined>();
    const missing: string[] = [];
    for (const id of new Set(wanted)) {
      const hit = names.get(id);
      if (hit && hit.until > t) found.set(id, hit.name);
      else missing.push(id);
    }
    if (missing.length) for (const [id, name] of await Promise.all(missing.map(async (id) => [id, await lookupName(id)] as const))) found.set(id, name);
    if (!found.get(m.userId) && !m.mentions?.some((x) => !x.name && found.get(x.userId))) return m;
    const out: InboundMessage = { ...m };
    const own = found.get(m.userId);
    if (!m.userName && own) out.userName = own;
    if (m.mentions) out.mentions = m.mentions.map((x) => (x.name || !found.get(x.userId) ? x : { ...x, name: found.get(x.userId)! }));
    return out;
  }

  let connection: LongConnection | undefined;

  return {
    id: 'feishu',
    durable: true,
    sendIntervalMs: SEND_INTERVAL_MS,
    receive,
    send,
    prepare,
    async start(sink: EventSink) {
      if (options.mode !== 'ws' || connection) return;
      void loadIdentity();
      connection = startFeishuLongConnection({
        appId,
        appSecret: options.appSecret,
        baseUrl: options.baseUrl,
        ...(encryptKey ? { encryptKey } : {}),
        logger,
        handle: async (envelope) => {
          const receipt = acceptEnvelope(envelope);
          const response = receipt.kind === 'respond' ? receipt.response : await sink(receipt);
          // Not recorded (the store failed): a 500 in the ACK makes Feishu push the event again.
          if (response.status >= 500) throw new Error(`not recorded (HTTP ${response.status})`);
          return response.json();
        },
      });
    },
    async stop() {
      connection?.close();
      connection = undefined;
    },
  };
}

type Receiver = { receiveIdType: 'chat_id' | 'open_id'; receiveId: string };

/** Where a chat id sends to: `feishu:oc_…` a chat (group or private), `feishu:ou_…` a person. */
function receiverOf(chatId: string): Receiver | undefined {
  if (!chatId.startsWith('feishu:')) return undefined;
  const id = chatId.slice('feishu:'.length);
  if (!id) return undefined;
  return id.startsWith('ou_') ? { receiveIdType: 'open_id', receiveId: id } : { receiveIdType: 'chat_id', receiveId: id };
}

const fileStateKey = (deliveryId: string) => `feishu:file:${deliveryId}`;

/** The message without the bot's mention: out of the mentions, and its `@name` out of the text. */
function removeMention(m: InboundMessage, botOpenId: string): InboundMessage {
  const bot = m.mentions?.find((x) => x.userId === botOpenId);
  if (!bot) return m;
  const out: InboundMessage = { ...m };
  const rest = m.mentions!.filter((x) => x.userId !== botOpenId);
  if (rest.length) out.mentions = rest;
  else delete out.mentions;
  if (out.text !== undefined) {
    const token = `@${bot.name ?? botOpenId}`;
    out.text = out.text.split(token).join('').replace(/[ \t\u00a0\u3000]{2,}/g, ' ').trim();
  }
  return out;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Strict UTF-8 (bad bytes are a bad request); stateless, so shared. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseJsonObject(bytes: Uint8Array): Obj | undefined {
  try {
    const v: unknown = JSON.parse(utf8.decode(bytes));
    return isObj(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function decryptObject(encrypt: string, encryptKey: string): Obj | undefined {
  try {
    const v: unknown = JSON.parse(decryptFeishu(encrypt, encryptKey));
    return isObj(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
