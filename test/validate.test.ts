/**
 * validateAnswers lists every problem with an answers file: unknown keys, wrong types, values out of
 * range, answers that do not fit the indicator's rule, key tasks that do not add up.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadBuiltinFramework } from '../src/core/framework/builtin';
import type { Answers } from '../src/core/scoring/answers';
import { validateAnswers } from '../src/core/scoring/validate';

const nanjing = loadBuiltinFramework('nanjing-2021')!;
const example002 = (): Answers => JSON.parse(readFileSync('templates/examples/nanjing-2021-data-bureau-2024.json', 'utf8'));

function problemsOf(fwId: string, data: unknown): string[] {
  const v = validateAnswers(loadBuiltinFramework(fwId)!, data);
  return v.ok ? [] : v.problems;
}

describe('validateAnswers', () => {
  it.each([
    ['nanjing-2021', 'nanjing-2021-data-bureau-2024.json'],
    ['nanjing-2020', 'nanjing-2020-general-office-2020.json'],
    ['guangdong-2020', 'guangdong-2020-zhanjiang-office-2020.json'],
    ['goal-rate', 'goal-rate-gaoxin-office-2023.json'],
  ])('accepts the example answers for %s', (id, file) => {
    expect(problemsOf(id, JSON.parse(readFileSync(`templates/examples/${file}`, 'utf8')))).toEqual([]);
  });

  it('lists unknown keys, each by name', () => {
    const a = example002();
    a.facts!.spendng = 1;
    a.metrics!.executionRate = 90;
    a.judgements!.Z9 = true;
    a.notApplicable = { Q1: '不涉及' };
    a.narratives!.summary = '…';
    a.bonus = [{ item: 'nationalPrize' }];
    expect(problemsOf('nanjing-2021', a)).toEqual([
      '未知的基础数据「spendng」',
      '未知的指标数据「executionRate」',
      '未知的指标编码「Z9」',
      '未知的指标编码「Q1」',
      '加分项中没有「nationalPrize」（可选：stateCouncil（受到国务院嘉奖）、provincial（受到省级嘉奖）、municipalFirst（得到市级考核一等奖）、municipalSecond（得到市级考核二等奖））',
      '未知的报告段落「summary」',
    ]);
  });

  it('rejects an unknown top-level field and names it', () => {
    const out = problemsOf('nanjing-2021', { ...example002(), fact: { spending: 1 } });
    expect(out).toHaveLength(1);
    expect(out[0]).toContain('fact');
  });

  it('lists wrong types with their path', () => {
    const out = problemsOf('nanjing-2021', { facts: { spending: '5959.46', adjustedBudget: 6091.91 }, year: '2024' });
    expect(out).toHaveLength(2);
    expect(out.some((p) => p.startsWith('facts.spending：'))).toBe(true);
    expect(out.some((p) => p.startsWith('year：'))).toBe(true);
  });

  it('lists answers that do not fit the rule', () => {
    const a = example002();
    a.judgements!.A11 = { level: '好' }; // a yes/no question
    a.judgements!.A41 = true; // scored from 预算执行率
    a.judgements!.B62 = { level: '较好' }; // not one of the levels
    a.judgements!.D11 = { level: '作用发挥一般', score: 9, reason: '…' }; // 60–80% of 10
    expect(problemsOf('nanjing-2021', a)).toEqual([
      // In the order of the answers: A41 was not answered in the example, so it comes last.
      '指标「A11 决策制度的规范性」的答案应为是或否',
      '指标「B62」没有「较好」这一档（可选：各环节均有效开展、部分环节不充分、未开展）',
      '指标「D11」评为「作用发挥一般」时得分应在6至8分之间',
      '指标「A41 预算编制科学规范」按数据计分，不需要判断',
    ]);
  });

  it('lists values out of range', () => {
    const a = example002();
    a.facts!.spending = -1;
    a.metrics!.satisfactionRate = 101;
    expect(problemsOf('nanjing-2021', a)).toEqual(['「本年实际支出数」的值-1超出范围（不小于0）', '「满意度」的值101超出范围（不小于0，不大于100）']);
  });

  it('lists a count that is not a whole number, and a direct value for a computed-only metric', () => {
    const g = JSON.parse(readFileSync('templates/examples/guangdong-2020-zhanjiang-office-2020.json', 'utf8')) as Answers;
    g.judgements!.B26 = 1.5;
    g.metrics!.incomeVarianceRate = 3.98;
    expect(problemsOf('guangdong-2020', g)).toEqual([
      '「财政拨款收入预决算差异率」由基础数据计算得出，不能直接填报',
      '指标「B26 财务合规性」的答案应为不小于0的整数（例数）',
    ]);
    const f = JSON.parse(readFileSync('templates/examples/goal-rate-gaoxin-office-2023.json', 'utf8')) as Answers;
    f.facts!.projectCount = 85.5;
    expect(problemsOf('goal-rate', f)).toEqual(['「专项预算项目数」应为整数']);
  });

  it('lists key tasks whose points do not add up to the slot', () => {
    const a = example002();
    a.keyTasks!.C1 = a.keyTasks!.C1!.slice(1);
    expect(problemsOf('nanjing-2021', a)).toContain('「C1」下重点工作分值合计36分，应为40分');
  });

  it('lists key tasks with a rule kind the slot does not allow', () => {
    const a = example002();
    a.keyTasks!.E1![0] = { ...a.keyTasks!.E1![0]!, rule: { kind: 'proportional', metric: 'satisfactionRate', direction: 'higher' } };
    delete a.judgements!.E11;
    expect(problemsOf('nanjing-2021', a)).toEqual(['重点工作「建设“宁企通”惠企综合服务平台」不能使用「proportional」评分方式']);
  });

  it('accepts a goal scored in bands over a framework metric (goal-rate slots allow bands)', () => {
    const f = JSON.parse(readFileSync('templates/examples/goal-rate-gaoxin-office-2023.json', 'utf8')) as Answers;
    f.keyTasks!.B![0] = {
      name: '综合事务管理工作',
      points: 6,
      rule: { kind: 'bands', metric: 'executionRate', direction: 'higher', bands: [{ gte: 90, score: 6 }], otherwise: 0 },
    };
    delete f.judgements!.B1;
    expect(problemsOf('goal-rate', f)).toEqual([]);
  });

  it('returns the typed answers when everything fits', () => {
    const v = validateAnswers(nanjing, example002());
    expect(v.ok).toBe(true);
    if (v.ok) expect(v.answers.facts!.spending).toBe(5959.46);
  });
});
