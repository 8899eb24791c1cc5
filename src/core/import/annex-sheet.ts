/**
 * Builds annex-layout sheets from row records (title, header, level cells merged over their
 * children, total row), as the sheet model or as .xlsx bytes. The seed statistics, the tests and
 * anyone preparing a sheet by program use it; the importer reads what it writes.
 *
 * @example const sheet = createAnnexSheet(rows, { title: '2024年度指标体系', withPoints: true })
 */
import type ExcelJS from 'exceljs';
import { reportText } from '../locale/zh-CN';
import { createSheet, type MergeRange, type Sheet } from './sheet';

/** One row of an annex table as written: level cells as text ("A1 决策机制（4分）"). */
export interface AnnexSheetRow {
  level1: string;
  level2: string;
  level3: string;
  description: string;
  criteria: string;
  /** 分值 (omitted for bonus/penalty rows, or when the layout has no 分值 column). */
  points?: number | null;
  score?: number | null;
}

/** Layout options. */
export interface AnnexSheetOptions {
  title?: string;
  /** Add a 分值 column (002's layout); without it points live in the names only (000's layout). */
  withPoints?: boolean;
  /** Add a 自评分/得分 column. */
  withScore?: boolean;
  /** Total row's points (a "合计" row), if any. */
  total?: number;
  /** Merge level-1/level-2 cells over their children (default true); false leaves them blank below. */
  merge?: boolean;
  /** Header words for the columns (default the annex's). */
  header?: string[];
}

/** The sheet model of an annex table. */
export function createAnnexSheet(rows: AnnexSheetRow[], options: AnnexSheetOptions = {}, name: string = reportText.sheetName): Sheet {
  const merge = options.merge ?? true;
  const [l1, l2, l3, description, criteria, points, score] = reportText.columns;
  const header = options.header ?? [
    l1!,
    l2!,
    l3!,
    description!,
    criteria!,
    ...(options.withPoints ? [points!] : []),
    ...(options.withScore ? [score!] : []),
  ];
  const out: string[][] = [];
  const merges: MergeRange[] = [];
  if (options.title) {
    out.push([options.title]);
    merges.push({ top: 0, left: 0, bottom: 0, right: header.length - 1 });
  }
  out.push(header);
  const first = out.length;
  rows.forEach((r) => {
    const cells = [r.level1, r.level2, r.level3, r.description, r.criteria];
    if (options.withPoints) cells.push(r.points === undefined || r.points === null ? '' : String(r.points));
    if (options.withScore) cells.push(r.score === undefined || r.score === null ? '' : String(r.score));
    out.push(cells);
  });
  // Level cells: merged (or blanked) over runs of equal text (a level-2 run never crosses a level-1 boundary).
  const key = (r: AnnexSheetRow, col: number) => (col === 0 ? r.level1 : `${r.level1}\u0000${r.level2}`);
  for (const col of [0, 1]) {
    let start = 0;
    for (let i = 1; i <= rows.length; i++) {
      const text = col === 0 ? rows[start]!.level1 : rows[start]!.level2;
      if (i < rows.length && text !== '' && key(rows[i]!, col) === key(rows[start]!, col)) continue;
      if (i - start > 1) {
        for (let k = start + 1; k < i; k++) out[first + k]![col] = '';
        if (merge) merges.push({ top: first + start, left: col, bottom: first + i - 1, right: col });
      }
      start = i;
    }
  }
  if (options.total !== undefined) {
    const total = [reportText.totalRow, '', '', '', '', ...(options.withPoints ? [String(options.total)] : []), ...(options.withScore ? [''] : [])];
    out.push(total);
    if (merge) merges.push({ top: out.length - 1, left: 0, bottom: out.length - 1, right: 4 });
  }
  return createSheet(name, out, merges);
}

/** Writes sheet models into an .xlsx workbook (merges included; numeric-looking cells as numbers when asked). */
export async function writeSheetsXlsx(sheets: Sheet[], options: { numbers?: boolean } = {}): Promise<Uint8Array> {
  const { default: Excel } = await import('exceljs');
  const wb: ExcelJS.Workbook = new Excel.Workbook();
  for (const sheet of sheets) {
    const ws = wb.addWorksheet(sheet.name, sheet.hidden ? { state: 'hidden' } : {});
    sheet.rows.forEach((row, r) =>
      row.forEach((text, c) => {
        if (text === '') return;
        ws.getCell(r + 1, c + 1).value = options.numbers && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
      }),
    );
    for (const m of sheet.merges) ws.mergeCells(m.top + 1, m.left + 1, m.bottom + 1, m.right + 1);
  }
  const buf = await wb.xlsx.writeBuffer();
  return new Uint8Array(buf as ArrayBuffer);
}
