/**
 * The self-evaluation report (自评价报告): one evaluation and its one score result in, .docx bytes and
 * the list of what is still missing out; the score table also as .xlsx.
 *
 * @example
 * const result = scoreEvaluation(framework, answers)
 * const { bytes, missing } = await buildReport({ framework, answers, result, unit: '南京市数据局', year: 2024 })
 */
import { reportText as T } from '../locale/zh-CN';
import { buildAnnexTable } from './annex';
import { createReportDocument, packDocument } from './docx';
import { buildReportContent, type ReportInput } from './sections';
import { buildScoreTableXlsx as writeXlsx } from './xlsx';

export { buildAnnexTable, type AnnexRow, type AnnexTable, type AnnexMergedCell, type AnnexOptions } from './annex';
export { buildReportContent, blockText, formatEvidence, type Block, type ReportContent, type ReportInput, type Span } from './sections';
export { createAnnexTable, createReportDocument, packDocument } from './docx';
export type { XlsxOptions } from './xlsx';

/** The built report. */
/** The MIME type of a .docx report. */
export const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

export interface BuiltReport {
  bytes: Uint8Array;
  /** What is still missing, in the words of the report's 【待填写：…】 markers; empty when complete. */
  missing: string[];
  /** "南京市数据局2024年度部门整体绩效自评价报告.docx" */
  fileName: string;
  title: string;
}

/** The report's file name: its title with ".docx". */
export function reportFileName(unit: string, year: number): string {
  return `${T.title(unit, year)}.docx`;
}

/** The score table's file name: "2024年度南京市数据局整体预算绩效自评价指标体系得分情况.xlsx". */
export function scoreTableFileName(unit: string, year: number): string {
  return `${T.annexTitle(unit, year)}.xlsx`;
}

/** Builds the report .docx from one evaluation and its result. */
export async function buildReport(input: ReportInput): Promise<BuiltReport> {
  const content = buildReportContent(input);
  const annexTitle = T.annexTitle(input.unit, input.year);
  const doc = createReportDocument({
    title: content.title,
    cover: { title: T.coverLines(input.year), info: [input.unit, T.coverDate(input.date ?? new Date())] },
    blocks: content.blocks,
    annexTitle,
    annex: buildAnnexTable(input.framework, { result: input.result }),
  });
  const bytes = await packDocument(doc);
  return { bytes, missing: content.missing, fileName: reportFileName(input.unit, input.year), title: content.title };
}

/** Builds the score table .xlsx of one evaluation (same rows and merges as the report's annex). */
export async function buildScoreTableXlsx(input: Pick<ReportInput, 'framework' | 'result' | 'unit' | 'year'>): Promise<Uint8Array> {
  const table = buildAnnexTable(input.framework, { result: input.result });
  return writeXlsx(table, { title: T.annexTitle(input.unit, input.year) });
}

/** Writes any annex table (e.g. a framework without scores) as .xlsx. */
export { writeXlsx as writeAnnexXlsx };
