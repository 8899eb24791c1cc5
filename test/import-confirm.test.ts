/**
 * Confirmation: one question per open row, answers as phrases or rule objects, overrides of compiled
 * rows, the bonus table, and a draft that is usable only when nothing is left open.
 */
import { describe, expect, it } from 'vitest';
import { applyConfirmation, describeDraftStatus, finaliseDraft, isDraftUsable, listOpenRows } from '../src/core/import/confirm';
import { importSheet, type DraftFramework } from '../src/core/import/importer';
import { sheetFromCsv } from '../src/core/import/sheet';
import { scoreEvaluation } from '../src/core/scoring/engine';
import { THREE_OPEN_CSV } from './helpers/framework-sheets';

// The shared fixture: three open rows, a compiled row, a key-task row and the bonus/penalty block.
const CSV = THREE_OPEN_CSV;

const fresh = (): DraftFramework => importSheet(sheetFromCsv(CSV, 'test.csv'), { id: 'test-unit' });

function apply(draft: DraftFramework, code: string, answer: Parameters<typeof applyConfirmation>[2]): DraftFramework {
  const r = applyConfirmation(draft, code, answer);
  if (!r.ok) throw new Error(r.error);
  return r.draft;
}

describe('open rows', () => {
  it('lists one question per open row, with the prose and the reason', () => {
    const open = listOpenRows(fresh());
    expect(open.map((q) => q.code)).toEqual(['A11', 'A13', 'bonus']);
    const q = open[0]!;
    expect(q).toMatchObject({ row: 2, name: '部门预算执行率', points: 1, criteria: '年末预算执行率达到财政考核要求的得1分' });
    expect(q.reason).toBe('“达到财政考核要求”未给出具体标准，请补充目标值');
    expect(q.question).toContain('第2行 A11 部门管理 / 预算执行 / 部门预算执行率（1分）');
    expect(q.question).toContain('评价要点：年末预算执行率达到财政考核要求的得1分');
    // A row without a score comes with a suggestion the organiser can accept.
    expect(open[1]!.suggestion).toBe('办公流程、业务开展均通过网上综合办公平台办理得 2 分，否则不得分');
    expect(open[2]!.reason).toContain('累计');
  });

  it('takes a short phrase, compiled with the row points', () => {
    const draft = apply(fresh(), 'A11', '预算执行率达到90%的得1分，否则得0.5分');
    const row = draft.rows.find((r) => r.code === 'A11')!;
    expect(row.outcome).toMatchObject({
      status: 'confirmed',
      rule: { kind: 'bands', metric: 'budgetExecutionRate', bands: [{ gte: 90, score: 1 }], otherwise: 0.5 },
      text: '预算执行率 ≥ 90% 得 1 分，否则得 0.5 分',
    });
    expect(row.quantities.metrics.map((m) => m.key)).toEqual(['budgetExecutionRate']);
  });

  it('says why a phrase was not taken and leaves the draft as it was', () => {
    const draft = fresh();
    const r = applyConfirmation(draft, 'A11', '达到财政考核要求的得1分');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain('未给出具体标准');
    const r2 = applyConfirmation(draft, 'A11', '预算执行率达到90%的得2分');
    expect(!r2.ok && r2.error).toContain('与分值1分不符');
    expect(listOpenRows(draft)).toHaveLength(3);
  });

  it('accepts the suggestion with 确认, and refuses 确认 where there is none', () => {
    const draft = apply(fresh(), 'A13', '确认');
    expect(draft.rows.find((r) => r.code === 'A13')!.outcome).toMatchObject({ status: 'confirmed', rule: { kind: 'judgement' } });
    const r = applyConfirmation(draft, 'A11', '确认');
    expect(!r.ok && r.error).toBe('这一行没有可直接采用的建议，请写出评分规则');
  });

  it('takes a rule object, checked like a framework file rule', () => {
    const ok = applyConfirmation(fresh(), 'A11', { kind: 'judgement', question: '执行率是否达标？', yes: '达标', no: '未达标', noScore: 0.5 });
    expect(ok.ok).toBe(true);
    const tooMuch = applyConfirmation(fresh(), 'A11', { kind: 'bands', metric: 'budgetExecutionRate', bands: [{ gte: 90, score: 3 }], otherwise: 0 });
    expect(!tooMuch.ok && tooMuch.error).toContain('above the points');
    const unknown = applyConfirmation(fresh(), 'A11', { kind: 'proportional', metric: 'noSuchRate', direction: 'higher' });
    expect(!unknown.ok && unknown.error).toBe('规则用到的数据“noSuchRate”不存在');
    const malformed = applyConfirmation(fresh(), 'A11', { kind: 'bands' } as never);
    expect(malformed.ok).toBe(false);
  });

  it('answers the bonus table: whether awards add up, and the cap', () => {
    const draft = apply(fresh(), 'bonus', '同一项工作不累计加分');
    expect(draft.rows.find((r) => r.kind === 'bonus')!.outcome).toMatchObject({
      status: 'bonus',
      section: { cap: 5, cumulative: false, items: [{ label: '受到国务院嘉奖', points: 3 }, { label: '受到省级嘉奖', points: 2 }] },
    });
  });

  it('refuses an unknown row, and the penalty row (always discretionary)', () => {
    expect(applyConfirmation(fresh(), 'Z9', '确认')).toEqual({ ok: false, error: '没有编码为“Z9”的指标行' });
    expect(applyConfirmation(fresh(), 'penalty', '每次扣1分').ok).toBe(false);
  });
});

describe('overrides and the finished framework', () => {
  it('overrides a compiled row and remembers what it replaced', () => {
    const draft = apply(fresh(), 'A12', '预决算按时公开的得1分，未按时公开的扣0.5分');
    const row = draft.rows.find((r) => r.code === 'A12')!;
    expect(row.outcome).toMatchObject({ status: 'confirmed', rule: { kind: 'judgement', noScore: 0.5 } });
    expect(row.outcome.status === 'confirmed' && row.outcome.previous).toBe('预决算公开的时效和质量符合市财政要求得 1 分，否则不得分');
  });

  it('is usable only when nothing is open, and then scores', () => {
    let draft = fresh();
    expect(isDraftUsable(draft)).toBe(false);
    expect(describeDraftStatus(draft)).toMatchObject({ usable: false, open: 3 });
    draft = apply(draft, 'A11', '预算执行率达到90%的得1分，否则得0.5分');
    draft = apply(draft, 'A13', '确认');
    expect(isDraftUsable(draft)).toBe(false);
    // Drafts are plain JSON: a chat keeps them in its store between messages.
    draft = JSON.parse(JSON.stringify(draft)) as DraftFramework;
    draft = apply(draft, 'bonus', '不累计，最多5分');
    expect(describeDraftStatus(draft)).toMatchObject({ usable: true, open: 0, confirmed: 2, problems: [] });
    const fw = finaliseDraft(draft);
    const result = scoreEvaluation(fw, {
      facts: { spending: 80, adjustedBudget: 100, carryoverStart: 0 },
      judgements: { A12: true, A13: true, A21: true, B11: true },
      bonus: [{ item: '受到省级嘉奖' }],
    });
    expect(result.indicators.find((i) => i.code === 'A11')?.score).toBe(0.5);
    expect(result.base).toBe(99.5);
    expect(result.total).toBe(101.5);
  });
});

describe("002's own sheet, imported and confirmed, gives 002's published score", () => {
  it('scores 97.5 + 1 = 98.5 after the organiser answers the six open rows as the 2024 report did', async () => {
    const { readFileSync } = await import('node:fs');
    const { createAnnexSheet } = await import('../src/core/import/annex-sheet');
    const fixture = JSON.parse(readFileSync(new URL('./fixtures/import/seed-tables.json', import.meta.url), 'utf8')) as {
      rows: Array<Parameters<typeof createAnnexSheet>[0][number] & { seed: string }>;
    };
    const rows = fixture.rows.filter((r) => r.seed === '002');
    let draft = importSheet(createAnnexSheet(rows, { title: '2024年度南京市数据局整体预算绩效自评价指标体系得分情况', withPoints: true, withScore: true, total: 100 }), { id: 'data-bureau-2024' });
    expect(listOpenRows(draft).map((q) => q.code)).toEqual(['B11', 'B12', 'C16', 'C17', 'C18', 'C19']);
    // The finance bureau's requirement for 预算执行率 is 90%; below it the report gave 0.5.
    draft = apply(draft, 'B11', '预算执行率达到90%的得1分，否则得0.5分');
    // No figure for the project budget: a yes/no question, 0.5 when not met.
    draft = apply(draft, 'B12', { kind: 'judgement', question: '专项资金执行率是否达到财政考核要求？', yes: '专项资金执行率达到财政考核要求', no: '项目预算执行率未达预定目标', noScore: 0.5 });
    // "得4分" in the 5-point key tasks was a slip: take the row's points.
    for (const code of ['C16', 'C17', 'C18', 'C19']) draft = apply(draft, code, '确认');
    // The report gave half a point for 事前评估 not thorough enough: an override with a middle level.
    draft = apply(draft, 'B62', '各环节均有效开展的得1分，部分环节不充分的得0.5分，未开展的不得分');
    const fw = finaliseDraft(draft);
    const codes = [...fw.byCode.values()].filter((i) => i.rule?.kind === 'judgement').map((i) => i.code);
    const result = scoreEvaluation(fw, {
      facts: { adjustedBudget: 6091.91, carryoverStart: 860.29, spending: 5959.46, threePublicSpending: 10, threePublicBudget: 12 },
      metrics: { satisfactionRate: 97.15 },
      judgements: { ...Object.fromEntries(codes.map((c) => [c, true])), B12: { value: false, reason: '项目预算执行率未达预定目标' }, B62: { level: '部分环节不充分', reason: '事前评估充分性不足' } },
      bonus: [{ item: '得到市级考核一等奖' }],
    });
    expect(result.complete).toBe(true);
    expect(result.indicators.find((i) => i.code === 'A41')?.score).toBe(1);
    expect(result.indicators.find((i) => i.code === 'A')?.score).toBe(14);
    expect(result.indicators.find((i) => i.code === 'B')?.score).toBe(18.5);
    expect(result.base).toBe(97.5);
    expect(result.total).toBe(98.5);
    expect(result.grade).toBe('优秀');
  });
});

describe('draft details the sheet does not give', () => {
  it('sets id, name and grade bands, refusing bad ones', async () => {
    const { updateDraftMeta } = await import('../src/core/import/confirm');
    const r = updateDraftMeta(fresh(), { id: 'data-bureau-2025', name: '某局2025年度指标体系', grades: [{ grade: '优', gte: 90 }, { grade: '良', gte: 80, lt: 90 }, { grade: '中', gte: 60, lt: 80 }, { grade: '差', lt: 60 }] });
    expect(r.ok && [r.draft.id, r.draft.name, r.draft.gradesFrom, r.draft.grades[0]!.grade]).toEqual(['data-bureau-2025', '某局2025年度指标体系', 'options', '优']);
    expect(updateDraftMeta(fresh(), { id: 'Not An Id' }).ok).toBe(false);
    const gap = updateDraftMeta(fresh(), { grades: [{ grade: '优', gte: 90 }, { grade: '差', lt: 60 }] });
    expect(!gap.ok && gap.error).toBe('等级档次未覆盖全部分数或有重叠：60至90之间');
  });

  it('summarises a draft in lines, with the share compiled without confirmation', async () => {
    const { summariseDraft } = await import('../src/core/import/summary');
    const s = summariseDraft(fresh());
    expect(s.lines[0]).toMatch(/^\s+2\s+A11\s+部门预算执行率（1分）\s+？ 待确认：/);
    expect([s.compiled, s.compilable]).toEqual([4, 7]);
    const after = summariseDraft(apply(fresh(), 'A11', '预算执行率达到90%的得1分，否则得0.5分'));
    expect([after.compiled, after.compilable]).toEqual([4, 7]);
  });
});

describe('partial credit through import and confirmation', () => {
  const PARTIAL_CSV = [
    '一级指标,二级指标,三级指标,指标说明,评价要点,分值',
    '部门管理（100分）,制度建设（100分）,收支管理制度,,制定收支管理制度的得40分，部分做到的酌情打分,40',
    ',,资产管理制度,,资产管理制度健全的得30分，以年度检查结果为准,30',
    ',,政府采购,,按规定开展政府采购的得30分，否则不得分,30',
  ].join('\n');
  const imported = (): DraftFramework => importSheet(sheetFromCsv(PARTIAL_CSV, 'partial.csv'), { id: 'partial-test' });

  it('keeps the partial clause of a compiled row', () => {
    const row = imported().rows.find((r) => r.code === 'A11')!;
    expect(row.outcome).toMatchObject({ status: 'compiled', rule: { kind: 'judgement', yes: '制定收支管理制度', partial: true } });
    expect('text' in row.outcome && row.outcome.text).toContain('部分做到的由评价人酌情打分（大于0分、小于40分）并说明理由');
  });

  it('asks about a clause it cannot represent, quoting it, instead of dropping it', () => {
    const open = listOpenRows(imported());
    expect(open.map((q) => q.code)).toEqual(['A12']);
    expect(open[0]!.reason).toContain('“以年度检查结果为准”未能识别计分方法');
    expect(open[0]!.question).toContain('以年度检查结果为准');
  });

  it('keeps a partial clause the organiser writes, and refuses a phrase with a clause it cannot read', () => {
    let draft = imported();
    const refused = applyConfirmation(draft, 'A12', '资产管理制度健全的得30分，以年度检查结果为准');
    expect(!refused.ok && refused.error).toContain('以年度检查结果为准');
    draft = apply(draft, 'A12', '资产管理制度健全的得30分，不健全的酌情扣分');
    expect(draft.rows.find((r) => r.code === 'A12')!.outcome).toMatchObject({ status: 'confirmed', rule: { kind: 'judgement', partial: true } });
    // An override of a compiled all-or-nothing row with a partial clause replaces it whole.
    draft = apply(draft, 'A13', '按规定开展政府采购的得30分，部分做到的酌情扣分');
    const fw = finaliseDraft(draft);
    expect(fw.byCode.get('A13')!.rule).toMatchObject({ kind: 'judgement', partial: true });
    const result = scoreEvaluation(fw, {
      judgements: {
        A11: true,
        A12: { partial: true, score: 20, reason: '下属单位制度未覆盖' },
        A13: { partial: true, score: 25.5, reason: '个别项目未履行采购程序' },
      },
    });
    expect(result.base).toBe(85.5);
    expect(result.deductions.map((d) => [d.code, d.lost, d.reasons[0]])).toEqual([
      ['A12', 10, '资产管理制度健全，但下属单位制度未覆盖'],
      ['A13', 4.5, '按规定开展政府采购，但个别项目未履行采购程序'],
    ]);
  });

  it('takes a rule object with a partial range, and refuses one outside the points', () => {
    const ok = applyConfirmation(imported(), 'A12', { kind: 'judgement', question: '资产管理制度是否健全？', yes: '资产管理制度健全', no: '资产管理制度不健全', partial: { min: 10, max: 25 } });
    expect(ok.ok && ok.row.outcome).toMatchObject({ status: 'confirmed', text: expect.stringContaining('在10至25分之间') });
    const bad = applyConfirmation(imported(), 'A12', { kind: 'judgement', question: '资产管理制度是否健全？', yes: '资产管理制度健全', no: '资产管理制度不健全', partial: { max: 35 } });
    expect(!bad.ok && bad.error).toContain('above the points');
  });
});
