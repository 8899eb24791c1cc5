import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { startNodeServer, type RunningServer } from '../src/entries/serve';
import { openLowdbStore } from '../src/store/lowdb';
import { hasChromium, launchBrowser } from './helpers/browser';
import { createBot } from '../src/app/bot';

/** Process- and browser-driven tests are slow on a busy machine: generous limits, no timing assertions. */
const SLOW = { timeout: 180_000 };

describe.skipIf(!hasChromium())('console page in headless Chromium', SLOW, () => {
  let dataDir: string;
  let server: RunningServer;
  let browser: BrowserContext;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'jx-console-'));
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

  async function sendText(page: Page, text: string) {
    const before = await page.locator('.msg.bot').count();
    await page.fill('#input', text);
    await page.press('#input', 'Enter');
    await page.waitForFunction((n) => document.querySelectorAll('.msg.bot').length > n, before);
  }

  const total = (page: Page) => page.locator('#score-total').textContent();

  it('chats as several users, presses buttons, updates the score and downloads the report', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await expect(page.title()).resolves.toBe('绩效自评助手 · 控制台');
    await page.fill('#chat-id', 'console-test');
    await page.dispatchEvent('#chat-id', 'change');
    await page.waitForSelector('#score-body >> text=还没有自评');

    // 张三 creates the evaluation; the score panel appears at 0.
    await sendText(page, '新建自评 南京市数据局 2024 框架=nanjing-2021 截止=2025-05-31');
    await page.waitForFunction(() => document.getElementById('score-total')?.textContent === '0');
    expect(await page.locator('#score-subtotals tr').count()).toBe(5);
    const missingBefore = await page.locator('#score-missing li').count();
    expect(missingBefore).toBeGreaterThan(1);

    // Pressing the card's 开始填报 button asks a question with 是/否 buttons; pressing 是 scores it.
    await page.click('.card button:has-text("开始") >> nth=-1');
    await page.waitForSelector('.card button:text-is("是")');
    await page.click('.card button:text-is("是") >> nth=-1');
    await page.waitForFunction(() => document.getElementById('score-total')?.textContent === '2');

    // 李四 answers by typing; each answer moves the score.
    await page.click('#user-list button:has-text("李四")');
    await sendText(page, '开始');
    await sendText(page, '是');
    await page.waitForFunction(() => document.getElementById('score-total')?.textContent === '4');
    await sendText(page, '是，《中长期发展规划》');
    await page.waitForFunction(() => document.getElementById('score-total')?.textContent === '6');
    await expect(page.locator('.msg.user .who').last().textContent()).resolves.toBe('李四');
    await expect(page.locator('#score-completion').textContent()).resolves.toContain('3 / 29');
    expect(await page.locator('#score-subtotals tr').first().textContent()).toContain('6');

    // No grade until everything is answered, like the chat says.
    await expect(page.locator('#score-grade').textContent()).resolves.toBe('未填完');

    // 王五 answers 否: the score stays, and the lost points are listed with the indicator.
    await page.click('#user-list button:has-text("王五")');
    await sendText(page, '开始');
    await sendText(page, '否');
    await page.waitForSelector('#score-deductions li');
    await expect(page.locator('#score-deductions li').first().textContent()).resolves.toMatch(/扣 2 分/);
    expect(await total(page)).toBe('6');

    // The same numbers as the JSON API.
    const api = (await (await page.request.get(`${server.url}api/chats/console-test/evaluation`)).json()) as { score: { total: number } };
    expect(String(api.score.total)).toBe(await total(page));

    // The report downloads from the score panel...
    const download = page.waitForEvent('download');
    await page.click('#report-link');
    const file = await download;
    expect(file.suggestedFilename()).toBe('南京市数据局2024年度部门整体绩效自评价报告.docx');
    const bytes = await readFile((await file.path())!);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');

    // ...and 报告 in the chat gives a file link.
    await sendText(page, '报告');
    const link = page.locator('a.file').last();
    await expect(link.textContent()).resolves.toBe('南京市数据局2024年度部门整体绩效自评价报告.docx');
    expect(await link.getAttribute('href')).toMatch(/^\/files\/[A-Za-z0-9_-]+$/);
    const fromChat = await page.request.get(`${server.url}${(await link.getAttribute('href'))!.slice(1)}`);
    expect(fromChat.status()).toBe(200);

    // The conversation survives a reload (kept in the page's storage); the score comes from the server.
    const users = await page.locator('.msg.user').count();
    await page.reload();
    await page.waitForFunction(() => document.getElementById('score-total')?.textContent === '6');
    expect(await page.locator('.msg.user').count()).toBe(users);
  });

  it('signs in with ADMIN_TOKEN and switches chats from the list of evaluations', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jx-console-token-'));
    const store = await openLowdbStore(dir);
    const guarded = await startNodeServer({
      config: loadConfig({ PORT: '0', DATA_DIR: dir, ADMIN_TOKEN: 'console-secret' }),
      store,
      bot: createBot({ store }),
      hostname: '127.0.0.1',
      logger: { info: () => {}, error: () => {} },
    });
    try {
      const page = await browser.newPage();
      const denied = await page.goto(`${guarded.url}?token=wrong`);
      expect(denied?.status()).toBe(401);
      await expect(page.locator('body').textContent()).resolves.toContain('需要管理令牌');
      // The sign-in form: a wrong token stays on it; the right one opens the console, the token in no address.
      await page.fill('#token', 'still-wrong');
      const again = page.waitForResponse((r) => r.url().endsWith('/api/session/login'));
      await page.click('#sign-in');
      expect((await again).status()).toBe(401);
      await page.waitForSelector('#token');
      await page.fill('#token', 'console-secret');
      await page.click('#sign-in');
      await page.waitForSelector('#sign-out');
      expect(page.url()).toBe(guarded.url);
      // The session cookie is out of the page's reach and goes to this site only.
      expect(await page.evaluate(() => document.cookie)).not.toContain('jx_console');
      const session = (await browser.cookies(guarded.url)).find((c) => c.name === 'jx_console')!;
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
      expect(session.value).not.toContain('console-secret');

      await page.fill('#chat-id', 'tok-a');
      await page.dispatchEvent('#chat-id', 'change');
      await sendText(page, '新建自评 南京市数据局 2024 框架=nanjing-2021');
      await page.waitForFunction(() => document.getElementById('score-total')?.textContent === '0');

      await page.fill('#chat-id', 'tok-b');
      await page.dispatchEvent('#chat-id', 'change');
      await page.waitForSelector('#score-body >> text=还没有自评');
      expect(await page.locator('.msg').count()).toBe(0);

      await page.waitForSelector('#evaluations option[value="tok-a"]', { state: 'attached' });
      await page.selectOption('#evaluations', 'tok-a');
      await page.waitForFunction(() => document.getElementById('score-total')?.textContent === '0');
      expect(await page.inputValue('#chat-id')).toBe('tok-a');
      expect(await page.locator('.msg.user').count()).toBe(1);

      // 退出登录 ends the session on the server: the page shows the sign-in form, the old cookie is refused.
      await page.click('#sign-out');
      await page.waitForSelector('#token');
      const oldCookie = { headers: { Cookie: `jx_console=${session.value}` } };
      expect((await fetch(`${guarded.url}api/evaluations`, oldCookie)).status).toBe(401);
      // Opening `/?token=` still signs in; a session ended elsewhere sends the open console back to the form.
      const ok = await page.goto(`${guarded.url}?token=console-secret`);
      expect(ok?.status()).toBe(200);
      expect(page.url()).toBe(guarded.url);
      await page.waitForSelector('#sign-out');
      const second = (await browser.cookies(guarded.url)).find((c) => c.name === 'jx_console')!;
      expect(second.value).not.toBe(session.value);
      const out = await fetch(`${guarded.url}api/session/logout`, { method: 'POST', headers: { Cookie: `jx_console=${second.value}` } });
      expect(out.status).toBe(204);
      await page.waitForSelector('#token');
    } finally {
      await guarded.close(1000);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
