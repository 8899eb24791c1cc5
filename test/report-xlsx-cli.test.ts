/**
 * The score table as .xlsx (same rows and merges as the report's annex, read back with exceljs), and
 * `npm run report` on a file, a folder and bad input.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportText } from '../src/core/locale/zh-CN';
import { buildAnnexTable, buildScoreTableXlsx, reportFileName, writeAnnexXlsx } from '../src/core/report/index';
import { EXAMPLE_002, readDocx, reportInput002 } from './helpers/report';

async function loadSheet(bytes: Uint8Array) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  return wb.worksheets[0]!;
}

describe('score table as .xlsx', () => {
  it('has the annex rows, values and merges of the report', async () => {
    const input = reportInput002();
    const table = buildAnnexTable(input.framework, { result: input.result });
    const ws = await loadSheet(await buildScoreTableXlsx(input));
    // Row 1 title, row 2 header, then the table's rows.
    expect(ws.getCell(1, 1).value).toBe(reportText.annexTitle('南京市数据局', 2024));
    expect([1, 2, 3, 4, 5, 6, 7].map((c) => ws.getCell(2, c).value)).toEqual([...reportText.columns]);
    const merges = new Set((ws.model as { merges?: string[] }).merges ?? []);
    const col = (c: number) => String.fromCharCode(64 + c);
    table.rows.forEach((r, i) => {
      const at = 3 + i;
      if (r.kind === 'total') {
        expect(ws.getCell(at, 1).value).toBe(reportText.totalRow);
        expect(merges.has(`A${at}:E${at}`)).toBe(true);
        expect(ws.getCell(at, 7).value).toBe(input.result.total);
        return;
      }
      expect(ws.getCell(at, 3).value ?? '').toBe(r.level3);
      for (const [c, cell] of [[1, r.level1], [2, r.level2]] as const) {
        if (!cell) continue;
        expect(ws.getCell(at, c).value).toBe(cell.text);
        if (cell.rowSpan > 1) expect(merges.has(`${col(c)}${at}:${col(c)}${at + cell.rowSpan - 1}`), `${cell.text}`).toBe(true);
      }
      if (r.kind === 'indicator') expect(ws.getCell(at, 7).value).toBe(r.score);
    });
    // Merges: one per level-1 cell spanning rows, one per level-2 cell spanning rows, one for the total row.
    const spanning = table.rows.flatMap((r) => [r.level1, r.level2]).filter((c) => c && c.rowSpan > 1).length;
    expect(merges.size).toBe(spanning + 2); // + total row + title
    // The sum of the leaf scores is the base score.
    const leaves = table.rows.filter((r) => r.kind === 'indicator').map((r) => r.score ?? 0);
    expect(Math.round(leaves.reduce((a, b) => a + b, 0) * 100) / 100).toBe(input.result.base);
  });

  it('leaves out the 自评分 column for a blank framework table', async () => {
    const { framework } = reportInput002();
    const ws = await loadSheet(await writeAnnexXlsx(buildAnnexTable(framework)));
    expect(ws.getRow(1).cellCount).toBe(6);
    expect([1, 2, 3, 4, 5, 6].map((c) => ws.getCell(1, c).value)).toEqual(reportText.columns.slice(0, 6));
    expect(ws.getCell(1, 7).value).toBeNull();
  });
});

describe('npm run report', () => {
  let dir: string;
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/entries/report.ts', ...args], { encoding: 'utf8', timeout: 60_000 });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'report-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the .docx and .xlsx of one answers file', async () => {
    const out = join(dir, 'one.docx');
    const r = run('--framework', 'nanjing-2021', '--answers', EXAMPLE_002, '--out', out, '--xlsx', join(dir, 'one.xlsx'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('98.5');
    const doc = await readDocx(new Uint8Array(readFileSync(out)));
    expect(doc.document).toContain('自评总分98.5分');
    const ws = await loadSheet(new Uint8Array(readFileSync(join(dir, 'one.xlsx'))));
    expect(ws.getCell(2, 1).value).toBe('一级指标');
  });

  it('dates the cover with --date (the 落款日期), and refuses a day that does not exist', async () => {
    const out = join(dir, 'dated.docx');
    const r = run('--answers', EXAMPLE_002, '--out', out, '--date', '2025-03-31');
    expect(r.status, r.stderr).toBe(0);
    const cover = (await readDocx(new Uint8Array(readFileSync(out)))).body.flatMap((b) => (b.type === 'p' && b.style === 'ReportCoverInfo' ? [b.text] : []));
    expect(cover).toEqual(['南京市数据局', '二〇二五年三月']);
    const bad = run('--answers', EXAMPLE_002, '--out', join(dir, 'bad-date.docx'), '--date', '2025-02-30');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('2025-02-30');
  });

  it('builds a folder of answers files with a progress line each, and names the bad one', () => {
    const inDir = join(dir, 'in');
    mkdirSync(inDir);
    copyFileSync(EXAMPLE_002, join(inDir, 'a.json'));
    const other = JSON.parse(readFileSync(EXAMPLE_002, 'utf8'));
    other.unit = '南京市测试局';
    writeFileSync(join(inDir, 'b.json'), JSON.stringify(other));
    writeFileSync(join(inDir, 'c.json'), JSON.stringify({ ...other, facts: { spending: -5, nonsense: 1 } }));
    const outDir = join(dir, 'out');
    const r = run('--answers', inDir, '--out', outDir);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/\[1\/3\]/);
    expect(r.stdout).toMatch(/\[2\/3\]/);
    expect(r.stderr).toMatch(/\[3\/3\] c\.json/);
    expect(r.stderr).toContain('nonsense');
    expect(readdirSync(outDir).sort()).toEqual([reportFileName('南京市数据局', 2024), reportFileName('南京市测试局', 2024)].sort());
  });

  it('rejects bad input with every problem and a non-zero exit', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ framework: 'nanjing-2021', facts: { spending: -1, foo: 2 }, judgements: { A11: 3 } }));
    const r = run('--answers', bad, '--out', join(dir, 'bad.docx'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('foo');
    expect(r.stderr).toContain('A11');
    expect(r.stderr).toContain('本年实际支出数');
    expect(r.stderr).toContain('unit');
    expect(r.stderr).toContain('year');
    const noArgs = run();
    expect(noArgs.status).toBe(1);
    expect(noArgs.stderr).toContain('npm run report');
    const unknown = run('--framework', 'no-such-framework', '--answers', EXAMPLE_002, '--out', join(dir, 'x.docx'));
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('no-such-framework');
  });
});

