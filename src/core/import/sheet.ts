/**
 * A sheet model the importer reads: rows of cell strings, with merge information, built from an
 * .xlsx workbook (read within limits by ./workbook, from a buffer: no file system) or from CSV text
 * (RFC 4180).
 *
 * Row and column numbers are 0-based in the model; `rowNumber` gives the 1-based number a person
 * sees in Excel, which is what error messages quote.
 *
 * @example const [sheet] = await readWorkbookSheets(buffer); cellText(sheet, 3, 0)
 */
import { importText as T } from '../locale/zh-CN';
import { DEFAULT_WORKBOOK_LIMITS, readXlsxSheets, WorkbookLimitError, type WorkbookLimits } from './workbook';

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

/** Merges by the rows they cover, built once per sheet (a sheet is not changed after it is built). */
const mergeIndex = new WeakMap<Sheet, { merges: MergeRange[]; byRow: Map<number, MergeRange[]> }>();

function mergesOnRow(sheet: Sheet, r: number): MergeRange[] | undefined {
  let index = mergeIndex.get(sheet);
  if (!index || index.merges !== sheet.merges) {
    // One pass over the merges, so looking a cell up costs the merges on its row, not all of them.
    const byRow = new Map<number, MergeRange[]>();
    for (const m of sheet.merges) {
      for (let row = m.top; row <= m.bottom; row++) {
        const list = byRow.get(row);
        if (list) list.push(m);
        else byRow.set(row, [m]);
      }
    }
    index = { merges: sheet.merges, byRow };
    mergeIndex.set(sheet, index);
  }
  return index.byRow.get(r);
}

/** The merge a cell belongs to, if any. */
export function mergeAt(sheet: Sheet, r: number, c: number): MergeRange | undefined {
  if (!sheet.merges.length) return undefined;
  return mergesOnRow(sheet, r)?.find((m) => c >= m.left && c <= m.right);
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

/**
 * Reads every worksheet of an .xlsx workbook from its bytes, within `limits` (see `readXlsxSheets`:
 * refused with WorkbookLimitError past a limit, WorkbookFormatError when it is not a workbook).
 * Merged cells keep their text in the master cell; the model repeats it through `cellText`.
 */
export async function readWorkbookSheets(data: ArrayBuffer | Uint8Array, limits: WorkbookLimits = DEFAULT_WORKBOOK_LIMITS): Promise<Sheet[]> {
  return readXlsxSheets(data instanceof Uint8Array ? data : new Uint8Array(data), limits);
}

/**
 * Parses CSV text (RFC 4180: quoted fields with "" for a quote, line breaks inside quotes, CRLF or LF).
 * A leading BOM is dropped. Returns rows of fields. With `limits`, a row past `maxRows` or a field past
 * `maxColumns` stops the parse (WorkbookLimitError), so a huge text is never split into rows.
 */
export function parseCsv(text: string, limits?: Pick<WorkbookLimits, 'maxRows' | 'maxColumns'>): string[][] {
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
      if (limits && row.length >= limits.maxColumns) throw csvLimitError(limits);
      field = '';
      i++;
    } else if (ch === '\r' || ch === '\n') {
      row.push(field);
      rows.push(row);
      if (limits && rows.length > limits.maxRows) throw csvLimitError(limits);
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
    if (limits && rows.length > limits.maxRows) throw csvLimitError(limits);
  }
  return rows;
}

function csvLimitError(limits: Pick<WorkbookLimits, 'maxRows' | 'maxColumns'>): WorkbookLimitError {
  return new WorkbookLimitError('dimension', T.limits.csvDimension(limits.maxRows, limits.maxColumns));
}

/**
 * A sheet from CSV text. CSV has no merges: blank level cells continue the row above (see the
 * importer). With `limits`, rows, columns and rows × columns are bounded as for a workbook.
 */
export function sheetFromCsv(text: string, name = 'CSV', limits?: WorkbookLimits): Sheet {
  const rows = parseCsv(text, limits);
  const width = rows.reduce((w, r) => Math.max(w, r.length), 0);
  if (limits && rows.length * width > limits.maxCells) throw new WorkbookLimitError('cells', T.limits.cells(limits.maxCells));
  return { name, rows: rows.map((r) => [...r, ...Array<string>(width - r.length).fill('')]), merges: [] };
}

/** A sheet from rows of strings (tests, the export's round trip). */
export function createSheet(name: string, rows: string[][], merges: MergeRange[] = []): Sheet {
  const width = rows.reduce((w, r) => Math.max(w, r.length), 0);
  return { name, rows: rows.map((r) => [...r, ...Array<string>(width - r.length).fill('')]), merges };
}
