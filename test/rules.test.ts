/**
 * One table per rule kind (docs/domain.md, "Scoring rule shapes"), each case through the loader, the
 * answers validator and the scoring engine. Expected scores and sentences follow from the criteria
 * text quoted above each table.
 */
import { describe, expect, it } from 'vitest';
import { loadFramework } from '../src/core/framework/load';
import type { Rule } from '../src/core/framework/schema';
import type { Answers } from '../src/core/scoring/answers';
import { validateAnswers } from '../src/core/scoring/validate';
import { entry, miniFrameworkData, oneLeaf, scoreLeaf, scoreValid } from './helpers/mini-framework';

const rate = (v: number): Answers => ({ metrics: { rate: v } });
/** A rate as the reports print it: two decimals unless whole ("96.50", "80.90", "100"). */
const pct = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

describe('judgement (shape 1: "决策制度建立完整，得2分" / "…的得2分，否则不得分")', () => {
  const rule: Rule = { kind: 'judgement', question: '决策制度是否建立完整？', yes: '决策制度建立完整', no: '决策制度不完整' };
  it.each([
    [true, 2, ['决策制度建立完整', '得2分（满分2分）']],
    [false, 0, ['决策制度不完整', '不得分（满分2分）']],
    [{ value: false, reason: '缺少议事规则' }, 0, ['决策制度不完整（缺少议事规则）', '不得分（满分2分）']],
  ] as const)('%j → %s', (answer, score, reasons) => {
    const e = scoreLeaf(rule, 2, { judgements: { X: answer } });
    expect(e.score).toBe(score);
    expect(e.reasons).toEqual(reasons);
    expect(e.lost).toBe(2 - score);
  });

  it('gives noScore for no ("未达到的得0.5分")', () => {
    const e = scoreLeaf({ ...rule, noScore: 0.5 }, 1, { judgements: { X: false } });
    expect(e.score).toBe(0.5);
    expect(e.reasons).toEqual(['决策制度不完整', '得0.5分（满分1分）']);
  });

  it('leaves the indicator missing until answered', () => {
    const e = scoreLeaf(rule, 2, {});
    expect(e.status).toBe('missing');
    expect(e.score).toBeNull();
    expect(e.missing).toEqual([{ kind: 'judgement', code: 'X' }]);
  });
});

describe('bands, two tiers (shape 2: "年度预算执行率大于90%的得2分，小于90%得1分")', () => {
  const rule: Rule = { kind: 'bands', metric: 'rate', direction: 'higher', bands: [{ gt: 90, score: 2 }], otherwise: 1 };
  it.each([
    [100, 2, '预算执行率100%，高于90%'],
    [90.01, 2, '预算执行率90.01%，高于90%'],
    // 大于 excludes the number itself.
    [90, 1, '预算执行率90%，不超过90%'],
    [85.72, 1, '预算执行率85.72%，低于90%'],
  ])('%s%% → %s', (v, score, reason) => {
    const e = scoreLeaf(rule, 2, rate(v));
    expect(e.score).toBe(score);
    expect(e.reasons).toEqual([reason, `得${score}分（满分2分）`]);
  });
});

describe('bands (shape 6: "≥90%，计5分；80%(含)-90%，计4分；70%(含)-80%，计3分；60%(含)-70%，计2分；低于60%不得分")', () => {
  const rule: Rule = {
    kind: 'bands',
    metric: 'rate',
    direction: 'higher',
    bands: [
      { gte: 90, score: 5 },
      { gte: 80, lt: 90, score: 4 },
      { gte: 70, lt: 80, score: 3 },
      { gte: 60, lt: 70, score: 2 },
    ],
    otherwise: 0,
  };
  it.each([
    [90, 5, '达到90%（含）以上'],
    [89.99, 4, '在80%（含）至90%之间'],
    [80, 4, '在80%（含）至90%之间'],
    [79.99, 3, '在70%（含）至80%之间'],
    [70, 3, '在70%（含）至80%之间'],
    [60, 2, '在60%（含）至70%之间'],
    [59.99, 0, '低于60%'],
  ])('%s%% → %s', (v, score, where) => {
    const e = scoreLeaf(rule, 5, rate(v));
    expect(e.score).toBe(score);
    expect(e.reasons[0]).toBe(`预算执行率${v}%，${where}`);
    expect(e.reasons[1]).toBe(score === 0 ? '不得分（满分5分）' : `得${score}分（满分5分）`);
  });
});

describe('bands, lower is better with an exact-zero band (shape 7: "=0，计3分；0-10%(含)，计2分；10-20%(含)，计1分；大于30%不得分")', () => {
  const rule: Rule = {
    kind: 'bands',
    metric: 'rate',
    direction: 'lower',
    bands: [
      { eq: 0, score: 3 },
      { gt: 0, lte: 10, score: 2 },
      { gt: 10, lte: 20, score: 1 },
      { gt: 30, score: 0 },
    ],
    // 20–30% is not in the criteria: a person decides.
    otherwise: 'discretionary',
  };
  it.each([
    [0, 3, '为0%'],
    [0.01, 2, '在0%至10%（含）之间'],
    [10, 2, '在0%至10%（含）之间'],
    [10.01, 1, '在10%至20%（含）之间'],
    [20, 1, '在10%至20%（含）之间'],
    [30.01, 0, '高于30%'],
  ])('%s%% → %s', (v, score, where) => {
    const e = scoreLeaf(rule, 3, rate(v));
    expect(e.score).toBe(score);
    expect(e.reasons[0]).toBe(`预算执行率${v}%，${where}`);
  });

  it('asks a person where the criteria are silent, then takes their score and reason', () => {
    const open = scoreLeaf(rule, 3, rate(25));
    expect(open.status).toBe('missing');
    expect(open.missing).toEqual([{ kind: 'decision', code: 'X' }]);
    expect(open.reasons[0]).toBe('预算执行率25%，高于20%');
    const decided = scoreLeaf(rule, 3, { metrics: { rate: 25 }, judgements: { X: { score: 0.5, reason: '调整幅度较大' } } });
    expect(decided.score).toBe(0.5);
    expect(decided.reasons).toEqual(['预算执行率25%，高于20%', '酌情评分：调整幅度较大', '得0.5分（满分3分）']);
  });
});

describe('steps (shape 3: "办理比率在99%以上得10分，每降低5%扣2分，低于60%不得分")', () => {
  const base = { kind: 'steps', metric: 'rate', direction: 'higher', full: { gte: 99 }, step: 5, deduct: 2, cutoff: { lt: 60 } } as const;
  it.each([
    // partial, value, score, lost shown
    ['ceil', 100, 10, null],
    ['ceil', 99, 10, null],
    ['ceil', 98.99, 8, '距满分标准0.01个百分点，每5个百分点扣2分，扣2分'],
    ['ceil', 94, 8, '距满分标准5个百分点，每5个百分点扣2分，扣2分'],
    ['ceil', 93.99, 6, '距满分标准5.01个百分点，每5个百分点扣2分，扣4分'],
    ['ceil', 60, 0, '距满分标准39个百分点，每5个百分点扣2分，扣10分'],
    ['floor', 98.99, 10, '距满分标准0.01个百分点，每5个百分点扣2分，扣0分'],
    ['floor', 94, 8, '距满分标准5个百分点，每5个百分点扣2分，扣2分'],
    ['floor', 93.99, 8, '距满分标准5.01个百分点，每5个百分点扣2分，扣2分'],
    ['proportional', 96.5, 9, '距满分标准2.50个百分点，每5个百分点扣2分，扣1分'],
    // 0.13 / 5 × 2 = 0.052: scores carry two decimals, as the reports print them.
    ['proportional', 98.87, 9.95, '距满分标准0.13个百分点，每5个百分点扣2分，扣0.05分'],
    ['proportional', 89.1, 6.04, '距满分标准9.90个百分点，每5个百分点扣2分，扣3.96分'],
  ] as const)('%s: %s%% → %s', (partial, v, score, deduction) => {
    const e = scoreLeaf({ ...base, partial }, 10, rate(v));
    expect(e.score).toBe(score);
    if (deduction === null) expect(e.reasons).toEqual([`预算执行率${pct(v)}%，达到99%（含）以上`, '得10分（满分10分）']);
    else expect(e.reasons).toEqual([`预算执行率${pct(v)}%，低于99%`, deduction, score === 0 ? '不得分（满分10分）' : `得${score}分（满分10分）`]);
  });

  it('gives 0 below the cut-off (低于60% excludes 60)', () => {
    const e = scoreLeaf(base, 10, rate(59.99));
    expect(e.score).toBe(0);
    expect(e.reasons).toEqual(['预算执行率59.99%，低于60%', '不得分（满分10分）']);
  });
});

describe('steps with an excluded full-score edge ("大于90%得满分，每低1个百分点扣0.5分")', () => {
  const rule: Rule = { kind: 'steps', metric: 'rate', direction: 'higher', full: { gt: 90 }, step: 1, deduct: 0.5 };
  it.each([
    [90.01, 5, '预算执行率90.01%，高于90%'],
    // 大于 excludes 90: the value misses full marks, and a started step counts (ceil).
    [90, 4.5, '预算执行率90%，不超过90%'],
    [89.5, 4.5, '预算执行率89.50%，低于90%'],
    [89, 4.5, '预算执行率89%，低于90%'],
    [88.99, 4, '预算执行率88.99%，低于90%'],
  ])('%s%% → %s', (v, score, lead) => {
    const e = scoreLeaf(rule, 5, rate(v));
    expect(e.score).toBe(score);
    expect(e.reasons[0]).toBe(lead);
  });
  it('counts only whole steps with floor', () => {
    expect(scoreLeaf({ ...rule, partial: 'floor' }, 5, rate(90)).score).toBe(5);
    expect(scoreLeaf({ ...rule, partial: 'floor' }, 5, rate(88.99)).score).toBe(4.5);
  });
});

describe('steps, lower is better (shape 4: "以100%为标准，≤100%计5分；每超过一个百分点扣0.5分，扣完为止")', () => {
  const rule: Rule = { kind: 'steps', metric: 'rate', direction: 'lower', full: { lte: 100 }, step: 1, deduct: 0.5 };
  it.each([
    [80.9, 5],
    [100, 5],
    [100.5, 4.5],
    [101, 4.5],
    [101.01, 4],
    [109.5, 0],
    [130, 0],
  ])('%s%% → %s', (v, score) => {
    expect(scoreLeaf(rule, 5, rate(v)).score).toBe(score);
  });

  it('floors at 0 and says how much was really lost (扣完为止)', () => {
    const e = scoreLeaf(rule, 5, rate(130));
    expect(e.reasons).toEqual(['预算执行率130%，高于100%', '距满分标准30个百分点，每1个百分点扣0.5分，扣5分', '不得分（满分5分）']);
  });
});

describe('steps, sign rule (shape 5: "变动率≤0，计5分；>0，每超过一个百分点扣0.5分，扣完为止")', () => {
  const rule: Rule = { kind: 'steps', metric: 'rate', direction: 'lower', full: { lte: 0 }, step: 1, deduct: 0.5 };
  it.each([
    [-98.44, 5, '预算执行率-98.44%，不超过0%'],
    [0, 5, '预算执行率0%，不超过0%'],
    [0.01, 4.5, '预算执行率0.01%，高于0%'],
    [3, 3.5, '预算执行率3%，高于0%'],
  ])('%s%% → %s', (v, score, lead) => {
    const e = scoreLeaf(rule, 5, rate(v));
    expect(e.score).toBe(score);
    expect(e.reasons[0]).toBe(lead);
  });
});

describe('proportional (shape 8: "按完成比例计算得分，满分为止"; lower: 得分 = 目标值 / 实际值 × 分值)', () => {
  it.each([
    ['higher', 100, 96.02, 3.84],
    ['higher', 100, 100, 4],
    ['higher', 100, 120, 4],
    ['higher', 100, 0, 0],
    ['higher', 90, 45, 2],
    ['lower', 80, 100, 3.2],
    ['lower', 80, 80, 4],
    ['lower', 80, 60, 4],
  ] as const)('%s, target %s: %s%% → %s of 4', (direction, target, v, score) => {
    const e = scoreLeaf({ kind: 'proportional', metric: 'rate', direction, target }, 4, rate(v));
    expect(e.score).toBe(score);
    expect(e.reasons).toEqual([`预算执行率${v}%，目标值${target}%，按比例计分`, score === 0 ? '不得分（满分4分）' : `得${score}分（满分4分）`]);
  });

  it('rounds to two decimals, as the reports print scores', () => {
    // 2.5 × 33.33% = 0.83325 → 0.83
    expect(scoreLeaf({ kind: 'proportional', metric: 'rate', direction: 'higher' }, 2.5, rate(33.33)).score).toBe(0.83);
  });
});

describe('checklist (shape 9: "①已制定预算资金管理办法，1分；②制度合法合规完整，1分；③制度有效执行，1分")', () => {
  const rule: Rule = {
    kind: 'checklist',
    question: '以下哪些已做到？',
    items: [
      { key: 'made', label: '已制定预算资金管理办法', points: 1 },
      { key: 'lawful', label: '制度合法合规完整', points: 1 },
      { key: 'enforced', label: '制度有效执行', points: 1 },
    ],
  };
  it.each([
    [['made', 'lawful', 'enforced'], 3, ['已满足：已制定预算资金管理办法；制度合法合规完整；制度有效执行', '得3分（满分3分）']],
    [['made', '制度有效执行'], 2, ['已满足：已制定预算资金管理办法；制度有效执行', '未满足：制度合法合规完整', '得2分（满分3分）']],
    [[], 0, ['未满足：已制定预算资金管理办法；制度合法合规完整；制度有效执行', '不得分（满分3分）']],
  ])('%j → %s', (items, score, reasons) => {
    const e = scoreLeaf(rule, 3, { judgements: { X: items } });
    expect(e.score).toBe(score);
    expect(e.reasons).toEqual(reasons);
  });
});

describe('per_violation (shape 10: "每出现一例不符合要求的扣1分，扣完为止")', () => {
  const rule: Rule = { kind: 'per_violation', question: '有几例不符合要求？', deduct: 1, counted: '不符合要求的情况' };
  it.each([
    [0, 3, '无不符合要求的情况'],
    [1, 2, '不符合要求的情况1例，每例扣1分'],
    [3, 0, '不符合要求的情况3例，每例扣1分'],
    [7, 0, '不符合要求的情况7例，每例扣1分'],
  ])('%s → %s', (count, score, reason) => {
    const e = scoreLeaf(rule, 3, { judgements: { X: count } });
    expect(e.score).toBe(score);
    expect(e.reasons[0]).toBe(reason);
  });
});

describe('graded (shape 11: "充分：3分；一般：1.5分；没有：0分"; 10号 share ranges)', () => {
  const fixed: Rule = {
    kind: 'graded',
    question: '事前评估是否充分？',
    levels: [
      { label: '充分', score: 3 },
      { label: '一般', score: 1.5 },
      { label: '没有', score: 0 },
    ],
  };
  it.each([
    ['充分', 3],
    ['一般', 1.5],
    ['没有', 0],
  ])('%s → %s', (level, score) => {
    const e = scoreLeaf(fixed, 3, { judgements: { X: { level } } });
    expect(e.score).toBe(score);
    // Prose, as the report prints it: the label unquoted after 经评价.
    expect(e.reasons[0]).toBe(`经评价，${level}`);
  });
  it('states a level in its report wording when the framework gives one', () => {
    const worded: Rule = {
      kind: 'graded',
      question: '事前评估是否充分？',
      levels: [
        { label: '充分', score: 3, report: '事前评估充分' },
        { label: '一般', score: 1.5, report: '事前评估部分环节不充分' },
      ],
    };
    expect(scoreLeaf(worded, 3, { judgements: { X: { level: '一般' } } }).reasons[0]).toBe('事前评估部分环节不充分');
    expect(scoreLeaf(worded, 3, { judgements: { X: { level: '一般', reason: '缺少成本效益分析' } } }).reasons[0]).toBe('事前评估部分环节不充分（缺少成本效益分析）');
  });

  const shares: Rule = {
    kind: 'graded',
    question: '作用发挥得怎样？',
    levels: [
      { label: '好', minShare: 0.8, maxShare: 1 },
      { label: '中', minShare: 0.6, maxShare: 0.8 },
      { label: '差', minShare: 0, maxShare: 0.6 },
    ],
  };
  it('takes the score a person picks inside the level, with the reason', () => {
    const e = scoreLeaf(shares, 10, { judgements: { X: { level: '中', score: 7, reason: '部分目标未达成' } } });
    expect(e.score).toBe(7);
    expect(e.reasons).toEqual(['经评价，中（部分目标未达成）', '得7分（满分10分）']);
  });
  it('requires a reason when a person picks less than full marks', () => {
    const v = validateAnswers(oneLeaf(shares, 10), { judgements: { X: { level: '中', score: 7 } } });
    expect(v.ok ? [] : v.problems).toEqual(['指标「X」未得满分，请说明扣分理由']);
    expect(validateAnswers(oneLeaf(shares, 10), { judgements: { X: { level: '好', score: 10 } } }).ok).toBe(true);
  });
  it('asks for the score when only the level is given', () => {
    const e = scoreLeaf(shares, 10, { judgements: { X: { level: '中' } } });
    expect(e.status).toBe('missing');
    expect(e.missing).toEqual([{ kind: 'decision', code: 'X' }]);
  });
  it('rejects a score outside the level', () => {
    const v = validateAnswers(oneLeaf(shares, 10), { judgements: { X: { level: '中', score: 8.5, reason: '…' } } });
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.problems).toEqual(['指标「X」评为「中」时得分应在6至8分之间']);
  });
});

describe('not_exceeding (shape 12: "“三公”经费不超支得2分，超支扣分")', () => {
  const rule: Rule = { kind: 'not_exceeding', actual: 'actual', limit: 'limit', over: 0 };
  it.each([
    [90, 100, 2, '实际支出90万元，未超过预算数100万元'],
    [100, 100, 2, '实际支出100万元，未超过预算数100万元'],
    [100.01, 100, 0, '实际支出100.01万元，超过预算数100万元'],
  ])('%s of %s → %s', (actual, limit, score, reason) => {
    const e = scoreLeaf(rule, 2, { facts: { actual, limit } });
    expect(e.score).toBe(score);
    expect(e.reasons[0]).toBe(reason);
  });
  it('leaves the amount to a person when the rule says so', () => {
    const r = { ...rule, over: 'discretionary' as const };
    expect(scoreLeaf(r, 2, { facts: { actual: 120, limit: 100 } }).missing).toEqual([{ kind: 'decision', code: 'X' }]);
    const e = scoreLeaf(r, 2, { facts: { actual: 120, limit: 100 }, judgements: { X: { score: 1, reason: '超支20万元' } } });
    expect(e.score).toBe(1);
    expect(e.reasons).toEqual(['实际支出120万元，超过预算数100万元', '酌情评分：超支20万元', '得1分（满分2分）']);
  });
  it('asks for both figures', () => {
    expect(scoreLeaf(rule, 2, {}).missing).toEqual([
      { kind: 'fact', key: 'actual' },
      { kind: 'fact', key: 'limit' },
    ]);
  });
});

describe('discretionary (shape 14: "违法违纪，酌情扣分")', () => {
  const rule: Rule = { kind: 'discretionary', question: '本项得几分？为什么？' };
  it.each([
    [{ score: 5 }, 5, ['酌情评分', '得5分（满分5分）']],
    [{ score: 3.5, reason: '个别任务延期' }, 3.5, ['酌情评分：个别任务延期', '得3.5分（满分5分）']],
    [{ score: 0, reason: '未开展' }, 0, ['酌情评分：未开展', '不得分（满分5分）']],
  ])('%j → %s', (answer, score, reasons) => {
    const e = scoreLeaf(rule, 5, { judgements: { X: answer } });
    expect(e.score).toBe(score);
    expect(e.reasons).toEqual(reasons);
  });
  it('requires a reason for lost points and a score within the points', () => {
    const fw = oneLeaf(rule, 5);
    const v = validateAnswers(fw, { judgements: { X: { score: 4 } } });
    expect(v.ok ? [] : v.problems).toEqual(['指标「X」未得满分，请说明扣分理由']);
    const w = validateAnswers(fw, { judgements: { X: { score: 6, reason: '…' } } });
    expect(w.ok ? [] : w.problems).toEqual(['指标「X」的得分应在0至5分之间']);
  });
});

describe('bonus table (shape 13: "国务院3分，省级2分，市级一等奖1分，二等奖0.5分；同一项工作不累计加分", cap 5)', () => {
  const judge: Rule = { kind: 'judgement', question: '?', yes: '是', no: '否' };
  const bonus = {
    name: '加分项',
    cap: 5,
    cumulative: false,
    items: [
      { key: 'stateCouncil', label: '受到国务院嘉奖', points: 3 },
      { key: 'provincial', label: '受到省级嘉奖', points: 2 },
      { key: 'municipalFirst', label: '得到市级考核一等奖', points: 1 },
      { key: 'municipalSecond', label: '得到市级考核二等奖', points: 0.5 },
    ],
  };
  const fw = (cumulative = false) =>
    loadFramework(miniFrameworkData([{ code: 'X', name: '测试指标', points: 100, rule: judge }], { bonus: { ...bonus, cumulative } }), 'mini.json');

  it('counts only the highest award for the same work', () => {
    const r = scoreValid(fw(), {
      judgements: { X: true },
      bonus: [
        { item: 'municipalFirst', work: '营商环境' },
        { item: 'provincial', work: '营商环境' },
      ],
    });
    expect(r.bonus.score).toBe(2);
    expect(r.bonus.reasons).toEqual(['营商环境：受到省级嘉奖，加2分', '营商环境：得到市级考核一等奖（同一项工作不累计加分，取最高一项）']);
    expect(r.total).toBe(102);
  });

  it('adds awards for different work, up to the cap', () => {
    const r = scoreValid(fw(), {
      judgements: { X: true },
      bonus: [
        { item: 'stateCouncil', work: '甲' },
        { item: 'provincial', work: '乙' },
        { item: 'municipalSecond', work: '丙' },
      ],
    });
    expect(r.bonus.score).toBe(5);
    expect(r.bonus.reasons.at(-1)).toBe('加分合计5.5分，超过上限5分，按5分计');
    expect(r.total).toBe(105);
  });

  it('adds 0.5 + 1 exactly', () => {
    const r = scoreValid(fw(), { judgements: { X: true }, bonus: [{ item: 'municipalSecond', work: '甲' }, { item: 'municipalFirst', work: '乙' }] });
    expect(r.bonus.score).toBe(1.5);
  });

  it('adds awards for the same work when the table is cumulative', () => {
    const r = scoreValid(fw(true), {
      judgements: { X: true },
      bonus: [
        { item: 'municipalFirst', work: '营商环境' },
        { item: 'provincial', work: '营商环境' },
      ],
    });
    expect(r.bonus.score).toBe(3);
  });
});

describe('penalties (shape 14 as a section: "酌情扣分")', () => {
  const judge: Rule = { kind: 'judgement', question: '?', yes: '是', no: '否' };
  const fw = loadFramework(
    miniFrameworkData([{ code: 'X', name: '测试指标', points: 100, rule: judge }], { penalty: { name: '减分项', cap: 5 } }),
    'mini.json',
  );
  it('subtracts each penalty with its reason', () => {
    const r = scoreValid(fw, { judgements: { X: true }, penalties: [{ points: 1, reason: '工作人员违反工作纪律' }] });
    expect(r.penalty.score).toBe(1);
    expect(r.penalty.reasons).toEqual(['工作人员违反工作纪律，扣1分']);
    expect(r.total).toBe(99);
  });
  it('caps the penalties', () => {
    const r = scoreValid(fw, {
      judgements: { X: true },
      penalties: [
        { points: 3, reason: '甲' },
        { points: 4, reason: '乙' },
      ],
    });
    expect(r.penalty.score).toBe(5);
    expect(r.penalty.reasons.at(-1)).toBe('减分合计7分，超过上限5分，按5分计');
    expect(r.total).toBe(95);
  });
  it('never takes the total below 0', () => {
    const r = scoreValid(fw, { judgements: { X: false }, penalties: [{ points: 5, reason: '甲' }] });
    expect(r.base).toBe(0);
    expect(r.total).toBe(0);
  });
});

describe('not applicable (shape 15: left out, the rest re-based to 100)', () => {
  const judge: Rule = { kind: 'judgement', question: '?', yes: '是', no: '否' };
  const fw = loadFramework(
    miniFrameworkData(
      [
        { code: 'A', name: '甲', points: 40, children: [
          { code: 'A1', name: '甲一', points: 30, rule: { kind: 'per_violation', question: '?', deduct: 3, counted: '问题' } },
          { code: 'A2', name: '甲二', points: 10, rule: judge, required: true },
        ] },
        { code: 'B', name: '乙', points: 60, children: [
          { code: 'B1', name: '乙一', points: 25, rule: judge },
          { code: 'B2', name: '乙二', points: 35, rule: judge },
        ] },
      ],
      { grades: [{ grade: '优秀', gte: 90 }, { grade: '良好', gte: 80, lt: 90 }, { grade: '一般', gte: 60, lt: 80 }, { grade: '较差', gte: 0, lt: 60 }] },
    ),
    'mini.json',
  );

  it('re-bases the applicable points to 100', () => {
    // A1 loses 3 of 30; B2 does not apply: (27 + 10 + 25) / 65 × 100 = 95.38
    const r = scoreValid(fw, { judgements: { A1: 1, A2: true, B1: true }, notApplicable: { B2: '本年无此项业务' } });
    expect(r.baseRaw).toBe(62);
    expect(r.applicablePoints).toBe(65);
    expect(r.rebased).toBe(true);
    expect(r.base).toBe(95.38);
    expect(r.grade).toBe('优秀');
    expect(r.notes).toEqual(['部分指标不适用，按适用指标满分65分折算为百分制：95.38分']);
    expect(entry(r, 'B2').reasons).toEqual(['不适用：本年无此项业务']);
    expect(entry(r, 'B2').score).toBeNull();
  });

  it('applies a parent\'s not-applicable to its children', () => {
    const r = scoreValid(fw, { judgements: { A1: 0, A2: true }, notApplicable: { B: '不涉及' } });
    expect(entry(r, 'B1').status).toBe('not_applicable');
    expect(entry(r, 'B').status).toBe('not_applicable');
    expect(r.base).toBe(100);
  });

  it('does not re-base when everything applies', () => {
    const r = scoreValid(fw, { judgements: { A1: 0, A2: true, B1: true, B2: false } });
    expect(r.rebased).toBe(false);
    expect(r.base).toBe(65);
    expect(r.grade).toBe('一般');
  });

  it('refuses to leave out a required indicator', () => {
    const v = validateAnswers(fw, { notApplicable: { A2: '不涉及' } });
    expect(v.ok ? [] : v.problems).toEqual(['指标「A2」为必评指标，不能标记为不适用']);
  });
});
