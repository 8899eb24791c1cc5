/**
 * Leaders' answers at a glance (issue #13): 得分 as a Feishu card 2.0 with a chart and a table within
 * the limits of feishu.md §4, as DingTalk markdown within its size limits; 扣分 and 进度 for leaders;
 * 对比 across two years through the real bot; 新建自评 carrying last year over only when chosen.
 */
import { describe, expect, it } from 'vitest';
import { buildReplyCard, encodeFeishuReply, MAX_CARD_BYTES } from '../src/channels/feishu/encode';
import { encodeReply, MSG_PARAM_MAX_BYTES, SESSION_BODY_MAX_BYTES, toOpenApiMessage, toSessionBody } from '../src/channels/dingtalk/encode';
import { scoreView } from '../src/core/dialog/glance';
import { loadBuiltinFramework } from '../src/core/framework/builtin';
import type { Reply, ScoreSummary } from '../src/core/messages';
import { applicablePointsOf } from '../src/core/scoring/summary';
import { scoreEvaluation } from '../src/core/scoring/engine';
import type { Answers } from '../src/core/scoring/answers';
import { createMemoryStore } from '../src/store/memory';
import { ANSWERS_002 } from './helpers/answers-002';
import { makeEvaluation } from './helpers/records';
import { createTranscript, PEOPLE, replyText } from './helpers/transcript';

const framework = loadBuiltinFramework('nanjing-2021')!;
const target = { chatId: 'feishu:oc_1', chatType: 'group' as const, userId: 'ou_1' };

/** 002's answers, with the first indicator answered "no" in the year before (so the years differ). */
function answers2023(): { answers: Answers; changed: string } {
  const a = structuredClone(ANSWERS_002) as Answers;
  a.year = 2023;
  const changed = Object.entries(a.judgements ?? {}).find(([, v]) => v === true)![0];
  a.judgements![changed] = { value: false, reason: '上年未做到' };
  return { answers: a, changed };
}

// ---------------------------------------------------------------------------------------------
// Feishu card JSON 2.0 limits (feishu.md §4)

const TEMPLATES = new Set(['blue', 'wathet', 'turquoise', 'green', 'yellow', 'orange', 'red', 'carmine', 'violet', 'purple', 'indigo', 'grey', 'default']);
const TABLE_DATA_TYPES = new Set(['text', 'lark_md', 'number', 'options', 'persons', 'date', 'markdown']);

/** Every problem a card has against the card 2.0 limits; empty when it keeps them all. */
function cardProblems(card: any): string[] {
  const problems: string[] = [];
  if (card.schema !== '2.0') problems.push('schema is not 2.0');
  if (card.config?.update_multi !== true) problems.push('update_multi must be true');
  if (card.i18n_elements || card.fallback) problems.push('i18n_elements/fallback are not supported in 2.0');
  if (!TEMPLATES.has(card.header?.template)) problems.push(`header.template ${card.header?.template}`);
  if (!Array.isArray(card.body?.elements)) problems.push('components must live under body.elements');
  const ids = new Set<string>();
  let count = 0;
  let tables = 0;
  let charts = 0;
  const walk = (elements: any[], root: boolean, inColumn: boolean) => {
    for (const e of elements) {
      count++;
      if (e.tag === 'action') problems.push('"action" wrappers are gone in 2.0');
      if (e.element_id !== undefined) {
        if (!/^[A-Za-z][A-Za-z0-9_]{0,19}$/.test(e.element_id)) problems.push(`element_id ${e.element_id}`);
        if (ids.has(e.element_id)) problems.push(`element_id ${e.element_id} twice`);
        ids.add(e.element_id);
      }
      if (e.tag === 'table') {
        tables++;
        if (!root || inColumn) problems.push('a table must sit at the body root');
        if (!(e.page_size >= 1 && e.page_size <= 10)) problems.push(`table page_size ${e.page_size}`);
        if (!(e.columns.length >= 1 && e.columns.length <= 50)) problems.push(`table has ${e.columns.length} columns`);
        const names = new Set(e.columns.map((c: any) => c.name));
        for (const c of e.columns) if (!TABLE_DATA_TYPES.has(c.data_type)) problems.push(`column data_type ${c.data_type}`);
        for (const r of e.rows) for (const k of Object.keys(r)) if (!names.has(k)) problems.push(`table row key ${k} has no column`);
      }
      if (e.tag === 'chart') {
        charts++;
        // No JavaScript in chart_spec: it is plain data, unchanged by a JSON round trip.
        if (JSON.stringify(JSON.parse(JSON.stringify(e.chart_spec))) !== JSON.stringify(e.chart_spec)) problems.push('chart_spec is not plain JSON');
        if (e.aspect_ratio && !['1:1', '2:1', '4:3', '16:9'].includes(e.aspect_ratio)) problems.push(`aspect_ratio ${e.aspect_ratio}`);
        if (e.color_theme && !['brand', 'rainbow', 'complementary', 'converse', 'primary'].includes(e.color_theme)) problems.push(`color_theme ${e.color_theme}`);
        if (!Array.isArray(e.chart_spec?.data?.values)) problems.push('chart without data.values');
      }
      if (e.tag === 'form') walk(e.elements, false, inColumn);
      if (e.tag === 'column_set') for (const c of e.columns) walk(c.elements, false, true);
      if (e.tag === 'input' && !(e.max_length >= 1 && e.max_length <= 1000)) problems.push(`input max_length ${e.max_length}`);
    }
  };
  walk(card.body?.elements ?? [], true, false);
  if (count > 200) problems.push(`${count} elements (at most 200)`);
  if (tables > 5) problems.push(`${tables} tables (at most 5)`);
  if (charts > 5) problems.push(`${charts} charts (at most 5)`);
  const bytes = Buffer.byteLength(JSON.stringify(card), 'utf8');
  if (bytes > MAX_CARD_BYTES) problems.push(`${bytes} bytes (at most 30 KB)`);
  return problems;
}

function elementsOf(card: any, tag: string): any[] {
  return card.body.elements.filter((e: any) => e.tag === tag);
}

describe('得分 as a Feishu card', () => {
  it('keeps the card 2.0 limits, with a bar per level-1 indicator and a table row each, for a partial and a finished evaluation', () => {
    const partial = structuredClone(ANSWERS_002) as Answers;
    delete partial.judgements![Object.keys(partial.judgements!)[0]!];
    for (const answers of [partial, ANSWERS_002 as Answers]) {
      const result = scoreEvaluation(framework, answers);
      const reply = scoreView(result);
      const card = buildReplyCard(reply as Exclude<Reply, { kind: 'file' }>, target, () => undefined) as any;
      expect(cardProblems(card)).toEqual([]);
      const [chart] = elementsOf(card, 'chart');
      const [table] = elementsOf(card, 'table');
      // One table row per level-1 indicator, with its score out of its applicable points.
      expect(table.rows.map((r: any) => r.name)).toEqual(result.roots.map((c) => result.indicators.find((i) => i.code === c)!.name));
      for (const row of table.rows) {
        const i = result.indicators.find((x) => x.name === row.name)!;
        expect(row.points).toBe(String(applicablePointsOf(result, i.code)));
        expect(row.score).toBe(i.score === null ? '—' : String(i.score));
      }
      // The chart's bars of each indicator add up to its maximum; the scored part is its score.
      for (const row of table.rows) {
        const bars = chart.chart_spec.data.values.filter((v: any) => v.name === row.name);
        expect(bars.reduce((s: number, v: any) => s + v.value, 0)).toBeCloseTo(Number(row.points), 6);
        expect(bars.find((v: any) => v.series === '得分').value).toBeCloseTo(row.score === '—' ? 0 : Number(row.score), 6);
      }
      const head = card.body.elements[0].content as string;
      expect(head).toContain(`总分 ${result.total}`);
      expect(head).toContain(result.complete ? `（${result.grade}）` : '（未填完）');
      // Sent as a card, not the text fallback.
      expect(encodeFeishuReply(reply as Exclude<Reply, { kind: 'file' }>, target).msgType).toBe('interactive');
    }
  });

  it('stays within the limits with many long-named indicators (the table pages, the chart is capped)', () => {
    const sections = Array.from({ length: 40 }, (_, k) => ({ code: `X${k}`, name: `第${k + 1}项一级指标名称相当长的部门整体支出绩效管理情况`, score: k % 3 ? k / 2 : null, max: 25, complete: k % 3 !== 0 }));
    const summary: ScoreSummary = { total: 80, base: 80, bonus: 0, penalty: 0, grade: null, final: false, items: { scored: 20, applicable: 40, notApplicable: 0 }, deductions: 3, sections, notes: ['尚有 20 项指标待评分'] };
    const reply: Reply = { kind: 'card', title: '得分 · 未填完', text: 'x', scoreSummary: summary, buttons: [{ label: '扣分原因', action: { type: 'command', command: 'deductions' } }] };
    const card = buildReplyCard(reply, target, () => undefined) as any;
    expect(cardProblems(card)).toEqual([]);
    expect(elementsOf(card, 'table')[0].rows).toHaveLength(40);
    // A problem in the card is found: the checker is not blind.
    card.body.elements.push(...Array.from({ length: 6 }, () => ({ tag: 'table', page_size: 20, columns: [], rows: [{ a: 1 }] })));
    expect(cardProblems(card).length).toBeGreaterThan(3);
  });
});

describe('得分 as DingTalk markdown', () => {
  it('fits one session message and one OpenAPI message, with a text bar per level-1 indicator and no table', () => {
    const result = scoreEvaluation(framework, ANSWERS_002 as Answers);
    const reply = scoreView(result) as Extract<Reply, { kind: 'card' }>;
    for (const via of ['session', 'openapi'] as const) {
      const msgs = encodeReply(reply, { chatType: 'group', via, mentions: [{ userId: 'staff1', name: '张三' }] });
      expect(msgs).toHaveLength(1);
      const m = msgs[0]!;
      const bytes = via === 'session' ? Buffer.byteLength(JSON.stringify(toSessionBody(m)), 'utf8') : Buffer.byteLength(toOpenApiMessage(m).msgParam, 'utf8');
      expect(bytes).toBeLessThanOrEqual(via === 'session' ? SESSION_BODY_MAX_BYTES : MSG_PARAM_MAX_BYTES);
      expect(m.text).toContain(`**总分 ${result.total}（${result.grade}）**`);
      for (const code of result.roots) {
        const i = result.indicators.find((x) => x.code === code)!;
        expect(m.text).toMatch(new RegExp(`- ${i.name} \\*\\*${i.score}\\*\\*/${applicablePointsOf(result, code)} [▇░]{10}`));
      }
      // DingTalk's markdown has no tables on mobile clients: none is used.
      expect(m.text).not.toMatch(/^\s*\|/m);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Through the bot: 对比 across two years, carrying over in 新建自评, 扣分 and 进度

async function withLastYear() {
  const store = createMemoryStore();
  const { answers, changed } = answers2023();
  const last = makeEvaluation('ev-2023', ['group-2023'], {
    year: 2023,
    organisers: [PEOPLE['张三']!],
    members: { [PEOPLE['张三']!]: { name: '张三' } },
    answers,
  });
  await store.createEvaluation(last);
  return { store, last, changed };
}

describe('对比 across two years', () => {
  it('compares this year with last year per level-1 indicator, and says so when there is no last year', async () => {
    const { store, last, changed } = await withLastYear();
    const t = createTranscript({ store, chatId: 'group-2024' });
    // 张三 organised 2023 and creates 2024; he declines the carry-over here (its own test is below).
    await t.say('张三', '新建自评 南京市数据局 2024 框架=nanjing-2021');
    await t.say('张三', '不沿用');
    const id = (await store.evaluationIdForChat('group-2024'))!;
    expect(id).toBeDefined();
    await store.updateEvaluation(id, (rec) => {
      rec.answers = { ...structuredClone(ANSWERS_002), framework: 'nanjing-2021', unit: rec.unit, year: 2024 };
    });

    // 李四, a leader who never took part in 2023, asks 对比 in this year's group.
    const [reply] = await t.say('李四', '对比');
    expect(reply!.kind).toBe('card');
    const card = reply as Extract<Reply, { kind: 'card' }>;
    const now = scoreEvaluation(framework, (await store.getEvaluation(id))!.answers);
    const before = scoreEvaluation(framework, last.answers);
    const c = card.comparison!;
    expect([c.previousYear, c.year]).toEqual([2023, 2024]);
    expect(c.current.total).toBe(now.total);
    expect(c.previous.total).toBe(before.total);
    expect(c.previous.total).toBeLessThan(c.current.total);
    for (const code of now.roots) {
      const i = now.indicators.find((x) => x.code === code)!;
      const p = before.indicators.find((x) => x.code === code)!;
      expect(c.sections.find((s) => s.name === i.name)).toMatchObject({ current: i.score, previous: p.score, currentMax: applicablePointsOf(now, code) });
    }
    // The indicator answered "no" last year is in the section that went up; the text says by how much.
    const root = (code: string): string => {
      const i = now.indicators.find((x) => x.code === code)!;
      return i.parent ? root(i.parent) : i.name;
    };
    const up = c.sections.find((s) => s.name === root(changed))!;
    expect(up.current! - up.previous!).toBeGreaterThan(0);
    expect(card.text).toMatch(new RegExp(`· ${up.name}：${up.previous}/\\d+ → ${up.current}/\\d+，升 `));
    expect(card.text).toContain(`2023年度 ${before.total} 分`);

    // The same card on Feishu: grouped bars of both years and a table, within the limits.
    const feishu = buildReplyCard(card, target, () => undefined) as any;
    expect(cardProblems(feishu)).toEqual([]);
    const series = new Set(elementsOf(feishu, 'chart')[0].chart_spec.data.values.map((v: any) => v.series));
    expect([...series]).toEqual(['2023年度', '2024年度']);
    expect(elementsOf(feishu, 'table')[0].rows).toHaveLength(c.sections.length);
    // And on DingTalk, as markdown that fits.
    const [dt] = encodeReply(card, { chatType: 'group', via: 'session' });
    expect(Buffer.byteLength(JSON.stringify(toSessionBody(dt!)), 'utf8')).toBeLessThanOrEqual(SESSION_BODY_MAX_BYTES);
    expect(dt!.text).toContain(`**总分：2023年度 ${before.total} 分`);

    // Another unit's group has nothing to compare with: a clear message.
    await t.say('王五', '新建自评 南京市教育局 2024 框架=nanjing-2021', { chatId: 'group-other' });
    expect(await t.ask('王五', '对比', { chatId: 'group-other' })).toContain('没有找到「南京市教育局」2023年度的自评');
  });

  it('does not read a same-named unit\'s last year when none of this year\'s organisers took part in it', async () => {
    const { store } = await withLastYear();
    const t = createTranscript({ store, chatId: 'group-stranger' });
    // 王五 never took part in 2023: no carry-over is offered, the evaluation is created at once.
    const created = await t.ask('王五', '新建自评 南京市数据局 2024 框架=nanjing-2021');
    expect(created).toContain('已创建');
    expect(created).not.toContain('沿用');
    expect(await t.ask('王五', '对比')).toContain('没有找到「南京市数据局」2023年度的自评');
  });
});

describe('新建自评 carrying last year over', () => {
  it('offers last year\'s key tasks and unit profile as a choice, and carries them only when chosen', async () => {
    const { store, last } = await withLastYear();
    const t = createTranscript({ store, chatId: 'group-2024' });
    const [offer] = await t.say('张三', '新建自评 南京市数据局 2024 框架=nanjing-2021');
    expect(offer!.kind).toBe('card');
    const labels = (offer as Extract<Reply, { kind: 'card' }>).buttons!.map((b) => b.label);
    expect(labels).toEqual(['沿用上年', '不沿用']);
    const slot = Object.keys(last.answers.keyTasks!)[0]!;
    expect(replyText(offer!)).toContain(`${last.answers.keyTasks![slot]!.length} 项重点工作`);
    // Nothing is created before the organiser chooses; a reply that is neither is asked again.
    expect(await store.evaluationIdForChat('group-2024')).toBeUndefined();
    const again = await t.ask('张三', '看情况吧');
    expect(again).toContain('不是对本题的回答');
    expect(again).toContain('沿用上年');
    expect(await store.evaluationIdForChat('group-2024')).toBeUndefined();

    await t.press('张三', (offer as Extract<Reply, { kind: 'card' }>).buttons![0]!.action);
    const rec = (await store.getEvaluation((await store.evaluationIdForChat('group-2024'))!))!;
    expect(rec.answers.keyTasks).toEqual(last.answers.keyTasks);
    expect(rec.answers.narratives).toEqual({ basicInfo: last.answers.narratives!.basicInfo, longTermGoals: last.answers.narratives!.longTermGoals });
    // Only the structure: how each task went, the figures and the judgements are this year's to give.
    expect(rec.answers.judgements ?? {}).toEqual({});
    expect(rec.answers.facts ?? {}).toEqual({});
    expect(rec.year).toBe(2024);
    // The key-task question is not asked again; the first question is a figure or a judgement.
    const progress = await t.ask('张三', '进度');
    expect(progress).toMatch(/已回答问题 [1-9]\d*\//);
  });

  it('starts empty when the organiser declines (by the option\'s number)', async () => {
    const { store } = await withLastYear();
    const t = createTranscript({ store, chatId: 'group-2024' });
    await t.say('张三', '新建自评 南京市数据局 2024 框架=nanjing-2021');
    // By the option's number, as DingTalk groups list the choices.
    const created = await t.ask('张三', '2');
    expect(created).toContain('已创建');
    const rec = (await store.getEvaluation((await store.evaluationIdForChat('group-2024'))!))!;
    expect(rec.answers.keyTasks).toBeUndefined();
    expect(rec.answers.narratives).toBeUndefined();
  });
});

describe('扣分 and 进度 for leaders', () => {
  it('lists every deduction with its reason under its level-1 indicator, and progress per assignee', async () => {
    const store = createMemoryStore();
    const t = createTranscript({ store, chatId: 'group-v' });
    await t.say('张三', '新建自评 南京市数据局 2024 框架=nanjing-2021');
    await t.say('李四', '帮助');
    const id = (await store.evaluationIdForChat('group-v'))!;
    await store.updateEvaluation(id, (rec) => {
      rec.answers = { ...structuredClone(ANSWERS_002), framework: 'nanjing-2021', unit: rec.unit, year: 2024 };
    });
    const result = scoreEvaluation(framework, (await store.getEvaluation(id))!.answers);
    const text = await t.ask('王五', '扣分');
    expect(text).toContain(`扣分 ${result.deductions.length} 处`);
    for (const d of result.deductions) expect(text).toContain(`「${d.name}」扣 ${d.lost} 分：${d.reasons.join('，')}`);
    // Each deduction follows the heading of its level-1 indicator.
    const firstRoot = result.indicators.find((i) => i.code === result.roots[0])!.name;
    expect(text.indexOf(`【${firstRoot}】`)).toBeLessThan(text.indexOf(`「${result.deductions[0]!.name}」`));

    // Assign a section to 李四, clear one of its answers: 进度 names him with what he still owes.
    const section = framework.indicators[1]!;
    await t.say('张三', `分配 ${section.name} @李四`, { mentions: [{ userId: PEOPLE['李四']!, name: '李四' }] });
    const progress = await t.ask('王五', '进度');
    expect(progress).toContain('按负责人：');
    const line = new RegExp(`· 李四（${section.name}）：问题 (\\d+)/(\\d+) 个`);
    const [, answered, total] = line.exec(progress)!.map(Number);
    await store.updateEvaluation(id, (rec) => {
      const key = Object.keys(rec.answers.judgements!).find((k) => k.startsWith(section.code))!;
      delete rec.answers.judgements![key];
    });
    const after = await t.ask('王五', '进度');
    expect(line.exec(after)!.slice(1).map(Number)).toEqual([answered! - 1, total]);
    expect(after).toContain(`还差 ${total! - answered! + 1} 个`);
  });
});
