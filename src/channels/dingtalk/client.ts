/**
 * The DingTalk OpenAPI over fetch: the app's access token, robot messages to a group or a person,
 * session webhook replies, and file uploads; every OpenAPI call counted against the month's quota.
 *
 * Failures are SendError: retryable only for throttling, 5xx, timeouts and an expired token (the
 * pipeline backs off and tries again); anything else (a robot not in the group, a bad parameter, the
 * month's quota used up) is final. HTTP 200 with a non-zero `errcode` is a failure too.
 *
 * @example
 * const client = createDingTalkClient({ appKey, appSecret, robotCode, apiBase, oapiBase, store, logger, now })
 * await client.sendToGroup('cid…', { msgKey: 'sampleMarkdown', msgParam: JSON.stringify({ title, text }) })
 */
import { createSingleFlight } from '../../lib/single-flight';
import { SendError } from '../adapter';
import type { Logger } from '../../app/ports';
import { callCountOf, type ChannelStateStore } from '../../store/port';

/**
 * Where the month's OpenAPI calls are counted in channel state: `{ month: 'YYYY-MM', calls }` (China's
 * calendar month; 进度 shows it to organisers, see the channel's `prepare`).
 */
export const DINGTALK_QUOTA_STATE_KEY = 'dingtalk:quota';

/** Monthly OpenAPI calls of DingTalk's free edition (标准版), all internal apps together. */
export const DINGTALK_FREE_QUOTA = 5000;

/**
 * The month an API call counts in: China's calendar month (UTC+8), as DingTalk's quota resets.
 *
 * @example quotaMonth(new Date('2025-05-31T17:00:00Z')) // '2025-06'
 */
export function quotaMonth(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 7);
}
/** A token is renewed this long before it expires (DingTalk's calling guide suggests about 10 minutes). */
export const TOKEN_REFRESH_MARGIN_MS = 10 * 60_000;
/** The longest a call may take before it counts as a (retryable) timeout. */
const DEFAULT_TIMEOUT_MS = 10_000;
/** Counted calls are written to the store at most this long after they were made. */
const DEFAULT_QUOTA_FLUSH_MS = 2_000;
/** media/upload takes files up to 20 MB. https://open.dingtalk.com/document/development/upload-media-files */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

/**
 * Throttling codes: QPS limits of the new API (`Forbidden.AccessDenied.QpsLimit…`) and the old one
 * (90018, 90002), robot send rates (`send.too.fast`, 130101, 410100).
 * https://open.dingtalk.com/document/development/how-to-process-api-throttling-on-the-dingtalk-server
 */
const THROTTLED = /QpsLimit|tooFast|too\.fast|Throttl|flowControl|^(90018|90002|130101|410100)$/i;
/** The organisation's monthly call quota is used up (`ApiCountLimitForOrg`, 90020): retrying does not help this month. */
const QUOTA_EXHAUSTED = /ApiCountLimit|^90020$/i;
/** The token was refused (expired or revoked): fetch a new one and try again. */
const TOKEN_REFUSED = /InvalidAuthentication|^(40001|40014|42001)$/i;

/** The session webhook expired (`errcode 300001`, "session 不存在"): the reply goes through the OpenAPI instead. */
export class SessionExpiredError extends SendError {
  override name = 'SessionExpiredError';
  constructor() {
    super('session webhook expired (errcode 300001)', false);
  }
}

/** A robot message as the OpenAPI takes it. */
export interface OpenApiMessage {
  msgKey: string;
  /** A JSON string. */
  msgParam: string;
}

/** What the client needs. */
export interface DingTalkClientOptions {
  appKey: string;
  appSecret: string;
  robotCode: string;
  /** DINGTALK_API_BASE, e.g. https://api.dingtalk.com */
  apiBase: string;
  /** DINGTALK_OAPI_BASE, e.g. https://oapi.dingtalk.com */
  oapiBase: string;
  /** Where the month's count is kept. */
  store: ChannelStateStore;
  logger: Logger;
  now: () => Date;
  timeoutMs?: number;
  /** How long the month's count may wait before it is written (batched; default 2 s). */
  quotaFlushMs?: number;
  /**
   * Whether the client may leave work for later that no caller waits for (default true). False on
   * Workers, where a timer set in an invocation may never fire once the invocation has answered
   * (https://developers.cloudflare.com/workers/runtime-apis/context/#waituntil): each call's count is
   * then written before the call is made, awaited, rather than by the batching timer.
   */
  backgroundWork?: boolean;
}

/** The OpenAPI client of one app. */
export interface DingTalkClient {
  /** The app's access token: cached, fetched once however many ask at the same time, renewed before it expires. */
  accessToken(): Promise<string>;
  /** Posts to a callback's session webhook (not an OpenAPI call). Throws SessionExpiredError on 300001. */
  sendBySession(url: string, body: Record<string, unknown>): Promise<void>;
  /** `robot/groupMessages/send` to a group the robot is in. */
  sendToGroup(openConversationId: string, message: OpenApiMessage): Promise<void>;
  /** `robot/oToMessages/batchSend` to one person (their staff id). */
  sendToUser(userId: string, message: OpenApiMessage): Promise<void>;
  /** `media/upload` (type file); the media id. `uploadName` should be ASCII (the name people see is sent with the message). */
  uploadFile(bytes: Uint8Array, uploadName: string, mime: string): Promise<string>;
  /** This month's count of OpenAPI calls. */
  quota(): Promise<{ month: string; calls: number }>;
  /** Writes the count now, if it changed. */
  flushQuota(): Promise<void>;
  /** Writes the count, and from now on writes each call's count at once (sends in flight during a stop). */
  close(): Promise<void>;
}

/** Creates the client. */
export function createDingTalkClient(options: DingTalkClientOptions): DingTalkClient {
  const { appKey, appSecret, robotCode, store, logger, now } = options;
  const apiBase = options.apiBase.replace(/\/+$/, '');
  const oapiBase = options.oapiBase.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const flushMs = options.quotaFlushMs ?? DEFAULT_QUOTA_FLUSH_MS;

  // --- the access token -------------------------------------------------------------------------
  let token: { value: string; renewAt: number } | undefined;
  const background = options.backgroundWork ?? true;
  // Concurrent callers share one fetch, but not Workers invocations (see createSingleFlight).
  const once = createSingleFlight(background);

  /** https://open.dingtalk.com/document/development/obtain-the-access-token-of-an-internal-app */
  async function fetchToken(): Promise<string> {
    const r = await call('oauth2/accessToken', `${apiBase}/v1.0/oauth2/accessToken`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ appKey, appSecret }),
    });
    const value = r.json['accessToken'];
    if (r.status !== 200 || typeof value !== 'string' || !value) throw failure('oauth2/accessToken', r);
    const ttlMs = (typeof r.json['expireIn'] === 'number' && r.json['expireIn'] > 0 ? r.json['expireIn'] : 7200) * 1000;
    // Renewed before it expires; fetching again while it is valid returns the same token (and extends it).
    token = { value, renewAt: now().getTime() + ttlMs - Math.min(TOKEN_REFRESH_MARGIN_MS, ttlMs / 2) };
    return value;
  }

  function accessToken(): Promise<string> {
    if (token && now().getTime() < token.renewAt) return Promise.resolve(token.value);
    return once('accessToken', fetchToken);
  }

  // --- counting OpenAPI calls -------------------------------------------------------------------
  let count: { month: string; calls: number } | undefined;
  let loading: Promise<void> | undefined;
  let dirty = false;
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  /** The writes of the count, one after another, so an older count never overwrites a newer one. */
  let writing: Promise<void> = Promise.resolve();
  const monthOf = quotaMonth;

  function loadCount(): Promise<void> {
    loading ??= store.getChannelState(DINGTALK_QUOTA_STATE_KEY).then(
      (v) => {
        count = callCountOf(v, monthOf(now()));
      },
      () => {
        count = { month: monthOf(now()), calls: 0 };
      },
    );
    return loading;
  }

  /**
   * Counts one OpenAPI call (token fetches are exempt from the quota and not counted): a log line at once,
   * the store within `flushMs` (at once, awaited, without background work or once closed).
   * https://open.dingtalk.com/document/development/how-to-process-api-throttling-on-the-dingtalk-server
   */
  async function countCall(api: string): Promise<void> {
    if (!background) return countCallNow(api);
    await loadCount();
    const month = monthOf(now());
    if (count!.month !== month) count = { month, calls: 0 };
    count!.calls++;
    dirty = true;
    logger.info('dingtalk openapi call', { api, month, calls: count!.calls });
    // Stopping: a send still in flight is written at once (no timer outlives the stop). On Workers a
    // timer may never fire after the invocation answered: written at once too.
    if (closed || !background) return flushQuota();
    if (!flushTimer) {
      flushTimer = setTimeout(() => {
        flushTimer = undefined;
        void flushQuota();
      }, flushMs);
      flushTimer.unref?.();
    }
  }

  /**
   * Without background work (Workers): each call counted in the store at once, atomically (several
   * isolates count at the same time), and nothing kept in memory between invocations.
   */
  async function countCallNow(api: string): Promise<void> {
    try {
      const after = await store.addChannelCall(DINGTALK_QUOTA_STATE_KEY, monthOf(now()));
      logger.info('dingtalk openapi call', { api, month: after.month, calls: after.calls });
    } catch (err) {
      logger.error('dingtalk quota count not saved', { error: err instanceof Error ? err.name : typeof err });
    }
  }

  /** Writes the count if it changed; resolves once every write started so far is done. */
  function flushQuota(): Promise<void> {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = undefined;
    if (!dirty || !count) return writing;
    dirty = false;
    const snapshot = { ...count };
    writing = writing.then(() =>
      store.setChannelState(DINGTALK_QUOTA_STATE_KEY, snapshot).catch((err: unknown) => {
        dirty = true;
        logger.error('dingtalk quota count not saved', { error: err instanceof Error ? err.name : typeof err });
      }),
    );
    return writing;
  }

  // --- calls ------------------------------------------------------------------------------------
  interface Answer {
    status: number;
    json: Record<string, unknown>;
    retryAfter: string | null;
  }

  /** One HTTP call; a network failure or timeout is a retryable SendError. Never logs URLs (tokens) or bodies. */
  async function call(api: string, url: string, init: RequestInit): Promise<Answer> {
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const what = err instanceof Error ? err.name : 'error';
      logger.error('dingtalk api unreachable', { api, error: what });
      throw new SendError(`${api}: ${what}`, true);
    }
    const text = await res.text().catch(() => '');
    let json: Record<string, unknown> = {};
    try {
      const v = JSON.parse(text) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) json = v as Record<string, unknown>;
    } catch {
      // Not JSON: DingTalk's IP ban answers with an HTML page; the status says enough.
    }
    return { status: res.status, json, retryAfter: res.headers.get('retry-after') };
  }

  /** The error code of an answer: `errcode` (old APIs and webhooks, may be a string) or `code` (new APIs). */
  function codeOf(r: Answer): string {
    const errcode = r.json['errcode'];
    if (errcode !== undefined && errcode !== null && String(errcode) !== '0') return String(errcode);
    const code = r.json['code'];
    return typeof code === 'string' || typeof code === 'number' ? String(code) : '';
  }

  /** True when the call succeeded: 2xx, no non-zero `errcode`, and not the IP ban's `{"status":1111}`. */
  function succeeded(r: Answer): boolean {
    const errcode = r.json['errcode'];
    const bad = errcode !== undefined && errcode !== null && String(errcode) !== '0';
    return r.status >= 200 && r.status < 300 && !bad && r.json['status'] !== 1111;
  }

  /** The SendError for a failed answer, logged with its code and request id (never its message text). */
  function failure(api: string, r: Answer): SendError {
    const code = codeOf(r);
    // DingTalk bans an IP that calls too often for a few minutes: `{"status":1111,"wait":5}` (minutes).
    const banned = r.json['status'] === 1111;
    const throttled = banned || r.status === 429 || THROTTLED.test(code);
    const exhausted = QUOTA_EXHAUSTED.test(code);
    const tokenRefused = r.status === 401 || TOKEN_REFUSED.test(code);
    if (tokenRefused && api !== 'oauth2/accessToken') token = undefined;
    const retryable = !exhausted && (throttled || r.status >= 500 || (tokenRefused && api !== 'oauth2/accessToken'));
    let retryAfterMs: number | undefined;
    const seconds = r.retryAfter !== null ? Number(r.retryAfter) : NaN;
    if (Number.isFinite(seconds) && seconds >= 0) retryAfterMs = seconds * 1000;
    else if (banned && typeof r.json['wait'] === 'number') retryAfterMs = r.json['wait'] * 60_000;
    const requestId = r.json['requestid'] ?? r.json['request_id'];
    logger.error(exhausted ? 'dingtalk monthly api quota used up' : 'dingtalk api failed', {
      api,
      status: r.status,
      code,
      ...(typeof requestId === 'string' ? { requestId } : {}),
      retryable,
    });
    return new SendError(`${api}: HTTP ${r.status}${code ? ` ${code}` : ''}`, retryable, retryAfterMs);
  }

  /** A call to a new-style API with the token in a header, counted. */
  async function callApi(api: string, body: Record<string, unknown>): Promise<Answer> {
    const accessTokenValue = await accessToken();
    await countCall(api);
    const r = await call(api, `${apiBase}/v1.0/${api}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-acs-dingtalk-access-token': accessTokenValue },
      body: JSON.stringify(body),
    });
    if (!succeeded(r)) throw failure(api, r);
    return r;
  }

  return {
    accessToken,

    async sendBySession(url, body) {
      // https://open.dingtalk.com/document/dingstart/robot-reply-and-send-messages (no token needed)
      const r = await call('sendBySession', url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
      if (succeeded(r)) return;
      if (codeOf(r) === '300001') throw new SessionExpiredError();
      throw failure('sendBySession', r);
    },

    async sendToGroup(openConversationId, message) {
      // https://open.dingtalk.com/document/development/the-robot-sends-a-group-message
      await callApi('robot/groupMessages/send', { robotCode, openConversationId, msgKey: message.msgKey, msgParam: message.msgParam });
    },

    async sendToUser(userId, message) {
      // https://open.dingtalk.com/document/development/chatbots-send-one-on-one-chat-messages-in-batches
      // A 200 does not mean the person got it: check the lists of refused and throttled staff ids.
      const r = await callApi('robot/oToMessages/batchSend', { robotCode, userIds: [userId], msgKey: message.msgKey, msgParam: message.msgParam });
      const listed = (key: string) => Array.isArray(r.json[key]) && (r.json[key] as unknown[]).includes(userId);
      if (listed('invalidStaffIdList')) {
        logger.error('dingtalk api failed', { api: 'robot/oToMessages/batchSend', code: 'invalidStaffIdList', retryable: false });
        throw new SendError('robot/oToMessages/batchSend: the staff id is not valid for this robot', false);
      }
      if (listed('flowControlledStaffIdList')) {
        logger.error('dingtalk api failed', { api: 'robot/oToMessages/batchSend', code: 'flowControlledStaffIdList', retryable: true });
        throw new SendError('robot/oToMessages/batchSend: throttled for this person', true);
      }
    },

    async uploadFile(bytes, uploadName, mime) {
      // https://open.dingtalk.com/document/development/upload-media-files : `type` also in the query
      // (some clients get 40004 without it), the file in the multipart field `media`, at most 20 MB.
      if (bytes.byteLength > MAX_UPLOAD_BYTES) throw new SendError(`media/upload: the file is over ${MAX_UPLOAD_BYTES} bytes`, false);
      const accessTokenValue = await accessToken();
      await countCall('media/upload');
      const form = new FormData();
      form.append('type', 'file');
      form.append('media', new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime }), uploadName);
      const r = await call('media/upload', `${oapiBase}/media/upload?access_token=${encodeURIComponent(accessTokenValue)}&type=file`, { method: 'POST', body: form });
      const mediaId = r.json['media_id'];
      if (!succeeded(r) || typeof mediaId !== 'string' || !mediaId) throw failure('media/upload', r);
      return mediaId;
    },

    async quota() {
      if (!background) {
        // Workers: as stored now (nothing kept between invocations).
        return callCountOf(await store.getChannelState(DINGTALK_QUOTA_STATE_KEY), monthOf(now()));
      }
      await loadCount();
      const month = monthOf(now());
      return count!.month === month ? { ...count! } : { month, calls: 0 };
    },

    flushQuota,

    async close() {
      closed = true;
      await flushQuota();
    },
  };
}
