/**
 * The console's 指标体系 tab in headless Chromium: upload a sheet with one open row, see the refusal of a
 * sheet that is not a framework, answer the open row in the page (a bad answer first), and see the
 * framework ready with its id and export link.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { pickAnnexSheet } from '../src/core/import/export';
import { importSheet } from '../src/core/import/importer';
import { readWorkbookSheets } from '../src/core/import/sheet';
import { startNodeServer, type RunningServer } from '../src/entries/serve';
import { createBot } from '../src/app/bot';
import { openLowdbStore } from '../src/store/lowdb';
import type { Store } from '../src/store/port';
import { hasChromium, launchBrowser } from './helpers/browser';
import { B11_ANSWER, BAD_POINTS_CSV, ONE_OPEN_CSV, SUGGESTION_CSV } from './helpers/framework-sheets';

/** Process- and browser-driven tests are slow on a busy machine: generous limits, no timing assertions. */
const SLOW = { timeout: 180_000 };

describe.skipIf(!hasChromium())('console 指标体系 tab in headless Chromium', SLOW, () => {
  let dataDir: string;
  let server: RunningServer;
  let store: Store;
  let browser: BrowserContext;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'jx-console-fw-'));
    store = await openLowdbStore(dataDir);
    server = await startNodeServer({
      config: loadConfig({ PORT: '0', DATA_DIR: dataDir }),
      store,
      bot: createBot({ store }),
      hostname: '127.0.0.1',
      logger: { info: () => {}, error: () => {} },
    });
    browser = await launchBrowser();
    browser.setDefaultTimeout(120_000);
    await writeFile(join(dataDir, '指标体系.csv'), ONE_OPEN_CSV);
    await writeFile(join(dataDir, '分值不符.csv'), BAD_POINTS_CSV);
    await writeFile(join(dataDir, '有建议.csv'), SUGGESTION_CSV);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close(1000);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('uploads a sheet, answers its open row in the page and shows it ready with its id', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(server.url);
    await page.click('#tab-frameworks');
    expect(page.url()).toBe(`${server.url}#frameworks`);
    await expect(page.locator('#chat-view').isHidden()).resolves.toBe(true);
    // Built-in frameworks are listed as ready.
    await page.waitForSelector('#fw-list button[data-id="nanjing-2021"] >> text=可用');

    // A sheet whose points do not add up is refused, naming the row; nothing is listed for it.
    await page.setInputFiles('#fw-file', join(dataDir, '分值不符.csv'));
    await page.click('#fw-upload-btn');
    await page.waitForSelector('#fw-upload-status.error li');
    await expect(page.locator('#fw-upload-status li').first().textContent()).resolves.toContain('第4行');
    expect(await store.listFrameworks()).toEqual([]);

    // The good sheet: one open row with its prose and reason, and an input to answer it.
    await page.setInputFiles('#fw-file', join(dataDir, '指标体系.csv'));
    await page.fill('#fw-name', '测试局指标体系');
    await page.click('#fw-upload-btn');
    await page.waitForSelector('#fw-open .fw-q[data-code="B11"]');
    await expect(page.locator('#fw-upload-status').textContent()).resolves.toBe('');
    await expect(page.locator('#fw-status').textContent()).resolves.toBe('待确认 1 项');
    const question = (await page.locator('.fw-q[data-code="B11"] .text').textContent())!;
    expect(question).toContain('年末预算执行率达到财政考核要求的得80分');
    expect(question).toContain('未给出具体标准');
    await expect(page.locator('#fw-rows tr[data-code="A11"] td.rule').textContent()).resolves.toContain('建立决策制度得 20 分');
    const id = (await page.locator('#fw-id').textContent())!;
    expect(id).toMatch(/^import-[0-9a-f]{6}$/);
    await page.waitForSelector(`#fw-list button[data-id="${id}"] >> text=待确认 1 项`);
    expect(await page.locator('#fw-export').count()).toBe(0);

    // A bad answer: the reason inline, the question still open.
    await page.fill('.fw-q[data-code="B11"] input', '好好干');
    await page.click('.fw-q[data-code="B11"] button');
    await page.waitForFunction(() => (document.querySelector('.fw-q[data-code="B11"] .fw-error')?.textContent ?? '') !== '');
    await expect(page.locator('.fw-q[data-code="B11"] .fw-error').textContent()).resolves.toContain('没能理解这条规则');
    expect((await store.getFramework(id))?.status).toBe('open');

    // The right answer: ready, with the id to use in 新建自评 and the export link; the list follows.
    await page.fill('.fw-q[data-code="B11"] input', B11_ANSWER);
    await page.click('.fw-q[data-code="B11"] button');
    await page.waitForSelector('#fw-ready');
    await expect(page.locator('#fw-status').textContent()).resolves.toBe('可用');
    await expect(page.locator('#fw-ready').textContent()).resolves.toContain(`框架=${id}`);
    expect(await page.locator('#fw-open').count()).toBe(0);
    await expect(page.locator('#fw-rows tr[data-code="B11"] td.rule').textContent()).resolves.toContain('预算执行率 ≥ 90% 得 80 分，否则得 40 分');
    await page.waitForSelector(`#fw-list button[data-id="${id}"] >> text=可用`);
    expect((await store.getFramework(id))?.status).toBe('ready');

    // The export downloads a workbook that imports again with the same rows.
    const download = page.waitForEvent('download');
    await page.click('#fw-export');
    const file = await download;
    expect(file.suggestedFilename()).toBe('测试局指标体系.xlsx');
    const sheets = await readWorkbookSheets(new Uint8Array(await readFile((await file.path())!)));
    expect(importSheet(pickAnnexSheet(sheets)!).rows.map((r) => r.code)).toEqual(['A11', 'B11']);

    // Opening /#frameworks again shows the tab with the framework still selected; the chat tab still works.
    await page.reload();
    await page.waitForSelector('#fw-ready');
    await expect(page.locator('#fw-id').textContent()).resolves.toBe(id);
    // The chat tab creates an evaluation with it, as the ready note says.
    await page.click('#tab-chat');
    await expect(page.locator('#frameworks-view').isHidden()).resolves.toBe(true);
    await page.fill('#chat-id', 'fw-chat');
    await page.dispatchEvent('#chat-id', 'change');
    await page.fill('#input', `新建自评 测试局 2025 框架=${id}`);
    await page.press('#input', 'Enter');
    await page.waitForFunction(() => document.getElementById('score-total')?.textContent === '0');
    expect(await page.locator('#score-subtotals tr').count()).toBe(2);
    await expect(page.locator('#score-body').textContent()).resolves.toContain(id);
    expect(pageErrors).toEqual([]);
  });

  it('accepts a suggested rule with one button', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}#frameworks`);
    await page.setInputFiles('#fw-file', join(dataDir, '有建议.csv'));
    await page.click('#fw-upload-btn');
    await page.waitForSelector('.fw-q[data-code="B11"] .fw-accept');
    const id = (await page.locator('#fw-id').textContent())!;
    await page.click('.fw-q[data-code="B11"] .fw-accept');
    await page.waitForSelector('#fw-ready');
    await expect(page.locator('#fw-rows tr[data-code="B11"] td.rule').textContent()).resolves.toContain('办公流程、业务开展均通过网上综合办公平台办理得 80 分，否则不得分');
    expect((await store.getFramework(id))?.status).toBe('ready');
  });

  it('overrides a compiled row from its 修改 button', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}#frameworks`);
    const id = (await store.listFrameworks()).find((f) => f.name === '测试局指标体系')!.id;
    await page.click(`#fw-list button[data-id="${id}"]`);
    await page.waitForSelector('#fw-rows tr[data-code="A11"] .fw-edit');
    await page.click('#fw-rows tr[data-code="A11"] .fw-edit');
    await page.fill('#fw-rows tr[data-code="A11"] .fw-override input', '建立决策制度的得20分，否则得10分');
    await page.click('#fw-rows tr[data-code="A11"] .fw-override button');
    await page.waitForFunction(() => (document.querySelector('#fw-rows tr[data-code="A11"] td.rule')?.textContent ?? '').includes('10 分'));
    expect((await store.getFramework(id))!.draft.rows[0]!.outcome.status).toBe('confirmed');
    await expect(page.locator('#fw-status').textContent()).resolves.toBe('可用');
  });
});
