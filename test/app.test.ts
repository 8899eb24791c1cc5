import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assistantConfigOf, ConfigError, loadConfig } from '../src/config';
import { assistantDeps } from '../src/app/assistant';
import { loadBuiltinFramework } from '../src/core/framework/builtin';
import { scoreEvaluation } from '../src/core/scoring/engine';
import { validateAnswers } from '../src/core/scoring/validate';
import type { ChannelAdapter } from '../src/channels/adapter';
import type { Delivery } from '../src/core/messages';
import { createApp, createDefaultPipeline, MAX_PENDING_PER_CHAT, type AppDeps, type Logger } from '../src/server/app';
import { createMemoryStore } from '../src/store/memory';
import type { Store } from '../src/store/port';
import { createFakeBot, type FakeBot } from './helpers/fake-bot';
import { makeEvaluation } from './helpers/records';

/** The environment @hono/node-server passes, with the client's socket address. */
const fromAddress = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });
const LOCAL = fromAddress('127.0.0.1');

interface Harness {
  app: ReturnType<typeof createApp>;
  store: Store;
  bot: FakeBot;
  logs: string[];
}

function createHarness(env: Record<string, string> = {}, extra: Partial<AppDeps> = {}): Harness {
  const store = createMemoryStore();
  const bot = createFakeBot(store);
  const logs: string[] = [];
  const logger: Logger = {
    info: (m, f) => logs.push(JSON.stringify({ m, ...f })),
    error: (m, f) => logs.push(JSON.stringify({ m, ...f })),
  };
  const app = createApp({ store, bot, config: loadConfig(env), logger, now: () => new Date('2025-03-01T08:00:00Z'), ...extra });
  return { app, store, bot, logs };
}

function post(h: Harness, body: unknown, env: unknown = LOCAL, headers: Record<string, string> = {}) {
  return h.app.request(
    '/api/local/messages',
    { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) },
    env,
  );
}

const say = (h: Harness, text: string, chatId = 'g1', userId = 'u1') => post(h, { chatId, userId, userName: '张三', text });

describe('health', () => {
  it('answers {"ok":true} to anyone', async () => {
    const res = await createHarness().app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });
});

describe('POST /api/local/messages', () => {
  it('passes the message to the bot and returns its replies', async () => {
    const h = createHarness();
    const res = await post(h, { chatId: 'g1', userId: 'u1', userName: '张三', chatType: 'p2p', text: 'hello' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ replies: [{ kind: 'text', text: 'echo hello' }] });
    expect(h.bot.seen[0]).toEqual({
      channel: 'local', chatId: 'g1', chatType: 'p2p', userId: 'u1', userName: '张三', text: 'hello', receivedAt: Date.parse('2025-03-01T08:00:00Z'),
    });
  });

  it('defaults to a group chat and posts a button action back', async () => {
    const h = createHarness();
    const card = (await (await say(h, 'card')).json()) as { replies: Array<{ buttons: Array<{ action: object }>; question: object }> };
    expect(card.replies[0]!.question).toEqual({ key: 'judgements.A11', type: 'boolean' });
    const res = await post(h, { chatId: 'g1', userId: 'u2', action: card.replies[0]!.buttons[0]!.action });
    expect(await res.json()).toEqual({ replies: [{ kind: 'text', text: 'pressed yes' }] });
    expect(h.bot.seen[1]!.chatType).toBe('group');
  });

  it.each([
    ['{"chatId":', undefined],
    ['[1,2]', undefined],
    [{ userId: 'u1', text: 'x' }, 'chatId'],
    [{ chatId: '', userId: 'u1', text: 'x' }, 'chatId'],
    [{ chatId: 7, userId: 'u1', text: 'x' }, 'chatId'],
    [{ chatId: 'g1', text: 'x' }, 'userId'],
    [{ chatId: 'g1', userId: 'u1', userName: 5, text: 'x' }, 'userName'],
    [{ chatId: 'g1', userId: 'u1', chatType: 'channel', text: 'x' }, 'chatType'],
    [{ chatId: 'g1', userId: 'u1', text: 12 }, 'text'],
    [{ chatId: 'g1', userId: 'u1', action: [1] }, 'action'],
    [{ chatId: 'g1', userId: 'u1', action: 'yes' }, 'action'],
    [{ chatId: 'g1', userId: 'u1' }, 'text'],
    [{ chatId: 'g1', userId: 'u1', text: '   ' }, 'text'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const h = createHarness();
    const res = await post(h, body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: string; field?: string };
    expect(json.field).toBe(field);
    if (field) expect(json.error).toContain(field);
    else expect(json.error).toMatch(/JSON/);
    expect(h.bot.seen).toHaveLength(0);
  });

  it('refuses bodies over 1 MB by Content-Length and by the bytes actually sent', async () => {
    const h = createHarness();
    const big = JSON.stringify({ chatId: 'g1', userId: 'u1', text: 'x'.repeat(1024 * 1024) });
    const declared = await post(h, big);
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: string }).error).toMatch(/1 MB/);
    // A declared length over the limit is refused before reading.
    const lying = await post(h, { chatId: 'g1', userId: 'u1', text: 'small' }, LOCAL, { 'Content-Length': String(2 * 1024 * 1024) });
    expect(lying.status).toBe(413);
    // Streamed without a Content-Length: counted while reading.
    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 64 * 1024) controller.enqueue(bytes.subarray(i, i + 64 * 1024));
        controller.close();
      },
    });
    const streamed = await h.app.request(
      '/api/local/messages',
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit,
      LOCAL,
    );
    expect(streamed.status).toBe(413);
    // Just under the limit is fine.
    const ok = await post(h, { chatId: 'g1', userId: 'u1', text: 'hi', pad: 'y'.repeat(1000 * 1000) });
    expect(ok.status).toBe(200);
    expect(h.bot.seen).toHaveLength(1);
  });

  it('accepts JSON only, so a cross-site form or text/plain post cannot reach the bot', async () => {
    const h = createHarness();
    const body = JSON.stringify({ chatId: 'g1', userId: 'u1', text: 'hi' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await h.app.request('/api/local/messages', { method: 'POST', headers: { 'Content-Type': type }, body }, LOCAL);
      expect(res.status).toBe(415);
      expect(((await res.json()) as { error: string }).error).toMatch(/application\/json/);
    }
    const ok = await h.app.request('/api/local/messages', { method: 'POST', headers: { 'Content-Type': 'application/json; charset=utf-8' }, body }, LOCAL);
    expect(ok.status).toBe(200);
    expect(h.bot.seen).toHaveLength(1);
  });

  it('refuses a body that is not valid UTF-8, and reads the next one normally', async () => {
    const h = createHarness();
    const valid = new TextEncoder().encode(JSON.stringify({ chatId: 'g1', userId: 'u1', text: '你好' }));
    // The same body with the first byte of 你 cut off: a broken multi-byte sequence.
    const at = valid.indexOf(0xe4);
    const broken = new Uint8Array([...valid.slice(0, at), ...valid.slice(at + 1)]);
    const bad = await h.app.request('/api/local/messages', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: broken }, LOCAL);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/JSON/);
    const ok = await h.app.request('/api/local/messages', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: valid }, LOCAL);
    expect(ok.status).toBe(200);
    expect(h.bot.seen.map((m) => m.text)).toEqual(['你好']);
  });

  it('refuses more than MAX_PENDING_PER_CHAT waiting messages in one chat, but not in others', async () => {
    const h = createHarness();
    const first = say(h, 'wait', 'flood');
    const queued = Array.from({ length: MAX_PENDING_PER_CHAT - 1 }, (_, i) => say(h, `m${i}`, 'flood'));
    const refused = await say(h, 'one too many', 'flood');
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: string }).error).toMatch(/稍后/);
    expect((await say(h, 'elsewhere', 'quiet')).status).toBe(200);
    h.bot.release('flood');
    expect((await first).status).toBe(200);
    expect((await Promise.all(queued)).every((r) => r.status === 200)).toBe(true);
    expect((await say(h, 'later', 'flood')).status).toBe(200);
  });

  it('answers 500 with a generic message when the bot fails, and logs without the user text', async () => {
    const h = createHarness({ ADMIN_TOKEN: 'tok-secret-123' });
    const res = await post(h, { chatId: 'g1', userId: 'u1', text: 'boom' }, LOCAL, { Authorization: 'Bearer tok-secret-123' });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: string }).error).toMatch(/服务器内部错误/);
    expect(h.logs.join('\n')).toContain('bot failed');
    expect(h.logs.join('\n')).not.toContain('tok-secret-123');
    expect(h.logs.join('\n')).not.toContain('"text"');
    // The chat is not stuck afterwards.
    const next = await post(h, { chatId: 'g1', userId: 'u1', text: 'again' }, LOCAL, { Authorization: 'Bearer tok-secret-123' });
    expect(next.status).toBe(200);
  });

  it('handles one chat at a time, in order, while other chats go on', async () => {
    const h = createHarness();
    const first = say(h, 'wait', 'gA');
    const second = say(h, 'after', 'gA');
    const other = await say(h, 'meanwhile', 'gB');
    expect(await other.json()).toEqual({ replies: [{ kind: 'text', text: 'echo meanwhile' }] });
    // The second message of gA has not reached the bot while the first is pending.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(h.bot.seen.map((m) => m.text)).toEqual(['wait', 'meanwhile']);
    h.bot.release('gA');
    expect(await (await first).json()).toEqual({ replies: [{ kind: 'text', text: 'waited' }] });
    expect(await (await second).json()).toEqual({ replies: [{ kind: 'text', text: 'echo after' }] });
    expect(h.bot.seen.map((m) => m.text)).toEqual(['wait', 'meanwhile', 'after']);
  });
});

describe('files', () => {
  it('stores file replies and serves them with a Chinese file name', async () => {
    const h = createHarness();
    const json = (await (await say(h, 'file')).json()) as { replies: Array<{ kind: string; name: string; url: string }> };
    const reply = json.replies[0]!;
    expect(reply).toMatchObject({ kind: 'file', name: '南京市数据局2024年度报告.docx' });
    expect(reply.url).toMatch(/^\/files\/[A-Za-z0-9_-]+$/);
    const res = await h.app.request(reply.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    const cd = res.headers.get('content-disposition')!;
    expect(cd).toContain(`filename*=UTF-8''${encodeURIComponent('南京市数据局2024年度报告.docx')}`);
    expect(cd).toMatch(/^attachment; filename="[\x20-\x7e]+"/);
    expect(Array.from(new Uint8Array(await res.arrayBuffer()))).toEqual([80, 75, 3, 4]);
  });

  it('makes file links absolute with PUBLIC_BASE_URL', async () => {
    const h = createHarness({ PUBLIC_BASE_URL: 'https://bot.example.gov.cn/' });
    const json = (await (await say(h, 'file')).json()) as { replies: Array<{ url: string }> };
    expect(json.replies[0]!.url).toMatch(/^https:\/\/bot\.example\.gov\.cn\/files\/[A-Za-z0-9_-]+$/);
  });

  it('answers 404 for unknown or hostile ids', async () => {
    const h = createHarness();
    expect((await h.app.request('/files/nothing-here')).status).toBe(404);
    expect((await h.app.request('/files/..%2Fchats.json')).status).toBe(404);
  });
});

describe('access to the API and the console', () => {
  const paths = ['/api/evaluations', '/api/chats/g1/evaluation', '/api/evaluations/x/score', '/'];

  it('without ADMIN_TOKEN answers loopback clients only, and not through a proxy', async () => {
    const h = createHarness();
    for (const path of paths) {
      for (const addr of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) expect((await h.app.request(path, {}, fromAddress(addr))).status).not.toBe(403);
      expect((await h.app.request(path, {}, fromAddress('10.1.2.3'))).status).toBe(403);
      expect((await h.app.request(path)).status).toBe(403);
      expect((await h.app.request(path, { headers: { 'X-Forwarded-For': '1.2.3.4' } }, LOCAL)).status).toBe(403);
    }
    expect((await post(h, { chatId: 'g1', userId: 'u1', text: 'hi' }, fromAddress('192.168.0.9'))).status).toBe(403);
    expect(h.bot.seen).toHaveLength(0);
  });

  it('without ADMIN_TOKEN refuses other host names and foreign origins (DNS rebinding, other sites)', async () => {
    const h = createHarness();
    expect((await h.app.request('http://127.0.0.1:3000/api/evaluations', {}, LOCAL)).status).toBe(200);
    expect((await h.app.request('http://[::1]:3000/api/evaluations', {}, LOCAL)).status).toBe(200);
    expect((await h.app.request('http://evil.example:3000/api/evaluations', {}, LOCAL)).status).toBe(403);
    expect((await h.app.request('http://localhost:3000/api/evaluations', { headers: { Origin: 'http://localhost:3000' } }, LOCAL)).status).toBe(200);
    // Another port of the same host is another origin (a dev server's page, say).
    expect((await h.app.request('http://localhost:3000/api/evaluations', { headers: { Origin: 'http://localhost:5173' } }, LOCAL)).status).toBe(403);
    expect((await h.app.request('/api/evaluations', { headers: { Origin: 'https://evil.example' } }, LOCAL)).status).toBe(403);
    expect((await post(h, { chatId: 'g1', userId: 'u1', text: 'hi' }, LOCAL, { Origin: 'https://evil.example' })).status).toBe(403);
    expect(h.bot.seen).toHaveLength(0);
  });

  it('with ADMIN_TOKEN needs the bearer token, from anywhere', async () => {
    const h = createHarness({ ADMIN_TOKEN: 's3cret-token' });
    const remote = fromAddress('203.0.113.7');
    for (const path of paths) {
      expect((await h.app.request(path, {}, LOCAL)).status).toBe(401);
      expect((await h.app.request(path, { headers: { Authorization: 'Bearer wrong' } }, remote)).status).toBe(401);
      expect((await h.app.request(path, { headers: { Authorization: 'Bearer s3cret-token' } }, remote)).status).not.toBe(401);
    }
    const denied = await h.app.request('/api/evaluations', {}, remote);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await denied.json()) as { error: string }).error).toMatch(/Authorization: Bearer/);
    expect((await post(h, { chatId: 'g1', userId: 'u1', text: 'hi' }, remote)).status).toBe(401);
    expect((await post(h, { chatId: 'g1', userId: 'u1', text: 'hi' }, remote, { Authorization: 'Bearer s3cret-token' })).status).toBe(200);
  });

  it('lets the console in with ?token= through a cookie', async () => {
    const h = createHarness({ ADMIN_TOKEN: 's3cret-token' });
    const remote = fromAddress('203.0.113.7');
    expect((await h.app.request('/?token=wrong', {}, remote)).status).toBe(401);
    const login = await h.app.request('/?token=s3cret-token', {}, remote);
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/');
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).not.toContain('s3cret-token');
    const pair = cookie.split(';')[0]!;
    const page = await h.app.request('/', { headers: { Cookie: pair } }, remote);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('绩效自评助手');
    expect((await h.app.request('/api/evaluations', { headers: { Cookie: pair } }, remote)).status).toBe(200);
    expect((await h.app.request('/api/evaluations', { headers: { Cookie: 'jx_console=forged' } }, remote)).status).toBe(401);
  });
});

describe('JSON API', () => {
  const fw = loadBuiltinFramework('nanjing-2021')!;
  const example = validateAnswers(fw, JSON.parse(readFileSync('templates/examples/nanjing-2021-data-bureau-2024.json', 'utf8')));
  if (!example.ok) throw new Error('example answers invalid');

  async function seed(h: Harness) {
    await h.store.createEvaluation(makeEvaluation('ev-full', ['g-full'], { answers: example.ok ? example.answers : {}, createdAt: '2025-01-01T00:00:00Z' }));
    await h.store.createEvaluation(makeEvaluation('ev-empty', ['g-empty'], { createdAt: '2025-01-02T00:00:00Z' }));
  }

  it('lists evaluations with completion and the same score as scoreEvaluation', async () => {
    const h = createHarness();
    await seed(h);
    const res = await h.app.request('/api/evaluations', {}, LOCAL);
    expect(res.status).toBe(200);
    const list = (await res.json()) as Array<Record<string, unknown>>;
    const result = scoreEvaluation(fw, example.ok ? example.answers : {});
    expect(list[0]).toEqual({
      id: 'ev-full', unit: '南京市数据局', year: 2024, framework: 'nanjing-2021', chatIds: ['g-full'],
      completion: { answered: result.counts.answered, total: result.counts.answered + result.counts.missing, notApplicable: result.counts.notApplicable },
      score: { base: result.base, bonus: result.bonus.score, penalty: result.penalty.score, total: result.total, grade: result.complete ? result.grade : null, final: result.complete },
    });
    expect(list[1]).toMatchObject({ id: 'ev-empty', completion: { answered: 0 } });
  });

  it('gives each indicator’s score, and 404 for an unknown evaluation', async () => {
    const h = createHarness();
    await seed(h);
    const body = (await (await h.app.request('/api/evaluations/ev-full/score', {}, LOCAL)).json()) as Record<string, unknown> & { indicators: Array<Record<string, unknown>> };
    const result = scoreEvaluation(fw, example.ok ? example.answers : {});
    expect(body.total).toBe(result.total);
    expect(body.grade).toBe(result.grade);
    expect(body.indicators).toHaveLength(result.indicators.length);
    const first = result.indicators[0]!;
    expect(body.indicators[0]).toEqual({ code: first.code, name: first.name, level: first.level, points: first.points, score: first.score, status: first.status, reasons: first.reasons });
    expect(Object.keys(body).sort()).toEqual(['base', 'bonus', 'final', 'grade', 'indicators', 'penalty', 'total']);
    expect((await h.app.request('/api/evaluations/nope/score', {}, LOCAL)).status).toBe(404);
  });

  it('shows a chat’s evaluation with subtotals and what is missing', async () => {
    const h = createHarness();
    await seed(h);
    const view = (await (await h.app.request('/api/chats/g-empty/evaluation', {}, LOCAL)).json()) as { id: string; subtotals: unknown[]; missing: unknown[] };
    expect(view.id).toBe('ev-empty');
    expect(view.subtotals).toHaveLength(scoreEvaluation(fw, {}).roots.length);
    expect(view.missing.length).toBeGreaterThan(0);
    const full = (await (await h.app.request('/api/chats/g-full/evaluation', {}, LOCAL)).json()) as { complete: boolean; deductions: Array<{ lost: number; reasons: string[] }> };
    const result = scoreEvaluation(fw, example.ok ? example.answers : {});
    expect(full.complete).toBe(result.complete);
    expect(full.deductions.map((d) => d.lost)).toEqual(result.deductions.map((d) => d.lost));
    expect((await h.app.request('/api/chats/nobody/evaluation', {}, LOCAL)).status).toBe(404);
  });

  it('serves the real report as .docx, built from the same scored state', async () => {
    const h = createHarness();
    await seed(h);
    const res = await h.app.request('/api/evaluations/ev-full/report.docx', {}, LOCAL);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(res.headers.get('content-disposition')).toContain(encodeURIComponent('南京市数据局2024年度部门整体绩效自评价报告.docx'));
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Array.from(bytes.subarray(0, 2))).toEqual([0x50, 0x4b]);
    expect((await h.app.request('/api/evaluations/nope/report.docx', {}, LOCAL)).status).toBe(404);
  });

  it('passes the scored state to an injected report builder, and answers 500 when it fails', async () => {
    let seenTotal: number | undefined;
    const h = createHarness({}, {
      buildReport: async ({ result, unit }) => {
        seenTotal = result.total;
        if (unit !== '南京市数据局') throw new Error('no');
        return { bytes: new TextEncoder().encode(`report for ${unit}`), missing: ['x'] };
      },
    });
    await seed(h);
    const ok = await h.app.request('/api/evaluations/ev-full/report.docx', {}, LOCAL);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-report-missing')).toBe('1');
    expect(await ok.text()).toBe('report for 南京市数据局');
    expect(seenTotal).toBe(scoreEvaluation(fw, example.ok ? example.answers : {}).total);
    await h.store.createEvaluation(makeEvaluation('ev-other', ['g-other'], { unit: '别的局' }));
    const failed = await h.app.request('/api/evaluations/ev-other/report.docx', {}, LOCAL);
    expect(failed.status).toBe(500);
    expect(((await failed.json()) as { error: string }).error).toMatch(/报告/);
  });
});

describe('platform webhooks', () => {
  it('answer 404 with a clear message when the channel has no credentials', async () => {
    const h = createHarness();
    const feishu = await h.app.request('/webhook/feishu', { method: 'POST', body: '{}' });
    expect(feishu.status).toBe(404);
    expect(((await feishu.json()) as { error: string }).error).toMatch(/飞书.*FEISHU_APP_ID/);
    const ding = await h.app.request('/webhook/dingtalk', { method: 'POST', body: '{}' });
    expect(ding.status).toBe(404);
    expect(((await ding.json()) as { error: string }).error).toMatch(/钉钉.*DINGTALK_APP_KEY/);
  });

  it('answer 503 when configured but not running, and go through the pipeline to the channel when it runs', async () => {
    const env = { FEISHU_APP_ID: 'cli_x', FEISHU_APP_SECRET: 'sec', FEISHU_VERIFICATION_TOKEN: 'vt', DINGTALK_APP_KEY: 'k', DINGTALK_APP_SECRET: 's' };
    const h = createHarness(env);
    expect((await h.app.request('/webhook/feishu', { method: 'POST', body: '{}' })).status).toBe(503);
    // A Feishu webhook with neither a Verification Token nor an Encrypt Key would take forged events:
    // off, and says what is missing.
    const noToken = await createHarness({ ...env, FEISHU_VERIFICATION_TOKEN: '' }).app.request('/webhook/feishu', { method: 'POST', body: '{}' });
    expect(noToken.status).toBe(404);
    expect(((await noToken.json()) as { error: string }).error).toContain('FEISHU_VERIFICATION_TOKEN or FEISHU_ENCRYPT_KEY');
    const keyOnly = await createHarness({ ...env, FEISHU_VERIFICATION_TOKEN: '', FEISHU_ENCRYPT_KEY: 'ek' }).app.request('/webhook/feishu', { method: 'POST', body: '{}' });
    expect(keyOnly.status).toBe(503);
    // On a long connection there is no callback address.
    const ws = await createHarness({ ...env, FEISHU_MODE: 'ws' }).app.request('/webhook/feishu', { method: 'POST', body: '{}' });
    expect(ws.status).toBe(404);
    expect(((await ws.json()) as { error: string }).error).toContain('长连接');

    // A minimal durable channel: every request is one message; what it is asked to send is kept.
    const sent: Delivery[] = [];
    const channel: ChannelAdapter = {
      id: 'dingtalk',
      durable: true,
      async receive(req) {
        const text = await req.text();
        const message = { channel: 'dingtalk' as const, chatId: 'dingtalk:c1', chatType: 'group' as const, userId: 'u1', text, receivedAt: 0 };
        return { kind: 'events', waitMs: 0, events: [{ id: `dingtalk:${text}`, keys: [text], channel: 'dingtalk', message, replyTo: { chatId: 'dingtalk:c1', chatType: 'group' } }], respond: () => Response.json({ msgtype: 'empty' }) };
      },
      async send(d) {
        sent.push(d);
      },
    };
    const store = createMemoryStore();
    const bot = createFakeBot(store);
    const config = loadConfig(env);
    const logger: Logger = { info: () => {}, error: () => {} };
    const pipeline = createDefaultPipeline({ store, bot, config, logger, channels: [channel] });
    const app = createApp({ store, bot, config, logger, pipeline });
    const first = await app.request('/webhook/dingtalk', { method: 'POST', body: 'hello' });
    expect(await first.json()).toEqual({ msgtype: 'empty' });
    await app.request('/webhook/dingtalk', { method: 'POST', body: 'hello' });
    await pipeline.idle();
    expect(bot.seen.map((m) => m.text)).toEqual(['hello']);
    expect(sent.map((d) => d.item)).toEqual([{ kind: 'text', text: 'echo hello' }]);
  });
});

describe('console page', () => {
  it('renders the chat, the user switcher and the score panel in Chinese', async () => {
    const html = await (await createHarness().app.request('/', {}, LOCAL)).text();
    for (const id of ['chat-id', 'user-list', 'messages', 'input', 'send', 'score-body']) expect(html).toContain(`id="${id}"`);
    expect(html).toContain('张三');
    expect(html).toContain('当前得分');
    expect(html).not.toMatch(/<\/script>[^<]*<\/script>[^<]*<\/script>/);
  });

  it('allows only its own inline script, by a fresh nonce, and cannot be framed', async () => {
    const h = createHarness();
    const [a, b] = await Promise.all([h.app.request('/', {}, LOCAL), h.app.request('/', {}, LOCAL)]);
    const policy = a.headers.get('content-security-policy')!;
    const nonce = /'nonce-([^']+)'/.exec(policy)![1]!;
    expect(policy).toContain("frame-ancestors 'none'");
    expect(await a.text()).toContain(`<script nonce="${nonce}">`);
    expect(b.headers.get('content-security-policy')).not.toContain(nonce);
  });
});

describe('configuration', () => {
  it('has the documented defaults and needs no platform credentials', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, DATA_DIR: './data', FEISHU_BASE_URL: 'https://open.feishu.cn', DINGTALK_API_BASE: 'https://api.dingtalk.com', DINGTALK_OAPI_BASE: 'https://oapi.dingtalk.com' });
    expect(config.ADMIN_TOKEN).toBeUndefined();
    expect(loadConfig({ PORT: '', DATA_DIR: '', ADMIN_TOKEN: '' })).toMatchObject({ PORT: 3000, DATA_DIR: './data', ADMIN_TOKEN: undefined });
  });

  it('defaults the DingTalk robot code to the app key and trims base URLs', () => {
    const config = loadConfig({ DINGTALK_APP_KEY: 'ding-key', PUBLIC_BASE_URL: 'https://bot.example.gov.cn/' });
    expect(config.DINGTALK_ROBOT_CODE).toBe('ding-key');
    expect(config.PUBLIC_BASE_URL).toBe('https://bot.example.gov.cn');
  });

  it('needs LLM_BASE_URL and LLM_MODEL once any LLM_ variable is set, naming the missing ones and never the key', () => {
    const key = 'sk-LEAKCHECK-7f3a9c2e51d04b8e';
    const logger: Logger = { info: () => {}, error: () => {} };
    const messageOf = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error(`accepted ${Object.keys(env).join(', ')}`);
    };
    const keyOnly = messageOf({ LLM_API_KEY: key });
    expect(keyOnly).toMatch(/LLM_BASE_URL/);
    expect(keyOnly).toMatch(/LLM_MODEL/);
    expect(keyOnly).not.toContain(key);
    const noModel = messageOf({ LLM_BASE_URL: 'https://llm.example.gov.cn/v1', LLM_API_KEY: key });
    expect(noModel).toMatch(/LLM_MODEL/);
    expect(noModel).not.toMatch(/LLM_BASE_URL/);
    expect(noModel).not.toContain(key);
    expect(messageOf({ LLM_MODEL: 'qwen-plus' })).toMatch(/LLM_BASE_URL/);
    // A setting of the assistant without the assistant is a forgotten variable too.
    const capOnly = messageOf({ LLM_MONTHLY_TOKEN_CAP: '50000' });
    expect(capOnly).toMatch(/LLM_BASE_URL/);
    expect(capOnly).toMatch(/LLM_MODEL/);
    // Blank is not set; none set is no assistant and no error.
    expect(assistantConfigOf(loadConfig({ LLM_API_KEY: ' ', LLM_BASE_URL: '' }))).toBeUndefined();
    expect(assistantConfigOf(loadConfig({}))).toBeUndefined();
    expect(assistantDeps(loadConfig({}), logger)).toEqual({});
    // Both set: an assistant, with the key and without it.
    const on = loadConfig({ LLM_BASE_URL: 'https://llm.example.gov.cn/v1/', LLM_MODEL: 'qwen-plus', LLM_API_KEY: key, LLM_TIMEOUT_SECONDS: '7' });
    expect(assistantConfigOf(on)).toMatchObject({ baseUrl: 'https://llm.example.gov.cn/v1', model: 'qwen-plus', apiKey: key, timeoutMs: 7000 });
    expect(assistantDeps(on, logger).assistant?.assistant.target).toEqual({ model: 'qwen-plus', host: 'llm.example.gov.cn' });
    expect(assistantConfigOf(loadConfig({ LLM_BASE_URL: 'http://127.0.0.1:8000/v1', LLM_MODEL: 'local' }))?.apiKey).toBeUndefined();
  });

  it('names every bad variable without echoing secrets', () => {
    let message = '';
    try {
      loadConfig({ PORT: 'eighty', FEISHU_BASE_URL: 'not a url', DINGTALK_API_BASE: 'ftp://x', ADMIN_TOKEN: 'top-secret' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/PORT/);
    expect(message).toMatch(/FEISHU_BASE_URL/);
    expect(message).toMatch(/DINGTALK_API_BASE/);
    expect(message).not.toMatch(/top-secret|eighty/);
  });
});
