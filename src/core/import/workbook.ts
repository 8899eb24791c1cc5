/**
 * Reading an uploaded .xlsx within bounds, in one streaming pass: nothing is built from the file
 * until its own metadata and contents have been checked against `WorkbookLimits`.
 *
 * - Every zip entry read is inflated in small chunks and the bytes that actually come out are
 *   counted; past `maxUnpackedBytes` the read stops. The central directory's size fields are not
 *   trusted (a zip may declare 1 KB and inflate to gigabytes).
 * - Each worksheet's `<dimension ref>` and every `<row r>`, `<c r>` and `<mergeCell ref>` are checked
 *   against the row, column and cell limits as they stream past, before any cell is stored; the
 *   cells kept are the ones the sheet actually has (sparse), and the dense rows the importer reads are
 *   built only once the whole workbook is known to fit.
 *
 * Only the parts an import needs are read (workbook, its relationships, the worksheets, shared
 * strings): styles, drawings, comments, validations and the rest are never inflated. Web standards
 * and JSZip only (the library exceljs itself reads zips with), so it runs on Node and Workers alike.
 *
 * @example const sheets = await readXlsxSheets(bytes, DEFAULT_WORKBOOK_LIMITS) // or WorkbookLimitError
 */
import JSZip from 'jszip';
import { importText as T } from '../locale/zh-CN';
import { DEFAULT_WORKBOOK_LIMITS, type WorkbookLimits } from './limits';
import type { MergeRange, Sheet } from './sheet';

export { DEFAULT_WORKBOOK_LIMITS, type WorkbookLimits } from './limits';

/** Which limit a workbook broke. */
export type WorkbookLimitKind = 'unpacked' | 'dimension' | 'cells';

/** A workbook past one of its limits; the message names the limit in Chinese. */
export class WorkbookLimitError extends Error {
  constructor(
    readonly limit: WorkbookLimitKind,
    message: string,
  ) {
    super(message);
    this.name = 'WorkbookLimitError';
  }
}

/** The file is not a workbook this reader understands (not a zip, no workbook part, broken XML). */
export class WorkbookFormatError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'WorkbookFormatError';
  }
}

// ---------------------------------------------------------------------------------------------
// Cell references.

/** "A" → 1, "XFD" → 16384. */
function columnNumber(letters: string): number {
  let n = 0;
  for (let i = 0; i < letters.length; i++) n = n * 26 + (letters.charCodeAt(i) & 0x1f);
  return n;
}

/** 1 → "A", 100 → "CV". */
export function columnLetters(n: number): string {
  let s = '';
  for (let k = n; k > 0; k = Math.floor((k - 1) / 26)) s = String.fromCharCode(65 + ((k - 1) % 26)) + s;
  return s;
}

const CELL_REF = /^\$?([A-Za-z]{1,4})\$?(\d{1,9})$/;

/** "B12" → { row: 12, col: 2 } (1-based); undefined when it is not a cell reference. */
function parseCellRef(ref: string): { row: number; col: number } | undefined {
  const m = CELL_REF.exec(ref.trim());
  return m ? { row: Number(m[2]), col: columnNumber(m[1]!.toUpperCase()) } : undefined;
}

/** "A1:C3" or "B2" → 1-based corners; undefined when unreadable. */
function parseRangeRef(ref: string): { top: number; left: number; bottom: number; right: number } | undefined {
  const [a, b = a] = ref.trim().split(':');
  const p = parseCellRef(a ?? '');
  const q = parseCellRef(b ?? '');
  if (!p || !q) return undefined;
  return { top: Math.min(p.row, q.row), left: Math.min(p.col, q.col), bottom: Math.max(p.row, q.row), right: Math.max(p.col, q.col) };
}

// ---------------------------------------------------------------------------------------------
// A streaming XML tokenizer: enough of XML for SpreadsheetML parts (no DTDs, no custom entities).

interface XmlHandler {
  open(name: string, attrs: string): void;
  close(name: string): void;
  /** Raw character data (entities not yet decoded; may arrive in several pieces). */
  text(raw: string): void;
}

/** The longest single tag, comment or CDATA section the tokenizer holds while waiting for its end. */
const MAX_TAG_CHARS = 1024 * 1024;

/** The index just past the tag starting at `lt` ('>' outside quoted values), or -1 when it is not complete yet. */
function tagEnd(s: string, lt: number): number {
  let p = lt + 1;
  for (;;) {
    const gt = s.indexOf('>', p);
    if (gt < 0) return -1;
    let q = -1;
    for (let k = p; k < gt; k++) {
      const ch = s.charCodeAt(k);
      if (ch === 34 || ch === 39) {
        q = k;
        break;
      }
    }
    if (q < 0) return gt + 1;
    const close = s.indexOf(s[q]!, q + 1);
    if (close < 0) return -1;
    p = close + 1;
  }
}

function localName(qname: string): string {
  const colon = qname.lastIndexOf(':');
  return colon < 0 ? qname : qname.slice(colon + 1);
}

class XmlScanner {
  private carry = '';

  constructor(private readonly handler: XmlHandler) {}

  write(chunk: string, final = false): void {
    const s = this.carry ? this.carry + chunk : chunk;
    this.carry = '';
    const n = s.length;
    let i = 0;
    while (i < n) {
      const lt = s.indexOf('<', i);
      if (lt < 0) {
        this.handler.text(s.slice(i));
        return;
      }
      if (lt > i) this.handler.text(s.slice(i, lt));
      const end = this.construct(s, lt, final);
      if (end < 0) {
        if (final) throw new WorkbookFormatError('unterminated markup');
        if (n - lt > MAX_TAG_CHARS) throw new WorkbookFormatError('markup too long');
        this.carry = s.slice(lt);
        return;
      }
      i = end;
    }
  }

  /** Handles the markup at `lt`; returns the index after it, or -1 when more text is needed. */
  private construct(s: string, lt: number, final: boolean): number {
    const next = s.charCodeAt(lt + 1);
    if (next === 33 /* ! */) {
      if (!final && s.length - lt < 9) return -1;
      if (s.startsWith('<!--', lt)) {
        const e = s.indexOf('-->', lt + 4);
        return e < 0 ? -1 : e + 3;
      }
      if (s.startsWith('<![CDATA[', lt)) {
        const e = s.indexOf(']]>', lt + 9);
        if (e < 0) return -1;
        // Handed on escaped, so the handler decodes every piece of text the same way.
        this.handler.text(s.slice(lt + 9, e).replace(/&/g, '&amp;').replace(/</g, '&lt;'));
        return e + 3;
      }
      // A DOCTYPE has no place in OOXML (and could declare entities): refuse the part.
      throw new WorkbookFormatError('DTD in a workbook part');
    }
    if (next === 63 /* ? */) {
      const e = s.indexOf('?>', lt + 2);
      return e < 0 ? -1 : e + 2;
    }
    const end = tagEnd(s, lt);
    if (end < 0) return -1;
    if (next === 47 /* / */) {
      this.handler.close(localName(s.slice(lt + 2, end - 1).trim()));
      return end;
    }
    const selfClosing = s.charCodeAt(end - 2) === 47;
    const body = s.slice(lt + 1, selfClosing ? end - 2 : end - 1);
    const ws = body.search(/[\s/]/);
    const name = localName(ws < 0 ? body : body.slice(0, ws));
    this.handler.open(name, ws < 0 ? '' : body.slice(ws));
    if (selfClosing) this.handler.close(name);
    return end;
  }
}

const ENTITY = /&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);/g;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** XML character data with its entities decoded. */
function decodeXml(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(ENTITY, (whole, e: string) => {
    if (e[0] !== '#') return NAMED[e]!;
    const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** A `<t>` text: entities, then OOXML's own "_x000D_" escapes (as exceljs reads them). */
function decodeText(raw: string): string {
  const s = decodeXml(raw);
  return s.includes('_x') ? s.replace(/_x([0-9A-F]{4})_/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) : s;
}

const attrPatterns = new Map<string, RegExp>();

/** An unprefixed attribute's decoded value. */
function attr(attrs: string, name: string): string | undefined {
  let re = attrPatterns.get(name);
  if (!re) {
    re = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`);
    attrPatterns.set(name, re);
  }
  const m = re.exec(attrs);
  return m ? decodeXml(m[1] ?? m[2] ?? '') : undefined;
}

/** A relationship id attribute ("r:id", whatever the prefix). */
function relationshipId(attrs: string): string | undefined {
  const m = /(?:^|\s)[\w.-]+:id\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(attrs);
  return m ? decodeXml(m[1] ?? m[2] ?? '') : undefined;
}

// ---------------------------------------------------------------------------------------------
// Reading zip entries with a byte budget.

/** JSZip's documented stream over one entry (`ZipObject#internalStream`), which its typings omit. */
interface EntryStream {
  on(event: 'data', cb: (chunk: Uint8Array) => void): EntryStream;
  on(event: 'end', cb: () => void): EntryStream;
  on(event: 'error', cb: (err: unknown) => void): EntryStream;
  resume(): EntryStream;
  pause(): EntryStream;
}

interface Budget {
  used: number;
  readonly max: number;
}

/**
 * Inflates one entry chunk by chunk (16 KB of compressed input at a time), counting the bytes that
 * come out; stops past the budget. Each chunk is handed on as UTF-8 text.
 */
function streamEntry(file: JSZip.JSZipObject, budget: Budget, onText: (text: string, final: boolean) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const decoder = new TextDecoder('utf-8');
    const stream = (file as unknown as { internalStream(type: 'uint8array'): EntryStream }).internalStream('uint8array');
    let done = false;
    const stop = (err?: unknown) => {
      if (done) return;
      done = true;
      stream.pause();
      if (err === undefined) resolve();
      else reject(err);
    };
    stream.on('data', (chunk) => {
      if (done) return;
      budget.used += chunk.byteLength;
      if (budget.used > budget.max) {
        stop(new WorkbookLimitError('unpacked', T.limits.unpacked(Math.round(budget.max / 1024 / 1024))));
        return;
      }
      try {
        onText(decoder.decode(chunk, { stream: true }), false);
      } catch (e) {
        stop(e);
      }
    });
    stream.on('error', (e) => stop(e instanceof Error ? new WorkbookFormatError(e.message) : e));
    stream.on('end', () => {
      if (done) return;
      try {
        onText(decoder.decode(), true);
        stop();
      } catch (e) {
        stop(e);
      }
    });
    stream.resume();
  });
}

/** Streams an XML entry through a handler. */
async function scanEntry(file: JSZip.JSZipObject, budget: Budget, handler: XmlHandler): Promise<void> {
  const scanner = new XmlScanner(handler);
  await streamEntry(file, budget, (text, final) => scanner.write(text, final));
}

/** "worksheets/sheet1.xml" relative to "xl/workbook.xml" → "xl/worksheets/sheet1.xml". */
function resolvePart(base: string, target: string): string {
  const parts = target.startsWith('/') ? [] : base.split('/').slice(0, -1);
  for (const seg of target.replace(/^\//, '').split('/')) {
    if (seg === '..') parts.pop();
    else if (seg && seg !== '.') parts.push(seg);
  }
  return parts.join('/');
}

// ---------------------------------------------------------------------------------------------
// The workbook.

interface SheetEntry {
  name: string;
  hidden: boolean;
  path: string;
}

/** A cell as the worksheet stores it, before shared strings are looked up. */
interface RawCell {
  row: number;
  col: number;
  type: string;
  value: string;
  inline?: string;
}

interface ScannedSheet {
  entry: SheetEntry;
  rows: number;
  columns: number;
  cells: RawCell[];
  merges: Array<{ top: number; left: number; bottom: number; right: number }>;
}

/** The running totals every worksheet adds to. */
interface Tally {
  cellElements: number;
  mergedCells: number;
  usedCells: number;
}

async function readWorkbookEntries(zip: JSZip, budget: Budget): Promise<{ sheets: SheetEntry[]; sharedStrings?: string }> {
  const WORKBOOK = 'xl/workbook.xml';
  const RELS = 'xl/_rels/workbook.xml.rels';
  const wbFile = zip.file(WORKBOOK);
  if (!wbFile) throw new WorkbookFormatError('no xl/workbook.xml');
  const rels = new Map<string, { type: string; target: string }>();
  const relsFile = zip.file(RELS);
  if (relsFile) {
    await scanEntry(relsFile, budget, {
      open: (name, attrs) => {
        if (name !== 'Relationship') return;
        const id = attr(attrs, 'Id');
        const target = attr(attrs, 'Target');
        if (id && target && attr(attrs, 'TargetMode') !== 'External') rels.set(id, { type: attr(attrs, 'Type') ?? '', target });
      },
      close: () => {},
      text: () => {},
    });
  }
  const sheets: SheetEntry[] = [];
  await scanEntry(wbFile, budget, {
    open: (name, attrs) => {
      if (name !== 'sheet') return;
      const rel = rels.get(relationshipId(attrs) ?? '');
      if (!rel || !/\/worksheet$/.test(rel.type)) return;
      const state = attr(attrs, 'state') ?? 'visible';
      sheets.push({ name: attr(attrs, 'name') ?? '', hidden: state !== 'visible', path: resolvePart(WORKBOOK, rel.target) });
    },
    close: () => {},
    text: () => {},
  });
  const shared = [...rels.values()].find((r) => /\/sharedStrings$/.test(r.type));
  return { sheets, ...(shared ? { sharedStrings: resolvePart(WORKBOOK, shared.target) } : zip.file('xl/sharedStrings.xml') ? { sharedStrings: 'xl/sharedStrings.xml' } : {}) };
}

/** Streams one worksheet, checking every reference against the limits before keeping a cell. */
async function scanWorksheet(file: JSZip.JSZipObject, entry: SheetEntry, budget: Budget, limits: WorkbookLimits, tally: Tally): Promise<ScannedSheet> {
  const out: ScannedSheet = { entry, rows: 0, columns: 0, cells: [], merges: [] };
  const dimensionError = (ref: string) =>
    new WorkbookLimitError('dimension', T.limits.dimension(entry.name, ref, limits.maxRows, limits.maxColumns, columnLetters(limits.maxColumns)));
  const cellsError = () => new WorkbookLimitError('cells', T.limits.cells(limits.maxCells));
  /** The used range grows to (row, col): refuse it past a limit. */
  const extend = (row: number, col: number, ref: string) => {
    if (row > limits.maxRows || col > limits.maxColumns) throw dimensionError(ref);
    if (row <= out.rows && col <= out.columns) return;
    out.rows = Math.max(out.rows, row);
    out.columns = Math.max(out.columns, col);
    if (tally.usedCells + out.rows * out.columns > limits.maxCells) throw cellsError();
  };
  let row = 0;
  let col = 0;
  let cell: (RawCell & { parts: string[]; inlineParts: string[] }) | undefined;
  let capture: string[] | undefined;
  let inInline = false;
  let phonetic = 0;
  await scanEntry(file, budget, {
    open: (name, attrs) => {
      switch (name) {
        case 'dimension': {
          const ref = attr(attrs, 'ref') ?? '';
          const range = parseRangeRef(ref);
          if (!range) return;
          if (range.bottom > limits.maxRows || range.right > limits.maxColumns) throw dimensionError(ref);
          if (range.bottom * range.right > limits.maxCells) throw cellsError();
          return;
        }
        case 'row': {
          const r = Number(attr(attrs, 'r'));
          row = Number.isInteger(r) && r > 0 ? r : row + 1;
          col = 0;
          extend(row, 0, T.limits.rowRef(row));
          return;
        }
        case 'c': {
          const ref = attr(attrs, 'r');
          const at = ref !== undefined ? parseCellRef(ref) : undefined;
          const r = at?.row ?? Math.max(row, 1);
          col = at?.col ?? col + 1;
          if (++tally.cellElements > limits.maxCells) throw cellsError();
          extend(r, col, at ? ref! : `${columnLetters(col)}${r}`);
          cell = { row: r, col, type: attr(attrs, 't') ?? 'n', value: '', parts: [], inlineParts: [] };
          return;
        }
        case 'v':
          if (cell) capture = cell.parts = [];
          return;
        case 'is':
          inInline = !!cell;
          return;
        case 'rPh':
          phonetic++;
          return;
        case 't':
          if (inInline && !phonetic) capture = [];
          return;
        case 'mergeCell': {
          const ref = attr(attrs, 'ref') ?? '';
          const range = parseRangeRef(ref);
          if (!range) return;
          extend(range.bottom, range.right, ref);
          tally.mergedCells += (range.bottom - range.top + 1) * (range.right - range.left + 1);
          if (tally.mergedCells > limits.maxCells) throw cellsError();
          out.merges.push(range);
          return;
        }
      }
    },
    close: (name) => {
      switch (name) {
        case 'v':
          capture = undefined;
          return;
        case 't':
          if (capture && cell && inInline) cell.inlineParts.push(decodeText(capture.join('')));
          capture = undefined;
          return;
        case 'is':
          inInline = false;
          return;
        case 'rPh':
          phonetic = Math.max(0, phonetic - 1);
          return;
        case 'c':
          if (cell && (cell.parts.length || cell.inlineParts.length)) {
            out.cells.push({ row: cell.row, col: cell.col, type: cell.type, value: cell.parts.join(''), ...(cell.inlineParts.length ? { inline: cell.inlineParts.join('') } : {}) });
          }
          cell = undefined;
          capture = undefined;
          return;
      }
    },
    text: (raw) => {
      capture?.push(raw);
    },
  });
  tally.usedCells += out.rows * out.columns;
  return out;
}

/** The shared strings the cells use (and only those), by index. */
async function readSharedStrings(file: JSZip.JSZipObject, budget: Budget, needed: Set<number>): Promise<Map<number, string>> {
  const strings = new Map<number, string>();
  let index = -1;
  let parts: string[] = [];
  let capture: string[] | undefined;
  let phonetic = 0;
  await scanEntry(file, budget, {
    open: (name) => {
      if (name === 'si') {
        index++;
        parts = [];
      } else if (name === 'rPh') phonetic++;
      else if (name === 't' && !phonetic && needed.has(index)) capture = [];
    },
    close: (name) => {
      if (name === 't' && capture) {
        parts.push(decodeText(capture.join('')));
        capture = undefined;
      } else if (name === 'rPh') phonetic = Math.max(0, phonetic - 1);
      else if (name === 'si' && needed.has(index)) strings.set(index, parts.join(''));
    },
    text: (raw) => {
      capture?.push(raw);
    },
  });
  return strings;
}

/** A cell's text as the importer reads it (numbers as the decimals a person typed). */
function cellText(cell: RawCell, strings: Map<number, string>): string {
  switch (cell.type) {
    case 's':
      return strings.get(Number(cell.value)) ?? '';
    case 'inlineStr':
      return cell.inline ?? '';
    case 'b':
      return cell.value.trim() === '1' ? 'true' : cell.value.trim() === '0' ? 'false' : decodeXml(cell.value);
    case 'n': {
      const raw = cell.value.trim();
      const n = Number(raw);
      // Excel's binary floats (a =SUM giving 0.30000000000000004) read as the decimals a person typed.
      return raw === '' ? '' : Number.isFinite(n) ? String(Number(n.toPrecision(12))) : decodeXml(raw);
    }
    default:
      return decodeXml(cell.value);
  }
}

/** The dense sheet the importer reads: every row as wide as the widest; merged-away cells are empty. */
function buildSheet(scanned: ScannedSheet, strings: Map<number, string>): Sheet {
  const rows: string[][] = [];
  for (let r = 0; r < scanned.rows; r++) rows.push(new Array<string>(scanned.columns).fill(''));
  for (const c of scanned.cells) rows[c.row - 1]![c.col - 1] = cellText(c, strings);
  const merges: MergeRange[] = [];
  for (const m of scanned.merges) {
    for (let r = m.top; r <= m.bottom; r++) {
      const line = rows[r - 1]!;
      for (let c = r === m.top ? m.left + 1 : m.left; c <= m.right; c++) line[c - 1] = '';
    }
    merges.push({ top: m.top - 1, left: m.left - 1, bottom: m.bottom - 1, right: m.right - 1 });
  }
  return { name: scanned.entry.name, rows, merges, ...(scanned.entry.hidden ? { hidden: true } : {}) };
}

/**
 * Reads every worksheet of an .xlsx (in tab order) within `limits`. Throws WorkbookLimitError (the
 * message names the limit) or WorkbookFormatError (not a workbook); builds nothing before the whole
 * file has been checked.
 */
export async function readXlsxSheets(data: Uint8Array, limits: WorkbookLimits = DEFAULT_WORKBOOK_LIMITS): Promise<Sheet[]> {
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(data);
  } catch (e) {
    throw new WorkbookFormatError(e instanceof Error ? e.message : 'not a zip');
  }
  const budget: Budget = { used: 0, max: limits.maxUnpackedBytes };
  const { sheets, sharedStrings } = await readWorkbookEntries(zip, budget);
  const tally: Tally = { cellElements: 0, mergedCells: 0, usedCells: 0 };
  const scanned: ScannedSheet[] = [];
  for (const entry of sheets) {
    const file = zip.file(entry.path);
    if (file) scanned.push(await scanWorksheet(file, entry, budget, limits, tally));
  }
  const needed = new Set<number>();
  for (const s of scanned) for (const c of s.cells) if (c.type === 's') needed.add(Number(c.value));
  const ssFile = sharedStrings ? zip.file(sharedStrings) : null;
  const strings = ssFile && needed.size ? await readSharedStrings(ssFile, budget, needed) : new Map<number, string>();
  return scanned.map((s) => buildSheet(s, strings));
}
