/**
 * Test helpers: .xlsx workbooks written part by part with JSZip (raw SpreadsheetML), so a test can
 * build what Excel would never write: cells at XFD1048576, a central directory that lies about sizes,
 * a sheet of 160,000 rows in a second. Used by the import-bounds tests and `npm run bench -- import`.
 */
import JSZip from 'jszip';

const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const REL_TYPE = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

/** One worksheet: its name, and the XML inside `<worksheet>` (dimension, sheetData, mergeCells…). */
export interface RawSheet {
  name: string;
  body: string;
  hidden?: boolean;
}

/** XML-escapes text. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * A workbook from raw worksheet bodies and a shared-string table, deflated like Excel's. `padding`
 * adds that many bytes of whitespace at the end of the first worksheet (it deflates to almost
 * nothing: a zip bomb the reader must count as it inflates).
 */
export async function buildRawXlsx(sheets: RawSheet[], sharedStrings: string[] = [], padding = 0): Promise<Uint8Array> {
  const zip = new JSZip();
  zip.file(
    '[Content_Types].xml',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>${sheets
      .map((_, i) => `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`)
      .join('')}<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`,
  );
  zip.file('_rels/.rels', `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL_TYPE}/officeDocument" Target="xl/workbook.xml"/></Relationships>`);
  zip.file(
    'xl/workbook.xml',
    `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheets>${sheets
      .map((s, i) => `<sheet name="${escapeXml(s.name)}" sheetId="${i + 1}"${s.hidden ? ' state="hidden"' : ''} r:id="rId${i + 1}"/>`)
      .join('')}</sheets></workbook>`,
  );
  zip.file(
    'xl/_rels/workbook.xml.rels',
    `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${sheets
      .map((_, i) => `<Relationship Id="rId${i + 1}" Type="${REL_TYPE}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`)
      .join('')}<Relationship Id="rIdSS" Type="${REL_TYPE}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
  );
  sheets.forEach((s, i) =>
    zip.file(`xl/worksheets/sheet${i + 1}.xml`, `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${MAIN_NS}">${s.body}</worksheet>${i === 0 && padding ? ' '.repeat(padding) : ''}`),
  );
  zip.file(
    'xl/sharedStrings.xml',
    `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${MAIN_NS}" count="${sharedStrings.length}" uniqueCount="${sharedStrings.length}">${sharedStrings
      .map((t) => `<si><t xml:space="preserve">${escapeXml(t)}</t></si>`)
      .join('')}</sst>`,
  );
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE', compressionOptions: { level: 6 } });
}

/** A worksheet with one number in each of the given cells (e.g. A1 and XFD1048576), and the dimension Excel would write. */
export async function buildSparseXlsx(cells: string[], options: { dimension?: boolean } = {}): Promise<Uint8Array> {
  const byRow = new Map<number, string[]>();
  for (const ref of cells) {
    const row = Number(/\d+$/.exec(ref)![0]);
    byRow.set(row, [...(byRow.get(row) ?? []), ref]);
  }
  const rows = [...byRow.entries()].sort((a, b) => a[0] - b[0]);
  const sheetData = rows.map(([r, refs]) => `<row r="${r}">${refs.map((ref) => `<c r="${ref}"><v>1</v></c>`).join('')}</row>`).join('');
  const dimension = options.dimension === false ? '' : `<dimension ref="${cells[0]}:${cells[cells.length - 1]}"/>`;
  return buildRawXlsx([{ name: '指标体系', body: `${dimension}<sheetData>${sheetData}</sheetData>` }]);
}

/**
 * An annex-layout framework sheet of `leaves` scored rows: ten 一级指标 (each merged over a tenth of
 * the rows), 二级指标 merged over 10 rows, a 三级指标 per row with a rule the compiler reads, 1 point each, and a 合计 row. The
 * whole sheet imports as a ready framework of `leaves` rows.
 */
export async function buildFrameworkXlsx(leaves: number): Promise<Uint8Array> {
  const strings: string[] = [];
  const ids = new Map<string, number>();
  const s = (text: string) => {
    let id = ids.get(text);
    if (id === undefined) {
      id = strings.push(text) - 1;
      ids.set(text, id);
    }
    return id;
  };
  const cols = ['A', 'B', 'C', 'D', 'E', 'F'];
  const str = (ref: string, text: string) => `<c r="${ref}" t="s"><v>${s(text)}</v></c>`;
  const out: string[] = [];
  const rowXml = (r: number, cells: string) => out.push(`<row r="${r}">${cells}</row>`);
  rowXml(1, str('A1', '测试单位指标体系'));
  rowXml(2, ['一级指标', '二级指标', '三级指标', '指标说明', '评价要点', '分值'].map((t, i) => str(`${cols[i]}2`, t)).join(''));
  const merges: string[] = ['<mergeCell ref="A1:F1"/>'];
  const first = 3;
  const perLevel1 = Math.max(10, Math.ceil(leaves / 100) * 10);
  for (let i = 0; i < leaves; i++) {
    const r = first + i;
    const l1 = Math.floor(i / perLevel1);
    const l2 = Math.floor(i / 10);
    const cells = [
      i % perLevel1 === 0 ? str(`A${r}`, `一级指标${l1 + 1}`) : `<c r="A${r}"/>`,
      i % 10 === 0 ? str(`B${r}`, `二级指标${l2 + 1}`) : `<c r="B${r}"/>`,
      str(`C${r}`, `三级指标${i + 1}`),
      str(`D${r}`, '是否建立相关制度'),
      str(`E${r}`, `建立第${i + 1}项制度的得1分，否则不得分`),
      `<c r="F${r}"><v>1</v></c>`,
    ];
    rowXml(r, cells.join(''));
    if (i % perLevel1 === 0) merges.push(`<mergeCell ref="A${r}:A${first + Math.min(i + perLevel1 - 1, leaves - 1)}"/>`);
    if (i % 10 === 0) merges.push(`<mergeCell ref="B${r}:B${first + Math.min(i + 9, leaves - 1)}"/>`);
  }
  const total = first + leaves;
  rowXml(total, `${str(`A${total}`, '合计')}<c r="F${total}"><v>${leaves}</v></c>`);
  const body = `<dimension ref="A1:F${total}"/><sheetData>${out.join('')}</sheetData><mergeCells count="${merges.length}">${merges.join('')}</mergeCells>`;
  return buildRawXlsx([{ name: '指标体系', body }], strings);
}

/**
 * The same zip with the uncompressed-size fields (local header and central directory) of the entries
 * named like `only` (default: the worksheets) set to `declared` bytes: a zip whose directory lies,
 * as a bomb would.
 */
export function lieAboutSizes(bytes: Uint8Array, declared = 1024, only = /worksheets\//): Uint8Array {
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let eocd = out.length - 22;
  while (eocd >= 0 && view.getUint32(eocd, true) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip');
  const entries = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  for (let i = 0; i < entries; i++) {
    if (view.getUint32(p, true) !== 0x02014b50) throw new Error('bad central directory');
    const name = new TextDecoder().decode(out.subarray(p + 46, p + 46 + view.getUint16(p + 28, true)));
    const local = view.getUint32(p + 42, true);
    if (view.getUint32(local, true) !== 0x04034b50) throw new Error('bad local header');
    if (only.test(name)) {
      view.setUint32(p + 24, declared, true);
      view.setUint32(local + 22, declared, true);
    }
    p += 46 + view.getUint16(p + 28, true) + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
  }
  return out;
}
