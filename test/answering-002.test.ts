/**
 * A unit that knows its conclusions but not every raw figure completes 002's questionnaire in its own
 * words (the published report's sentences, Chinese numerals, breakdowns in brackets, "没有具体数字") and
 * reaches 002's published 98.5 with the built-in framework unchanged.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Reply } from '../src/core/messages';
import { loadBuiltinFramework } from '../src/core/framework/builtin';
import { scoreEvaluation } from '../src/core/scoring/engine';
import { validateAnswers } from '../src/core/scoring/validate';
import { answer002 } from './helpers/answers-002';
import { readDocx } from './helpers/report';
import { createTranscript, replyText } from './helpers/transcript';

/** What this unit says where it does not simply give 002's answers file (by question key). */
const OWN_WORDS: Record<string, string> = {
  // Figures as the report writes them, a Chinese numeral, and a breakdown in brackets.
  'fact:initialBudget': '市数据局2024年初部门预算数为5763.6万元（其中一般公共预算拨款收入5663.6万元、其他收入100万元）',
  'fact:adjustedBudget': '调整后部门预算数为6,091.91万元',
  'fact:carryoverStart': '八百六十点二九万元',
  'fact:spending': '2024年实际支出数5959.46万元（其中基本支出3657.88万元、项目支出2301.58万元）',
  // No separate figures for these two: the unit says so.
  'fact:basicSpending': '没有具体数字',
  'fact:projectSpending': '没有具体数字，决算报表未分列',
  'fact:carryoverEnd': '年末结转和结余992.74万元',
  // No separately reported execution rate: the computed one stands.
  'metric:budgetExecutionRate': '没有',
  // No survey percentage, but the conclusion and its basis.
  'metric:satisfactionRate': '没有具体数字，服务对象、管理对象的满意度超过90%，依据：年度满意度测评结论',
  // Yes/no in the report's own sentences.
  'judgement:A11': '合理清晰，《关于印发〈中共南京市数据局党组工作规则〉的通知》（宁数党发〔2024〕1号）',
  'judgement:B12': '项目预算执行率未达预定目标',
  'judgement:B13': '严格控制“三公”经费，使用无超支',
  'judgement:B14': '预决算都在“双平台”予以公开，内容和时间符合要求',
};

function questionOf(replies: Reply[]) {
  for (let i = replies.length - 1; i >= 0; i--) {
    const r = replies[i]!;
    if ((r.kind === 'text' || r.kind === 'card') && r.question) return r.question;
  }
  return undefined;
}

describe("002's questionnaire answered as the unit would, without every raw figure", () => {
  it('reaches the published 98.5, with the conclusions recorded and shown as such', async () => {
    const t = createTranscript();
    await t.say('张三', '新建自评 南京市数据局 2024 框架=nanjing-2021 截止=2025-05-31');
    let replies = await t.say('张三', '开始');
    const asked: string[] = [];
    for (let i = 0; i < 150; i++) {
      const q = questionOf(replies);
      if (!q) break;
      asked.push(q.key);
      replies = await t.say('张三', OWN_WORDS[q.key] ?? answer002(q));
    }
    const log = t.log.join('\n');
    // Every question was answered at the first attempt: none was asked twice.
    expect(new Set(asked).size, log).toBe(asked.length);
    for (const key of Object.keys(OWN_WORDS)) expect(asked, key).toContain(key);
    expect(replies.map(replyText).join('\n'), log).toContain('总分 98.5 分，优秀');

    const rec = (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;
    const a = rec.answers;
    expect(a.facts).toMatchObject({ initialBudget: 5763.6, adjustedBudget: 6091.91, carryoverStart: 860.29, spending: 5959.46, carryoverEnd: 992.74 });
    expect(a.facts?.basicSpending).toBeUndefined();
    expect(a.noFigure).toEqual(expect.arrayContaining(['basicSpending', 'projectSpending', 'budgetExecutionRate', 'satisfactionRate']));
    expect(a.conclusions).toEqual({ satisfactionRate: { bounds: { gt: 90 }, basis: '年度满意度测评结论' } });
    expect(a.metrics?.satisfactionRate).toBeUndefined();
    expect(a.judgements).toMatchObject({ A11: true, B12: false, B13: true, B14: true });
    expect(a.evidence?.A11).toBe('《关于印发〈中共南京市数据局党组工作规则〉的通知》（宁数党发〔2024〕1号）');

    // The framework is the built-in one, unchanged: its file scores the record to 98.5.
    const framework = loadBuiltinFramework('nanjing-2021')!;
    expect(rec.framework).toBeUndefined();
    const file = JSON.parse(readFileSync('templates/frameworks/nanjing-2021.json', 'utf8'));
    expect(file.indicators.find((i: { code: string }) => i.code === 'D').children[1].children[0].rule).toEqual({
      kind: 'bands',
      metric: 'satisfactionRate',
      direction: 'higher',
      bands: [{ gt: 90, score: 10 }],
      otherwise: 'discretionary',
    });
    const v = validateAnswers(framework, a);
    if (!v.ok) throw new Error(v.problems.join('\n'));
    const result = scoreEvaluation(framework, v.answers);
    expect([result.base, result.bonus.score, result.total, result.grade]).toEqual([97.5, 1, 98.5, '优秀']);
    const d21 = result.indicators.find((i) => i.code === 'D21')!;
    expect(d21.score).toBe(10);
    // Never a silent full mark: the reason says there is no figure and what the score rests on.
    expect(d21.reasons.join('，')).toContain('满意度无具体数据，根据年度满意度测评结论，高于90%');

    // The report shows the conclusion as such.
    const report = await t.say('张三', '报告');
    const docx = report.find((r) => r.kind === 'file');
    if (!docx || docx.kind !== 'file') throw new Error(replies.map(replyText).join('\n'));
    const parts = await readDocx(docx.bytes);
    const text = parts.body.map((p) => ('text' in p ? p.text : p.rows.flatMap((r) => r.cells.map((c) => c.text)).join(' '))).join('\n');
    expect(text).toContain('98.5');
    expect(text).toContain('满意度无具体数据，根据年度满意度测评结论，高于90%');
  });
});

describe('「没有具体数字」 while editing', () => {
  it('asks where the figure lies at once, and the evaluator scores a range the rule leaves to judgement', async () => {
    const t = createTranscript();
    await t.say('张三', '新建自评 南京市数据局 2024 框架=nanjing-2021');
    await t.say('张三', '修改 D21');
    const asked = await t.say('张三', '没有具体数字');
    // Straight to the range, not to the next question of the plan.
    expect(questionOf(asked)).toMatchObject({ key: 'conclusion:satisfactionRate', options: ['不超过90%', '高于90%'] });
    const ranged = await t.say('张三', '1，第三方测评结论为基本满意');
    expect(ranged.map(replyText).join('\n')).toContain('已记录：满意度没有具体数字，按「不超过90%」评分（依据：第三方测评结论为基本满意）');
    // D21 leaves anything up to 90% to the evaluator: the score and its reason are asked next.
    expect(questionOf(ranged)).toMatchObject({ key: 'decision:D21' });
    const scored = (await t.say('张三', '8分，满意度略低于90%')).map(replyText).join('\n');
    expect(scored).toContain('得 8/10 分');
    const rec = (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;
    expect(rec.answers.conclusions).toEqual({ satisfactionRate: { bounds: { lte: 90 }, basis: '第三方测评结论为基本满意' } });
    expect(rec.answers.judgements?.D21).toEqual({ score: 8, reason: '满意度略低于90%' });
  });
});
