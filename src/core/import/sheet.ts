/**
 * A sheet model the importer reads: rows of cell strings, with merge information, built from an
 * .xlsx workbook (exceljs, from a buffer: no file system) or from CSV text (RFC 4180).
 *
 * Row and column numbers are 0-based in the model; `rowNumber` gives the 1-based number a person
 * sees in Excel, which is what error messages quote.
 *
 * @example const [sheet] = await readWorkbookSheets(buffer); cellText(sheet, 3, 0)
 */
import type ExcelJS from 'exceljs';

/** A merged range, 0-based and inclusive. */
export interface MergeRange {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

/** One sheet: cell texts (merged cells repeat their master's text), and the merges. */
export interface Sheet {
  name: string;
  /** rows[r][c]: the cell's text ('' when empty). Every row has the same length. */
  rows: string[][];
  merges: MergeRange[];
  /** The worksheet is hidden (the export's data sheet is). */
  hidden?: boolean;
}

/** The 1-based row number a person sees. */
export function rowNumber(r: number): number {
  return r + 1;
}

/** The merge a cell belongs to, if any. */
export function mergeAt(sheet: Sheet, r: number, c: number): MergeRange | undefined {
  return sheet.merges.find((m) => r >= m.top && r <= m.bottom && c >= m.left && c <= m.right);
}

/** A cell's text; a cell inside a merge reads its master's text. */
export function cellText(sheet: Sheet, r: number, c: number): string {
  const m = mergeAt(sheet, r, c);
  if (m) return sheet.rows[m.top]?.[m.left] ?? '';
  return sheet.rows[r]?.[c] ?? '';
}

/** Whether the cell continues a merge started in a row above (so it repeats that cell, not a new value). */
export function continuesMergeAbove(sheet: Sheet, r: number, c: number): boolean {
  const m = mergeAt(sheet, r, c);
  return m !== undefined && m.top < r;
}

function parseRange(ref: string): MergeRange | undefined {
  const m = /^([A-Z]+)(\d+):([A-Z]+)(\d+)$/.exec(ref.replace(/\$/g, ''));
  if (!m) return undefined;
  const col = (s: string) => [...s].reduce((n, ch) => n * 26 + (ch.charCodeAt(0) - 64), 0) - 1;
  return { top: Number(m[2]) - 1, left: col(m[1]!), bottom: Number(m[4]) - 1, right: col(m[3]!) };
}

function cellString(cell: ExcelJS.Cell): string {
  const v = cell.value;
  if (v === null || v === undefined) return '';
  // Excel's binary floats (a =SUM giving 0.30000000000000004) read as the decimals a person typed.
  if (typeof v === 'number') return String(Number(v.toPrecision(12)));
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && 'richText' in v) return v.richText.map((t) => t.text).join('');
  if (typeof v === 'object' && 'result' in v) {
    const r = v.result;
    if (r === undefined || r === null) return '';
    return typeof r === 'number' ? String(Number(r.toPrecision(12))) : String(r);
  }
  if (typeof v === 'object' && 'text' in v) return String((v as { text: unknown }).text);
  return cell.text ?? '';
}

/**
 * Reads every worksheet of an .xlsx workbook from its bytes. Merged cells are recorded once (the
 * master keeps the text, the model repeats it through `cellText`).
 */
export async function readWorkbookSheets(data: ArrayBuffer | Uint8Array): Promise<Sheet[]> {
  // Loaded on first use: exceljs is large, and confirming a draft does not need it.
  const { default: Excel } = await import('exceljs');
  const wb = new Excel.Workbook();
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  await wb.xlsx.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  const sheets: Sheet[] = [];
  wb.eachSheet((ws) => {
    const width = ws.columnCount;
    const rows: string[][] = [];
    for (let r = 1; r <= ws.rowCount; r++) {
      const row = ws.getRow(r);
      const out: string[] = [];
      for (let c = 1; c <= width; c++) {
        const cell = row.getCell(c);
        out.push(cell.isMerged && cell.master.address !== cell.address ? '' : cellString(cell));
      }
      rows.push(out);
    }
    const merges = ((ws.model as { merges?: string[] }).merges ?? [])
      .map(parseRange)
      .filter((m): m is MergeRange => m !== undefined);
    sheets.push({ name: ws.name, rows, merges, ...(ws.state !== 'visible' ? { hidden: true } : {}) });
  });
  return sheets;
}

/**
 * Parses CSV text (RFC 4180: quoted fields with "" for a quote, line breaks inside quotes, CRLF or LF).
 * A leading BOM is dropped. Returns rows of fields.
 */
export function parseCsv(text: string): string[][] {
  const s = text.replace(/^\uFEFF/, '');
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') {
      quoted = true;
      i++;
    } else if (ch === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (ch === '\r' || ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += ch === '\r' && s[i + 1] === '\n' ? 2 : 1;
    } else {
      field += ch;
      i++;
    }
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** A sheet from CSV text. CSV has no merges: blank level cells continue the row above (see the importer). */
export function sheetFromCsv(text: string, name = 'CSV'): Sheet {
  const rows = parseCsv(text);
  const width = Math.max(0, ...rows.map((r) => r.length));
  return { name, rows: rows.map((r) => [...r, ...Array<string>(width - r.length).fill('')]), merges: [] };
}

/** A sheet from rows of strings (tests, the export's round trip). */
export function createSheet(name: string, rows: string[][], merges: MergeRange[] = []): Sheet {
  const width = Math.max(0, ...rows.map((r) => r.length));
  return { name, rows: rows.map((r) => [...r, ...Array<string>(width - r.length).fill('')]), merges };
}
