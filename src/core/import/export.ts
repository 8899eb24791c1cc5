/**
 * Export: any framework (built-in or imported) back to the annex layout as .xlsx, with merged level
 * cells, so an organiser can edit it in Excel and import it again.
 *
 * The visible sheet is the report's blank score table (src/core/report: annex rows + xlsx writer,
 * without the 自评分 column), with codes written before names in 000's style ("A1 决策机制（4分）") so
 * codes survive a round trip, and key-task slots marked in the 三级指标 cell. A hidden sheet carries
 * the framework file as JSON (rules, facts, metrics, grades): on re-import a row whose 评价要点 and
 * 分值 are unchanged keeps its rule from there; an edited or new row is compiled from its prose.
 *
 * @example const bytes = await exportFramework(loadBuiltinFramework('nanjing-2021')!)
 */
import type ExcelJS from 'exceljs';
import type { Framework, Indicator } from '../framework/load';
import { checkSchema, frameworkSchema, metricSchema, type FrameworkInput, type IndicatorInput } from '../framework/schema';
import { importText as T } from '../locale/zh-CN';
import { buildAnnexTable, type AnnexTable } from '../report/annex';
import { buildScoreTableXlsx } from '../report/xlsx';
import { findHeader } from './importer';
import type { Sheet } from './sheet';

/** Name of the hidden sheet that carries the framework file. */
export const DATA_SHEET_NAME = '_framework';
const DATA_MARKER = 'jixiao-ziping-zhushou framework data v1';
const CHUNK = 30000;

/** The framework file of a loaded framework (the inverse of `loadFramework`, JSON-ready). */
export function toFrameworkInput(framework: Framework): FrameworkInput {
  const toInput = (ind: Indicator): IndicatorInput => ({
    code: ind.code,
    name: ind.name,
    points: ind.points,
    ...(ind.description ? { description: ind.description } : {}),
    ...(ind.criteria ? { criteria: ind.criteria } : {}),
    ...(ind.rule ? { rule: ind.rule } : {}),
    ...(ind.children.length ? { children: ind.children.map(toInput) } : {}),
    ...(ind.keyTasks ? { keyTasks: ind.keyTasks } : {}),
    ...(ind.required ? { required: true } : {}),
    ...(ind.note ? { note: ind.note } : {}),
  });
  // Only the file format's own fields: whatever loading adds (parsed formulas, lookups) stays out.
  const pick = <T extends object>(o: T, keys: string[]) => Object.fromEntries(Object.entries(o).filter(([k, v]) => keys.includes(k) && v !== undefined));
  const top = pick(framework, Object.keys(frameworkSchema.shape)) as Partial<FrameworkInput>;
  const metricKeys = Object.keys(metricSchema.shape);
  const checkKeys = Object.keys(checkSchema.shape);
  return {
    ...(top as FrameworkInput),
    metrics: framework.metrics.map((m) => {
      const out = pick(m, metricKeys) as FrameworkInput['metrics'][number];
      // The loader fills in decimals (default 2); keep it only when it says something.
      if (m.decimals === 2 && !framework.metrics.find((x) => x.key === m.key)?.formula) delete out.decimals;
      return out;
    }),
    ...(framework.checks.length ? { checks: framework.checks.map((c) => pick(c, checkKeys) as NonNullable<FrameworkInput['checks']>[number]) } : {}),
    indicators: framework.indicators.map(toInput),
  };
}

/** The annex table with codes before names and key-task slots marked, as the export writes it. */
export function buildExportTable(framework: Framework): AnnexTable {
  const table = buildAnnexTable(framework);
  const rows = table.rows.map((row) => {
    const out = { ...row };
    const withCode = (cell: typeof row.level1) => (cell && cell.code ? { ...cell, text: `${cell.code} ${cell.text}` } : cell);
    out.level1 = withCode(row.level1);
    out.level2 = withCode(row.level2);
    if (row.kind === 'indicator') {
      const ind = framework.byCode.get(row.code);
      if (ind?.keyTasks) {
        // A slot: the 三级指标 cell says the unit fills in its own items; a level-1 slot keeps its level-2 cell empty.
        out.level3 = T.slotMarker;
      } else if (row.level === 3) out.level3 = `${row.code} ${row.level3}`;
    }
    return out;
  });
  return { ...table, rows };
}

/**
 * Exports a framework as .xlsx bytes: the annex sheet (merged level cells, 分值, no 自评分) and the
 * hidden data sheet. `title` defaults to the framework's name.
 */
export async function exportFramework(framework: Framework, options: { title?: string } = {}): Promise<Uint8Array> {
  const table = buildExportTable(framework);
  const bytes = await buildScoreTableXlsx(table, { title: options.title ?? framework.name, withScore: false });
  const { default: Excel } = await import('exceljs');
  const wb: ExcelJS.Workbook = new Excel.Workbook();
  await wb.xlsx.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  const data = wb.addWorksheet(DATA_SHEET_NAME, { state: 'hidden' });
  const json = JSON.stringify(toFrameworkInput(framework));
  data.getCell(1, 1).value = DATA_MARKER;
  for (let i = 0, r = 2; i < json.length; i += CHUNK, r++) data.getCell(r, 1).value = json.slice(i, i + CHUNK);
  const out = await wb.xlsx.writeBuffer();
  return new Uint8Array(out as ArrayBuffer);
}

/**
 * Number of rows of the export's annex sheet that an import reads back (indicators, bonus, penalty):
 * the 合计 row is written for the reader and skipped by the importer, so it is not counted — the
 * export's "已导出 N 行" and the import's "共N行" agree.
 */
export function countExportRows(framework: Framework): number {
  return buildAnnexTable(framework).rows.filter((r) => r.kind !== 'total').length;
}

/**
 * The framework file carried by an exported workbook's hidden data sheet; undefined when the sheets
 * have none or it does not parse. The importer uses it only to keep rules of unchanged rows.
 */
export function readFrameworkData(sheets: Sheet[]): FrameworkInput | undefined {
  const sheet = sheets.find((s) => s.name === DATA_SHEET_NAME);
  if (!sheet || sheet.rows[0]?.[0] !== DATA_MARKER) return undefined;
  const json = sheet.rows
    .slice(1)
    .map((r) => r[0] ?? '')
    .join('');
  try {
    return JSON.parse(json) as FrameworkInput;
  } catch {
    return undefined;
  }
}

/**
 * The sheet to import from a workbook: the first visible one with the annex header (a cover or notes
 * sheet before it is skipped), else the first visible one, so the error names what was read.
 */
export function pickAnnexSheet(sheets: Sheet[]): Sheet | undefined {
  const candidates = sheets.filter((s) => s.name !== DATA_SHEET_NAME);
  const visible = candidates.filter((s) => !s.hidden);
  return visible.find((s) => findHeader(s) !== undefined) ?? visible[0] ?? candidates[0];
}
