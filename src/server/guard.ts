/**
 * Who may use the JSON API and the console.
 *
 * - Every request: a browser request from another origin is refused (403). An `Origin` header must name
 *   exactly this server's origin (scheme://host:port of the request's own URL; see `allowedOrigins`), so
 *   a page on another localhost port is refused too; `Sec-Fetch-Site` other than `same-origin` or `none`
 *   is refused (it also covers requests that carry no Origin, such as a no-cors GET). Only the console
 *   page itself may be opened by a navigation from elsewhere (a link), since that runs nothing.
 * - With ADMIN_TOKEN: `Authorization: Bearer <token>`, or the console's session cookie (see
 *   `sessions.ts`; signing in with the token creates one). Wrong tokens are counted per client address
 *   (the socket's, never a header) and in total (`failure-limit.ts`); past the limit the token is not
 *   even compared and the answer is 429 with Retry-After. An unknown session cookie is not counted: it
 *   cannot be guessed, and a browser holding an expired one must still be able to sign in again.
 * - Without it: only clients on the loopback address, not through a proxy (a request carrying forwarding
 *   headers is treated as remote, since a reverse proxy on the same host would otherwise make every
 *   visitor look local), addressed to a loopback host name (against DNS rebinding).
 *
 * Web-standard code only (Hono, Web Crypto): the same guard serves Node and Workers.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { serverText as T } from '../core/locale/zh-CN';
import { createFailureLimiter, type FailureLimiter } from '../lib/failure-limit';
import { addressKey, compareSecrets, isLoopbackAddress } from '../lib/http';
import { createMemorySessions, type ConsoleSessions } from './sessions';

/** The name of the console's session cookie. */
export const CONSOLE_COOKIE = 'jx_console';

/** Finds the client's address for a request (the socket's, never a header). */
export type RemoteAddressResolver = (c: Context) => string | undefined;

/**
 * The default resolver: @hono/node-server passes `{ incoming }` as the environment, so the socket's
 * address is at `env.incoming.socket.remoteAddress`. Tests with `app.request(path, init, env)` pass
 * `{ incoming: { socket: { remoteAddress: '127.0.0.1' } } }`; without it the client counts as remote.
 */
export const readSocketAddress: RemoteAddressResolver = (c) => {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
};

const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

/** True for localhost, *.localhost and loopback addresses (IPv6 in brackets or not). */
export function isLoopbackHostName(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || isLoopbackAddress(h);
}

/** The outcome of checking a request. */
export type AccessResult = { ok: true } | { ok: false; status: 400 | 401 | 403 | 429; message: string; retryAfterSeconds?: number };

/** What the guard needs. */
export interface AdminAccessOptions {
  adminToken: string | undefined;
  resolveAddress: RemoteAddressResolver;
  /** The clock (ms since the epoch), for session expiry and the failure windows. */
  now: () => number;
  /** The server's public address (PUBLIC_BASE_URL): its origin is accepted as this server's own. */
  publicBaseUrl?: string;
  /** Default: in memory (`createMemorySessions`). */
  sessions?: ConsoleSessions;
  /** Default: `createFailureLimiter` with its default rules. */
  limiter?: FailureLimiter;
}

/** Options of one check. */
export interface CheckOptions {
  /** A top-level navigation to the console page may come from another site (a link to it). */
  navigation?: boolean;
}

/** The guard. */
export interface AdminAccess {
  /** True when ADMIN_TOKEN is set (the console has sign-in and sign-out). */
  readonly tokenRequired: boolean;
  readonly sessions: ConsoleSessions;
  /** Decides whether a request may use the API and the console. */
  check(c: Context, options?: CheckOptions): Promise<AccessResult>;
  /** Only the same-origin part of `check`. */
  checkOrigin(c: Context, options?: CheckOptions): AccessResult;
  /** Middleware answering 401/403/429 JSON to requests that may not use the API. */
  guard: MiddlewareHandler;
  /**
   * Signs in with the token: on success a new session, its cookie set on `c` (replacing any session the
   * request had). Counts a wrong token like a wrong bearer token.
   */
  signIn(c: Context, token: string, options?: CheckOptions): Promise<AccessResult>;
  /** Ends the request's session, if any, and clears its cookie. */
  signOut(c: Context): Promise<void>;
}

/**
 * The origins a browser request to this server may come from: the origin of the request's own URL;
 * the https form of it when a TLS-terminating proxy says so (`X-Forwarded-Proto: https`; a browser page
 * cannot set that header on a cross-origin request without a preflight, which this server never grants);
 * and PUBLIC_BASE_URL's origin (a proxy may pass its own upstream Host).
 */
export function allowedOrigins(c: Context, publicBaseUrl?: string): Set<string> {
  const url = new URL(c.req.url);
  const origins = new Set([url.origin]);
  if (url.protocol === 'http:' && isForwardedHttps(c)) origins.add(`https://${url.host}`);
  if (publicBaseUrl) {
    try {
      origins.add(new URL(publicBaseUrl).origin);
    } catch {
      // Validated by the configuration already.
    }
  }
  return origins;
}

function isForwardedHttps(c: Context): boolean {
  return (c.req.header('x-forwarded-proto') ?? '').split(',')[0]!.trim().toLowerCase() === 'https';
}

/** Creates the guard. */
export function createAdminAccess(options: AdminAccessOptions): AdminAccess {
  const { adminToken, resolveAddress, now, publicBaseUrl } = options;
  const sessions = options.sessions ?? createMemorySessions({ now });
  const limiter = options.limiter ?? createFailureLimiter({ now });

  const deny = (status: 400 | 401 | 403, message: string): AccessResult => ({ ok: false, status, message });

  function checkOrigin(c: Context, opts: CheckOptions = {}): AccessResult {
    const navigation = opts.navigation === true && c.req.header('sec-fetch-mode') === 'navigate';
    if (navigation) return { ok: true };
    const own = allowedOrigins(c, publicBaseUrl);
    const expected = [...own][0]!;
    const site = c.req.header('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return deny(403, T.forbiddenOrigin(expected));
    const origin = c.req.header('origin');
    if (origin !== undefined && !own.has(origin.trim())) return deny(403, T.forbiddenOrigin(expected));
    return { ok: true };
  }

  /** The limiter's verdict for this client as an access result, or undefined when it may try. */
  function limited(key: string): AccessResult | undefined {
    const verdict = limiter.check(key);
    if (!verdict.blocked) return undefined;
    const retryAfterSeconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
    return {
      ok: false,
      status: 429,
      message: T.tooManyFailures(verdict.scope, verdict.rule.limit, Math.round(verdict.rule.windowMs / 60_000), retryAfterSeconds),
      retryAfterSeconds,
    };
  }

  /** Compares a token, unless this client (or everyone) failed too often; a wrong one counts. */
  async function tryToken(c: Context, token: string): Promise<AccessResult> {
    const key = addressKey(resolveAddress(c));
    const refused = limited(key);
    if (refused) return refused;
    if (await compareSecrets(token, adminToken!)) return { ok: true };
    limiter.fail(key);
    return deny(401, T.unauthorized);
  }

  async function hasSession(c: Context): Promise<boolean> {
    const id = getCookie(c, CONSOLE_COOKIE);
    return id !== undefined && (await sessions.verify(id));
  }

  async function check(c: Context, opts: CheckOptions = {}): Promise<AccessResult> {
    const origin = checkOrigin(c, opts);
    if (!origin.ok) return origin;
    if (adminToken) {
      if (await hasSession(c)) return { ok: true };
      const m = /^Bearer\s+(.+)$/i.exec((c.req.header('authorization') ?? '').trim());
      if (m) return tryToken(c, m[1]!.trim());
      return deny(401, T.unauthorized);
    }
    const proxied = FORWARDING_HEADERS.some((h) => c.req.header(h) !== undefined);
    const local = !proxied && isLoopbackAddress(resolveAddress(c)) && isLoopbackHostName(new URL(c.req.url).hostname);
    return local ? { ok: true } : deny(403, T.forbiddenRemote);
  }

  return {
    tokenRequired: Boolean(adminToken),
    sessions,
    check,
    checkOrigin,
    guard: async (c, next) => {
      const access = await check(c);
      if (access.ok) return next();
      if (access.status === 401) c.header('WWW-Authenticate', 'Bearer');
      if (access.retryAfterSeconds !== undefined) c.header('Retry-After', String(access.retryAfterSeconds));
      return c.json({ error: access.message }, access.status);
    },
    async signIn(c, token, opts = {}) {
      const origin = checkOrigin(c, opts);
      if (!origin.ok) return origin;
      if (!adminToken) return { ok: true };
      if (!token.trim()) return deny(400, T.missingToken);
      const result = await tryToken(c, token.trim());
      if (!result.ok) return result;
      const previous = getCookie(c, CONSOLE_COOKIE);
      if (previous !== undefined) await sessions.revoke(previous);
      const session = await sessions.create();
      setCookie(c, CONSOLE_COOKIE, session.id, {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/',
        secure: new URL(c.req.url).protocol === 'https:' || isForwardedHttps(c),
        maxAge: Math.floor(session.maxAgeMs / 1000),
      });
      return { ok: true };
    },
    async signOut(c) {
      const id = getCookie(c, CONSOLE_COOKIE);
      if (id !== undefined) await sessions.revoke(id);
      deleteCookie(c, CONSOLE_COOKIE, { path: '/' });
    },
  };
}
