/** Test helpers: small framework sheets for the frameworks store, API and console tests. */
import ExcelJS from 'exceljs';
import { loadBuiltinFramework } from '../../src/core/framework/builtin';
import { importFile } from '../../src/core/import';
import { updateDraftMeta } from '../../src/core/import/confirm';
import { exportFramework } from '../../src/core/import/export';
import { importSheet, type DraftFramework } from '../../src/core/import/importer';
import { sheetFromCsv } from '../../src/core/import/sheet';
import type { FrameworkRecord, Store } from '../../src/store/port';

/** Two rows: A11 compiles, B11 ("达到财政考核要求") stays open. */
export const ONE_OPEN_CSV = [
  '某某局2025年度部门整体绩效评价指标体系,,,,,',
  '一级指标,二级指标,三级指标,指标说明,评价要点,分值',
  '部门决策（20分）,决策机制（20分）,决策制度,是否建立决策制度,建立决策制度的得20分，否则不得分,20',
  '部门管理（80分）,预算执行（80分）,部门预算执行率,部门预算执行百分比,年末预算执行率达到财政考核要求的得80分,80',
].join('\n');

/** One open row (B11, no score written) that comes with a suggestion to accept with "确认". */
export const SUGGESTION_CSV = [
  '一级指标,二级指标,三级指标,指标说明,评价要点,分值',
  '部门决策（20分）,决策机制（20分）,决策制度,是否建立决策制度,建立决策制度的得20分，否则不得分,20',
  '部门管理（80分）,网上办公（80分）,网上办公,,办公流程、业务开展均通过网上综合办公平台办理,80',
].join('\n');

/** Three open rows (A11 without a standard, A13 with a suggestion, the bonus table's 累计) and a penalty block. */
export const THREE_OPEN_CSV = [
  '一级指标,二级指标,三级指标,指标说明,评价要点,分值',
  '部门管理（20分）,预算执行（4分）,部门预算执行率,部门预算执行百分比,年末预算执行率达到财政考核要求的得1分,1',
  ',,预决算信息公开情况,预决算是否公开,预决算公开的时效和质量符合市财政要求的得1分,1',
  ',,网上办公,,办公流程、业务开展均通过网上综合办公平台办理,2',
  ',内部控制（16分）,内部控制建设情况,,有内部控制制度落实在手册等文本上的得16分,16',
  '部门履职（80分）,重点工作（80分）,党建工作,,党建工作取得良好质效得80分,80',
  '加减分项（≤5分）,加分项,,,受到国务院嘉奖加3分，受到省级嘉奖加2分,',
  ',减分项,,,酌情扣分,',
].join('\n');

/** An answer B11 takes. */
export const B11_ANSWER = '预算执行率达到90%的得80分，否则得40分';

/** Points that do not add up on sheet row 4. */
export const BAD_POINTS_CSV = ONE_OPEN_CSV.replace(/,80$/, ',70');

/** A draft of ONE_OPEN_CSV with the given id. */
export function makeDraft(id = 'import-test01'): DraftFramework {
  return importSheet(sheetFromCsv(ONE_OPEN_CSV, 'test.csv'), { id });
}

/** A stored framework record of ONE_OPEN_CSV. */
export function makeFrameworkRecord(id = 'import-test01', overrides: Partial<FrameworkRecord> = {}): FrameworkRecord {
  const at = '2025-01-01T00:00:00.000Z';
  return { id, name: '测试指标体系', draft: makeDraft(id), status: 'open', createdAt: at, updatedAt: at, ...overrides };
}

/**
 * The same table as an .xlsx workbook with merged level cells, behind a cover sheet (so the API must
 * pick the annex sheet, not the first one).
 */
export async function buildOneOpenXlsx(): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('说明').getCell(1, 1).value = '本工作簿第二页为指标体系。';
  const ws = wb.addWorksheet('指标体系');
  const rows = ONE_OPEN_CSV.split('\n').map((line) => line.split(','));
  rows.forEach((row, r) => row.forEach((v, c) => v !== '' && (ws.getCell(r + 1, c + 1).value = /^\d+$/.test(v) ? Number(v) : v)));
  ws.mergeCells(1, 1, 1, 6);
  const bytes = await wb.xlsx.writeBuffer();
  return new Uint8Array(bytes as ArrayBuffer);
}

/**
 * Imports a built-in framework the way a unit imports its bureau's sheet (exported to .xlsx, imported
 * again, named `id`) and stores it ready, so evaluations can be created on it; returns the draft.
 */
export async function storeImportedBuiltin(store: Store, builtinId: string, id: string, name: string): Promise<DraftFramework> {
  const draft = await importFile({ name: `${name}.xlsx`, bytes: await exportFramework(loadBuiltinFramework(builtinId)!) });
  const meta = updateDraftMeta(draft, { id, name });
  if (!meta.ok) throw new Error(meta.error);
  const at = '2025-01-02T00:00:00Z';
  await store.putFramework({ id, name, draft: meta.draft, status: 'ready', createdAt: at, updatedAt: at });
  return meta.draft;
}
