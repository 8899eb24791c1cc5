/**
 * Renders 002's report with LibreOffice (`soffice --headless --convert-to pdf`) and reads the PDF back
 * with poppler (pdftotext, pdfinfo): the title, the totals and every indicator name are there, page
 * numbers sit on the body pages, and the page count is sane. Converts once for the whole file.
 *
 * Needs LibreOffice and poppler-utils (CI installs them). Without them the test is skipped locally
 * and fails in CI (CI set).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportText } from '../src/core/locale/zh-CN';
import { ANNEX_COLUMNS_MM } from '../src/core/report/docx';
import { buildReport } from '../src/core/report/index';
import { PAGE } from '../src/core/report/styles';
import type { ScoreResult } from '../src/core/scoring/types';
import { mayRun } from './helpers/ci';
import { reportInput002 } from './helpers/report';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const tools = has('soffice') && has('pdftotext') && has('pdfinfo');
if (!mayRun(tools)) console.warn('report-render: soffice/pdftotext not found, render test skipped');

/** Whitespace-free text, since PDF extraction breaks lines and spaces digits from Chinese. */
const flat = (s: string) => s.replace(/\s+/g, '');

/**
 * The annex table's text column by column: words of the landscape pages (from `pdftotext -bbox`)
 * put into the table's columns by position, each column read top to bottom, page after page. Plain
 * extraction runs neighbouring cells' lines together; this keeps every cell's text in one piece.
 */
function tableColumns(bboxHtml: string): string[] {
  const edges: number[] = [];
  let x = PAGE.margin.left / 20; // twips → points
  for (const mm of ANNEX_COLUMNS_MM) edges.push((x += (mm * 72) / 25.4));
  const columns = ANNEX_COLUMNS_MM.map(() => '');
  for (const page of bboxHtml.split('<page ').slice(1)) {
    const [w, h] = [/width="([\d.]+)"/.exec(page)![1], /height="([\d.]+)"/.exec(page)![1]].map(Number);
    if (w! <= h!) continue;
    const words = [...page.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)<\/word>/g)].map((m) => ({
      x: Number(m[1]),
      y: Number(m[2]),
      text: m[3]!.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"'),
    }));
    edges.forEach((edge, c) => {
      const start = c ? edges[c - 1]! : 0;
      columns[c] += words
        .filter((wd) => wd.x >= start - 1 && wd.x < edge - 1)
        .sort((a, b) => a.y - b.y || a.x - b.x)
        .map((wd) => wd.text)
        .join('');
    });
  }
  return columns;
}

describe.skipIf(!mayRun(tools))('report rendered by LibreOffice', () => {
  let dir: string;
  let text: string;
  let columns: string[];
  let pages: number;
  let result: ScoreResult;
  const pageText = (n: number) => execFileSync('pdftotext', ['-f', String(n), '-l', String(n), join(dir, 'report.pdf'), '-'], { encoding: 'utf8' });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'report-render-'));
    const input = reportInput002();
    result = input.result;
    const { bytes } = await buildReport(input);
    writeFileSync(join(dir, 'report.docx'), bytes);
    // A private profile, so a running LibreOffice or a first-start dialog cannot get in the way.
    execFileSync(
      'soffice',
      [`-env:UserInstallation=file://${join(dir, 'profile')}`, '--headless', '--convert-to', 'pdf', '--outdir', dir, join(dir, 'report.docx')],
      { stdio: 'pipe', timeout: 110_000 },
    );
    text = flat(execFileSync('pdftotext', [join(dir, 'report.pdf'), '-'], { encoding: 'utf8' }));
    columns = tableColumns(execFileSync('pdftotext', ['-bbox', join(dir, 'report.pdf'), '-'], { encoding: 'utf8' })).map(flat);
    const info = execFileSync('pdfinfo', [join(dir, 'report.pdf')], { encoding: 'utf8' });
    pages = Number(/Pages:\s+(\d+)/.exec(info)![1]);
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds the title and the totals', () => {
    expect(text).toContain(flat(reportText.title('南京市数据局', 2024)));
    expect(text).toContain(`自评基础分${result.base}分`);
    expect(text).toContain(`自评总分${result.total}分`);
    expect(text).toContain(`评价等级为“${result.grade}”`);
    expect(text).toContain(flat(reportText.annexTitle('南京市数据局', 2024)));
  });

  it('opens with the cover, then the table of contents listing the headings in order', () => {
    const cover = flat(pageText(1));
    expect(cover).toContain('南京市数据局');
    expect(cover).toContain('二〇二五年六月');
    const contents = flat(pageText(2));
    expect(contents).toContain(flat(reportText.tocTitle));
    const T = reportText;
    const headings = [
      T.heading1(1, T.sections.overview),
      T.heading2(1, T.sections.basicInfo),
      T.heading1(2, T.sections.conclusion),
      ...result.roots.map((code, i) => T.heading2(i + 1, result.indicators.find((e) => e.code === code)!.name)),
      T.heading1(6, T.sections.process),
    ].map(flat);
    let at = 0;
    for (const h of headings) {
      const found = contents.indexOf(h, at);
      expect(found, h).toBeGreaterThanOrEqual(at);
      at = found + h.length;
    }
    // The body starts on the next page.
    expect(flat(pageText(3))).toContain(flat(T.heading1(1, T.sections.overview)));
  });

  it('holds every indicator name and every level-1 subtotal', () => {
    // In the annex table, each name in its own column (一级, 二级, 三级指标 by level).
    const absent = result.indicators.filter((e) => !columns[e.level - 1]!.includes(flat(e.name))).map((e) => `${e.code} ${e.name}`);
    expect(absent).toEqual([]);
    // Level-2 names also head their paragraphs in the text.
    for (const e of result.indicators.filter((i) => i.level === 2)) expect(text).toContain(`${flat(e.name)}（${e.points}分）：`);
    for (const code of result.roots) {
      const e = result.indicators.find((i) => i.code === code)!;
      expect(text).toContain(`${e.name}（总分${e.points}分，自评价得分${e.score}分）`);
    }
  });

  it('has a sane page count, no number on the cover or the contents and "— 1 —" on the first body page', () => {
    expect(pages).toBeGreaterThanOrEqual(6);
    expect(pages).toBeLessThanOrEqual(30);
    expect(flat(pageText(1))).not.toMatch(/—\d+—/);
    expect(flat(pageText(2))).not.toMatch(/—\d+—/);
    expect(flat(pageText(3))).toContain('—1—');
    expect(flat(pageText(4))).toContain('—2—');
    // The annex table's header row repeats: it appears on the last page too.
    const last = flat(pageText(pages));
    for (const column of reportText.columns) expect(last).toContain(column);
  });
});
