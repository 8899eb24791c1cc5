/**
 * A draft in lines of plain Chinese: one per row (code, name, points, the rule or what is open), the
 * counts, the grade bands and the share of 评价要点 compiled without confirmation. The import CLI
 * prints it; a chat or console can show the same lines.
 *
 * @example summariseDraft(draft).lines.join('\n')
 */
import { formatScore } from '../decimal';
import type { GradeBand } from '../framework/schema';
import { importText as T } from '../locale/zh-CN';
import { describeDraftStatus } from './confirm';
import { describeBoundsWith } from './describe';
import type { DraftFramework, DraftRow } from './importer';

/** Grade bands in one line: "优秀 ≥ 90；80 ≤ 良好 < 90；…". */
export function describeGrades(grades: GradeBand[]): string {
  return grades.map(({ grade, ...b }) => describeBoundsWith(grade, b, '')).join('；');
}

/** One row as a line: row number, code, name (points), then the rule or the open reason. */
export function describeDraftRow(r: DraftRow): string {
  const o = r.outcome;
  const what =
    o.status === 'open'
      ? T.cli.open(o.reason)
      : o.status === 'kept'
        ? T.cli.kept(o.text)
        : o.status === 'confirmed'
          ? T.cli.confirmed(o.text)
          : o.status === 'slot'
            ? T.cli.slot(o.text)
            : T.cli.compiled(o.text);
  const points = r.points !== undefined ? T.cli.points(formatScore(r.points)) : o.status === 'bonus' ? T.cli.cap(formatScore(o.section.cap)) : '—';
  return T.cli.row(r.row, r.code, r.name, points, what);
}

/** The summary of a draft. */
export interface DraftSummary {
  lines: string[];
  /** Rows the compiler understood (bonus and penalty rows included; slots and kept rows not counted). */
  compiled: number;
  /** Rows the compiler had to read (everything but key-task slots and rules kept from an exported workbook). */
  compilable: number;
  /** compiled / compilable, 0–1 (1 when nothing needed compiling). */
  share: number;
}

/** Summarises a draft: one line per row, then the counts, the grade bands and the share. */
export function summariseDraft(draft: DraftFramework): DraftSummary {
  const lines = draft.rows.map(describeDraftRow);
  const status = describeDraftStatus(draft);
  const read = draft.rows.filter((r) => r.outcome.status !== 'slot' && r.outcome.status !== 'kept');
  // A confirmed row was read by the compiler first; it counts as compiled only if it was not open.
  const compiled = read.filter((r) => r.outcome.status !== 'open' && !(r.outcome.status === 'confirmed' && r.outcome.previous === undefined)).length;
  const compilable = read.length;
  const share = compilable ? compiled / compilable : 1;
  lines.push('', T.cli.counts(draft.rows.length, compiled, status.kept, status.open));
  lines.push(T.cli.grades(describeGrades(draft.grades), draft.gradesFrom));
  if (compilable) lines.push(T.cli.share(compiled, compilable, (share * 100).toFixed(1)));
  for (const p of status.problems) lines.push(`! ${p}`);
  return { lines, compiled, compilable, share };
}
