/**
 * The JSON the console and other programs read: evaluation summaries and scores, all computed by
 * `scoreEvaluation` from the stored answers (the same numbers the chat and the report show).
 */
import { resolveFramework } from '../core/framework/resolve';
import type { Framework } from '../core/framework/load';
import { scoreEvaluation } from '../core/scoring/engine';
import { applicablePointsOf, gradeStatus, itemCounts, missingItems } from '../core/scoring/summary';
import type { ScoreResult } from '../core/scoring/types';
import type { EvaluationRecord } from '../store/port';

/** The score figures of an evaluation. */
export interface ScoreSummary {
  base: number;
  bonus: number;
  penalty: number;
  total: number;
  /** The grade band of the total; null until every item is answered (see `final`). */
  grade: string | null;
  /** Every item answered: total and grade are the evaluation's result (the report states them). */
  final: boolean;
}

/** One row of `GET /api/evaluations`. */
export interface EvaluationSummary {
  id: string;
  unit: string;
  year: number;
  framework: string;
  chatIds: string[];
  /**
   * Items (scored leaf indicators, see core/scoring/summary): `answered` scored of `total` that count;
   * `notApplicable` apart. The same figures as the chat's 进度 and `npm run score`.
   */
  completion: { answered: number; total: number; notApplicable: number };
  /** null when the evaluation's framework cannot be loaded. */
  score: ScoreSummary | null;
}

/** `GET /api/evaluations/:id/score`. */
export interface ScoreDetail extends ScoreSummary {
  indicators: Array<{
    code: string;
    name: string;
    level: number;
    points: number;
    score: number | null;
    status: string;
    reasons: string[];
  }>;
}

/** What the console's score panel shows for a chat. */
export interface ChatEvaluationView extends EvaluationSummary {
  complete: boolean;
  /** Level-1 indicators with their subtotals, out of the points that count (items marked not applicable left out, as in the chat). */
  subtotals: Array<{ code: string; name: string; points: number; score: number | null }>;
  /** Leaves still waiting for an answer, in framework order. */
  missing: Array<{ code: string; name: string }>;
  /** Indicators that lost points, with the reasons. */
  deductions: Array<{ code: string; name: string; lost: number; reasons: string[] }>;
}

/** Loads an evaluation's framework and scores its answers. Throws when the framework cannot be loaded. */
export function scoreRecord(rec: EvaluationRecord): { framework: Framework; result: ScoreResult } {
  const framework = resolveFramework(rec.frameworkId, rec.framework);
  return { framework, result: scoreEvaluation(framework, rec.answers) };
}

/** The score figures of a result. */
export function summariseScore(result: ScoreResult): ScoreSummary {
  const { grade, final } = gradeStatus(result);
  return { base: result.base, bonus: result.bonus.score, penalty: result.penalty.score, total: result.total, grade, final };
}

/** One row of the evaluation list; `result` is the record's score, or undefined when it cannot be computed. */
export function summariseEvaluation(rec: EvaluationRecord, result: ScoreResult | undefined): EvaluationSummary {
  return {
    id: rec.id,
    unit: rec.unit,
    year: rec.year,
    framework: rec.frameworkId,
    chatIds: rec.chatIds,
    completion: result ? completionOf(result) : { answered: 0, total: 0, notApplicable: 0 },
    score: result ? summariseScore(result) : null,
  };
}

/** The completion figures of a result. */
function completionOf(result: ScoreResult): EvaluationSummary['completion'] {
  const c = itemCounts(result);
  return { answered: c.scored, total: c.applicable, notApplicable: c.notApplicable };
}

/** The detailed score of one evaluation. */
export function describeScore(result: ScoreResult): ScoreDetail {
  return {
    ...summariseScore(result),
    indicators: result.indicators.map((i) => ({
      code: i.code,
      name: i.name,
      level: i.level,
      points: i.points,
      score: i.score,
      status: i.status,
      reasons: i.reasons,
    })),
  };
}

/** The console's view of a chat's evaluation. */
export function describeChatEvaluation(rec: EvaluationRecord, result: ScoreResult | undefined): ChatEvaluationView {
  const summary = summariseEvaluation(rec, result);
  if (!result) return { ...summary, complete: false, subtotals: [], missing: [], deductions: [] };
  const byCode = new Map(result.indicators.map((i) => [i.code, i]));
  return {
    ...summary,
    complete: result.complete,
    subtotals: result.roots.map((code) => {
      const i = byCode.get(code)!;
      return { code: i.code, name: i.name, points: applicablePointsOf(result, code), score: i.score };
    }),
    missing: missingItems(result).map((i) => ({ code: i.code, name: i.name })),
    deductions: result.deductions.map((d) => ({ code: d.code, name: d.name, lost: d.lost, reasons: d.reasons })),
  };
}
