/**
 * The two figures every surface shows about an evaluation as a whole — how many items it has and how
 * far they are filled, and its grade — defined once here. The chat (creation reply, 进度, 得分), the
 * report, the JSON API and `npm run score` read them from these functions so they always agree.
 *
 * An **item** is a leaf indicator of the evaluation's tree, the unit of scoring: every leaf of the
 * framework, a key-task slot counting as one item until the unit has entered its tasks and then as
 * one item per task. Items marked not applicable are counted apart (`notApplicable`) and are not part
 * of `applicable`. Questions (facts, metrics, key tasks, adjustments, report sections) are the inputs
 * items are scored from: they are counted separately and never called items.
 */
import type { IndicatorScore, ScoreResult } from './types';

/** How far the items of an evaluation are filled. */
export interface ItemCounts {
  /** Items with a score. */
  scored: number;
  /** Items still waiting for an answer. */
  missing: number;
  /** Items marked not applicable (not part of `applicable`). */
  notApplicable: number;
  /** Items that count: scored + missing. */
  applicable: number;
  /** Every item: applicable + notApplicable. */
  total: number;
}

/** Whether a scored indicator is an item (a leaf, or a key-task slot with no tasks yet). */
export function isItem(i: IndicatorScore): boolean {
  return i.children.length === 0;
}

/** The item counts of a scoring, or of the items under one indicator (`code`, itself included). */
export function itemCounts(result: ScoreResult, code?: string): ItemCounts {
  if (code === undefined) {
    const c = result.counts;
    return { scored: c.answered, missing: c.missing, notApplicable: c.notApplicable, applicable: c.answered + c.missing, total: c.total };
  }
  const byCode = new Map(result.indicators.map((i) => [i.code, i]));
  const items: IndicatorScore[] = [];
  const visit = (c: string) => {
    const i = byCode.get(c);
    if (!i) return;
    if (isItem(i)) items.push(i);
    else i.children.forEach(visit);
  };
  visit(code);
  const scored = items.filter((i) => i.status === 'complete').length;
  const missing = items.filter((i) => i.status === 'missing').length;
  const notApplicable = items.filter((i) => i.status === 'not_applicable').length;
  return { scored, missing, notApplicable, applicable: scored + missing, total: items.length };
}

/** The items still waiting for an answer, in framework order. */
export function missingItems(result: ScoreResult): IndicatorScore[] {
  return result.indicators.filter((i) => isItem(i) && i.status === 'missing');
}

/**
 * The points an indicator counts for: its points, less those of the items under it marked not
 * applicable (0 when it is not applicable as a whole). A subtotal is shown out of this.
 */
export function applicablePointsOf(result: ScoreResult, code: string): number {
  const byCode = new Map(result.indicators.map((i) => [i.code, i]));
  const of = (c: string): number => {
    const i = byCode.get(c);
    if (!i || i.status === 'not_applicable') return 0;
    if (isItem(i)) return i.points;
    const anyNA = (x: IndicatorScore): boolean => x.children.some((k) => byCode.get(k)?.status === 'not_applicable' || anyNA(byCode.get(k)!));
    if (!anyNA(i)) return i.points;
    return Math.round(i.children.reduce((s, k) => s + of(k) * 10000, 0)) / 10000;
  };
  return of(code);
}

/** An evaluation's grade, and whether it is final. */
export interface GradeStatus {
  /** The grade band of the total; null until the grade is final. */
  grade: string | null;
  /** Every item answered (or not applicable): the total and grade are the evaluation's result. */
  final: boolean;
}

/**
 * The grade as every surface shows it: only once every item is answered (the rule the report
 * follows); before that the total is provisional and there is no grade.
 */
export function gradeStatus(result: ScoreResult): GradeStatus {
  const final = result.complete;
  return { grade: final ? result.grade : null, final };
}
