/**
 * The phrase corpus: every scoring shape of docs/domain.md, its boundary words, Chinese numerals and
 * full-width variants, and every 评价要点 of the seed tables (000, 002), each with the rule it must
 * compile to (scoring fields only) or the reason it must stay open.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ruleProblems } from '../src/core/framework/load';
import { compileCriteria, parseBonusTable, parseComparison } from '../src/core/import/compiler';
import { describeRule } from '../src/core/import/describe';
import { convertChineseNumerals, normaliseText, parseChineseNumber, parseNumber } from '../src/core/import/numerals';
import { computeSeedStats, scoringShape, type SeedExpectation, type SeedRow } from '../src/core/import/seed-stats';

type Expected = SeedExpectation;
interface Phrase {
  text: string;
  points: number;
  name?: string;
  code?: string;
  expect: Expected;
}

const J = { kind: 'judgement' } as const;

const PHRASES: Phrase[] = [
  // 1. All or nothing.
  { text: '决策制度建立完整，得2分', points: 2, expect: J },
  { text: '档案资料齐全的得2分，否则不得分', points: 2, expect: J },
  { text: '档案资料齐全的得2分，不齐全的扣2分', points: 2, expect: J },
  { text: '档案资料齐全的得2分，不齐全的扣1分', points: 2, expect: { kind: 'judgement', noScore: 1 } },
  { text: '制度健全的得3分，否则得1分', points: 3, expect: { kind: 'judgement', noScore: 1 } },
  { text: '制度健全的得二分，否则不得分', points: 2, expect: J },
  { text: '制度健全，得２分。', points: 2, expect: J },
  { text: '制度健全的得2. 5分', points: 2.5, expect: J },
  { text: '制度健全的得零点五分', points: 0.5, expect: J },
  { text: '制度健全的得2分', points: 3, expect: { open: 'points_mismatch' } },
  { text: '内部预算编制是否与重点工作相匹配，得2.5分。', points: 2.5, expect: J },
  { text: '在高水平全面建设小康社会，推动高质量发展，优化营商环境中发挥了应有的作用得满分', points: 10, expect: J },
  { text: '未按规定公开预决算信息的扣1分', points: 1, expect: J },
  { text: '未公开预决算的扣1分，公开不及时的扣0.5分', points: 1, expect: { open: 'unrecognised' } },
  // 2. Two tiers, and the boundary words.
  {
    text: '年度预算执行率大于90%的得2分，小于90%得1分',
    points: 2,
    expect: { kind: 'bands', metric: 'budgetExecutionRate', bands: [{ gt: 90, score: 2 }, { lte: 90, score: 1 }] },
  },
  {
    text: '预算执行率不低于90%的得2分，低于90%的得1分',
    points: 2,
    expect: { kind: 'bands', metric: 'budgetExecutionRate', bands: [{ gte: 90, score: 2 }, { lt: 90, score: 1 }] },
  },
  {
    text: '预算执行率超过90%得2分，不超过90%得1分',
    points: 2,
    expect: { kind: 'bands', metric: 'budgetExecutionRate', bands: [{ gt: 90, score: 2 }, { lte: 90, score: 1 }] },
  },
  { text: '预算执行率90%以上的得2分，90%以下的得1分', points: 2, expect: { open: 'overlap' } },
  {
    text: '预算执行率达到百分之九十的得2分，否则得1分',
    points: 2,
    expect: { kind: 'bands', metric: 'budgetExecutionRate', bands: [{ gte: 90, score: 2 }], otherwise: 1 },
  },
  {
    text: '预算执行率在 90%以上，得 2 分。',
    points: 2,
    expect: { kind: 'bands', metric: 'budgetExecutionRate', bands: [{ gte: 90, score: 2 }], otherwise: 0 },
  },
  {
    text: '部门预算执行率≥90%的得2分，<90%的不得分',
    points: 2,
    expect: { kind: 'bands', metric: 'budgetExecutionRate', bands: [{ gte: 90, score: 2 }, { lt: 90, score: 0 }] },
  },
  { text: '预算执行率90%以上得3分', points: 2, expect: { open: 'points_mismatch' } },
  { text: '预算执行率小于90%得1分', points: 2, expect: { open: 'points_mismatch' } },
  { text: '完成率100%得10分', points: 10, name: '任务完成率', code: 'C11', expect: { open: 'no_boundary' } },
  // 3. Linear steps with a cut-off (steps in percentage points).
  {
    text: '办理比率在99%以上得10分，每降低5%扣2分，低于60%不得分',
    points: 10,
    name: '文件办理率',
    code: 'C11',
    expect: { kind: 'steps', metric: 'rateC11', direction: 'higher', full: { gte: 99 }, step: 5, deduct: 2, cutoff: { lt: 60 } },
  },
  {
    text: '完成率在百分之九十以上得十分，每降低五个百分点扣二分，低于百分之六十不得分',
    points: 10,
    name: '督查任务完成率',
    code: 'C31',
    expect: { kind: 'steps', metric: 'rateC31', direction: 'higher', full: { gte: 90 }, step: 5, deduct: 2, cutoff: { lt: 60 } },
  },
  // 4. Steps per point, floor 0.
  {
    text: '以100%为标准，在职人员控制率≤100%计5分；每超过一个百分点扣0.5分，扣完为止',
    points: 5,
    expect: { kind: 'steps', metric: 'staffControlRate', direction: 'lower', full: { lte: 100 }, step: 1, deduct: 0.5 },
  },
  // 5. Sign rule.
  {
    text: "'三公经费'变动率≤0，计5分；>0，每超过一个百分点扣0.5分，扣完为止",
    points: 5,
    expect: { kind: 'steps', metric: 'threePublicChangeRate', direction: 'lower', full: { lte: 0 }, step: 1, deduct: 0.5 },
  },
  // 6. Bands with (含).
  {
    text: '重点支出安排率≥90%，计5分；80%(含)-90%，计4分；70%(含)-80%，计3分；60%(含)-70%，计2分；低于60%不得分',
    points: 5,
    expect: {
      kind: 'bands',
      metric: 'keySpendingRate',
      bands: [
        { gte: 90, score: 5 },
        { gte: 80, lt: 90, score: 4 },
        { gte: 70, lt: 80, score: 3 },
        { gte: 60, lt: 70, score: 2 },
        { lt: 60, score: 0 },
      ],
    },
  },
  {
    text: '满意度９０％（含）以上得５分，８０％（含）－９０％得３分，低于８０％不得分',
    points: 5,
    name: '满意度',
    expect: { kind: 'bands', metric: 'satisfactionRate', bands: [{ gte: 90, score: 5 }, { gte: 80, lt: 90, score: 3 }, { lt: 80, score: 0 }] },
  },
  { text: '满意度80%-90%得4分，90%以上得5分，80%以下不得分', points: 5, name: '满意度', expect: { open: 'range_ends' } },
  // 7. Exact-zero band, lower is better: the domain's phrase leaves 20–30% (and below 0) without a score.
  { text: '预算调整率=0，计3分；0-10%(含)，计2分；10-20%(含)，计1分；大于30%不得分', points: 3, expect: { open: 'gap' } },
  // 8. Proportional.
  {
    text: '按完成比例计算得分，满分为止',
    points: 10,
    name: '督查任务完成率',
    code: 'C31',
    expect: { kind: 'proportional', metric: 'rateC31', direction: 'higher' },
  },
  { text: '得分=目标值/实际值×分值', points: 10, name: '单位成本控制率', code: 'C41', expect: { open: 'no_target' } },
  // 9. Additive checklist.
  {
    text: '①已制定预算资金管理办法，1分；②制度合法合规完整，1分；③制度有效执行，1分',
    points: 3,
    expect: {
      kind: 'checklist',
      items: [
        { key: 'item1', label: '已制定预算资金管理办法', points: 1 },
        { key: 'item2', label: '制度合法合规完整', points: 1 },
        { key: 'item3', label: '制度有效执行', points: 1 },
      ],
    },
  },
  { text: '①已制定预算资金管理办法，1分；②制度合法合规完整，1分；③制度有效执行，1分', points: 4, expect: { open: 'points_mismatch' } },
  // 10. Per violation.
  { text: '每出现一例不符合要求的扣1分，扣完为止', points: 5, expect: { kind: 'per_violation', deduct: 1 } },
  { text: '每发现一次违规扣0.5分，扣完为止', points: 2, expect: { kind: 'per_violation', deduct: 0.5 } },
  // 11. Graded judgement, fixed scores or shares of the points.
  {
    text: '充分：3分；一般：1.5分；没有：0分',
    points: 3,
    expect: { kind: 'graded', levels: [{ label: '充分', score: 3 }, { label: '一般', score: 1.5 }, { label: '没有', score: 0 }] },
  },
  {
    text: '好：100%-80%；中：80%-60%；差：60%-0',
    points: 10,
    expect: {
      kind: 'graded',
      levels: [
        { label: '好', minShare: 0.8, maxShare: 1 },
        { label: '中', minShare: 0.6, maxShare: 0.8 },
        { label: '差', minShare: 0, maxShare: 0.6 },
      ],
    },
  },
  // 12. Not exceeding.
  {
    text: "'三公'经费不超支得2分，超支扣分",
    points: 2,
    expect: { kind: 'not_exceeding', actual: 'threePublicSpending', limit: 'threePublicBudget', over: 'discretionary' },
  },
  {
    text: '“三公”经费不超支得2分，超支不得分',
    points: 2,
    expect: { kind: 'not_exceeding', actual: 'threePublicSpending', limit: 'threePublicBudget', over: 0 },
  },
  { text: '“三公”经费不超支且按规定公开的得2分，否则不得分', points: 2, expect: J },
  { text: '项目按期完成且预算执行率大于90%的得2分，否则不得分', points: 2, expect: { open: 'unknown_metric' } },
  { text: '预算执行率大于90%的得2分，未按时报送的得1分', points: 2, expect: { open: 'unrecognised' } },
  {
    text: '预算执行率大于90%的得2分，未达到的得1分',
    points: 2,
    expect: { kind: 'bands', metric: 'budgetExecutionRate', bands: [{ gt: 90, score: 2 }], otherwise: 1 },
  },
  {
    text: '项目资金预算执行率大于90%的得2分，否则不得分',
    points: 2,
    code: 'B12',
    expect: { kind: 'bands', metric: 'rateB12', bands: [{ gt: 90, score: 2 }], otherwise: 0 },
  },
  {
    text: '“三公”经费支出未超预算的得1分，超预算的扣0.5分',
    points: 1,
    expect: { kind: 'not_exceeding', actual: 'threePublicSpending', limit: 'threePublicBudget', over: 0.5 },
  },
  // 14. Discretionary.
  { text: '部门或工作人员违法违纪，酌情扣分', points: 5, expect: { kind: 'discretionary' } },
  // 1 + 14. Partial credit: the second clause is kept (the evaluator scores a partial answer with a reason).
  { text: '制度健全的得1分，部分做到的酌情打分', points: 1, expect: { kind: 'judgement', partial: true } },
  { text: '全部达到的得2分，部分达到的酌情扣分', points: 2, expect: { kind: 'judgement', partial: true } },
  { text: '管理制度完善的得1分，不完善的酌情扣分', points: 1, expect: { kind: 'judgement', partial: true } },
  { text: '按时公开的得1分，否则视情况扣分', points: 1, expect: { kind: 'judgement', partial: true } },
  { text: '制度健全的得1分；基本健全的，酌情给分；未建立的不得分', points: 1, expect: { kind: 'judgement', partial: true } },
  { text: '档案资料齐全的得2分，资料不齐全的酌情扣分，未建档的得0.5分', points: 2, expect: { kind: 'judgement', noScore: 0.5, partial: true } },
  // ...a fixed partial score is a graded judgement.
  {
    text: '全部完成的得1分，部分完成的得0.5分，未完成不得分',
    points: 1,
    expect: { kind: 'graded', levels: [{ label: '全部完成', score: 1 }, { label: '部分完成', score: 0.5 }, { label: '未完成', score: 0 }] },
  },
  {
    text: '制度健全的得1分，部分做到的得0.5分',
    points: 1,
    expect: { kind: 'graded', levels: [{ label: '制度健全', score: 1 }, { label: '部分做到', score: 0.5 }, { label: '其他情况', score: 0 }] },
  },
  // ...and a clause the grammar cannot represent is a question, never dropped.
  { text: '制度健全的得1分，部分做到的按完成情况打分', points: 1, expect: { open: 'unrecognised' } },
  { text: '制度健全的得1分，以年度检查结果为准', points: 1, expect: { open: 'unrecognised' } },
  { text: '预算执行率90%以上得2分，否则不得分，结合审计情况综合认定', points: 2, expect: { open: 'unrecognised' } },
  { text: '制度健全的得1分，部分做到的酌情打分，另行检查的酌情扣分', points: 1, expect: { open: 'unspecified_deduction' } },
  { text: '按时报送的得1分，内容有误的酌情扣分', points: 1, expect: { open: 'unspecified_deduction' } },
  // Other common phrasings.
  {
    text: '预算执行率≥90%得满分；每低1个百分点扣0.1分，扣完为止',
    points: 2,
    expect: { kind: 'steps', metric: 'budgetExecutionRate', direction: 'higher', full: { gte: 90 }, step: 1, deduct: 0.1 },
  },
  {
    text: '公用经费控制率≤100%得满分，每超1%扣0.5分',
    points: 3,
    expect: { kind: 'steps', metric: 'publicExpenseControlRate', direction: 'lower', full: { lte: 100 }, step: 1, deduct: 0.5 },
  },
  {
    text: '好（2分），较好（1分），差（0分）',
    points: 2,
    expect: { kind: 'graded', levels: [{ label: '好', score: 2 }, { label: '较好', score: 1 }, { label: '差', score: 0 }] },
  },
  {
    text: '优：5分；良：4分；中：3分；差：0分',
    points: 5,
    expect: { kind: 'graded', levels: [{ label: '优', score: 5 }, { label: '良', score: 4 }, { label: '中', score: 3 }, { label: '差', score: 0 }] },
  },
  { text: '未按规定公开的，每项扣0.5分，扣完为止', points: 2, expect: { kind: 'per_violation', deduct: 0.5 } },
  { text: '按时完成得2分，未按时完成不得分', points: 2, expect: J },
  {
    text: '全部完成得满分，部分完成按比例得分，未完成不得分',
    points: 4,
    name: '重点任务',
    code: 'C12',
    expect: { kind: 'proportional', metric: 'rateC12', direction: 'higher' },
  },
  {
    text: '项目支出占比达到30%以上的得2分，否则不得分',
    points: 2,
    code: 'A21',
    expect: { kind: 'bands', metric: 'rateA21', bands: [{ gte: 30, score: 2 }], otherwise: 0 },
  },
  { text: '提高政务服务水平并取得良好质效得4分', points: 4, name: '政务服务好评率', expect: J },
  { text: '达到财政考核要求的得1分', points: 1, name: '部门预算执行率', expect: { open: 'vague_standard' } },
  // 004's targets and 003's formulas: no score, so questions (with the all-or-nothing reading suggested).
  { text: '各项综合事务管理工作完成率达到90%及以上', points: 10, name: '综合事务管理工作', expect: { open: 'no_score' } },
  { text: '审计计划执行率达到90%及以上；问题整改率达到80%及以上', points: 6, expect: { open: 'no_score' } },
  { text: '财政拨款收入预决算差异率=（收入决算数-收入预算数）/收入预算数*100%', points: 5, expect: { open: 'no_score' } },
  // Questions, not guesses.
  { text: '年末预算执行率达到财政考核要求的得1分', points: 1, expect: { open: 'vague_standard' } },
  { text: '预算执行率较高的得2分', points: 2, expect: { open: 'vague_standard' } },
  // One qualitative condition with no score: 财预〔2020〕10号's three levels (000 E11, scored 4 of 5 by the unit).
  {
    text: '办公流程和业务开展网上综合办公平台全覆盖',
    points: 5,
    expect: {
      kind: 'graded',
      levels: [
        { label: '办公流程和业务开展网上综合办公平台全覆盖', minShare: 0.8, maxShare: 1 },
        { label: '部分达成，有一定效果', minShare: 0.6, maxShare: 0.8 },
        { label: '未达成，效果较差', minShare: 0, maxShare: 0.6 },
      ],
    },
  },
  // ...but a list of quantities, a benchmark without values, a vague standard or a number stays a question.
  { text: '接报突发事件信息办结率；人大代表满意率；政协代表同意率和理解率等作为标杆值。', points: 30, expect: { open: 'no_score' } },
  { text: '服务对象满意度较高', points: 5, expect: { open: 'vague_standard' } },
  { text: '内部控制制度达到考核要求', points: 2, expect: { open: 'no_score' } },
  { text: '办公流程、业务开展均通过网上综合办公平台办理', points: 2, expect: { open: 'no_score' } },
  { text: '会议纪要按标准归档', points: 2, expect: { open: 'no_score' } },
  { text: '全年召开12次党组会', points: 2, expect: { open: 'no_score' } },
  { text: '', points: 1, expect: { open: 'empty' } },
  { text: '预算执行率90%以上得2分，满意度90%以上得1分', points: 2, expect: { open: 'mixed_metrics' } },
  { text: '受到国务院嘉奖加3分', points: 3, expect: { open: 'unrecognised' } },
  { text: '预算执行率不低于60%，酌情扣分', points: 2, expect: { open: 'unspecified_deduction' } },
  { text: '执行率90%左右的得2分', points: 2, expect: { open: 'no_boundary' } },
  { text: '得1分；60%', points: 1, expect: { open: 'no_score' } },
  { text: '工作完成情况良好，扣1分得2分', points: 2, expect: { open: 'unrecognised' } },
];

function check(p: Phrase) {
  const r = compileCriteria(p.text, { code: p.code ?? 'X1', name: p.name ?? '测试指标', points: p.points });
  if ('open' in p.expect) {
    expect(r.ok ? `compiled: ${r.text}` : r.kind).toBe(p.expect.open);
  } else if ('kind' in p.expect) {
    expect(r.ok ? scoringShape(r.rule) : `open: ${r.reason}`).toEqual(scoringShape(p.expect));
  }
  // A compiled rule always passes the loader's rule checks with the quantities it brings.
  if (r.ok) {
    const names = new Map<string, string>([...r.quantities.facts.map((f) => [f.key, 'fact'] as const), ...r.quantities.metrics.map((m) => [m.key, 'metric'] as const)]);
    expect(ruleProblems(r.rule, p.points, names)).toEqual([]);
  }
}

describe('rule compiler: the shapes of domain.md', () => {
  for (const p of PHRASES) it(`${p.text || '(empty)'} [${p.points}分]`, () => check(p));
});

describe('rule compiler: the seed score tables, phrase by phrase', () => {
  const fixture = JSON.parse(readFileSync(new URL('./fixtures/import/seed-tables.json', import.meta.url), 'utf8')) as { rows: SeedRow[] };
  const indicatorRows = fixture.rows.filter((r) => !('bonus' in r.expect) && !('penalty' in r.expect));
  // Codes as the importer assigns them (local metrics are keyed by code).
  const codeOf = (r: SeedRow) => {
    const m = /^([A-Z]\d*)\s/.exec(r.level3);
    if (m) return m[1]!;
    const siblings = fixture.rows.filter((x) => x.seed === r.seed && x.level1 === r.level1 && x.level2 === r.level2);
    const l2 = /^([A-Z]\d+)\s/.exec(r.level2)?.[1] ?? 'X1';
    return `${l2}${siblings.indexOf(r) + 1}`;
  };
  for (const r of indicatorRows) {
    const name = r.level3.replace(/^[A-Z]\d*\s*/, '').replace(/（[\d.]+分）$/, '');
    it(`${r.seed} ${r.criteria}`, () => check({ text: r.criteria, points: r.points!, name, code: codeOf(r), expect: r.expect }));
  }
});

describe('quality figure over the seed tables', () => {
  it('compiles none wrongly and misses none that the prose pins down', () => {
    const fixture = JSON.parse(readFileSync(new URL('./fixtures/import/seed-tables.json', import.meta.url), 'utf8')) as { rows: SeedRow[] };
    const stats = computeSeedStats(fixture.rows);
    expect(stats.wrong).toEqual([]);
    expect(stats.missed).toEqual([]);
    expect(stats.rows).toBe(fixture.rows.length);
    // The open rows are the ones whose prose is incomplete: 000's D11 (benchmarks without values),
    // 002's two "达到财政考核要求" rows and four key tasks worth 5 points that say "得4分".
    expect(stats.open).toBe(7);
  });
});

describe('plain-Chinese renderings', () => {
  it('shows two tiers with the boundary assumption', () => {
    const r = compileCriteria('年度预算执行率大于90%的得2分，小于90%得1分', { code: 'A41', name: '预算编制科学规范', points: 2 });
    expect(r.ok && r.text).toBe('预算执行率 > 90% 得 2 分；预算执行率 ≤ 90% 得 1 分（评价要点未规定恰好90%的得分，未达到较高一档条件，按1分计）');
  });
  it('shows "otherwise"', () => {
    const text = describeRule(
      { kind: 'bands', metric: 'budgetExecutionRate', direction: 'higher', bands: [{ gt: 90, score: 2 }], otherwise: 1 },
      2,
      () => '预算执行率',
    );
    expect(text).toBe('预算执行率 > 90% 得 2 分，否则得 1 分');
  });
  it('says why a vague standard is open', () => {
    const r = compileCriteria('年末预算执行率达到财政考核要求的得1分', { code: 'B11', name: '部门预算执行率', points: 1 });
    expect(r.ok ? '' : r.reason).toBe('“达到财政考核要求”未给出具体标准，请补充目标值');
  });
  it('suggests the all-or-nothing reading of a target without a score', () => {
    const r = compileCriteria('各项综合事务管理工作完成率达到90%及以上', { code: 'A11', name: '综合事务管理', points: 10 });
    expect(!r.ok && r.suggestion?.text).toBe('各项综合事务管理工作完成率 ≥ 90% 得 10 分，否则不得分');
  });
  it('says which clause does not fit the points', () => {
    const r = compileCriteria('突出重大项目服务，并取得良好质效得4分', { code: 'C19', name: '重大项目代办', points: 5 });
    expect(r.ok ? '' : r.reason).toContain('写明4分，与分值5分不符');
  });
});

describe('bonus tables', () => {
  it('reads items, and that the same work does not add up', () => {
    const t = parseBonusTable('受到国务院嘉奖加3分，受到省级嘉奖加2分，得到市级考核一等奖加1分，得到市级考核二等奖加0.5分；同一项工作不累计加分');
    expect(t?.items.map((i) => [i.label, i.points])).toEqual([
      ['受到国务院嘉奖', 3],
      ['受到省级嘉奖', 2],
      ['得到市级考核一等奖', 1],
      ['得到市级考核二等奖', 0.5],
    ]);
    expect(t?.cumulative).toBe(false);
  });
  it('leaves "cumulative" unknown when the prose does not say', () => {
    expect(parseBonusTable('受到国务院嘉奖加3分，受到省级嘉奖加2分')?.cumulative).toBeUndefined();
  });
});

describe('numerals and boundaries', () => {
  it('parses Chinese numerals', () => {
    expect(parseChineseNumber('九十')).toBe(90);
    expect(parseChineseNumber('一百')).toBe(100);
    expect(parseChineseNumber('十五')).toBe(15);
    expect(parseChineseNumber('零点五')).toBe(0.5);
    expect(parseChineseNumber('二点五')).toBe(2.5);
    expect(parseChineseNumber('一般')).toBeUndefined();
  });
  it('converts numerals only where scoring prose uses them', () => {
    expect(convertChineseNumerals('百分之九十以上得二分')).toBe('90%以上得2分');
    expect(convertChineseNumerals('每降低一个百分点扣零点五分')).toBe('每降低1个百分点扣0.5分');
    expect(convertChineseNumerals('得到市级考核一等奖')).toBe('得到市级考核一等奖');
    expect(convertChineseNumerals('工作十分重要')).toBe('工作十分重要');
  });
  it('normalises full-width digits, split decimals and wrapped lines', () => {
    expect(normaliseText('得２．５分')).toBe('得2.5分');
    expect(normaliseText('得2. 5分')).toBe('得2.5分');
    expect(normaliseText('低\n于 60 %不得分')).toBe('低于60%不得分');
    expect(parseNumber('２. ５')).toBe(2.5);
  });
  it('reads the boundary words as domain.md defines them', () => {
    expect(parseComparison('执行率在90%以上')?.bounds).toEqual({ gte: 90 });
    expect(parseComparison('执行率90%及以上')?.bounds).toEqual({ gte: 90 });
    expect(parseComparison('执行率不低于90%')?.bounds).toEqual({ gte: 90 });
    expect(parseComparison('执行率达到90%')?.bounds).toEqual({ gte: 90 });
    expect(parseComparison('执行率5%以内')?.bounds).toEqual({ lte: 5 });
    expect(parseComparison('执行率不超过5%')?.bounds).toEqual({ lte: 5 });
    expect(parseComparison('执行率低于60%')?.bounds).toEqual({ lt: 60 });
    expect(parseComparison('执行率超过90%')?.bounds).toEqual({ gt: 90 });
    expect(parseComparison('执行率大于90%')?.bounds).toEqual({ gt: 90 });
    expect(parseComparison('执行率小于90%')?.bounds).toEqual({ lt: 90 });
    expect(parseComparison('执行率不满60%')?.bounds).toEqual({ lt: 60 });
    expect(parseComparison('80%(含)-90%')?.bounds).toEqual({ gte: 80, lt: 90 });
    expect(parseComparison('0-10%(含)')?.bounds).toEqual({ gt: 0, lte: 10 });
    expect(parseComparison('80%≤执行率<90%')?.bounds).toEqual({ gte: 80, lt: 90 });
    expect(parseComparison('执行率=0')?.bounds).toEqual({ eq: 0 });
  });
});

describe('properties', () => {
  it('never throws, and whatever compiles passes the loader checks', async () => {
    const pieces = ['预算执行率', '满意度', '完成率', '在', '以上', '以下', '低于', '超过', '不低于', '（含）', '-', '90%', '80%', '60%', '得', '扣', '2分', '1分', '0.5分', '，', '；', '否则', '不得分', '每降低', '5%', '扣完为止', '“三公”经费', '不超支', '酌情', '①', '②', '：', '一般', '充分'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 14 }), fc.integer({ min: 1, max: 10 }), (parts, points) => {
        const r = compileCriteria(parts.join(''), { code: 'X1', name: '测试指标', points });
        if (!r.ok) return typeof r.reason === 'string' && r.reason.length > 0;
        const names = new Map<string, string>([...r.quantities.facts.map((f) => [f.key, 'fact'] as const), ...r.quantities.metrics.map((m) => [m.key, 'metric'] as const)]);
        return ruleProblems(r.rule, points, names).length === 0;
      }),
      { numRuns: 2000, seed: 20250601 },
    );
  });

  it('reads two tiers exactly as written, for any threshold and scores', async () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 9 }), (n, points, lower) => {
        fc.pre(lower < points);
        const r = compileCriteria(`预算执行率不低于${n}%的得${points}分，低于${n}%的得${lower}分`, { code: 'X1', name: '测试', points });
        return r.ok && JSON.stringify(scoringShape(r.rule)) === JSON.stringify(scoringShape({ kind: 'bands', metric: 'budgetExecutionRate', bands: [{ gte: n, score: points }, { lt: n, score: lower }] }));
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
