/**
 * The framework importer's public API, for the chat, the console and `POST /api/frameworks`:
 *
 * 1. `importFile({ name, bytes })` → a draft (or ImportError naming every row at fault, or
 *    WorkbookLimitError when the file is past a limit of `DEFAULT_WORKBOOK_LIMITS`);
 * 2. `listOpenRows(draft)` → one question per open row; `applyConfirmation(draft, code, answer)` →
 *    a new draft or a reason to ask again (answers: a rule object or a short Chinese phrase; any
 *    compiled row may be overridden the same way);
 * 3. `describeDraftStatus(draft)` / `isDraftUsable(draft)`;
 * 4. `finaliseDraft(draft)` → the Framework (loadFramework's checks), `buildFrameworkInput(draft)` → its file;
 * 5. `exportFramework(framework)` → .xlsx bytes in the annex layout, to edit and import again.
 *
 * Drafts are plain JSON (keep them in the store between messages; `version` marks the format).
 *
 * @example
 * const draft = await importFile({ name: '指标体系.xlsx', bytes }, { id: 'data-bureau-2025' })
 * for (const q of listOpenRows(draft)) await ask(q.question)
 */
import { pickAnnexSheet, readFrameworkData } from './export';
import { ImportError, importSheet, type DraftFramework, type ImportOptions } from './importer';
import { importText as T } from '../locale/zh-CN';
import { readWorkbookSheets, sheetFromCsv, type Sheet } from './sheet';
import { DEFAULT_WORKBOOK_LIMITS, WorkbookLimitError, type WorkbookLimits } from './workbook';

export { compileCriteria, parseBonusTable, type CompileContext, type CompileResult, type OpenKind } from './compiler';
export {
  applyConfirmation,
  buildFrameworkInput,
  describeDraftStatus,
  DraftNotReadyError,
  finaliseDraft,
  isDraftUsable,
  listOpenRows,
  updateDraftMeta,
  type ConfirmationAnswer,
  type DraftMeta,
  type ConfirmationResult,
  type DraftStatus,
  type OpenQuestion,
} from './confirm';
export { describeRule } from './describe';
export { describeDraftRow, describeGrades, summariseDraft, type DraftSummary } from './summary';
export { exportFramework, readFrameworkData, toFrameworkInput } from './export';
export { DEFAULT_WORKBOOK_LIMITS, WorkbookFormatError, WorkbookLimitError, type WorkbookLimitKind, type WorkbookLimits } from './workbook';
export { DEFAULT_GRADES, ImportError, importSheet, parseGradeNote, type DraftFramework, type DraftRow, type ImportOptions, type RowOutcome } from './importer';

/** An uploaded file: its name (the extension decides CSV or .xlsx) and its bytes. */
export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

/** How `importFile` reads the file. */
export interface ReadOptions {
  /** Default `DEFAULT_WORKBOOK_LIMITS`. */
  limits?: WorkbookLimits;
  /** Called once the file has been read within its limits, before the sheet is compiled (progress). */
  onRead?: () => void;
}

/**
 * Reads an uploaded .xlsx or .csv (UTF-8, BOM optional) and imports its annex sheet. A workbook
 * exported by this bot brings its hidden data sheet, so unchanged rows keep their rules. The file is
 * read within `reading.limits` (default `DEFAULT_WORKBOOK_LIMITS`): past one it throws WorkbookLimitError,
 * whose message names the limit, before anything is built from it. Throws ImportError when the file
 * is not a readable table or the sheet is refused.
 */
export async function importFile(file: UploadedFile, options: ImportOptions = {}, reading: ReadOptions = {}): Promise<DraftFramework> {
  const limits = reading.limits ?? DEFAULT_WORKBOOK_LIMITS;
  let sheets: Sheet[];
  if (/\.csv$/i.test(file.name)) {
    sheets = [sheetFromCsv(new TextDecoder('utf-8').decode(file.bytes), file.name, limits)];
  } else {
    try {
      sheets = await readWorkbookSheets(file.bytes, limits);
    } catch (e) {
      if (e instanceof WorkbookLimitError) throw e;
      throw new ImportError(file.name, [{ row: 0, message: T.sheet.notReadable(file.name) }]);
    }
  }
  reading.onRead?.();
  const sheet = pickAnnexSheet(sheets);
  if (!sheet) throw new ImportError(file.name, [{ row: 0, message: T.sheet.notReadable(file.name) }]);
  const data = options.data ?? readFrameworkData(sheets);
  return importSheet(sheet, { document: file.name, ...options, ...(data ? { data } : {}) });
}
