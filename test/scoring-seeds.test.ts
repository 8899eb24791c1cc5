/**
 * The four sample reports (000, 002, 003, 004; their answers in templates/examples/) scored from their example answers: every figure asserted
 * here is printed in the sample itself.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_FRAMEWORK_IDS, loadBuiltinFramework } from '../src/core/framework/builtin';
import type { Framework } from '../src/core/framework/load';
import { gradeFor } from '../src/core/scoring/engine';
import type { ScoreResult } from '../src/core/scoring/types';
import { entry, scoreValid } from './helpers/mini-framework';

function framework(id: string): Framework {
  const fw = loadBuiltinFramework(id);
  if (!fw) throw new Error(`no built-in framework ${id}`);
  return fw;
}

function scoreExample(id: string, file: string): ScoreResult {
  return scoreValid(framework(id), JSON.parse(readFileSync(`templates/examples/${file}`, 'utf8')));
}

/** Score by code for every indicator. */
function scores(r: ScoreResult): Record<string, number | null> {
  return Object.fromEntries(r.indicators.map((i) => [i.code, i.score]));
}

describe('built-in frameworks', () => {
  it('registers the four frameworks', () => {
    expect(BUILTIN_FRAMEWORK_IDS).toEqual(expect.arrayContaining(['goal-rate', 'guangdong-2020', 'nanjing-2020', 'nanjing-2021']));
  });
});

describe('000 南京市人民政府办公厅 2020 (nanjing-2020)', () => {
  const r = scoreExample('nanjing-2020', 'nanjing-2020-general-office-2020.json');

  it('reproduces every 得分 cell of the score table', () => {
    // Column 得分 of 附件《整体绩效自评价指标得分表》, row by row.
    const table: Record<string, number> = {
      A11: 2, A12: 2, A13: 2, A21: 1, A22: 1, A31: 1, A32: 1, A41: 2.5, A42: 2.5,
      B11: 2, B12: 2, B13: 2, B21: 2, B22: 2, B31: 1, B32: 1, B41: 1, B42: 1,
      B51: 1, B52: 1, B53: 1, B61: 1, B62: 1, B63: 1,
      C11: 10, C21: 5, C22: 5, C31: 10, D11: 30, E11: 4,
    };
    const s = scores(r);
    for (const [code, score] of Object.entries(table)) expect({ code, score: s[code] }).toEqual({ code, score });
    const leaves = r.indicators.filter((i) => i.children.length === 0).map((i) => i.code);
    expect(leaves.sort()).toEqual(Object.keys(table).sort());
  });

  it('sums the level-2 and level-1 subtotals', () => {
    const s = scores(r);
    expect([s.A1, s.A2, s.A3, s.A4]).toEqual([6, 2, 2, 5]);
    expect([s.B1, s.B2, s.B3, s.B4, s.B5, s.B6]).toEqual([6, 4, 2, 2, 3, 3]);
    expect([s.C1, s.C2, s.C3, s.D1, s.E1]).toEqual([10, 10, 10, 30, 4]);
    expect([s.A, s.B, s.C, s.D, s.E]).toEqual([15, 20, 30, 30, 4]);
  });

  it('totals 99, 优秀', () => {
    expect(r.complete).toBe(true);
    expect(r.base).toBe(99);
    expect(r.bonus.score).toBe(0);
    expect(r.penalty.score).toBe(0);
    expect(r.total).toBe(99);
    expect(r.grade).toBe('优秀');
    expect(r.deductions.map((d) => [d.code, d.lost])).toEqual([['E11', 1]]);
  });

  it('computes budget execution 98.78% = 8640.33 / (8737.71 + 9)', () => {
    const m = r.metrics.budgetExecutionRate!;
    expect(m.value).toBe(98.78);
    expect(m.workings).toBe('8640.33 ÷ (8737.71 + 9)');
    expect(entry(r, 'B11').reasons[0]).toBe('预算执行率98.78%，达到90%（含）以上');
    // 调整预算 + 上年结转 − 支出 = 结转下年 106.38
    expect(r.inconsistencies).toEqual([]);
  });
});

describe('002 南京市数据局 2024 (nanjing-2021)', () => {
  const r = scoreExample('nanjing-2021', 'nanjing-2021-data-bureau-2024.json');

  it('gives the level-1 subtotals 14 / 18.5 / 40 / 20 / 5', () => {
    const s = scores(r);
    expect([s.A, s.B, s.C, s.D, s.E]).toEqual([14, 18.5, 40, 20, 5]);
  });

  it('gives base 97.5, bonus 1, total 98.5, 优秀', () => {
    expect(r.complete).toBe(true);
    expect(r.base).toBe(97.5);
    expect(r.bonus.score).toBe(1);
    expect(r.total).toBe(98.5);
    expect(r.grade).toBe('优秀');
  });

  it('reproduces the 自评分 column', () => {
    const s = scores(r);
    const table: Record<string, number> = {
      A11: 2, A12: 2, A21: 2, A22: 2, A31: 2, A32: 2, A41: 1, A42: 1,
      B11: 0.5, B12: 0.5, B13: 1, B14: 1, B21: 1, B22: 1, B31: 1, B32: 1, B41: 1, B42: 1,
      B51: 3, B52: 2, B53: 2, B61: 1, B62: 0.5, B63: 1,
      C11: 4, C12: 4, C13: 4, C14: 4, C15: 4, C16: 5, C17: 5, C18: 5, C19: 5,
      D11: 10, D21: 10, E11: 1, E12: 1, E13: 1, E21: 2,
    };
    for (const [code, score] of Object.entries(table)) expect({ code, score: s[code] }).toEqual({ code, score });
  });

  it('names the deductions the report gives', () => {
    // 预算执行率 < 90% costs 1 (A41) and 0.5 (B11); 项目预算执行率 0.5 (B12); 事前评估充分性不足 0.5 (B62).
    expect(r.deductions.map((d) => [d.code, d.lost])).toEqual([
      ['A41', 1],
      ['B11', 0.5],
      ['B12', 0.5],
      ['B62', 0.5],
    ]);
    expect(r.metrics.budgetExecutionRate!.value).toBe(85.72);
    expect(entry(r, 'A41').reasons).toEqual(['预算执行率85.72%，低于90%', '得1分（满分2分）']);
    expect(entry(r, 'B11').reasons).toEqual(['预算执行率85.72%，低于90%', '得0.5分（满分1分）']);
    expect(entry(r, 'B12').reasons.join('')).toContain('项目预算执行率未达预定目标');
    expect(entry(r, 'B62').reasons.join('')).toContain('事前评估充分性不足');
  });

  it('finds the balance 6091.91 + 860.29 − 5959.46 = 992.74 consistent', () => {
    expect(r.inconsistencies).toEqual([]);
    expect(r.metrics.budgetExecutionRate!.workings).toBe('5959.46 ÷ (6091.91 + 860.29)');
  });
});

describe('figures that disagree (domain.md: "accept both… when both exist and disagree, say so and ask which stands")', () => {
  const fw = framework('nanjing-2021');
  const base = () => JSON.parse(readFileSync('templates/examples/nanjing-2021-data-bureau-2024.json', 'utf8'));

  it('points out a direct 预算执行率 that disagrees with the facts and holds the rules that use it', () => {
    const a = base();
    a.metrics.budgetExecutionRate = 83.04;
    const r = scoreValid(fw, a);
    expect(r.inconsistencies).toEqual([
      {
        kind: 'metric_conflict',
        key: 'budgetExecutionRate',
        resolved: false,
        message: '预算执行率直接填报为83.04%，按基础数据计算为85.72%（5959.46 ÷ (6091.91 + 860.29)），两者不一致，请确认以哪个为准',
      },
    ]);
    expect(entry(r, 'A41').missing).toEqual([{ kind: 'confirm', key: 'budgetExecutionRate' }]);
    expect(entry(r, 'B11').status).toBe('missing');
    expect(r.complete).toBe(false);
  });

  it('uses the figure the answers choose', () => {
    const a = base();
    a.metrics.budgetExecutionRate = 92.13;
    a.metricChoice = { budgetExecutionRate: 'direct' };
    const direct = scoreValid(fw, a);
    expect(direct.metrics.budgetExecutionRate!.value).toBe(92.13);
    expect(direct.inconsistencies.map((i) => i.resolved)).toEqual([true]);
    expect([entry(direct, 'A41').score, entry(direct, 'B11').score]).toEqual([2, 1]);
    a.metricChoice = { budgetExecutionRate: 'computed' };
    const computed = scoreValid(fw, a);
    expect([entry(computed, 'A41').score, entry(computed, 'B11').score]).toEqual([1, 0.5]);
  });

  it('accepts a direct figure that rounds to the computed one', () => {
    const a = base();
    a.metrics.budgetExecutionRate = 85.72;
    expect(scoreValid(fw, a).inconsistencies).toEqual([]);
  });

  it('points out a balance that does not hold (预算 + 年初结转 − 支出 ≠ 年末结转)', () => {
    const a = base();
    a.facts.carryoverEnd = 900;
    const r = scoreValid(fw, a);
    expect(r.inconsistencies.map((i) => i.kind)).toEqual(['check_failed']);
    expect(r.inconsistencies[0]!.message).toBe(
      '年末结转和结余核对不符：调整后部门预算数 + 年初结转和结余 − 本年实际支出数 = 992.74万元，年末结转和结余为900万元，相差92.74万元',
    );
  });
});

describe('003 湛江市人民政府办公室 2020 (guangdong-2020)', () => {
  const r = scoreExample('guangdong-2020', 'guangdong-2020-zhanjiang-office-2020.json');

  it('computes the seven percentages of the report to two decimals', () => {
    const v = (k: string) => r.metrics[k]?.value;
    expect(v('incomeVarianceRate')).toBe(3.98); // 财政拨款收入预决算差异率
    expect(v('spendingCompletionRate')).toBe(96.02); // 支出完成率
    expect(v('carryoverRate')).toBe(3.98); // 结转结余率
    expect(v('stockChangeRate')).toBe(-98.44); // 国库集中支付结转结余存量资金变动率
    expect(v('procurementRate')).toBe(99.32); // 政府采购执行率
    expect(v('fixedAssetUtilisation')).toBe(100); // 固定资产利用率
    expect(v('publicFundsControlRate')).toBe(80.9); // 公用经费控制率 80.90%
  });

  it('shows the workings as the report does', () => {
    expect(r.metrics.spendingCompletionRate!.workings).toBe('3577.86 ÷ (3257.65 + 468.6)');
    expect(r.metrics.procurementRate!.workings).toBe('531.95 ÷ 535.58');
    expect(entry(r, 'D11').reasons[0]).toBe('公用经费控制率80.90%，不超过100%');
  });

  it('scores 100, 优, with the indicators that do not apply re-based', () => {
    expect(r.complete).toBe(true);
    expect(r.total).toBe(100);
    expect(r.grade).toBe('优');
    expect(entry(r, 'B24').status).toBe('not_applicable');
    expect(entry(r, 'D12').status).toBe('not_applicable');
    expect(r.rebased).toBe(true);
    expect(r.applicablePoints).toBe(95);
    expect(r.deductions).toEqual([]);
  });
});

describe('004 石家庄高新区党政办公室 2023 (goal-rate)', () => {
  const fw = framework('goal-rate');
  const r = scoreExample('goal-rate', 'goal-rate-gaoxin-office-2023.json');

  it('computes execution 99.71% = 9565.63 / 9593.18 and the split rates', () => {
    expect(r.metrics.executionRate!.value).toBe(99.71);
    expect(r.metrics.executionRate!.workings).toBe('9565.63 ÷ 9593.18');
    expect(r.metrics.basicExecutionRate!.value).toBe(99.99);
    expect(r.metrics.projectExecutionRate!.value).toBe(99.55);
    expect(r.inconsistencies).toEqual([]);
  });

  it('scores 99, 优秀, with the goals as key tasks', () => {
    expect(r.complete).toBe(true);
    expect(r.total).toBe(99);
    expect(r.grade).toBe('优秀');
    expect(entry(r, 'B').children).toHaveLength(11);
  });

  it.each([
    [100, '优秀'],
    [85, '优秀'],
    [84.99, '良好'],
    [75, '良好'],
    [74.99, '一般'],
    [60, '一般'],
    [59.99, '较差'],
    [0, '较差'],
  ])('grades %s as %s (≥85 优秀, 75–85 良好, 60–75 一般, <60 较差)', (total, grade) => {
    expect(gradeFor(fw.grades, total)).toBe(grade);
  });
});

describe('grade bands of the other frameworks', () => {
  it.each([
    ['nanjing-2020', 90, '优秀'],
    ['nanjing-2020', 89.99, '良好'],
    ['nanjing-2020', 80, '良好'],
    ['nanjing-2020', 79.99, '一般'],
    ['nanjing-2020', 60, '一般'],
    ['nanjing-2020', 59.99, '较差'],
    ['guangdong-2020', 90, '优'],
    ['guangdong-2020', 89.99, '良'],
    ['guangdong-2020', 80, '良'],
    ['guangdong-2020', 79.99, '中'],
    ['guangdong-2020', 60, '中'],
    ['guangdong-2020', 59.99, '差'],
  ])('%s grades %s as %s', (id, total, grade) => {
    expect(gradeFor(framework(id).grades, total)).toBe(grade);
  });
});
