import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { startNodeServer, type RunningServer } from '../src/entries/serve';
import { openLowdbStore } from '../src/store/lowdb';
import { hasChromium, launchBrowser } from './helpers/browser';
import { createFakeBot } from './helpers/fake-bot';

describe.skipIf(!hasChromium())('console page in headless Chromium', () => {
  let dataDir: string;
  let server: RunningServer;
  let browser: BrowserContext;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'jx-console-'));
    const store = await openLowdbStore(dataDir);
    const logger = { info: () => {}, error: () => {} };
    server = await startNodeServer({ config: loadConfig({ PORT: '0', DATA_DIR: dataDir }), store, bot: createFakeBot(store), hostname: '127.0.0.1', logger });
    browser = await launchBrowser();
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

  it('chats as several users, presses a button, updates the score and downloads the report', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await expect(page.title()).resolves.toBe('绩效自评助手 · 控制台');
    await page.fill('#chat-id', 'console-test');
    await page.dispatchEvent('#chat-id', 'change');
    await page.waitForSelector('#score-body >> text=还没有自评');

    await sendText(page, '新建自评 南京市数据局 2024 框架=nanjing-2021');
    await page.waitForSelector('.msg.bot >> text=已创建');
    await page.waitForFunction(() => document.getElementById('score-total')?.textContent === '0');
    expect(await page.locator('#score-subtotals tr').count()).toBeGreaterThan(1);
    expect(await page.locator('#score-missing li').count()).toBeGreaterThan(1);

    await page.click('#user-list button:has-text("李四")');
    await sendText(page, 'fact adjustedBudget 6091.91');
    await sendText(page, 'fact carryoverStart 860.29');
    await sendText(page, 'fact spending 5959.46');
    await page.waitForFunction(() => document.getElementById('score-total')?.textContent === '1.5');
    await expect(page.locator('.msg.user .who').last().textContent()).resolves.toBe('李四');
    await expect(page.locator('.msg.bot .hint').last().textContent()).resolves.toContain('万元');

    await page.click('#user-list button:has-text("王五")');
    await sendText(page, 'card');
    await page.click('.card button:has-text("是")');
    await page.waitForSelector('.msg.bot >> text=pressed yes');
    await page.waitForFunction(() => document.getElementById('score-total')?.textContent === '3.5');
    await expect(page.locator('#score-completion').textContent()).resolves.toContain('3 / 29');

    const download = page.waitForEvent('download');
    await page.click('#report-link');
    const file = await download;
    expect(file.suggestedFilename()).toBe('南京市数据局2024年度部门整体绩效自评价报告.docx');
    const bytes = await readFile((await file.path())!);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');

    // A file reply becomes a download link in the conversation.
    await sendText(page, 'file');
    const link = page.locator('a.file').last();
    await expect(link.textContent()).resolves.toBe('南京市数据局2024年度报告.docx');
    expect(await link.getAttribute('href')).toMatch(/^\/files\/[A-Za-z0-9_-]+$/);

    // The conversation survives a reload (kept in the page's storage), and the score comes from the server.
    await page.reload();
    await page.waitForFunction(() => document.getElementById('score-total')?.textContent === '3.5');
    expect(await page.locator('.msg.user').count()).toBe(7);
  });
});
