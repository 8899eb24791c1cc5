/**
 * Admin access: wrong tokens are limited per client address (the socket's) and in total, the console
 * cookie names a random server-side session that expires and can be revoked, and browser requests
 * must come from exactly this server's origin. Real HTTP on loopback where the address or the headers
 * matter (clients bind 127.0.0.x source addresses), `app.request` with an injected clock for expiry.
 */
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { startNodeServer, type RunningServer } from '../src/entries/serve';
import { createFailureLimiter, GLOBAL_RULE, MAX_TRACKED_ADDRESSES, PER_ADDRESS_RULE } from '../src/lib/failure-limit';
import { addressKey, compareSecrets } from '../src/lib/http';
import { createApp } from '../src/server/app';
import { CONSOLE_COOKIE } from '../src/server/guard';
import { createMemorySessions, MAX_SESSIONS, SESSION_IDLE_MS, SESSION_MAX_AGE_MS } from '../src/server/sessions';
import { createMemoryStore } from '../src/store/memory';
import type { Store } from '../src/store/port';
import { hasChromium, launchBrowser } from './helpers/browser';
import { createFakeBot, type FakeBot } from './helpers/fake-bot';
import { ONE_OPEN_CSV } from './helpers/framework-sheets';

const TOKEN = 'admin-access-token-0123456789';
const quiet = { info: () => {}, error: () => {} };
const fromAddress = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request on loopback, from a chosen source address, with any headers (Origin, Sec-Fetch-*). */
function send(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; from?: string; host?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { ...(options.host ? { Host: options.host } : {}), ...options.headers },
        ...(options.from ? { localAddress: options.from } : {}),
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const errorOf = (a: Answer) => (JSON.parse(a.body) as { error: string }).error;
/** The session id a response's Set-Cookie gives, with the cookie's attributes. */
function sessionCookie(res: Response): { value: string; attributes: string } {
  const header = res.headers.get('set-cookie') ?? '';
  const m = new RegExp(`^${CONSOLE_COOKIE}=([^;]*)(.*)$`).exec(header);
  if (!m) throw new Error(`no session cookie in ${JSON.stringify(header)}`);
  return { value: m[1]!, attributes: m[2]! };
}

const servers: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

async function start(env: Record<string, string> = {}): Promise<RunningServer & { store: Store; bot: FakeBot }> {
  const store = createMemoryStore();
  const bot = createFakeBot(store);
  const server = await startNodeServer({ config: loadConfig({ PORT: '0', ...env }), store, bot, hostname: '127.0.0.1', logger: quiet });
  servers.push({ close: () => server.close(1000) });
  return { ...server, store, bot };
}

describe('wrong admin tokens over real HTTP', () => {
  it(`answers 429 to an address after ${PER_ADDRESS_RULE.limit} wrong tokens, while a right token from another address still works`, async () => {
    const server = await start({ ADMIN_TOKEN: TOKEN });
    const attacker = '127.0.0.2';
    for (let i = 0; i < PER_ADDRESS_RULE.limit; i++) {
      // Wrong tokens of every length: the comparison hashes both sides first.
      const res = await send(server.port, '/api/evaluations', { from: attacker, headers: bearer(`wrong-${'x'.repeat(i * 7)}`) });
      expect(res.status).toBe(401);
    }
    const refused = await send(server.port, '/api/evaluations', { from: attacker, headers: bearer('wrong-again') });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(PER_ADDRESS_RULE.windowMs / 1000);
    expect(errorOf(refused)).toContain(`同一地址 ${PER_ADDRESS_RULE.windowMs / 60_000} 分钟内最多 ${PER_ADDRESS_RULE.limit} 次`);

    // Past the limit the token is not even compared: the right one is refused from that address too,
    // whatever forwarding header it adds, and by the console's ways of signing in.
    expect((await send(server.port, '/api/evaluations', { from: attacker, headers: bearer(TOKEN) })).status).toBe(429);
    expect((await send(server.port, '/api/evaluations', { from: attacker, headers: { ...bearer(TOKEN), 'X-Forwarded-For': '198.51.100.1' } })).status).toBe(429);
    expect((await send(server.port, `/?token=${TOKEN}`, { from: attacker })).status).toBe(429);
    const form = await send(server.port, '/api/session/login', {
      method: 'POST',
      from: attacker,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `token=${TOKEN}`,
    });
    expect(form.status).toBe(429);
    expect(form.headers['set-cookie']).toBeUndefined();
    expect(form.body).toContain('错误次数过多');

    // Other addresses are not affected.
    expect((await send(server.port, '/api/evaluations', { from: '127.0.0.3', headers: bearer(TOKEN) })).status).toBe(200);
    expect((await send(server.port, '/api/evaluations', { from: '127.0.0.4', headers: bearer('one-wrong') })).status).toBe(401);
    // Requests without a token are not failures: they never lock anyone out.
    for (let i = 0; i < PER_ADDRESS_RULE.limit + 2; i++) expect((await send(server.port, '/api/evaluations', { from: '127.0.0.5' })).status).toBe(401);
    expect((await send(server.port, '/api/evaluations', { from: '127.0.0.5', headers: bearer(TOKEN) })).status).toBe(200);
  });
});

describe('wrong admin tokens with an injected clock', () => {
  function harness(env: Record<string, string> = { ADMIN_TOKEN: TOKEN }) {
    const clock = { ms: Date.parse('2025-03-01T08:00:00Z') };
    const store = createMemoryStore();
    const app = createApp({ store, bot: createFakeBot(store), config: loadConfig(env), logger: quiet, now: () => new Date(clock.ms) });
    const get = (address: string, token?: string, cookie?: string) =>
      app.request('/api/evaluations', { headers: { ...(token ? bearer(token) : {}), ...(cookie ? { Cookie: cookie } : {}) } }, fromAddress(address));
    return { app, clock, get };
  }

  it('lets an address try again once its window is over', async () => {
    const { clock, get } = harness();
    for (let i = 0; i < PER_ADDRESS_RULE.limit; i++) expect((await get('203.0.113.9', 'wrong')).status).toBe(401);
    const refused = await get('203.0.113.9', TOKEN);
    expect(refused.status).toBe(429);
    clock.ms += Number(refused.headers.get('retry-after')) * 1000 - 1000;
    expect((await get('203.0.113.9', TOKEN)).status).toBe(429);
    clock.ms += 1000;
    expect((await get('203.0.113.9', TOKEN)).status).toBe(200);
  });

  it('counts an IPv6 client by its /64, so it cannot rotate through its addresses', async () => {
    const { get } = harness();
    for (let i = 0; i < PER_ADDRESS_RULE.limit; i++) expect((await get(`2001:db8:1:2::${i + 1}`, 'wrong')).status).toBe(401);
    expect((await get('2001:db8:1:2:ffff:ffff:ffff:ffff', TOKEN)).status).toBe(429);
    expect((await get('2001:db8:1:3::1', TOKEN)).status).toBe(200);
  });

  it(`refuses every token after ${GLOBAL_RULE.limit} failures from all addresses, but signed-in consoles go on`, async () => {
    const { app, clock, get } = harness();
    const login = await app.request(`/?token=${TOKEN}`, {}, fromAddress('192.0.2.1'));
    const cookie = `${CONSOLE_COOKIE}=${sessionCookie(login).value}`;
    // Many addresses, each below its own limit.
    const perAddress = PER_ADDRESS_RULE.limit - 1;
    for (let n = 0; n < GLOBAL_RULE.limit; n++) {
      expect((await get(`198.51.100.${Math.floor(n / perAddress) + 1}`, `wrong-${n}`)).status).toBe(401);
    }
    const refused = await get('192.0.2.200', TOKEN);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: string }).error).toContain(`所有地址合计 ${GLOBAL_RULE.windowMs / 60_000} 分钟内最多 ${GLOBAL_RULE.limit} 次`);
    expect((await get('192.0.2.1', undefined, cookie)).status).toBe(200);
    clock.ms += GLOBAL_RULE.windowMs;
    expect((await get('192.0.2.200', TOKEN)).status).toBe(200);
  });

  it('keeps its memory bounded however many addresses fail', () => {
    let t = 0;
    const limiter = createFailureLimiter({ now: () => t, global: { limit: Number.MAX_SAFE_INTEGER, windowMs: 1 } });
    for (let i = 0; i < MAX_TRACKED_ADDRESSES * 3; i++) {
      t++;
      limiter.fail(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    }
    expect(limiter.trackedKeys()).toBe(MAX_TRACKED_ADDRESSES);
    // The newest are the ones kept: the last address still counts its failures.
    const last = `10.${((MAX_TRACKED_ADDRESSES * 3 - 1) >> 16) & 255}.${((MAX_TRACKED_ADDRESSES * 3 - 1) >> 8) & 255}.${(MAX_TRACKED_ADDRESSES * 3 - 1) & 255}`;
    for (let i = 1; i < PER_ADDRESS_RULE.limit; i++) limiter.fail(last);
    expect(limiter.check(last).blocked).toBe(true);
  });

  it('keys addresses by what a client holds', () => {
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('2001:DB8::1')).toBe(addressKey('[2001:db8:0:0:ffff::2]'));
    expect(addressKey('2001:db8::1')).not.toBe(addressKey('2001:db8:0:1::1'));
    expect(addressKey(undefined)).toBe('unknown');
  });

  it('compares secrets of different lengths', async () => {
    expect(await compareSecrets(TOKEN, TOKEN)).toBe(true);
    expect(await compareSecrets(TOKEN.slice(0, -1), TOKEN)).toBe(false);
    expect(await compareSecrets(`${TOKEN}x`, TOKEN)).toBe(false);
    expect(await compareSecrets('', TOKEN)).toBe(false);
  });
});

describe('console sessions', () => {
  function harness() {
    const clock = { ms: Date.parse('2025-03-01T08:00:00Z') };
    const store = createMemoryStore();
    const make = () => createApp({ store, bot: createFakeBot(store), config: loadConfig({ ADMIN_TOKEN: TOKEN }), logger: quiet, now: () => new Date(clock.ms) });
    const app = make();
    const remote = fromAddress('203.0.113.7');
    const login = async (a = app) => {
      const res = await a.request(`/?token=${TOKEN}`, {}, remote);
      expect(res.status).toBe(303);
      return sessionCookie(res);
    };
    const api = (value: string, a = app) => a.request('/api/evaluations', { headers: { Cookie: `${CONSOLE_COOKIE}=${value}` } }, remote);
    return { app, make, clock, remote, login, api };
  }

  it('gives each sign-in a random id, not derived from the token, in a strict HttpOnly cookie', async () => {
    const { app, login, api, remote } = harness();
    const a = await login();
    const b = await login();
    expect(a.value).not.toBe(b.value);
    for (const c of [a, b]) {
      expect(c.value).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes
      expect(c.value).not.toContain(TOKEN);
      expect(c.value).not.toBe(createHash('sha256').update(`jx-console:${TOKEN}`).digest('hex'));
      expect(c.value).not.toBe(createHash('sha256').update(TOKEN).digest('base64url'));
      expect(c.attributes).toMatch(/; HttpOnly/);
      expect(c.attributes).toMatch(/; SameSite=Strict/);
      expect(c.attributes).toMatch(/; Path=\//);
      expect(c.attributes).not.toMatch(/Secure/);
    }
    expect((await api(a.value)).status).toBe(200);
    expect((await api(b.value)).status).toBe(200);
    // Over https (or behind a proxy that says so) the cookie is Secure.
    expect(sessionCookie(await app.request(`https://bot.example.gov.cn/?token=${TOKEN}`, {}, remote)).attributes).toMatch(/; Secure/);
    expect(sessionCookie(await app.request(`/?token=${TOKEN}`, { headers: { 'X-Forwarded-Proto': 'https' } }, remote)).attributes).toMatch(/; Secure/);
  });

  it(`ends a session after ${SESSION_IDLE_MS / 3600_000} hours unused and ${SESSION_MAX_AGE_MS / 86_400_000} days after it began`, async () => {
    const { clock, login, api } = harness();
    const idle = await login();
    clock.ms += SESSION_IDLE_MS - 1;
    expect((await api(idle.value)).status).toBe(200);
    clock.ms += SESSION_IDLE_MS - 1;
    expect((await api(idle.value)).status).toBe(200);
    clock.ms += SESSION_IDLE_MS;
    expect((await api(idle.value)).status).toBe(401);

    const busy = await login();
    const began = clock.ms;
    while (clock.ms + SESSION_IDLE_MS / 2 < began + SESSION_MAX_AGE_MS) {
      clock.ms += SESSION_IDLE_MS / 2;
      expect((await api(busy.value)).status).toBe(200);
    }
    clock.ms = began + SESSION_MAX_AGE_MS;
    expect((await api(busy.value)).status).toBe(401);
  });

  it('ends one session on sign-out, and every session on restart', async () => {
    const { app, make, login, api, remote } = harness();
    const a = await login();
    const b = await login();
    const out = await app.request('/api/session/logout', { method: 'POST', headers: { Cookie: `${CONSOLE_COOKIE}=${a.value}` } }, remote);
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(new RegExp(`^${CONSOLE_COOKIE}=;.*Max-Age=0`));
    expect((await api(a.value)).status).toBe(401);
    expect((await api(b.value)).status).toBe(200);
    // A new process (as after changing ADMIN_TOKEN) knows no session.
    expect((await api(b.value, make())).status).toBe(401);
  });

  it('keeps at most MAX_SESSIONS, dropping the oldest', async () => {
    const sessions = createMemorySessions({ now: () => 0 });
    const first = await sessions.create();
    for (let i = 0; i < MAX_SESSIONS + 5; i++) await sessions.create();
    expect(sessions.size()).toBe(MAX_SESSIONS);
    expect(await sessions.verify(first.id)).toBe(false);
  });

  it('signs in with a posted form from its own origin only, never with a wrong or empty token', async () => {
    const { app, api } = harness();
    const remote = fromAddress('203.0.113.8');
    const post = (body: string, origin?: string) =>
      app.request(
        'http://bot.example.gov.cn/api/session/login',
        { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(origin ? { Origin: origin } : {}) }, body },
        remote,
      );
    const ok = await post(`token=${encodeURIComponent(TOKEN)}`, 'http://bot.example.gov.cn');
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/');
    expect((await api(sessionCookie(ok).value)).status).toBe(200);

    const wrong = await post('token=nope', 'http://bot.example.gov.cn');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const page = await wrong.text();
    expect(page).toContain('需要管理令牌');
    expect(page).toContain('action="/api/session/login"');
    expect((await post('token=', 'http://bot.example.gov.cn')).status).toBe(400);
    // Another site (or another port) cannot sign the browser in to a session of its choosing.
    const foreign = await post(`token=${encodeURIComponent(TOKEN)}`, 'http://bot.example.gov.cn:8080');
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('set-cookie')).toBeNull();
    expect((await post('x'.repeat(5000), 'http://bot.example.gov.cn')).status).toBe(413);
  });
});

describe('same-origin checks over real HTTP', () => {
  const ADDRESS_PATHS: Array<[string, string, string?]> = [
    ['GET', '/api/evaluations'],
    ['GET', '/api/local/messages?chatId=g1'],
    ['DELETE', '/api/local/history?chatId=g1'],
    ['POST', '/api/local/messages', JSON.stringify({ chatId: 'g1', userId: 'u1', text: 'hi' })],
  ];
  const call = (port: number, [method, path, body]: [string, string, string?], headers: Record<string, string>, host?: string) =>
    send(port, path, { method, headers: { ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers }, ...(body ? { body } : {}), ...(host ? { host } : {}) });

  it('without ADMIN_TOKEN accepts the exact origin only: another localhost port is refused', async () => {
    const server = await start();
    const own = `http://127.0.0.1:${server.port}`;
    const other = `http://localhost:${server.port + 1}`;
    for (const route of ADDRESS_PATHS) {
      const refused = await call(server.port, route, { Origin: other });
      expect(refused.status, route.join(' ')).toBe(403);
      expect(errorOf(refused)).toContain(own);
      expect((await call(server.port, route, { Origin: `http://127.0.0.1:${server.port + 1}` })).status).toBe(403);
      expect((await call(server.port, route, { Origin: 'null' })).status).toBe(403);
      expect((await call(server.port, route, { Origin: own })).status, route.join(' ')).toBeLessThan(300);
      // The same port under another loopback name is another origin as well.
      expect((await call(server.port, route, { Origin: `http://localhost:${server.port}` })).status).toBe(403);
      expect((await call(server.port, route, { Origin: `http://localhost:${server.port}` }, `localhost:${server.port}`)).status).toBeLessThan(300);
      // Sec-Fetch-Site covers the requests that carry no Origin (a no-cors GET, an image).
      for (const site of ['cross-site', 'same-site']) expect((await call(server.port, route, { 'Sec-Fetch-Site': site })).status).toBe(403);
      for (const site of ['same-origin', 'none']) expect((await call(server.port, route, { 'Sec-Fetch-Site': site })).status).toBeLessThan(300);
    }
    // Only the accepted posts reached the bot: exact origin twice, Sec-Fetch-Site same-origin and none.
    expect(server.bot.seen.map((m) => m.text)).toEqual(['hi', 'hi', 'hi', 'hi']);
  });

  it('with ADMIN_TOKEN the right token does not make a foreign origin acceptable', async () => {
    const server = await start({ ADMIN_TOKEN: TOKEN });
    for (const route of ADDRESS_PATHS) {
      expect((await call(server.port, route, { ...bearer(TOKEN), Origin: `http://localhost:${server.port + 1}` })).status).toBe(403);
      expect((await call(server.port, route, { ...bearer(TOKEN), 'Sec-Fetch-Site': 'same-site' })).status).toBe(403);
      expect((await call(server.port, route, { ...bearer(TOKEN), Origin: `http://127.0.0.1:${server.port}` })).status).toBeLessThan(300);
    }
    expect((await send(server.port, '/api/session/logout', { method: 'POST', headers: { Origin: `http://localhost:${server.port + 1}` } })).status).toBe(403);
  });

  it('lets a link from elsewhere open the console page, which runs nothing by itself', async () => {
    const server = await start();
    const nav = { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' };
    expect((await send(server.port, '/', { headers: nav })).status).toBe(200);
    expect((await send(server.port, '/', { headers: { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'no-cors' } })).status).toBe(403);
    expect((await send(server.port, '/api/evaluations', { headers: nav })).status).toBe(403);
  });

  it('accepts the origin of PUBLIC_BASE_URL and the https origin a TLS proxy reports', async () => {
    const server = await start({ ADMIN_TOKEN: TOKEN, PUBLIC_BASE_URL: 'https://bot.example.gov.cn' });
    const post = (headers: Record<string, string>) => call(server.port, ADDRESS_PATHS[3]!, { ...bearer(TOKEN), ...headers }, 'internal:3000');
    expect((await post({ Origin: 'https://bot.example.gov.cn' })).status).toBe(200);
    expect((await post({ Origin: 'https://internal:3000', 'X-Forwarded-Proto': 'https' })).status).toBe(200);
    expect((await post({ Origin: 'https://internal:3000' })).status).toBe(403);
    expect((await post({ Origin: 'https://bot.example.gov.cn:8443' })).status).toBe(403);
  });
});

describe.skipIf(!hasChromium())('a page on another localhost port, in headless Chromium', { timeout: 180_000 }, () => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let other: Server;
  beforeAll(async () => {
    browser = await launchBrowser();
    browser.setDefaultTimeout(120_000);
    // A page served from another port, as a front-end dev server would be.
    other = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>other</title>'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => other?.close(resolve));
  });

  it('cannot import a framework into the server without ADMIN_TOKEN; the console itself can', async () => {
    const server = await start();
    const page = await browser.newPage();
    const upload = (url: string) =>
      page.evaluate(
        async ([target, csv]) => {
          const form = new FormData();
          form.set('file', new Blob([csv!], { type: 'text/csv' }), 'x.csv');
          // A simple request: no preflight, so only the server's own check can stop it.
          await fetch(target!, { method: 'POST', mode: 'no-cors', body: form });
        },
        [url, ONE_OPEN_CSV],
      );
    await page.goto(`http://localhost:${(other.address() as AddressInfo).port}/`);
    await upload(`http://localhost:${server.port}/api/frameworks`);
    expect(await server.store.listFrameworks()).toEqual([]);

    await page.goto(server.url);
    await upload(`http://localhost:${server.port}/api/frameworks`);
    expect(await server.store.listFrameworks()).toHaveLength(1);
    await page.close();
  });
});
