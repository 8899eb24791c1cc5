/**
 * Partial credit on a yes/no judgement ("…的得1分，部分做到的酌情打分"): the rule format, answers and
 * their validation, scoring and deductions, the chat (「部分，0.5 理由」), the report's prose, and the
 * built-in frameworks' criteria.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_FRAMEWORK_IDS, loadBuiltinFramework } from '../src/core/framework/builtin';
import { FrameworkError, loadFramework, type Indicator } from '../src/core/framework/load';
import type { FrameworkInput, IndicatorInput, Rule } from '../src/core/framework/schema';
import { importFile } from '../src/core/import';
import { compileCriteria } from '../src/core/import/compiler';
import { updateDraftMeta } from '../src/core/import/confirm';
import type { Reply } from '../src/core/messages';
import { blockText, buildReportContent } from '../src/core/report';
import type { Answers } from '../src/core/scoring/answers';
import { scoreEvaluation } from '../src/core/scoring/engine';
import { validateAnswers } from '../src/core/scoring/validate';
import { oneLeaf, scoreLeaf } from './helpers/mini-framework';
import { createTranscript, replyText } from './helpers/transcript';

const rule: Rule = { kind: 'judgement', question: '是否建立预算绩效管理制度？', yes: '建立预算绩效管理制度', no: '未建立预算绩效管理制度', partial: true };

function problems(r: Rule, points: number, answers: Answers): string[] {
  const v = validateAnswers(oneLeaf(r, points), answers);
  return v.ok ? [] : v.problems;
}

describe('scoring a partial answer', () => {
  it.each([
    [0.5, 1, '建立预算绩效管理制度，但事前评估充分性不足', '得0.5分（满分1分）'],
    [1.25, 2, '建立预算绩效管理制度，但事前评估充分性不足', '得1.25分（满分2分）'],
  ])('%s of %s points, with the reason as the reports write it', (score, points, reason, got) => {
    const e = scoreLeaf(rule, points, { judgements: { X: { partial: true, score, reason: '事前评估充分性不足' } } });
    expect(e.status).toBe('complete');
    expect(e.score).toBe(score);
    expect(e.lost).toBe(points - score);
    expect(e.reasons).toEqual([reason, got]);
  });

  it('counts as a deduction of points − score with its reason', () => {
    const fw = oneLeaf(rule, 2);
    const result = scoreEvaluation(fw, { judgements: { X: { partial: true, score: 1.5, reason: '但是人员配备不足' } } });
    expect(result.deductions).toEqual([{ code: 'X', name: '测试指标', lost: 0.5, reasons: ['建立预算绩效管理制度，但人员配备不足'] }]);
    expect(result.base).toBe(1.5);
  });

  it('still scores yes and no as before', () => {
    expect(scoreLeaf(rule, 1, { judgements: { X: true } }).score).toBe(1);
    expect(scoreLeaf({ ...rule, noScore: 0.2 }, 1, { judgements: { X: false } }).score).toBe(0.2);
  });
});

describe('validating a partial answer', () => {
  it('takes a score strictly between no and yes, with a reason', () => {
    expect(problems(rule, 1, { judgements: { X: { partial: true, score: 0.5, reason: '事前评估不足' } } })).toEqual([]);
    expect(problems({ ...rule, noScore: 0.5 }, 1, { judgements: { X: { partial: true, score: 0.5, reason: '不足' } } })).toEqual([
      '指标「X」部分做到时得分应大于0.5分、小于1分',
    ]);
    expect(problems(rule, 1, { judgements: { X: { partial: true, score: 1, reason: '不足' } } })).toEqual(['指标「X」部分做到时得分应大于0分、小于1分']);
  });

  it('keeps an explicit range inclusive', () => {
    const ranged: Rule = { ...rule, partial: { min: 0.2, max: 0.8 } };
    expect(problems(ranged, 1, { judgements: { X: { partial: true, score: 0.8, reason: '基本建立' } } })).toEqual([]);
    expect(problems(ranged, 1, { judgements: { X: { partial: true, score: 0.9, reason: '基本建立' } } })).toEqual(['指标「X」部分做到时得分应在0.2至0.8分之间']);
  });

  it('requires the reason and the score, refuses a value beside it, and refuses partial where the rule has none', () => {
    expect(problems(rule, 1, { judgements: { X: { partial: true, score: 0.5 } } })).toEqual(['指标「X」部分做到，请说明扣分理由']);
    expect(problems(rule, 1, { judgements: { X: { partial: true, reason: '不足' } } })).toEqual(['指标「X 测试指标」部分做到时应填写得分及理由']);
    expect(problems(rule, 1, { judgements: { X: { partial: true, value: true, score: 0.5, reason: '不足' } } })).toEqual(['指标「X」填写了部分做到，不应同时填写是或否']);
    const { partial: _p, ...plain } = rule as Extract<Rule, { kind: 'judgement' }>;
    expect(problems(plain, 1, { judgements: { X: { partial: true, score: 0.5, reason: '不足' } } })).toEqual(['指标「X」的评分标准没有“部分做到”的情形，请回答是或否']);
  });
});

describe('the rule format', () => {
  const load = (r: Rule, points: number) => () => oneLeaf(r, points);
  it('refuses a partial range outside the points or without room', () => {
    expect(load({ ...rule, partial: { max: 3 } }, 2)).toThrow(/partial\.max: 3 is above the points 2/);
    expect(load({ ...rule, noScore: 0.5, partial: { min: 0.2 } }, 2)).toThrow(/partial\.min: 0\.2 is below the score for no 0\.5/);
    const { partial: _p, ...plain } = rule as Extract<Rule, { kind: 'judgement' }>;
    expect(load({ ...plain, noScore: 2 }, 2)).not.toThrow();
    expect(load({ ...rule, noScore: 2, partial: true }, 2)).toThrow(FrameworkError);
    expect(load({ ...rule, partial: { min: 1, max: 1 } }, 2)).not.toThrow();
  });
});

describe('the chat: 「部分，0.5 理由」 to a yes/no question that allows partial credit', () => {
  const CSV = [
    '一级指标,二级指标,三级指标,指标说明,评价要点,分值',
    '部门管理（100分）,制度建设（100分）,收支管理制度,,制定收支管理制度的得50分，部分做到的酌情打分,50',
    ',,政府采购,,按规定开展政府采购的得50分，否则不得分,50',
  ].join('\n');

  const questionOf = (replies: Reply[]) => {
    for (const r of replies) if (r.kind !== 'file' && r.question) return r.question;
    return undefined;
  };

  async function started() {
    const draft = await importFile({ name: '制度.csv', bytes: new TextEncoder().encode(CSV) });
    const meta = updateDraftMeta(draft, { id: 'import-partial', name: '制度建设指标表' });
    if (!meta.ok) throw new Error(meta.error);
    const t = createTranscript();
    const at = '2025-01-02T00:00:00Z';
    await t.store.putFramework({ id: 'import-partial', name: '制度建设指标表', draft: meta.draft, status: 'ready', createdAt: at, updatedAt: at });
    expect(await t.ask('张三', '新建自评 某区办公室 2024 框架=import-partial')).toContain('已创建');
    return t;
  }

  it('shows that partial credit is possible, asks back until score and reason are there, then records them', async () => {
    const t = await started();
    const first = await t.say('张三', '开始');
    expect(questionOf(first)).toMatchObject({ key: 'judgement:A11', options: ['是', '部分做到', '否'] });
    const text = first.map(replyText).join('\n');
    expect(text).toContain('请回复「是」「否」或「部分做到」；部分做到时写明得分（大于0分、小于50分）和理由，如：部分做到，25分，');
    expect(text).toContain('[部分做到]');

    expect(await t.ask('张三', '部分')).toContain('部分做到时请写明得分（大于0分、小于50分）和理由，如：部分做到，25分');
    expect(await t.ask('张三', '部分做到 60分 下属单位未覆盖')).toContain('部分做到的得分应大于0分、小于50分，60分不在此范围');
    expect(await t.ask('张三', '部分做到 50分 下属单位未覆盖')).toContain('50分不在此范围（全部做到请回复「是」');
    expect(await t.ask('张三', '基本做到，30')).toContain('部分做到时请写明扣分理由');
    let rec = (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;
    expect(rec.answers.judgements?.A11).toBeUndefined();

    const recorded = await t.ask('张三', '基本做到，30，下属单位制度未覆盖');
    expect(recorded).toContain('已记录「收支管理制度」：部分做到，得30分（下属单位制度未覆盖）。');
    rec = (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;
    expect(rec.answers.judgements?.A11).toEqual({ partial: true, score: 30, reason: '下属单位制度未覆盖' });

    // The next rule has no partial clause: 「部分」 is not a yes.
    expect(recorded).toContain('请回复「是」或「否」');
    expect(await t.ask('张三', '部分，25 个别项目未走程序')).toContain('本项评分标准没有“部分做到”的情形，只能回复「是」或「否」');
    rec = (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;
    expect(rec.answers.judgements?.A12).toBeUndefined();
    await t.say('张三', '是');

    const deductions = await t.ask('李四', '扣分');
    expect(deductions).toContain('「收支管理制度」扣 20 分：制定收支管理制度，但下属单位制度未覆盖');
    expect(await t.ask('李四', '得分')).toContain('80 分');
  });

  it('takes 「部分做到 0.5分 …」 in a one-point row', async () => {
    const one = CSV.replace('得50分，部分做到的酌情打分,50', '得1分，部分做到的酌情打分,1').replace('得50分，否则不得分,50', '得99分，否则不得分,99');
    const draft = await importFile({ name: '制度.csv', bytes: new TextEncoder().encode(one) });
    const meta = updateDraftMeta(draft, { id: 'import-partial1', name: '制度建设' });
    if (!meta.ok) throw new Error(meta.error);
    const t = createTranscript();
    await t.store.putFramework({ id: 'import-partial1', name: '制度建设', draft: meta.draft, status: 'ready', createdAt: '2025-01-02T00:00:00Z', updatedAt: '2025-01-02T00:00:00Z' });
    await t.say('张三', '新建自评 某区办公室 2024 框架=import-partial1');
    await t.say('张三', '开始');
    expect(await t.ask('张三', '部分做到 0.5分 事前评估不充分')).toContain('已记录「收支管理制度」：部分做到，得0.5分（事前评估不充分）。');
  });
});

describe("the report's prose for a partial score", () => {
  it('reads like the seeds: what was done, but what was not, and the deduction', () => {
    const data = JSON.parse(readFileSync('templates/frameworks/nanjing-2021.json', 'utf8')) as FrameworkInput;
    const b61 = findInput(data.indicators, 'B61')!;
    b61.rule = { ...(b61.rule as Extract<Rule, { kind: 'judgement' }>), partial: true };
    const framework = loadFramework(data, 'nanjing-2021.json');
    const answers = JSON.parse(readFileSync('templates/examples/nanjing-2021-data-bureau-2024.json', 'utf8')) as Answers;
    answers.judgements!.B61 = { partial: true, score: 0.5, reason: '绩效管理专职人员配备不足' };
    const v = validateAnswers(framework, answers);
    if (!v.ok) throw new Error(v.problems.join('\n'));
    const result = scoreEvaluation(framework, v.answers);
    expect(result.total).toBe(98);
    const content = buildReportContent({ framework, answers: v.answers, result, unit: '南京市数据局', year: 2024 });
    const prose = content.blocks.map(blockText).join('\n');
    expect(prose).toContain('建立预算绩效管理制度，配备人员开展绩效管理工作，但绩效管理专职人员配备不足，扣0.5分');
  });
});

describe('built-in frameworks: a criteria text with a partial clause has a rule that allows a partial score', () => {
  const PARTIAL_CLAUSE = /部分[^，,；;。]*?(?:酌情|视情况|打分|扣分|得\d)|不完善[^，,；;。]*?酌情|基本[^，,；;。]*?酌情|视情况扣分/;
  const leaves = BUILTIN_FRAMEWORK_IDS.flatMap((id) => [...loadBuiltinFramework(id)!.byCode.values()].filter((i) => i.rule && i.criteria).map((i) => ({ id, i })));
  const allowsPartial = (i: Indicator): boolean => {
    const r = i.rule!;
    if (r.kind === 'judgement') return r.partial !== undefined;
    if (r.kind === 'graded') return r.levels.some((l) => l.score === undefined || (l.score > 0 && l.score < i.points));
    return r.kind === 'discretionary' || r.kind === 'proportional' || r.kind === 'checklist';
  };

  it('lists the rows with such a clause (goal-rate A23 today), each scored in a way that allows a partial score', () => {
    const withClause = leaves.filter(({ i }) => PARTIAL_CLAUSE.test(i.criteria!));
    expect(withClause.map(({ id, i }) => `${id} ${i.code}`)).toEqual(['goal-rate A23']);
    for (const { i } of withClause) expect(allowsPartial(i)).toBe(true);
  });

  it('gives a judgement rule partial credit wherever the compiler reads a partial clause in its criteria', () => {
    for (const { id, i } of leaves) {
      const compiled = compileCriteria(i.criteria!, { code: i.code, name: i.name, points: i.points });
      if (compiled.ok && compiled.rule.kind === 'judgement' && compiled.rule.partial !== undefined) expect(`${id} ${i.code} ${allowsPartial(i)}`).toBe(`${id} ${i.code} true`);
    }
  });
});

function findInput(nodes: IndicatorInput[], code: string): IndicatorInput | undefined {
  for (const n of nodes) {
    if (n.code === code) return n;
    const c = n.children && findInput(n.children, code);
    if (c) return c;
  }
  return undefined;
}
