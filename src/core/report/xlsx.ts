/**
 * The annex score table as an .xlsx workbook (exceljs), in the same merged layout as the report's
 * annex: level-1 and level-2 cells merged down over their children, the bonus/penalty block and
 * the total row. Without the 自评分 column it is the framework's blank table, for export.
 */
import { reportText as T } from '../locale/zh-CN';
import type { AnnexTable } from './annex';

/** Options for the sheet. */
export interface XlsxOptions {
  /** Title above the table (merged across it). */
  title?: string;
  /** Include the 自评分 column (default: when the table is scored). */
  withScore?: boolean;
  sheetName?: string;
}

/** Column widths in characters. */
const WIDTHS = [14, 16, 26, 36, 44, 8, 10];

const thin = { style: 'thin' as const };
const border = { top: thin, left: thin, bottom: thin, right: thin };

/** Writes the annex table into a new workbook and returns the .xlsx bytes. */
export async function buildScoreTableXlsx(table: AnnexTable, options: XlsxOptions = {}): Promise<Uint8Array> {
  const withScore = options.withScore ?? table.scored;
  const columns = withScore ? table.columns : table.columns.slice(0, 6);
  // Loaded on first use: exceljs is large and only this export needs it.
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  wb.creator = T.creator;
  const ws = wb.addWorksheet(options.sheetName ?? T.sheetName, {
    pageSetup: { paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 },
  });
  ws.columns = columns.map((_, i) => ({ width: WIDTHS[i]! }));
  const font = { name: '仿宋_GB2312', size: 11 };
  let r = 1;
  if (options.title) {
    ws.getCell(r, 1).value = options.title;
    ws.mergeCells(r, 1, r, columns.length);
    ws.getCell(r, 1).font = { name: '方正小标宋简体', size: 16 };
    ws.getCell(r, 1).alignment = { horizontal: 'center', vertical: 'middle' };
    ws.getRow(r).height = 30;
    r++;
  }
  const headerRow = r;
  columns.forEach((c, i) => {
    const cell = ws.getCell(r, i + 1);
    cell.value = c;
    cell.font = { name: '黑体', size: 11 };
    cell.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
    cell.border = border;
  });
  ws.views = [{ state: 'frozen', ySplit: headerRow }];
  // Repeat the header when printed.
  ws.pageSetup.printTitlesRow = `${headerRow}:${headerRow}`;
  r++;
  const first = r;
  table.rows.forEach((row, i) => {
    const at = first + i;
    const values: Array<string | number | null> = [
      row.level1?.text ?? null,
      row.level2?.text ?? null,
      row.level3,
      row.description,
      row.criteria,
      row.points,
    ];
    if (withScore) values.push(row.score !== null && row.kind !== 'penalty' ? row.score : row.scoreText || null);
    if (row.kind === 'penalty' && withScore && row.score !== null) values[6] = row.score === 0 ? 0 : -row.score;
    values.forEach((v, c) => {
      const cell = ws.getCell(at, c + 1);
      if (v !== null && v !== '') cell.value = v;
      cell.font = font;
      cell.border = border;
      const centred = c < 2 || c >= 5;
      cell.alignment = { horizontal: centred ? 'center' : 'left', vertical: 'middle', wrapText: true };
    });
  });
  // Merges after the values, so each merged cell keeps its top-left value.
  table.rows.forEach((row, i) => {
    const at = first + i;
    if (row.kind === 'total') {
      ws.mergeCells(at, 1, at, 5);
      return;
    }
    if (row.kind === 'note') {
      ws.getCell(at, 1).value = row.criteria;
      ws.getCell(at, 1).alignment = { horizontal: 'left', vertical: 'middle', wrapText: true };
      ws.mergeCells(at, 1, at, columns.length);
      return;
    }
    if (row.level1 && row.level1.rowSpan > 1) ws.mergeCells(at, 1, at + row.level1.rowSpan - 1, 1);
    if (row.level2 && row.level2.rowSpan > 1) ws.mergeCells(at, 2, at + row.level2.rowSpan - 1, 2);
  });
  const buf = await wb.xlsx.writeBuffer();
  return new Uint8Array(buf as ArrayBuffer);
}
