/**
 * The readers behind answering: a figure with its unit and qualifier, yes/no against the question's
 * wording, and the ranges of a metric a conclusion can name. (test/replies-corpus.test.ts sends 600
 * real replies through the bot; these pin the readers' rules one by one.)
 */
import { describe, expect, it } from 'vitest';
import { chineseNumeral, readQuantity } from '../src/core/dialog/quantity';
import { questionClauses, readYesNo } from '../src/core/dialog/yesno';
import { loadBuiltinFramework } from '../src/core/framework/builtin';
import { createAnswers } from '../src/core/scoring/answers';
import { cellHolding, metricCells, readersUnsettledWithin } from '../src/core/scoring/conclusions';
import { scoreEvaluation } from '../src/core/scoring/engine';

describe('readQuantity: the whole figure, in a unit of the question', () => {
  it.each([
    ['五千九百五十九点四六万元', '万元', 5959.46],
    ['5 959.46 万元', '万元', 5959.46],
    ['６，０９１．９１万元', '万元', 6091.91],
    ['60919100元', '万元', 6091.91],
    ['0.6亿', '万元', 6000],
    ['九万', '万元', 9],
    ['五千九百五十九万四千六百元', '万元', 5959.46],
    ['六千零九十一点九一万', '万元', 6091.91],
    ['百分之九十七点一五', '%', 97.15],
    ['减少98.44%', '%', -98.44],
    ['531.95/535.58=99.32%', '%', 99.32],
    ['2024年实际支出数5959.46万元（其中基本支出3657.88万元）', '万元', 5959.46],
    ['截至 12 月底，共支付完成 9565.63 万元', '万元', 9565.63],
    ['两笔', '例', 2],
  ])('%s (%s) → %s', (text, unit, value) => {
    const r = readQuantity(text, unit);
    expect(r).toMatchObject({ ok: true, value });
  });

  it.each([
    ['90%', '万元', '百分比'],
    ['5959.46万元', '%', '金额'],
    ['1e309', '万元', '不是一个能读懂的数字'],
    ['0x10', '万元', '不是一个能读懂的数字'],
    ['1.2.3', '万元', '不是一个能读懂的数字'],
    ['6091.91美元', '万元', '单位与本题'],
    ['5959.46万元，其中基本支出3000万元', '万元', '不止一个数字'],
    ['不是5959', '万元', '没能确定'],
    ['5959.46万元吗？', '万元', '没能确定'],
  ])('refuses %s (%s) with a reason', (text, unit, reason) => {
    const r = readQuantity(text, unit);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(reason);
  });

  it('keeps a qualifier as bounds or as an approximate figure, and 「没有具体数字」 as no figure', () => {
    expect(readQuantity('90%以上', '%')).toMatchObject({ ok: true, bounds: { gte: 90 } });
    expect(readQuantity('超过90%', '%')).toMatchObject({ ok: true, bounds: { gt: 90 } });
    expect(readQuantity('低于60%', '%')).toMatchObject({ ok: true, bounds: { lt: 60 } });
    expect(readQuantity('约85%', '%')).toMatchObject({ ok: true, value: 85, approximate: true });
    expect(readQuantity('没有具体数字', '%')).toMatchObject({ ok: true, noFigure: true, rest: '' });
    expect(readQuantity('没有具体数字，满意度超过90%，依据：测评结论', '%')).toMatchObject({ ok: true, noFigure: true, bounds: { gt: 90 }, rest: '测评结论' });
    expect(readQuantity('没有具体数字，是85%', '%').ok).toBe(false);
  });

  it('keeps the remark after the figure as written', () => {
    expect(readQuantity('5959.46万元（决算数），依据：２０２４年决算', '万元')).toMatchObject({ ok: true, value: 5959.46, rest: '（决算数），依据：２０２４年决算' });
  });

  it('reads Chinese numerals exactly, or not at all', () => {
    expect([chineseNumeral('十二'), chineseNumeral('一百零五'), chineseNumeral('两万零三'), chineseNumeral('三点一四'), chineseNumeral('零点五')]).toEqual(['12', '105', '20003', '3.14', '0.5']);
    expect([chineseNumeral('九九'), chineseNumeral('十百'), chineseNumeral('三点'), chineseNumeral('一点二点三')]).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('readYesNo: against the question', () => {
  const SANGONG = '“三公”经费使用是否控制在预算内、没有超支？';
  it('splits a question into its predicates, negative ones marked', () => {
    expect(questionClauses(SANGONG).clauses).toEqual([
      { negative: false, core: '控制在预算内' },
      { negative: true, core: '超支' },
    ]);
  });

  it.each([
    ['未超支', SANGONG, true],
    ['三公经费没超', SANGONG, true],
    ['超支了', SANGONG, false],
    ['严格控制“三公”经费，使用无超支', SANGONG, true],
    ['没有超出预算', '财政供养人员和支出总额是否都控制在预算以内？', true],
    ['合理清晰', '单位决策机制、议事规则是否合理清晰？', true],
    ['尚未建立', '是否建立预算绩效管理制度，并配备人员开展绩效管理工作？', false],
    ['还没有', '是否建立预算绩效管理制度，并配备人员开展绩效管理工作？', false],
    ['正在制定', '是否按照财政要求和单位实际制定了政府采购管理制度？', false],
    ['没开展', '是否按照制度开展单位收支管理有关工作？', false],
    ['部分未完成', '预算安排的项目是否都按计划完成了？', false],
  ])('「%s」 → %s', (reply, question, value) => {
    expect(readYesNo(reply, question)).toMatchObject({ ok: true, value });
  });

  it.each([
    ['好的', '不是对本题的回答'],
    ['完成', '不是对本题的回答'],
    ['应该是', '不够明确'],
    ['是，没有建立', '前后意思相反'],
    ['公开了，但晚了一周', '不够明确'],
    ['本单位无需批复下属单位预算', '不适用'],
    ['部分做到', '没有“部分做到”'],
  ])('asks back 「%s」', (reply, reason) => {
    const r = readYesNo(reply, '是否建立了决策制度？');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(reason);
  });

  it('asks back a bare 有/没有 to a question that itself says 没有, and contradictions either way', () => {
    for (const reply of ['没有', '有', '无']) expect(readYesNo(reply, SANGONG).ok).toBe(false);
    expect(readYesNo('否，未超支', SANGONG).ok).toBe(false);
    expect(readYesNo('是', SANGONG)).toMatchObject({ ok: true, value: true });
  });

  it('keeps the evidence after the answer as written', () => {
    expect(readYesNo('是，《南京市数据局内部控制手册》（试行）', '是否有内部控制制度落实在内控手册等文本上？')).toEqual({ ok: true, value: true, rest: '《南京市数据局内部控制手册》（试行）' });
    expect(readYesNo('是！👍', '是否建立了决策制度？')).toEqual({ ok: true, value: true, rest: '' });
  });
});

describe('the ranges a conclusion can name', () => {
  const nanjing = loadBuiltinFramework('nanjing-2021')!;
  it('cuts a metric where any rule reading it changes its score', () => {
    expect(metricCells(nanjing, createAnswers(), 'budgetExecutionRate').map((c) => [c.label, c.full])).toEqual([
      ['低于90%', false],
      ['为90%', false],
      ['高于90%', true],
    ]);
    expect(metricCells(nanjing, createAnswers(), 'satisfactionRate').map((c) => c.label)).toEqual(['不超过90%', '高于90%']);
  });

  it('knows which rules a range or an approximate figure leaves unsettled', () => {
    expect(readersUnsettledWithin(nanjing, createAnswers(), 'budgetExecutionRate', { gte: 90 }).map((r) => r.code)).toEqual(['A41']);
    expect(readersUnsettledWithin(nanjing, createAnswers(), 'budgetExecutionRate', { gte: 84, lte: 86 })).toEqual([]);
    const cells = metricCells(nanjing, createAnswers(), 'satisfactionRate');
    expect(cellHolding(cells, { gt: 95 })?.label).toBe('高于90%');
    expect(cellHolding(cells, { gte: 90 })).toBeUndefined();
  });

  it('leaves out the rules of indicators that do not apply', () => {
    const answers = { ...createAnswers(), notApplicable: { A41: '不适用' } };
    expect(metricCells(nanjing, answers, 'budgetExecutionRate').map((c) => c.label)).toEqual(['低于90%', '达到90%（含）以上']);
  });
});

describe('a reported figure against the computed one', () => {
  const nanjing = loadBuiltinFramework('nanjing-2021')!;
  const facts = { adjustedBudget: 6091.91, carryoverStart: 860.29, spending: 5959.46 };
  it('agrees within the rounding of the reported figure, and differs beyond it', () => {
    const conflicts = (reported: number) =>
      scoreEvaluation(nanjing, { ...createAnswers(), facts, metrics: { budgetExecutionRate: reported } }).inconsistencies.filter((i) => i.kind === 'metric_conflict').length;
    // Computed: 85.72%.
    expect([conflicts(85.7), conflicts(86), conflicts(85.72)]).toEqual([0, 0, 0]);
    expect([conflicts(85.8), conflicts(83.04), conflicts(85.71)]).toEqual([1, 1, 1]);
  });
});
