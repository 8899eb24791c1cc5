/**
 * The shared metric library: synonyms bind to one metric, Nanjing's fact keys are nanjing-2021's, and
 * every formula reproduces the sample checks of docs/domain.md (000, 002, 003).
 */
import { describe, expect, it } from 'vitest';
import { loadBuiltinFramework } from '../src/core/framework/builtin';
import { loadFramework } from '../src/core/framework/load';
import { bindLibraryMetric, LIBRARY_FACTS, LIBRARY_METRICS } from '../src/core/import/metric-library';
import { scoreEvaluation } from '../src/core/scoring/engine';

const libraryFramework = () =>
  loadFramework(
    {
      id: 'library',
      name: '指标库',
      source: { documents: ['test'], weights: 'default' },
      facts: LIBRARY_FACTS,
      metrics: LIBRARY_METRICS.map((m) => m.metric),
      indicators: [{ code: 'A', name: '测试', points: 100, rule: { kind: 'discretionary', question: '？' } }],
      grades: [{ grade: '全部', gte: 0 }],
    },
    'metric-library',
  );

function compute(facts: Record<string, number>): Record<string, number> {
  const result = scoreEvaluation(libraryFramework(), { facts });
  return Object.fromEntries(Object.entries(result.metrics).map(([k, v]) => [k, v.value]));
}

describe('metric library', () => {
  it('loads as a framework: formulas parse and name known facts', () => {
    expect(() => libraryFramework()).not.toThrow();
  });

  it('binds synonyms to one metric', () => {
    for (const p of ['预算执行率', '年末预算执行率', '年度预算执行率', '部门预算执行率', '整体预算执行率'])
      expect(bindLibraryMetric(p)?.metric.key, p).toBe('budgetExecutionRate');
    expect(bindLibraryMetric('专项资金执行率')?.metric.key).toBe('projectExecutionRate');
    expect(bindLibraryMetric('"三公经费"变动率')?.metric.key).toBe('threePublicChangeRate');
    expect(bindLibraryMetric('“三公”经费变动率')?.metric.key).toBe('threePublicChangeRate');
    expect(bindLibraryMetric('国库集中支付结转结余存量资金变动率')?.metric.key).toBe('idleFundsChangeRate');
    expect(bindLibraryMetric('文件办理率')).toBeUndefined();
  });

  it("uses nanjing-2021's keys, labels and formula for the quantities both have", () => {
    const nj = loadBuiltinFramework('nanjing-2021')!;
    for (const f of LIBRARY_FACTS) {
      const theirs = nj.factByKey.get(f.key);
      if (theirs) expect([f.label, f.unit], f.key).toEqual([theirs.label, theirs.unit]);
    }
    const mine = LIBRARY_METRICS.find((m) => m.metric.key === 'budgetExecutionRate')!.metric;
    expect(mine.formula).toBe(nj.metricByKey.get('budgetExecutionRate')!.formula);
  });

  it("reproduces the samples' figures", () => {
    // 002: 5959.46 / (6091.91 + 860.29); 000: 8640.33 / (8737.71 + 9).
    expect(compute({ spending: 5959.46, adjustedBudget: 6091.91, carryoverStart: 860.29 }).budgetExecutionRate).toBe(85.72);
    expect(compute({ spending: 8640.33, adjustedBudget: 8737.71, carryoverStart: 9 }).budgetExecutionRate).toBe(98.78);
    // 003 (湛江).
    const zj = compute({
      revenueFinal: 3257.65,
      revenueBudget: 3132.88,
      spending: 3577.86,
      carryoverStart: 468.6,
      carryoverEnd: 148.391,
      idleFundsEnd: 2.65,
      idleFundsStart: 169.45,
      procurementActual: 531.95,
      procurementBudget: 535.58,
      publicExpenseActual: 215.06,
      publicExpenseBudget: 265.82,
    });
    expect(zj).toMatchObject({
      revenueVarianceRate: 3.98,
      spendingCompletionRate: 96.02,
      carryoverRate: 3.98,
      idleFundsChangeRate: -98.44,
      procurementExecutionRate: 99.32,
      publicExpenseControlRate: 80.9,
    });
  });
});
