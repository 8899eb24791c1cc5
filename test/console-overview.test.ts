/**
 * The console's 汇总 tab in headless Chromium: the table of some units, in the chat's order and with the
 * chat's figures; the table a bureau chat sees (its pending units named); the .xlsx link.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { startNodeServer, type RunningServer } from '../src/entries/serve';
import { openLowdbStore } from '../src/store/lowdb';
import type { Store } from '../src/store/port';
import { hasChromium, launchBrowser } from './helpers/browser';
import { BUREAU, fourUnits, UNITS } from './helpers/overview';
import { createTranscript, replyText, type Transcript } from './helpers/transcript';

const SLOW = { timeout: 180_000 };

describe.skipIf(!hasChromium())('console 汇总 tab in headless Chromium', SLOW, () => {
  let dataDir: string;
  let server: RunningServer;
  let store: Store;
  let browser: BrowserContext;
  let t: Transcript;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'jx-console-ov-'));
    store = await openLowdbStore(dataDir);
    ({ t } = await fourUnits(createTranscript({ store })));
    server = await startNodeServer({
      config: loadConfig({ PORT: '0', DATA_DIR: dataDir }),
      store,
      bot: t.bot,
      hostname: '127.0.0.1',
      logger: { info: () => {}, error: () => {} },
    });
    browser = await launchBrowser();
    browser.setDefaultTimeout(120_000);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close(1000);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('shows the units\' table as the bureau chat sees it, and the chat\'s own table with its pending units', async () => {
    // The chat's table, every unit consented to.
    await t.say(BUREAU, `汇总 ${Object.values(UNITS).map((u) => u.unit).join(' ')}`, { chatId: 'bureau' });
    for (const u of Object.values(UNITS)) {
      const code = (await store.getOverviewBinding('bureau'))!.units.find((x) => x.unit === u.unit)!.code!;
      await t.say(u.organiser, `同意汇总 ${code}`, { chatId: u.chatId });
    }
    const chatTable = (await t.say(BUREAU, '汇总', { chatId: 'bureau' })).map(replyText).join('\n');
    const chatLines = chatTable.split('\n').filter((l) => /^\d+\. /.test(l));

    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(server.url);
    await page.click('#tab-overview');
    expect(page.url()).toBe(`${server.url}#overview`);
    await expect(page.locator('#chat-view').isHidden()).resolves.toBe(true);
    await page.fill('#ov-units', '南京市统计局、南京市审计局 南京市财政局,南京市数据局');
    await page.click('#ov-show');
    await page.waitForSelector('#ov-table tbody tr[data-unit="南京市统计局"]');
    const rows = await page.$$eval('#ov-table tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
    expect(rows).toHaveLength(chatLines.length);
    rows.forEach((cells, i) => {
      const [rank, unit, year, scored, applicable, percent, total, grade] = cells as [string, string, string, string, string, string, string, string];
      const line = chatLines[i]!;
      expect(line.startsWith(`${rank}. ${unit}（${year}年度）：完成 ${scored}/${applicable} 项（${percent}）`)).toBe(true);
      expect(line).toContain(grade === '未填完' ? `当前 ${total} 分，未填完` : `${total} 分，${grade}`);
    });
    const href = await page.getAttribute('#ov-export', 'href');
    const xlsx = await fetch(new URL(href!, server.url));
    expect(xlsx.status).toBe(200);
    expect(xlsx.headers.get('content-type')).toContain('spreadsheetml');

    // By chat: a new request for a unit not yet consented to is named as pending, with no figures.
    await t.say(BUREAU, '汇总 南京市数据局', { chatId: 'bureau-2' });
    await page.fill('#ov-chat', 'bureau-2');
    await page.click('#ov-show');
    await page.waitForSelector('#ov-pending:has-text("南京市数据局")');
    await expect(page.locator('#ov-table').isHidden()).resolves.toBe(true);
    await expect(page.locator('#ov-status').textContent()).resolves.toBe('没有可显示的单位。');

    // The tab and its query survive a reload.
    await page.reload();
    await page.waitForSelector('#ov-pending:has-text("南京市数据局")');
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
