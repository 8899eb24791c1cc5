/**
 * The bureau overview (汇总) as an .xlsx workbook (exceljs): one row per unit, in the overview's order,
 * with its completion, total and grade (or 未填完). Numbers are written as numbers, so the sheet can be
 * sorted and summed.
 */
import { overviewText as O } from '../locale/zh-CN';
import { completionRatio, type OverviewRow } from '../overview';

/** The MIME type of an .xlsx file. */
export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const WIDTHS = [6, 28, 8, 10, 10, 10, 10, 10];
const thin = { style: 'thin' as const };
const border = { top: thin, left: thin, bottom: thin, right: thin };

/** Writes the overview's rows (already sorted) into a new workbook and returns the .xlsx bytes. */
export async function buildOverviewXlsx(rows: readonly OverviewRow[], year?: number): Promise<Uint8Array> {
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  wb.creator = O.sheetName;
  const ws = wb.addWorksheet(O.sheetName, { pageSetup: { paperSize: 9, orientation: 'portrait', fitToPage: true, fitToWidth: 1, fitToHeight: 0 } });
  ws.columns = WIDTHS.map((width) => ({ width }));
  ws.getCell(1, 1).value = O.title(year);
  ws.mergeCells(1, 1, 1, WIDTHS.length);
  ws.getCell(1, 1).font = { name: '黑体', size: 14 };
  ws.getCell(1, 1).alignment = { horizontal: 'center', vertical: 'middle' };
  O.columns.forEach((c, i) => {
    const cell = ws.getCell(2, i + 1);
    cell.value = c;
    cell.font = { name: '黑体', size: 11 };
    cell.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
    cell.border = border;
  });
  ws.views = [{ state: 'frozen', ySplit: 2 }];
  rows.forEach((r, i) => {
    const ok = r.status === 'ok' && r.completion;
    const status = r.status === 'none' ? O.statusNone : r.status === 'error' ? O.statusError : r.final ? r.grade : O.statusNotFinal;
    const values: Array<string | number | null> = [
      i + 1,
      r.unit,
      r.year,
      ok ? r.completion!.scored : null,
      ok ? r.completion!.applicable : null,
      ok ? Math.round(completionRatio(r) * 10000) / 10000 : null,
      ok ? r.total : null,
      status,
    ];
    values.forEach((v, c) => {
      const cell = ws.getCell(3 + i, c + 1);
      if (v !== null) cell.value = v;
      cell.border = border;
      cell.alignment = { horizontal: c === 1 ? 'left' : 'center', vertical: 'middle' };
      if (c === 5) cell.numFmt = '0.0%';
    });
  });
  const buf = await wb.xlsx.writeBuffer();
  return new Uint8Array(buf as ArrayBuffer);
}
