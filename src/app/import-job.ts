/**
 * A framework import as a job: the uploaded bytes in, a draft or the reason it was refused out, both
 * plain data (structured-clone safe), so a runner can carry it out inline or in a worker thread with
 * its own heap and a time limit (the Node entry's `createWorkerImportRunner`). Nothing is stored here.
 *
 * @example const result = await runImportJob({ fileName: '指标体系.xlsx', bytes }) // { ok: true, draft } | { ok: false, status, error }
 */
import { importFile } from '../core/import/index';
import { ImportError, type DraftFramework, type ImportProblem } from '../core/import/importer';
import { DEFAULT_WORKBOOK_LIMITS, WorkbookLimitError, type WorkbookLimits } from '../core/import/workbook';
import { importText as T } from '../core/locale/zh-CN';

/** What an import needs: the file (its extension decides CSV or .xlsx), an optional name, the limits. */
export interface ImportJob {
  fileName: string;
  bytes: Uint8Array;
  /** The framework's name; default the sheet's title row. */
  name?: string;
  /** Default `DEFAULT_WORKBOOK_LIMITS`. */
  limits?: WorkbookLimits;
}

/** Why an import was refused, as the API answers it. */
export type ImportRefusal = {
  ok: false;
  /** 400 not a framework, 413 unpacks too large, 422 past a size limit, memory or time, 500 failed. */
  status: 400 | 413 | 422 | 500;
  /** The Chinese message, naming the limit when one was hit. */
  error: string;
  problems?: ImportProblem[];
  /** Which limit (absent when the sheet was simply not a framework). */
  limit?: 'unpacked' | 'dimension' | 'cells' | 'memory' | 'timeout' | 'failed';
  /** For the log only (never shown): what went wrong when the import failed. */
  detail?: string;
};

/** The outcome of an import job. */
export type ImportJobResult = { ok: true; draft: DraftFramework } | ImportRefusal;

/**
 * Carries an import out here and now: the file is read within its limits (`progress.onRead` is told
 * when that is done), then compiled. Pure apart from the CPU it takes; every failure becomes a
 * result, never a throw.
 */
export async function runImportJob(job: ImportJob, progress: { onRead?: () => void } = {}): Promise<ImportJobResult> {
  try {
    const reading = { limits: job.limits ?? DEFAULT_WORKBOOK_LIMITS, ...(progress.onRead ? { onRead: progress.onRead } : {}) };
    const draft = await importFile({ name: job.fileName, bytes: job.bytes }, job.name ? { name: job.name } : {}, reading);
    return { ok: true, draft };
  } catch (e) {
    if (e instanceof WorkbookLimitError) return { ok: false, status: e.limit === 'unpacked' ? 413 : 422, error: e.message, limit: e.limit };
    if (e instanceof ImportError) return { ok: false, status: 400, error: e.message, problems: e.problems };
    return { ok: false, status: 500, error: T.limits.failed, limit: 'failed', detail: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}
