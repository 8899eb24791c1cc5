/**
 * Who may use the JSON API and the console. With ADMIN_TOKEN: `Authorization: Bearer <token>` or the
 * console cookie (set by opening `/?token=<token>`). Without it: only clients on the loopback address,
 * not through a proxy (a request carrying forwarding headers is treated as remote, since a reverse proxy
 * on the same host would otherwise make every visitor look local), addressed to a loopback host name, and
 * with no foreign Origin.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { serverText as T } from '../core/locale/zh-CN';
import { compareSecrets, isLoopbackAddress } from '../lib/http';

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

/** The cookie value for a token: a hash, so the cookie is not the token itself. */
export async function deriveConsoleCookie(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`jx-console:${token}`));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** True for localhost, *.localhost and loopback addresses (IPv6 in brackets or not). */
export function isLoopbackHostName(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || isLoopbackAddress(h);
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    return isLoopbackHostName(new URL(origin).hostname);
  } catch {
    return false;
  }
}

/** The outcome of checking a request. */
export type AccessResult = { ok: true } | { ok: false; status: 401 | 403; message: string };

/** Decides whether a request may use the API and the console. */
export async function checkAdminAccess(c: Context, adminToken: string | undefined, resolve: RemoteAddressResolver): Promise<AccessResult> {
  if (adminToken) {
    const auth = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m && (await compareSecrets(m[1]!.trim(), adminToken))) return { ok: true };
    const cookie = getCookie(c, CONSOLE_COOKIE);
    if (cookie && (await compareSecrets(cookie, await deriveConsoleCookie(adminToken)))) return { ok: true };
    return { ok: false, status: 401, message: T.unauthorized };
  }
  const proxied = FORWARDING_HEADERS.some((h) => c.req.header(h) !== undefined);
  // The host name and any Origin must be loopback names too: this stops DNS rebinding and other sites
  // in the operator's browser from reaching the API through the browser.
  const origin = c.req.header('origin');
  const local =
    !proxied &&
    isLoopbackAddress(resolve(c)) &&
    isLoopbackHostName(new URL(c.req.url).hostname) &&
    (origin === undefined || isLoopbackOrigin(origin));
  if (local) return { ok: true };
  return { ok: false, status: 403, message: T.forbiddenRemote };
}

/** Middleware answering 401/403 JSON to requests that may not use the API. */
export function createAdminGuard(adminToken: string | undefined, resolve: RemoteAddressResolver): MiddlewareHandler {
  return async (c, next) => {
    const access = await checkAdminAccess(c, adminToken, resolve);
    if (access.ok) return next();
    if (access.status === 401) c.header('WWW-Authenticate', 'Bearer');
    return c.json({ error: access.message }, access.status);
  };
}
