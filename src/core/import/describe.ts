/**
 * Any rule in plain Chinese, as the organiser confirms it: "预算执行率 > 90% 得 2 分，否则得 1 分".
 * Used for compiled rules, overrides and the import CLI's lines.
 *
 * @example describeRule({ kind: 'bands', metric: 'budgetExecutionRate', bands: [{ gt: 90, score: 2 }], otherwise: 1 }, 2, () => '预算执行率')
 */
import { formatScore } from '../decimal';
import { partialRange, type Bounds, type Rule } from '../framework/schema';
import { importText as T, partialCreditText as PT } from '../locale/zh-CN';
import { describePartialRange } from '../scoring/rules';

/** Bounds as a comparison with the quantity's label: "预算执行率 ≥ 90%", "80% ≤ 预算执行率 < 90%". */
export function describeBoundsWith(label: string, b: Bounds, unit: string): string {
  const v = (n: number) => `${formatScore(n)}${unit}`;
  if (b.eq !== undefined) return `${label} = ${v(b.eq)}`;
  const lo = b.gte ?? b.gt;
  const hi = b.lte ?? b.lt;
  if (lo !== undefined && hi !== undefined)
    return `${v(lo)} ${b.gte !== undefined ? '≤' : '<'} ${label} ${b.lte !== undefined ? '≤' : '<'} ${v(hi)}`;
  if (b.gte !== undefined) return `${label} ≥ ${v(b.gte)}`;
  if (b.gt !== undefined) return `${label} > ${v(b.gt)}`;
  if (b.lte !== undefined) return `${label} ≤ ${v(b.lte)}`;
  if (b.lt !== undefined) return `${label} < ${v(b.lt)}`;
  return label;
}

const score = (n: number) => formatScore(n);

/**
 * Describes a rule for an indicator worth `points`. `labelOf` names metric and fact keys; `unitOf`
 * gives a quantity's unit (default "%"). Assumptions are appended in brackets.
 */
export function describeRule(
  rule: Rule,
  points: number,
  labelOf: (key: string) => string,
  assumptions: string[] = [],
  unitOf: (key: string) => string = () => '%',
): string {
  let text: string;
  switch (rule.kind) {
    case 'judgement':
      text = T.describe.judgement(rule.yes, score(points), rule.noScore ? score(rule.noScore) : undefined);
      if (rule.partial !== undefined) text += PT.describe(describePartialRange(partialRange(rule, points)!));
      break;
    case 'bands': {
      const label = labelOf(rule.metric);
      const unit = unitOf(rule.metric);
      const parts = rule.bands.map(({ score: s, ...b }) => T.describe.band(describeBoundsWith(label, b, unit), score(s)));
      const other =
        rule.otherwise === undefined
          ? ''
          : rule.otherwise === 'discretionary'
            ? T.describe.otherwiseDiscretionary
            : T.describe.otherwise(score(rule.otherwise));
      text = parts.join('；') + other;
      break;
    }
    case 'steps': {
      const label = labelOf(rule.metric);
      const unit = unitOf(rule.metric);
      text = T.describe.steps(
        describeBoundsWith(label, rule.full, unit),
        score(points),
        rule.direction === 'higher',
        score(rule.step),
        score(rule.deduct),
        rule.partial ?? 'ceil',
        rule.cutoff ? describeBoundsWith(label, rule.cutoff, unit) : undefined,
      );
      break;
    }
    case 'proportional':
      text = T.describe.proportional(labelOf(rule.metric), score(rule.target ?? 100), score(points), rule.direction === 'higher');
      break;
    case 'checklist':
      text = rule.items.map((i, n) => T.describe.checklistItem(n, i.label, score(i.points))).join('；');
      break;
    case 'per_violation':
      text = T.describe.perViolation(rule.counted, score(rule.deduct));
      break;
    case 'graded':
      text = rule.levels
        .map((l) =>
          l.score !== undefined
            ? T.describe.level(l.label, score(l.score))
            : T.describe.levelShare(l.label, score(points * (l.minShare ?? 0)), score(points * (l.maxShare ?? 1))),
        )
        .join('；');
      break;
    case 'not_exceeding':
      text = T.describe.notExceeding(
        labelOf(rule.actual),
        labelOf(rule.limit),
        score(points),
        rule.over === 'discretionary' ? undefined : score(rule.over),
      );
      break;
    case 'discretionary':
      text = T.describe.discretionary;
      break;
  }
  return assumptions.length ? `${text}（${assumptions.join('；')}）` : text;
}

/** The loader's coverage problems ("gap between 20 and 30", "bands overlap at 90") in Chinese. */
export function describeGaps(problems: string[]): string {
  return problems
    .map((g) => {
      let m = /gap between (-?[\d.]+) and (-?[\d.]+)/.exec(g);
      if (m) return T.gapBetween(m[1]!, m[2]!);
      m = /nothing covers exactly (-?[\d.]+)/.exec(g);
      if (m) return T.gapAt(m[1]!);
      m = /nothing covers values below (-?[\d.]+)/.exec(g);
      if (m) return T.gapBelow(m[1]!);
      m = /nothing covers values above (-?[\d.]+)/.exec(g);
      if (m) return T.gapAbove(m[1]!);
      m = /overlap at (-?[\d.]+)/.exec(g);
      if (m) return T.overlapAt(m[1]!);
      return g;
    })
    .join('；');
}
