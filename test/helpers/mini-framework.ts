/**
 * Small frameworks for rule tests: one leaf (or a few) around the rule under test, so each case
 * goes through the real loader and the real scoring engine.
 */
import { loadFramework, type Framework } from '../../src/core/framework/load';
import type { FrameworkInput, IndicatorInput, Rule } from '../../src/core/framework/schema';
import type { Answers } from '../../src/core/scoring/answers';
import { scoreEvaluation } from '../../src/core/scoring/engine';
import type { IndicatorScore, ScoreResult } from '../../src/core/scoring/types';
import { validateAnswers } from '../../src/core/scoring/validate';

/** A rate in % that may be entered directly (key `rate`), and two money facts `actual` and `limit`. */
export const MINI_QUANTITIES: Pick<FrameworkInput, 'facts' | 'metrics'> = {
  facts: [
    { key: 'actual', label: '实际支出', unit: '万元', question: '实际支出是多少？（万元）', min: 0 },
    { key: 'limit', label: '预算数', unit: '万元', question: '预算数是多少？（万元）', min: 0 },
  ],
  metrics: [
    { key: 'rate', label: '预算执行率', unit: '%', question: '预算执行率是多少？（%）', decimals: 2 },
    { key: 'ratio', label: '控制率', unit: '%', formula: 'actual / limit * 100', decimals: 2 },
  ],
};

/** The raw framework data around some level-1 indicators; basePoints is their total unless given. */
export function miniFrameworkData(indicators: IndicatorInput[], extra: Partial<FrameworkInput> = {}): FrameworkInput {
  // In hundredths, so 0.1 + 0.2 is 0.3 here too.
  const total = indicators.reduce((s, i) => s + Math.round(i.points * 100), 0) / 100;
  return {
    id: 'mini',
    name: '测试指标体系',
    source: { documents: ['测试'], weights: 'default' },
    basePoints: total,
    ...structuredClone(MINI_QUANTITIES),
    indicators,
    grades: [{ grade: '合格', gte: 0 }],
    ...extra,
  };
}

/** A loaded framework with one level-1 leaf `X` worth `points`, carrying `rule`. */
export function oneLeaf(rule: Rule, points: number, extra: Partial<FrameworkInput> = {}): Framework {
  return loadFramework(miniFrameworkData([{ code: 'X', name: '测试指标', points, rule }], extra), 'mini.json');
}

/** Validates the answers (failing loudly on problems) and scores them. */
export function scoreValid(fw: Framework, answers: Answers): ScoreResult {
  const v = validateAnswers(fw, answers);
  if (!v.ok) throw new Error(`answers rejected:\n${v.problems.join('\n')}`);
  return scoreEvaluation(fw, v.answers);
}

/** The score entry of one indicator. */
export function entry(result: ScoreResult, code: string): IndicatorScore {
  const e = result.indicators.find((i) => i.code === code);
  if (!e) throw new Error(`no indicator ${code}`);
  return e;
}

/** Scores a one-leaf framework and returns the leaf. */
export function scoreLeaf(rule: Rule, points: number, answers: Answers): IndicatorScore {
  return entry(scoreValid(oneLeaf(rule, points), answers), 'X');
}
