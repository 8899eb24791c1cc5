/**
 * Outbound calls to the Feishu Open Platform through the official SDK (`@larksuiteoapi/node-sdk`,
 * `domain` = FEISHU_BASE_URL): messages (create, reply, patch), file upload, the delayed card update,
 * the bot's identity and people's names.
 *
 * What the SDK does not do, done here:
 * - one tenant_access_token per app, fetched once however many calls wait for it (the SDK fetches once
 *   per concurrent caller), refreshed and the call retried once after an invalid-token answer
 *   (99991663 / 99991661; the SDK never invalidates its cache). The SDK's own cache is off
 *   (`disableTokenCache`) and each call carries `withTenantToken(token)`.
 *   https://open.feishu.cn/document/server-docs/authentication-management/access-token/tenant_access_token_internal
 * - errors mapped by code to SendError: throttling (230020, 99991400, 11232, HTTP 429 with
 *   `x-ogw-ratelimit-reset`) and server trouble are worth another attempt, the rest are not.
 *   https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control
 *   https://open.feishu.cn/document/server-docs/im-v1/message/create (error codes)
 *   https://open.feishu.cn/document/server-docs/im-v1/message/reply (error codes)
 * - a timeout on every call (the SDK's default HTTP client has none), and an SDK logger that lets no
 *   request data through (the SDK logs whole request configs on errors: secrets, message text).
 *
 * @example
 * const api = createFeishuApi({ appId, appSecret, baseUrl, logger })
 * await api.createMessage({ receiveIdType: 'chat_id', receiveId: 'oc_…', msgType: 'text', content: '{"text":"hi"}', uuid })
 */
import { createHash } from 'node:crypto';
import { createSingleFlight } from '../../lib/single-flight';
import * as lark from '@larksuiteoapi/node-sdk';
import { SendError } from '../adapter';

type RequestOptions = ReturnType<typeof lark.withTenantToken>;
import type { Logger } from '../../app/ports';

/** Default time a call may take; a send that times out is retried with the same `uuid` (no double post). */
const CALL_TIMEOUT_MS = 20_000;
/** A tenant token is refreshed this long before the expiry Feishu gave (the SDK uses 3 minutes). */
const TOKEN_MARGIN_MS = 5 * 60_000;

/** Codes that mean the tenant_access_token is not (or no longer) valid. */
const INVALID_TOKEN = new Set([99991663, 99991661]);
/** Throttling: wait and try again. 230020 per chat/user (5 QPS), 99991400 per app, 11232 reported on sends under load. */
const RATE_LIMITED = new Set([230020, 99991400, 11232]);
/** Transient trouble on Feishu's side ("internal error", "system busy", "service unavailable"). */
const TRANSIENT = new Set([1, 99991500, 99991501, 99991502, 99991503, 99991504, 230010, 1000040343]);

/** A reply that quotes a recalled or deleted message fails with these; the reply is then sent plainly. */
export const REPLY_TARGET_GONE = new Set([230011, 231003, 230019]);

/**
 * The `uuid` of a delivery's message: at most 50 characters, the same for every attempt, so a retry
 * never posts twice (Feishu keeps one success per uuid for an hour).
 */
export function feishuUuid(deliveryId: string): string {
  return createHash('sha256').update(deliveryId, 'utf8').digest('hex').slice(0, 48);
}

/** A failed call: its Feishu code (when it said) besides what SendError carries. */
export class FeishuApiError extends SendError {
  override name = 'FeishuApiError';
  constructor(
    message: string,
    retryable: boolean,
    retryAfterMs: number | undefined,
    readonly code?: number,
    readonly status?: number,
  ) {
    super(message, retryable, retryAfterMs);
  }
}

/** Content of a message to create or reply with. */
export interface MessageBody {
  msgType: string;
  /** The JSON string (serialised once; the SDK encodes the request body itself). */
  content: string;
  /** Idempotency key, at most 50 characters: one success per uuid within an hour. */
  uuid?: string;
}

/** The Open Platform calls the channel makes. Every method throws FeishuApiError. */
export interface FeishuApi {
  /** The bot's own open_id and name (`GET /open-apis/bot/v3/info`). */
  botInfo(): Promise<{ openId: string; name?: string }>;
  /** A person's display name (`GET /open-apis/contact/v3/users/:id`), undefined when Feishu has none for us. */
  userName(openId: string, timeoutMs?: number): Promise<string | undefined>;
  createMessage(target: { receiveIdType: 'chat_id' | 'open_id'; receiveId: string } & MessageBody): Promise<string | undefined>;
  replyMessage(target: { messageId: string } & MessageBody): Promise<string | undefined>;
  /** Replaces a card message's content (the calling bot must have sent it; 14 days; 5 QPS per message). */
  patchMessage(messageId: string, content: string): Promise<void>;
  /** Uploads a file (`file_type: stream`) and returns its file_key. */
  uploadFile(name: string, bytes: Uint8Array): Promise<string>;
  /** Makes one of the bot's messages urgent in the app (加急) for these people (open_ids, in the chat). */
  urgentApp(messageId: string, openIds: string[]): Promise<void>;
  /** The delayed update of a pressed card, with the callback's token (30 minutes, two uses). */
  updateCard(token: string, card: unknown): Promise<void>;
}

/** What the API client needs. */
export interface FeishuApiOptions {
  appId: string;
  appSecret: string;
  baseUrl: string;
  logger: Logger;
  timeoutMs?: number;
  now?: () => number;
  /** Concurrent token fetches share one call (default true; false on Workers, see `createSingleFlight`). */
  shareCalls?: boolean;
}

/** An SDK HTTP instance: the SDK's default (which unwraps response bodies) with a timeout on every call. */
export function createHttpInstance(timeoutMs = CALL_TIMEOUT_MS): lark.HttpInstance {
  const base = lark.defaultHttpInstance as unknown as lark.HttpInstance;
  const t = <D>(o?: lark.HttpRequestOptions<D>): lark.HttpRequestOptions<D> => ({ timeout: timeoutMs, ...(o ?? {}) });
  return {
    request: (o) => base.request(t(o)),
    get: (url, o) => base.get(url, t(o)),
    delete: (url, o) => base.delete(url, t(o)),
    head: (url, o) => base.head(url, t(o)),
    options: (url, o) => base.options(url, t(o)),
    post: (url, data, o) => base.post(url, data, t(o)),
    put: (url, data, o) => base.put(url, data, t(o)),
    patch: (url, data, o) => base.patch(url, data, t(o)),
  };
}

/**
 * A logger for the SDK that passes on plain strings only (its connection news, its warnings) and drops
 * everything else: on an error the SDK logs the whole request (app secret, message content included).
 */
export function createSdkLogger(logger: Logger): lark.Logger {
  const plain = (args: unknown[]) => args.every((a) => typeof a === 'string' || typeof a === 'number');
  const text = (args: unknown[]) => args.join(' ').slice(0, 300);
  return {
    error: (...args: unknown[]) => {
      if (plain(args)) logger.error('feishu sdk', { detail: text(args) });
    },
    warn: (...args: unknown[]) => {
      if (plain(args)) logger.info('feishu sdk warning', { detail: text(args) });
    },
    // The long connection's state changes are worth a line; the rest of the SDK's info is chatter.
    info: (...args: unknown[]) => {
      if (plain(args) && String(args[0]).startsWith('[ws]')) logger.info('feishu long connection', { detail: text(args) });
    },
    debug: () => {},
    trace: () => {},
  };
}

/** Creates the API client. */
export function createFeishuApi(options: FeishuApiOptions): FeishuApi {
  const { appId, appSecret, baseUrl, logger } = options;
  const now = options.now ?? Date.now;
  const client = new lark.Client({
    appId,
    appSecret,
    domain: baseUrl,
    disableTokenCache: true,
    httpInstance: createHttpInstance(options.timeoutMs),
    logger: createSdkLogger(logger),
    loggerLevel: lark.LoggerLevel.warn,
  });

  let token: { value: string; expiresAt: number } | undefined;
  const once = createSingleFlight(options.shareCalls ?? true);

  /** The app's tenant token: cached until shortly before it expires; one fetch however many wait. */
  function tenantToken(): Promise<string> {
    if (token && token.expiresAt > now()) return Promise.resolve(token.value);
    return once('tenant_access_token', async () => {
      try {
        const res = await client.request<{ code?: number; msg?: string; tenant_access_token?: string; expire?: number }>({
          method: 'POST',
          url: '/open-apis/auth/v3/tenant_access_token/internal',
          data: { app_id: appId, app_secret: appSecret },
        });
        if (!res || res.code !== 0 || typeof res.tenant_access_token !== 'string') {
          throw mapResult('tenant_access_token', res?.code, res?.msg, 200);
        }
        const ttlMs = Math.max(60_000, (Number(res.expire) || 7200) * 1000 - TOKEN_MARGIN_MS);
        token = { value: res.tenant_access_token, expiresAt: now() + ttlMs };
        return token.value;
      } catch (err) {
        throw toApiError('tenant_access_token', err);
      }
    });
  }

  /** Forgets a token Feishu called invalid (unless a newer one replaced it meanwhile). */
  function invalidate(value: string): void {
    if (token?.value === value) token = undefined;
  }

  /**
   * Runs one call with the tenant token; after an invalid-token answer, once more with a fresh token.
   * `call` resolves to the response body (`{code, msg, data}`) or throws the HTTP client's error.
   */
  async function withToken<R extends { code?: number; msg?: string } | null>(api: string, call: (opts: RequestOptions) => Promise<R>): Promise<R> {
    for (let attempt = 0; ; attempt++) {
      const t = await tenantToken();
      let res: R;
      try {
        res = await call(lark.withTenantToken(t));
      } catch (err) {
        const mapped = toApiError(api, err);
        if (mapped.code !== undefined && INVALID_TOKEN.has(mapped.code) && attempt === 0) {
          invalidate(t);
          continue;
        }
        throw mapped;
      }
      const code = res?.code;
      if (code !== undefined && code !== 0) {
        if (INVALID_TOKEN.has(code) && attempt === 0) {
          invalidate(t);
          continue;
        }
        throw mapResult(api, code, res?.msg, 200);
      }
      return res;
    }
  }

  return {
    async botInfo() {
      const res = await withToken('bot/v3/info', (o) =>
        client.request<{ code?: number; msg?: string; bot?: { open_id?: string; app_name?: string } }>({ method: 'GET', url: '/open-apis/bot/v3/info' }, o),
      );
      const openId = res?.bot?.open_id;
      if (typeof openId !== 'string' || !openId) throw new FeishuApiError('bot/v3/info: no open_id', true, undefined);
      return { openId, ...(res?.bot?.app_name ? { name: res.bot.app_name } : {}) };
    },
    async userName(openId, timeoutMs) {
      const res = await withToken('contact/v3/users', (o) =>
        client.request<{ code?: number; msg?: string; data?: { user?: { name?: string } } }>(
          { method: 'GET', url: `/open-apis/contact/v3/users/${encodeURIComponent(openId)}`, params: { user_id_type: 'open_id' }, ...(timeoutMs ? { timeout: timeoutMs } : {}) },
          o,
        ),
      );
      const name = res?.data?.user?.name;
      return typeof name === 'string' && name.trim() ? name.trim() : undefined;
    },
    async createMessage({ receiveIdType, receiveId, msgType, content, uuid }) {
      const res = await withToken('im/v1/messages', (o) =>
        client.im.v1.message.create({ params: { receive_id_type: receiveIdType }, data: { receive_id: receiveId, msg_type: msgType, content, ...(uuid ? { uuid } : {}) } }, o),
      );
      return res?.data?.message_id;
    },
    async replyMessage({ messageId, msgType, content, uuid }) {
      const res = await withToken('im/v1/messages/reply', (o) =>
        client.im.v1.message.reply({ path: { message_id: messageId }, data: { msg_type: msgType, content, ...(uuid ? { uuid } : {}) } }, o),
      );
      return res?.data?.message_id;
    },
    async patchMessage(messageId, content) {
      await withToken('im/v1/messages/patch', (o) => client.im.v1.message.patch({ path: { message_id: messageId }, data: { content } }, o));
    },
    async uploadFile(name, bytes) {
      // file.create resolves to the unwrapped `data` ({file_key}) or null, not to {code, msg, data}.
      // The file must be a Buffer (or a stream): form-data rejects a Uint8Array ("source.on is not a function",
      // https://github.com/larksuite/node-sdk/issues/39).
      const data = await withToken('im/v1/files', async (o) => {
        const r = await client.im.v1.file.create({ data: { file_type: 'stream', file_name: name, file: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) } }, o);
        return r ? { code: 0, file_key: r.file_key } : null;
      });
      if (!data?.file_key) throw new FeishuApiError('im/v1/files: no file_key in the answer', true, undefined);
      return data.file_key;
    },
    async urgentApp(messageId, openIds) {
      await withToken('im/v1/messages/urgent_app', (o) =>
        client.request<{ code?: number; msg?: string }>(
          { method: 'PATCH', url: `/open-apis/im/v1/messages/${encodeURIComponent(messageId)}/urgent_app`, params: { user_id_type: 'open_id' }, data: { user_id_list: openIds } },
          o,
        ),
      );
    },
    async updateCard(cardToken, card) {
      await withToken('interactive/v1/card/update', (o) =>
        client.request<{ code?: number; msg?: string }>({ method: 'POST', url: '/open-apis/interactive/v1/card/update', data: { token: cardToken, card } }, o),
      );
    },
  };
}

/** A Feishu answer with a non-zero code as an error. */
function mapResult(api: string, code: number | undefined, msg: string | undefined, status?: number, retryAfterMs?: number): FeishuApiError {
  const what = `${api} failed: code ${code ?? 'none'}${msg ? ` (${String(msg).slice(0, 200)})` : ''}${status ? `, HTTP ${status}` : ''}`;
  const throttled = (code !== undefined && RATE_LIMITED.has(code)) || status === 429;
  const retryable =
    throttled ||
    (code !== undefined && (TRANSIENT.has(code) || INVALID_TOKEN.has(code))) ||
    status === undefined ||
    status >= 500 ||
    // An answer without a Feishu code (a proxy's page): nothing says it is final.
    (code === undefined && status !== 400 && status !== 404);
  return new FeishuApiError(what, retryable, throttled ? retryAfterMs : undefined, code, status);
}

/** Any failure of the HTTP client (an HTTP error status, a timeout, a refused connection) as an error. */
function toApiError(api: string, err: unknown): FeishuApiError {
  if (err instanceof FeishuApiError) return err;
  const e = err as { response?: { status?: number; data?: unknown; headers?: Record<string, unknown> }; code?: string; message?: string };
  const response = e?.response;
  if (!response) {
    // No answer at all (timeout, connection refused or reset): worth another attempt.
    return new FeishuApiError(`${api} failed: ${e?.code ?? (err instanceof Error ? err.name : 'no response')}`, true, undefined);
  }
  const body = response.data && typeof response.data === 'object' ? (response.data as { code?: unknown; msg?: unknown }) : {};
  const code = typeof body.code === 'number' ? body.code : undefined;
  const msg = typeof body.msg === 'string' ? body.msg : undefined;
  return mapResult(api, code, msg, response.status, readRetryAfter(response.headers));
}

/**
 * The wait the gateway asks for after a 429: `x-ogw-ratelimit-reset`, in seconds.
 * https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control
 */
function readRetryAfter(headers: Record<string, unknown> | undefined): number | undefined {
  if (!headers) return undefined;
  const get = (name: string): unknown => {
    const h = headers as { get?: (n: string) => unknown } & Record<string, unknown>;
    return typeof h.get === 'function' ? h.get(name) : h[name];
  };
  const v = Number(get('x-ogw-ratelimit-reset') ?? get('retry-after'));
  return Number.isFinite(v) && v > 0 ? Math.min(v, 3600) * 1000 : undefined;
}
