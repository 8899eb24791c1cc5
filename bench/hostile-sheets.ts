/**
 * Hostile .xlsx files, built byte by byte with jszip, for the soak bench: what an attacker (or an
 * unlucky export) uploads as a framework. Each is a well-formed package apart from its trick.
 */
import JSZip from 'jszip';

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL = 'http://schemas.openxmlformats.org/package/2006/relationships';

/** The XML of one inline-string cell. */
function cell(ref: string, value: string): string {
  return `<c r="${ref}" t="inlineStr"><is><t>${value}</t></is></c>`;
}

/** A one-sheet workbook around the sheet's `<sheetData>` content (rows already as XML). */
async function workbook(sheetRows: string, dimension: string, options: { level?: number } = {}): Promise<Uint8Array> {
  const zip = new JSZip();
  zip.file(
    '[Content_Types].xml',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
  );
  zip.file('_rels/.rels', `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${PKG_REL}"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`);
  zip.file('xl/workbook.xml', `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${MAIN}" xmlns:r="${REL}"><sheets><sheet name="指标体系" sheetId="1" r:id="rId1"/></sheets></workbook>`);
  zip.file('xl/_rels/workbook.xml.rels', `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${PKG_REL}"><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`);
  zip.file('xl/worksheets/sheet1.xml', `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${MAIN}"><dimension ref="${dimension}"/><sheetData>${sheetRows}</sheetData></worksheet>`);
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE', compressionOptions: { level: options.level ?? 9 } });
}

/** Two cells, at A1 and at `far` (XFD1048576: the last cell of a sheet): a few KB that claim a whole sheet. */
export function farCellXlsx(far = 'XFD1048576'): Promise<Uint8Array> {
  const row = Number(/\d+$/.exec(far)![0]);
  return workbook(`<row r="1">${cell('A1', '一级指标')}</row><row r="${row}">${cell(far, '1')}</row>`, `A1:${far}`);
}

/** A framework-like sheet of `rows` indicator rows (three short cells each): large, but within the upload size. */
export function manyRowsXlsx(rows: number): Promise<Uint8Array> {
  const parts = [`<row r="1">${cell('A1', '一级指标')}${cell('B1', '三级指标')}${cell('C1', '分值')}</row>`];
  for (let r = 2; r <= rows + 1; r++) parts.push(`<row r="${r}">${cell(`A${r}`, '部门管理（20分）')}${cell(`B${r}`, `指标${r}`)}<c r="C${r}"><v>1</v></c></row>`);
  return workbook(parts.join(''), `A1:C${rows + 1}`);
}

/**
 * A sheet that unpacks to `unpackedMb` MB while its zip directory and local headers claim 1 KB per
 * entry: a check that trusts the declared sizes lets it through.
 */
export async function lyingZipXlsx(unpackedMb: number): Promise<Uint8Array> {
  const row = `<row>${cell('A1', '部门管理（20分）部门管理（20分）部门管理（20分）')}</row>`;
  const bytes = await workbook(row.repeat(Math.ceil((unpackedMb * 1024 * 1024) / row.length)), 'A1:A1');
  return understateSizes(bytes, 1024);
}

/** Writes `claimed` as the uncompressed size of every entry, in the central directory and the local headers. */
function understateSizes(zip: Uint8Array, claimed: number): Uint8Array {
  const out = new Uint8Array(zip);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let eocd = out.length - 22;
  while (eocd >= 0 && view.getUint32(eocd, true) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('no end of central directory');
  const entries = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  for (let i = 0; i < entries; i++) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new Error('bad central directory entry');
    view.setUint32(at + 24, claimed, true);
    const local = view.getUint32(at + 42, true);
    if (view.getUint32(local, true) === 0x04034b50) view.setUint32(local + 22, claimed, true);
    at += 46 + view.getUint16(at + 28, true) + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return out;
}
