/**
 * The console draws 得分 and 对比 as bar charts (inline SVG) from the replies' figures, in headless
 * Chromium: a bar per level-1 indicator as long as its score, and for 对比 last year's and this year's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { startNodeServer, type RunningServer } from '../src/entries/serve';
import { openLowdbStore } from '../src/store/lowdb';
import type { Store } from '../src/store/port';
import { createBot } from '../src/app/bot';
import { loadBuiltinFramework } from '../src/core/framework/builtin';
import { scoreEvaluation } from '../src/core/scoring/engine';
import type { Answers } from '../src/core/scoring/answers';
import { ANSWERS_002 } from './helpers/answers-002';
import { makeEvaluation } from './helpers/records';
import { hasChromium, launchBrowser } from './helpers/browser';

const SLOW = { timeout: 180_000 };

describe.skipIf(!hasChromium())('console charts in headless Chromium', SLOW, () => {
  let dataDir: string;
  let server: RunningServer;
  let browser: BrowserContext;
  let store: Store;
  const last = { ...(structuredClone(ANSWERS_002) as Answers), year: 2023 };
  // Last year one indicator was answered "no".
  const changed = Object.entries(last.judgements ?? {}).find(([, v]) => v === true)![0];
  last.judgements![changed] = { value: false, reason: '上年未做到' };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'jx-console-chart-'));
    store = await openLowdbStore(dataDir);
    // The console's first user is u1 (张三), who organised last year's evaluation.
    await store.createEvaluation(makeEvaluation('ev-2023', ['console-2023'], { year: 2023, organisers: ['u1'], members: { u1: { name: '张三' } }, answers: last }));
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

  /** The bars of the last chart: per indicator row, each bar's value, maximum and drawn width. */
  const lastChart = (page: Page) =>
    page.evaluate(() => {
      const charts = document.querySelectorAll('svg.chart');
      const svg = charts[charts.length - 1]!;
      return Array.from(svg.querySelectorAll('g.row')).map((g) => ({
        name: g.getAttribute('data-name'),
        bars: Array.from(g.querySelectorAll('rect.bar')).map((r) => ({
          cls: r.getAttribute('class'),
          value: Number(r.getAttribute('data-value')),
          width: (r as SVGRectElement).getBBox().width,
          track: (r.previousElementSibling as SVGRectElement | null)?.getBBox().width ?? 0,
        })),
        legend: Array.from(svg.querySelectorAll('text.legend')).map((t) => t.textContent),
      }));
    });

  it('draws 得分 as a bar per level-1 indicator and 对比 with both years', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.fill('#chat-id', 'console-2024');
    await page.dispatchEvent('#chat-id', 'change');
    await page.waitForSelector('#score-body >> text=还没有自评');

    // Creating offers last year's key tasks; 沿用上年 is pressed.
    await sendText(page, '新建自评 南京市数据局 2024 框架=nanjing-2021');
    await page.waitForSelector('.card button:text-is("沿用上年")');
    await page.click('.card button:text-is("沿用上年") >> nth=-1');
    await page.waitForSelector('.card .title:text-is("已创建自评任务")');
    const id = (await store.evaluationIdForChat('console-2024'))!;
    await store.updateEvaluation(id, (rec) => {
      rec.answers = { ...(structuredClone(ANSWERS_002) as Answers), framework: 'nanjing-2021', unit: rec.unit, year: 2024 };
    });

    const framework = loadBuiltinFramework('nanjing-2021')!;
    const now = scoreEvaluation(framework, (await store.getEvaluation(id))!.answers);
    const before = scoreEvaluation(framework, last);
    const rootsOf = (r: typeof now) => r.roots.map((c) => r.indicators.find((i) => i.code === c)!);

    await sendText(page, '得分');
    await page.waitForSelector('.card svg.chart');
    const score = await lastChart(page);
    expect(score.map((r) => r.name)).toEqual(rootsOf(now).map((i) => i.name));
    for (const [k, i] of rootsOf(now).entries()) {
      const [bar] = score[k]!.bars;
      expect(bar!.value).toBe(i.score);
      // Drawn in proportion: the bar's share of its track is the score's share of the indicator's points.
      expect(bar!.width / bar!.track).toBeCloseTo(i.score! / i.points, 2);
    }

    await sendText(page, '对比');
    await page.waitForFunction(() => document.querySelectorAll('svg.chart').length >= 2);
    const compare = await lastChart(page);
    expect(compare[0]!.legend).toEqual(['2023年度', '2024年度']);
    const prev = rootsOf(before);
    for (const [k, i] of rootsOf(now).entries()) {
      expect(compare[k]!.bars.map((b) => b.value)).toEqual([prev[k]!.score, i.score]);
      expect(compare[k]!.bars.map((b) => b.cls)).toEqual(['bar prev', 'bar cur']);
    }
    // The section with last year's "no" is drawn shorter for 2023.
    const lower = compare.find((r) => r.bars[0]!.value < r.bars[1]!.value)!;
    expect(lower.bars[0]!.width).toBeLessThan(lower.bars[1]!.width);
    await page.close();
  });
});
