/**
 * The console on a phone (390×844 in headless Chromium): no sideways scrolling, a title on one line,
 * no failed request while the page loads, and choosing an evaluation that was created elsewhere (another
 * browser, the terminal, a program) shows that chat's conversation so far.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBot } from '../src/app/bot';
import { loadConfig } from '../src/config';
import { startNodeServer, type RunningServer } from '../src/entries/serve';
import { openLowdbStore } from '../src/store/lowdb';
import { createReminders } from '../src/app/reminders';
import { weekdayCalendar } from '../src/core/reminders';
import { hasChromium, launchBrowser } from './helpers/browser';

const SLOW = { timeout: 180_000 };
const PHONE = { width: 390, height: 844 };

describe.skipIf(!hasChromium())('console on a phone', SLOW, () => {
  let dataDir: string;
  let server: RunningServer;
  let browser: BrowserContext;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'jx-console-phone-'));
    const store = await openLowdbStore(dataDir);
    const logger = { info: () => {}, error: () => {} };
    server = await startNodeServer({ config: loadConfig({ PORT: '0', DATA_DIR: dataDir }), store, bot: createBot({ store }), hostname: '127.0.0.1', logger });
    browser = await launchBrowser();
    browser.setDefaultTimeout(120_000);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close(1000);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** A phone-sized page that records every response of 400 or more and every request that failed. */
  async function phonePage(): Promise<{ page: Page; failures: string[] }> {
    const page = await browser.newPage();
    await page.setViewportSize(PHONE);
    const failures: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failures.push(`${r.status()} ${r.url()}`);
    });
    // Requests cut off by a reload are aborted, not failed.
    page.on('requestfailed', (r) => {
      if (!/ERR_ABORTED/.test(r.failure()?.errorText ?? '')) failures.push(`failed ${r.url()} ${r.failure()?.errorText}`);
    });
    return { page, failures };
  }

  /** Page width against the viewport, and the title's height in lines. */
  const layout = (page: Page) =>
    page.evaluate(() => {
      const h1 = document.querySelector('header h1')!;
      const lineHeight = parseFloat(getComputedStyle(h1).lineHeight) || parseFloat(getComputedStyle(h1).fontSize) * 1.55;
      const tabs = Array.from(document.querySelectorAll('nav.tabs button')).map((b) => b.getBoundingClientRect().height / (parseFloat(getComputedStyle(b).lineHeight) || 20));
      return {
        scrollWidth: document.documentElement.scrollWidth,
        bodyScrollWidth: document.body.scrollWidth,
        viewport: window.innerWidth,
        titleLines: h1.getBoundingClientRect().height / lineHeight,
        titleWidth: h1.getBoundingClientRect().width,
        tabLines: Math.max(...tabs),
      };
    });

  async function sendText(page: Page, text: string) {
    const before = await page.locator('.msg.bot').count();
    await page.fill('#input', text);
    await page.press('#input', 'Enter');
    await page.waitForFunction((n) => document.querySelectorAll('.msg.bot').length > n, before);
  }

  it('fits 390 px: no sideways scroll, the title and tabs on one line, and no failed request on load', async () => {
    const { page, failures } = await phonePage();
    await page.goto(server.url);
    await page.waitForSelector('#score-body >> text=还没有自评');
    await page.waitForLoadState('networkidle');
    expect(failures).toEqual([]);
    // The icon is inline: the browser needs nothing from /favicon.ico (which answers without a 404 anyway).
    expect(await page.getAttribute('link[rel=icon]', 'href')).toMatch(/^data:image\/svg\+xml,/);
    expect((await page.request.get(`${server.url}favicon.ico`)).status()).toBe(204);

    let l = await layout(page);
    expect(l.viewport).toBe(PHONE.width);
    expect(l.scrollWidth).toBeLessThanOrEqual(l.viewport);
    expect(l.bodyScrollWidth).toBeLessThanOrEqual(l.viewport);
    expect(l.titleLines).toBeLessThan(2.5);
    // One character per line would make it a few characters wide.
    expect(l.titleWidth).toBeGreaterThan(100);
    expect(l.tabLines).toBeLessThan(2.5);

    // A conversation with long cards and a long message still fits.
    await page.fill('#chat-id', 'phone-layout');
    await page.dispatchEvent('#chat-id', 'change');
    await sendText(page, '新建自评 南京市数据局 2024 框架=nanjing-2021');
    await page.waitForFunction(() => document.getElementById('score-total')?.textContent === '0');
    await sendText(page, '帮助');
    await sendText(page, 'ＡＢＣ'.repeat(40));
    l = await layout(page);
    expect(l.scrollWidth).toBeLessThanOrEqual(l.viewport);

    // And so does the 指标体系 tab.
    await page.click('#tab-frameworks');
    await page.waitForSelector('#fw-list li');
    l = await layout(page);
    expect(l.scrollWidth).toBeLessThanOrEqual(l.viewport);
    expect(l.titleLines).toBeLessThan(2.5);
    expect(failures).toEqual([]);
    await page.close();
  });

  it('shows the conversation of an evaluation created elsewhere when it is chosen', async () => {
    // Another client (a program, the terminal, another browser) talks in chat phone-a.
    const post = (text: string, userId = 'u-li', userName = '李四') =>
      fetch(`${server.url}api/local/messages`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ chatId: 'phone-a', userId, userName, text }),
      });
    for (const text of ['新建自评 南京市数据局 2024 框架=nanjing-2021', '开始', '是']) expect((await post(text)).status).toBe(200);

    const { page, failures } = await phonePage();
    await page.goto(server.url);
    await page.waitForSelector('#evaluations option[value="phone-a"]', { state: 'attached' });
    await page.selectOption('#evaluations', 'phone-a');
    await page.waitForFunction(() => document.querySelectorAll('.msg.user').length === 3);
    const said = await page.locator('.msg.user .bubble').allTextContents();
    expect(said).toEqual(['新建自评 南京市数据局 2024 框架=nanjing-2021', '开始', '是']);
    expect(await page.locator('.msg.user .who').first().textContent()).toBe('李四');
    // The bot's replies too: the creation card, the first question, the score of the answer.
    const replies = (await page.locator('.msg.bot').allTextContents()).join('\n');
    expect(replies).toContain('已创建');
    expect(replies).toMatch(/得 2\/2 分/);
    await page.waitForFunction(() => document.getElementById('score-total')?.textContent === '2');

    // Talking on from the phone adds to it; a reload shows the same conversation.
    await sendText(page, '进度');
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('.msg.user').length === 4);
    expect(await page.locator('.msg.user .bubble').last().textContent()).toBe('进度');

    // 清空记录 clears it here and on the server.
    await page.click('#clear');
    await page.waitForFunction(() => document.querySelectorAll('.msg').length === 0);
    const history = (await (await page.request.get(`${server.url}api/local/history?chatId=phone-a`)).json()) as { entries: unknown[] };
    expect(history.entries).toEqual([]);
    expect(failures).toEqual([]);
    await page.close();
  });
});

describe.skipIf(!hasChromium())('a reminder in the console', SLOW, () => {
  it('appears in the chat it was sent to without anyone writing, once', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'jx-console-remind-'));
    const store = await openLowdbStore(dataDir);
    const logger = { info: () => {}, error: () => {} };
    const server = await startNodeServer({ config: loadConfig({ PORT: '0', DATA_DIR: dataDir }), store, bot: createBot({ store }), hostname: '127.0.0.1', logger });
    const browser = await launchBrowser();
    try {
      browser.setDefaultTimeout(120_000);
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.fill('#chat-id', 'remind-group');
      await page.dispatchEvent('#chat-id', 'change');
      await page.fill('#input', '新建自评 南京市数据局 2024 框架=nanjing-2021');
      await page.press('#input', 'Enter');
      await page.waitForSelector('.msg.bot');
      // The reminder is due (a working day's 09:30 that the evaluation's creation preceded) and sent by the
      // server's own pipeline, as the croner job would.
      const rec = (await store.listEvaluations())[0]!;
      await store.updateEvaluation(rec.id, (r) => void (r.createdAt = '2025-09-01T00:00:00.000Z'));
      const reminders = createReminders({ store, pipeline: server.pipeline, logger, calendar: weekdayCalendar });
      expect((await reminders.runDueReminders(new Date('2025-09-29T01:31:00.000Z'))).sent).toHaveLength(1);
      await page.waitForSelector('.msg.bot >> text=【填报提醒】', { timeout: 30_000 });
      // Taken once: another poll adds nothing.
      await page.waitForTimeout(6_000);
      expect(await page.locator('.msg.bot', { hasText: '【填报提醒】' }).count()).toBe(1);
    } finally {
      await browser.close();
      await server.close(1000);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('local chat history (GET/DELETE /api/local/history)', () => {
  it('keeps what was said and answered per chat, buttons as their words, and forgets on request', async () => {
    const { createApp } = await import('../src/server/app');
    const { createMemoryStore } = await import('../src/store/memory');
    const store = createMemoryStore();
    const app = createApp({ store, bot: createBot({ store }), config: loadConfig({}), logger: { info: () => {}, error: () => {} } });
    const local = { incoming: { socket: { remoteAddress: '127.0.0.1' } } };
    const post = (chatId: string, body: Record<string, unknown>) =>
      app.request('/api/local/messages', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ chatId, userId: 'u1', userName: '张三', ...body }) }, local);
    const history = async (chatId: string) =>
      ((await (await app.request(`/api/local/history?chatId=${chatId}`, {}, local)).json()) as { entries: Array<{ from: string; text?: string; name?: string; reply?: { kind: string } }> }).entries;

    expect(await history('h1')).toEqual([]);
    const created = (await (await post('h1', { text: '新建自评 南京市数据局 2024 框架=nanjing-2021' })).json()) as { replies: unknown[] };
    await post('h1', { action: { type: 'command', command: 'start' } });
    await post('h2', { text: '你好' });
    const h1 = await history('h1');
    expect(h1[0]).toEqual({ from: 'user', userId: 'u1', name: '张三', text: '新建自评 南京市数据局 2024 框架=nanjing-2021' });
    // The replies exactly as the sender got them.
    expect(h1.slice(1, 1 + created.replies.length)).toEqual(created.replies.map((reply) => ({ from: 'bot', reply })));
    expect(h1.filter((e) => e.from === 'user').map((e) => e.text)).toEqual(['新建自评 南京市数据局 2024 框架=nanjing-2021', '［开始］']);
    expect((await history('h2')).filter((e) => e.from === 'user').map((e) => e.text)).toEqual(['你好']);

    expect((await app.request('/api/local/history', {}, local)).status).toBe(400);
    expect((await app.request('/api/local/history?chatId=h1', { method: 'DELETE' }, local)).status).toBe(204);
    expect(await history('h1')).toEqual([]);
    expect((await history('h2')).length).toBeGreaterThan(1);
  });
});
