/**
 * Transcript tests: the conversation as people have it, through the real bot and the memory store.
 */
import { readFileSync } from 'node:fs';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import type { Reply } from '../src/core/messages';
import { loadBuiltinFramework } from '../src/core/framework/builtin';
import { scoreEvaluation } from '../src/core/scoring/engine';
import { validateAnswers } from '../src/core/scoring/validate';
import { createMemoryStore } from '../src/store/memory';
import { storeImportedBuiltin } from './helpers/framework-sheets';
import { ANSWERS_002, answer002 as answerFor } from './helpers/answers-002';
import { createTranscript, replyText, type Transcript } from './helpers/transcript';

const CREATE = '新建自评 南京市数据局 2024 框架=nanjing-2021 截止=2025-05-31';

/** The question a reply set asks, if any. */
function questionOf(replies: Reply[]) {
  for (const r of replies) if (r.kind !== 'file' && r.question) return r.question;
  return undefined;
}

async function created(): Promise<Transcript> {
  const t = createTranscript();
  expect(await t.ask('张三', CREATE)).toContain('已创建「南京市数据局2024年度部门整体绩效自评价」');
  return t;
}

describe('creating an evaluation', () => {
  it('offers 新建自评 in a chat without one, never silence', async () => {
    const t = createTranscript();
    expect(await t.ask('王五', '你好')).toMatch(/本群还没有自评任务[\s\S]*新建自评/);
    expect(await t.ask('王五', '得分')).toContain('本群还没有自评任务');
  });

  it('creates in one line, with the creator as organiser', async () => {
    const t = await created();
    expect(await t.ask('张三', CREATE)).toContain('本群已有自评任务');
    const id = await t.store.evaluationIdForChat('group-1');
    const rec = await t.store.getEvaluation(id!);
    expect(rec).toMatchObject({ unit: '南京市数据局', year: 2024, frameworkId: 'nanjing-2021', deadline: '2025-05-31', organisers: ['u-zhangsan'] });
  });

  it('asks step by step, rejecting bad values with a reason', async () => {
    const t = createTranscript();
    expect(await t.ask('张三', '新建自评')).toContain('单位（部门）名称');
    expect(await t.ask('张三', '南京市数据局')).toContain('评价哪一年度');
    expect(await t.ask('张三', '去年')).toMatch(/「去年」不是年份[\s\S]*评价哪一年度/);
    const frameworks = await t.say('张三', '2024年');
    expect(questionOf(frameworks)).toMatchObject({ key: 'create:framework', type: 'choice' });
    const card = frameworks.find((r) => r.kind === 'card');
    expect(card && card.kind === 'card' && card.buttons?.some((b) => b.label.startsWith('nanjing-2021'))).toBe(true);
    const button = card && card.kind === 'card' ? card.buttons!.find((b) => b.label.startsWith('nanjing-2021'))! : undefined;
    expect(replyText((await t.press('张三', button!.action))[0]!)).toContain('截止日期');
    expect(await t.ask('张三', '2月30日')).toContain('不是有效日期');
    expect(await t.ask('张三', '2025年5月31日')).toMatch(/已创建「南京市数据局2024年度部门整体绩效自评价」[\s\S]*截止日期 2025-05-31/);
  });

  it('cancels a step-by-step creation', async () => {
    const t = createTranscript();
    await t.say('张三', '新建自评');
    expect(await t.ask('张三', '取消')).toContain('已取消新建');
    expect(await t.ask('张三', '南京市数据局')).toContain('本群还没有自评任务');
  });
});

describe('answering', () => {
  it('parses amounts as people type them and shows the derived metric with its formula and the scores it sets', async () => {
    const t = await created();
    await t.say('张三', '分配 部门管理 @李四');
    expect(await t.ask('李四', '开始')).toContain('[部门管理 › 预算执行] 年初部门预算数是多少？（万元）');
    expect(await t.ask('李四', '5,763.6万元')).toContain('已记录 年初部门预算数 5763.6 万元');
    expect(await t.ask('李四', '６０９１．９１万')).toContain('已记录 调整后部门预算数 6091.91 万元');
    expect(await t.ask('李四', '8602900元')).toContain('已记录 年初结转和结余 860.29 万元');
    const reply = await t.ask('李四', '5959.46');
    expect(reply).toContain('预算执行率 = 5959.46 ÷ (6091.91 + 860.29) = 85.72%');
    expect(reply).toContain('「预算编制科学规范」得 1/2 分：预算执行率85.72%，低于90%');
    expect(reply).toContain('「部门预算执行率」得 0.5/1 分');
  });

  it('gives a reason and the same question for a bad answer, and offers 跳过 and 帮助 after three', async () => {
    const t = await created();
    const first = await t.say('李四', '开始');
    const q = questionOf(first)!;
    expect(q).toMatchObject({ key: 'judgement:A11', type: 'boolean', options: ['是', '否'] });
    for (let i = 1; i <= 3; i++) {
      const replies = await t.say('李四', `嗯${i}`);
      const text = replies.map(replyText).join('\n');
      expect(text).toContain(`「嗯${i}」`);
      expect(text).toContain('请回复「是」或「否」');
      expect(questionOf(replies)?.key).toBe('judgement:A11');
      if (i < 3) expect(text).not.toContain('已连续3次');
      else expect(text).toMatch(/已连续3次未能识别[\s\S]*\[跳过\][\s\S]*\[帮助\]/);
    }
    // Nothing was recorded meanwhile; the right answer still works.
    const rec = await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!);
    expect(rec!.answers.judgements ?? {}).toEqual({});
    expect(await t.ask('李四', '是')).toContain('「决策制度的规范性」得 2/2 分');
  });

  it('takes evidence after the answer and a reason after a no', async () => {
    const t = await created();
    await t.say('李四', '开始');
    expect(await t.ask('李四', '是，《中共南京市数据局党组工作规则》宁数党发〔2024〕1号')).toContain('已记录「决策制度的规范性」：是');
    expect(await t.ask('李四', '否，议事规则尚未修订')).toContain('「决策流程的科学性」得 0/2 分：决策程序不够科学合理（议事规则尚未修订）');
    const rec = await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!);
    expect(rec!.answers.evidence?.A11).toBe('《中共南京市数据局党组工作规则》宁数党发〔2024〕1号');
    expect(rec!.answers.judgements?.A12).toEqual({ value: false, reason: '议事规则尚未修订' });
  });

  it('answers by button: pressing posts the action back', async () => {
    const t = await created();
    const replies = await t.say('李四', '开始');
    const card = replies.find((r) => r.kind === 'card');
    if (!card || card.kind !== 'card') throw new Error('expected a card');
    const no = card.buttons!.find((b) => b.label === '否')!;
    expect(replyText((await t.press('李四', no.action))[0]!)).toContain('「决策制度的规范性」得 0/2 分');
  });
});

describe('answers given at the same moment', () => {
  it('keeps both when two people answer one evaluation at once, the later one applied to the newer record', async () => {
    const store = createMemoryStore();
    let refused = 0;
    const replace = store.replaceEvaluation.bind(store);
    store.replaceEvaluation = async (next, audit) => {
      const saved = await replace(next, audit);
      if (!saved) refused++;
      return saved;
    };
    const t = createTranscript({ store });
    await t.say('张三', CREATE);
    await t.say('张三', '修改 本年实际支出数');
    await t.say('李四', '修改 调整后部门预算数');
    // Both read the record at the same revision; the second write is refused and redone.
    const [a, b] = await Promise.all([t.ask('张三', '5959.46'), t.ask('李四', '6091.91')]);
    expect(refused).toBe(1);
    expect(a).toContain('已记录 本年实际支出数 5959.46 万元');
    expect(b).toContain('已记录 调整后部门预算数 6091.91 万元');
    const id = (await store.evaluationIdForChat('group-1'))!;
    expect((await store.getEvaluation(id))!.answers.facts).toMatchObject({ spending: 5959.46, adjustedBudget: 6091.91 });
    const trail = (await store.listAudit(id)).filter((e) => e.path.startsWith('facts.'));
    expect(trail.map((e) => [e.path, e.userName]).sort()).toEqual([
      ['facts.adjustedBudget', '李四'],
      ['facts.spending', '张三'],
    ]);
  });
});

describe('commands before the current question', () => {
  it('取消 mid-way keeps what was recorded, 继续 resumes at the next open question', async () => {
    const t = await created();
    await t.say('李四', '开始');
    await t.say('李四', '是');
    expect(await t.ask('李四', '取消')).toContain('已暂停填报，已记录的内容都已保存');
    expect(await t.ask('李四', '是')).toContain('没听懂');
    expect(await t.ask('李四', '继续')).toContain('决策程序是否科学合理');
    const rec = await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!);
    expect(rec!.answers.judgements).toEqual({ A11: true });
  });

  it('上一题 then a new value replaces the old one, with an audit entry', async () => {
    const t = await created();
    await t.say('张三', '分配 部门管理 @李四');
    await t.say('李四', '开始');
    await t.say('李四', '5763.6');
    await t.say('李四', '6091.91');
    expect(await t.ask('李四', '上一题')).toMatch(/调整后部门预算数是多少[\s\S]*当前：6091.91 万元/);
    expect(await t.ask('李四', '6100')).toContain('已记录 调整后部门预算数 6100 万元');
    const rec = await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!);
    expect(rec!.answers.facts?.adjustedBudget).toBe(6100);
    const trail = (await t.store.listAudit(rec!.id)).filter((a) => a.path === 'facts.adjustedBudget');
    expect(trail.map((a) => [a.old, a.new, a.userName])).toEqual([
      [undefined, 6091.91, '李四'],
      [6091.91, 6100, '李四'],
    ]);
  });

  it('跳过 moves on and the skipped question comes back after the rest', async () => {
    const t = await created();
    await t.say('李四', '开始');
    expect(await t.ask('李四', '跳过')).toMatch(/已跳过「决策制度的规范性」[\s\S]*决策程序是否科学合理/);
    // Answer everything else in 部门决策's judgements quickly; the skipped one must not come back before them.
    const seen: string[] = [];
    let replies = await t.say('李四', '是');
    for (let i = 0; i < 80; i++) {
      const q = questionOf(replies);
      if (!q) break;
      seen.push(q.key);
      if (q.key === 'judgement:A11') break;
      replies = await t.say('李四', answerFor(q));
    }
    expect(seen[seen.length - 1]).toBe('judgement:A11');
    expect(seen.filter((k) => k === 'judgement:A11')).toHaveLength(1);
    expect(seen.length).toBeGreaterThan(10);
  });

  it('修改 a fact recomputes the derived metric and every score that depends on it', async () => {
    const t = await created();
    await t.say('张三', '修改 调整后部门预算数');
    await t.say('张三', '6091.91');
    await t.say('张三', '修改 年初结转和结余');
    await t.say('张三', '860.29');
    await t.say('张三', '修改 本年实际支出数');
    expect(await t.ask('张三', '5959.46')).toContain('预算执行率 = 5959.46 ÷ (6091.91 + 860.29) = 85.72%');
    expect(await t.ask('张三', '修改 本年实际支出数')).toContain('当前：5959.46 万元');
    const reply = await t.ask('张三', '6500');
    expect(reply).toContain('预算执行率 = 6500 ÷ (6091.91 + 860.29) = 93.5%');
    expect(reply).toContain('「预算编制科学规范」得 2/2 分：预算执行率93.50%，高于90%');
    expect(reply).toContain('「部门预算执行率」得 1/1 分：预算执行率93.50%，达到90%（含）以上');
    expect(await t.ask('张三', '得分')).toContain('· 部门决策 2/15（未填完）');
  });

  it('points out a direct metric that disagrees with the facts and asks which stands', async () => {
    const t = await created();
    for (const [label, v] of [['调整后部门预算数', '6091.91'], ['年初结转和结余', '860.29'], ['本年实际支出数', '5959.46']]) {
      await t.say('张三', `修改 ${label}`);
      await t.say('张三', v!);
    }
    await t.say('张三', '修改 预算执行率');
    const reply = await t.ask('张三', '92.13%');
    expect(reply).toContain('预算执行率直接填报为92.13%，按基础数据计算为85.72%');
    expect(reply).toContain('以直接填报为准');
    // The choice needs its reason: a bare "2" asks for it, and the next message gives it.
    expect(await t.ask('张三', '2')).toContain('请再发一条消息写明理由');
    expect(await t.ask('张三', '直接填报数按旧口径，以计算为准')).toContain('已记录：预算执行率以计算结果为准（理由：直接填报数按旧口径，以计算为准）');
    expect(await t.ask('张三', '得分')).not.toContain('预算执行率直接填报');
    const rec = (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;
    expect(rec.answers.choiceReasons).toEqual({ budgetExecutionRate: '直接填报数按旧口径，以计算为准' });
    // Every score read from the figure says which one was used and why (so does the report, from the same reasons).
    expect(await t.ask('张三', '扣分')).toContain('预算执行率85.72%（采用按基础数据计算的数，直接填报为92.13%；理由：直接填报数按旧口径，以计算为准），低于90%');
  });

  it('two users in one group each keep their own place', async () => {
    const t = await created();
    await t.say('张三', '分配 部门管理 @李四');
    await t.say('张三', '分配 部门决策 @王五');
    expect(await t.ask('李四', '开始')).toContain('年初部门预算数');
    expect(await t.ask('王五', '开始')).toContain('单位决策机制、议事规则是否合理清晰');
    expect(await t.ask('李四', '5763.6')).toContain('调整后部门预算数是多少');
    expect(await t.ask('王五', '是')).toContain('决策程序是否科学合理');
    expect(await t.ask('李四', '6091.91')).toContain('年初结转和结余是多少');
    expect(await t.ask('王五', '否，流程待完善')).toContain('单位中长期规划');
    const rec = await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!);
    expect(rec!.answers.facts).toEqual({ initialBudget: 5763.6, adjustedBudget: 6091.91 });
    expect(rec!.answers.judgements).toEqual({ A11: true, A12: { value: false, reason: '流程待完善' } });
    expect(rec!.sessions['u-lisi']!.current).toBe('fact:carryoverStart');
    expect(rec!.sessions['u-wangwu']!.current).toBe('judgement:A21');
  });

  it('keeps organiser commands for organisers', async () => {
    const t = await created();
    expect(await t.ask('李四', '截止 2025-06-30')).toContain('只有组织者');
    expect(await t.ask('张三', '截止 2025-06-30')).toContain('截止日期已设为 2025-06-30');
  });

  it('survives any text: emoji, control characters, 10 000 characters', async () => {
    const t = await created();
    await t.say('李四', '开始');
    expect(await t.ask('李四', '👍👍\u0000\u0007')).toContain('请回复「是」或「否」');
    const long = '很'.repeat(10_000);
    expect(await t.ask('李四', long)).toMatch(/请回复「是」或「否」/);
    expect(await t.ask('李四', '是')).toContain('得 2/2 分');
    expect(await t.ask('李四', '很'.repeat(20_001))).toContain('消息太长');
  });
});

describe("002's whole evaluation from 新建自评 to 报告", () => {
  it('reaches the published scores and returns the report', async () => {
    const t = await created();
    let replies = await t.say('张三', '开始');
    const asked: string[] = [];
    for (let i = 0; i < 120; i++) {
      const q = questionOf(replies);
      if (!q) break;
      asked.push(q.key);
      replies = await t.say('张三', answerFor(q));
    }
    const last = replies.map(replyText).join('\n');
    expect(last).toContain('所有问题都已回答：总分 98.5 分，优秀');
    // Facts were asked once each, then reused.
    expect(asked.filter((k) => k === 'fact:spending')).toHaveLength(1);
    expect(new Set(asked).size).toBe(asked.length);

    const score = await t.ask('李四', '得分');
    expect(score).toContain('当前 97.5 分（基础分）＋1 分（加分）＝ 98.5 分，优秀');
    for (const line of ['· 部门决策 14/15', '· 部门管理 18.5/20', '· 部门履职 40/40', '· 履职绩效 20/20', '· 可持续发展能力 5/5']) expect(score).toContain(line);
    const deductions = await t.ask('王五', '扣分');
    expect(deductions).toContain('「预算编制科学规范」扣 1 分：预算执行率85.72%，低于90%');
    expect(deductions).toContain('「工作开展情况」扣 0.5 分：事前评估、目标管理、跟踪评价、自评价和整改落实部分环节开展不充分（事前评估充分性不足）');

    // The chat's state scores exactly like the answers file.
    const rec = await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!);
    const fw = loadBuiltinFramework('nanjing-2021')!;
    const chatResult = scoreEvaluation(fw, rec!.answers);
    const v = validateAnswers(fw, ANSWERS_002);
    if (!v.ok) throw new Error(v.problems.join('\n'));
    const fileResult = scoreEvaluation(fw, v.answers);
    expect(chatResult.indicators.map((i) => [i.code, i.score])).toEqual(fileResult.indicators.map((i) => [i.code, i.score]));
    expect(validateAnswers(fw, rec!.answers).ok).toBe(true);

    const report = await t.say('张三', '报告');
    const file = report.find((r) => r.kind === 'file');
    if (!file || file.kind !== 'file') throw new Error(`no file in ${report.map(replyText).join('\n')}`);
    expect(file.name).toBe('南京市数据局2024年度部门整体绩效自评价报告.docx');
    const zip = await JSZip.loadAsync(file.bytes);
    const xml = await zip.file('word/document.xml')!.async('string');
    expect(xml).toContain('98.5');
    expect(xml).not.toContain('待填写');
  });
});

describe('key tasks changed after a restart', () => {
  it('scores the new list at once, though the first scoring of the turn saw the old one', async () => {
    const first = createTranscript();
    await first.say('张三', '新建自评 某区党政办公室 2023 框架=goal-rate');
    await first.say('张三', '重点工作');
    await first.say('张三', '综合事务管理工作完成率 30分 目标90%');
    await first.say('张三', '公文处理完成率 36分 目标值85%');
    await first.say('张三', '修改 重点工作');
    await first.say('张三', '重新');
    await first.say('张三', '会务保障完成率 30分 目标90%');
    // A new bot on the same store (as after a restart) has no scores kept: the message that completes
    // the list is scored on the stored answers first, then applied to the same answers object.
    const t = createTranscript({ store: first.store });
    expect(await t.ask('张三', '信息报送完成率 36分 目标90%')).toContain('已记录「绩效目标完成情况」2项：会务保障完成率（30分，目标90%）；信息报送完成率（36分，目标90%）');
    expect(await t.ask('张三', '修改 会务保障完成率')).toContain('「会务保障完成率」实际是多少？');
    expect(await t.ask('张三', '95%')).toContain('「会务保障完成率」得 30/30 分');
  });
});

describe('key tasks measured against a target (goal-rate style)', () => {
  it('takes goals with targets and scores each in proportion to what it achieved', async () => {
    const t = createTranscript();
    await t.say('张三', '新建自评 某区党政办公室 2023 框架=goal-rate');
    expect(await t.ask('张三', '重点工作')).toContain('合计66分');
    expect(await t.ask('张三', '综合事务管理工作完成率 30分 目标90%')).toContain('还差36分');
    expect(await t.ask('张三', '公文处理完成率 36分 目标值85%')).toContain('已记录「绩效目标完成情况」2项：综合事务管理工作完成率（30分，目标90%）；公文处理完成率（36分，目标85%）');
    expect(await t.ask('张三', '修改 综合事务管理工作完成率')).toContain('「综合事务管理工作完成率」实际是多少？（目标90%及以上）');
    expect(await t.ask('张三', '95%')).toContain('「综合事务管理工作完成率」得 30/30 分：综合事务管理工作完成率95%，目标值90%，按比例计分');
    await t.say('张三', '修改 公文处理完成率');
    expect(await t.ask('张三', '68%，年底集中发文延误')).toContain('「公文处理完成率」得 28.8/36 分');
    expect(await t.ask('张三', '修改 公文处理完成率')).toContain('当前：公文处理完成率68%');
    expect(await t.ask('张三', '-5')).toContain('不能为负数');
  });
});

describe('consistency checks', () => {
  it('points out a balance that does not hold and asks to confirm or fix it first', async () => {
    const t = await created();
    await t.say('张三', '分配 部门管理 @李四');
    await t.say('李四', '开始');
    for (const v of ['5763.6', '6091.91', '860.29', '5959.46', '3657.88', '2301.58']) await t.say('李四', v);
    const reply = await t.ask('李四', '990');
    expect(reply).toContain('⚠ 年末结转和结余核对不符：调整后部门预算数 + 年初结转和结余 − 本年实际支出数 = 992.74万元，年末结转和结余为990万元，相差2.74万元');
    expect(reply).toContain('如数据无误，请回复「确认无误」');
    // Fixing the figure settles it; the check question goes away.
    await t.say('李四', '修改 年末结转和结余');
    const fixed = await t.ask('李四', '992.74');
    expect(fixed).toContain('已记录 年末结转和结余 992.74 万元');
    expect(fixed).not.toContain('确认无误');
  });

  it('accepts a confirmation that the figures are right', async () => {
    const t = await created();
    for (const [label, v] of [['调整后部门预算数', '6091.91'], ['年初结转和结余', '860.29'], ['本年实际支出数', '5959.46'], ['年末结转和结余', '990']]) {
      await t.say('张三', `修改 ${label}`);
      await t.say('张三', v!);
    }
    expect(await t.ask('张三', '继续')).toContain('年末结转和结余核对不符');
    expect(await t.ask('张三', '确认无误')).toContain('已确认年末结转和结余数据无误');
    const rec = await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!);
    expect(rec!.answers.confirmedChecks).toEqual(['balance']);
  });
});

describe('not applicable', () => {
  it('re-bases to 100 and stops asking for figures only that indicator needed', async () => {
    const t = createTranscript();
    await t.say('张三', '新建自评 某市政府办公室 2020 框架=guangdong-2020');
    expect(await t.ask('李四', '不适用 D12 三公经费由机关事务管理局统一反映')).toContain('只有组织者');
    expect(await t.ask('张三', '不适用 D12')).toContain('请写明');
    expect(await t.ask('张三', '不适用 D12 三公经费由机关事务管理局统一反映')).toContain('已将「“三公”经费控制」标记为不适用');
    let replies = await t.say('张三', '开始');
    const asked: string[] = [];
    for (let i = 0; i < 80; i++) {
      const q = questionOf(replies);
      if (!q || q.key.startsWith('narrative:')) break;
      asked.push(q.key);
      replies = await t.say('张三', '跳过');
    }
    expect(asked.length).toBeGreaterThan(10);
    expect(asked.filter((k) => k.startsWith('fact:threeCosts'))).toEqual([]);
    expect(asked).not.toContain('judgement:D12');
  });
});

describe('creating with an imported framework', () => {
  it('offers frameworks the bot was given and carries the chosen one into the evaluation', async () => {
    const { handleMessage } = await import('../src/core/dialog/engine');
    const input = JSON.parse(readFileSync('templates/frameworks/nanjing-2020.json', 'utf8'));
    input.id = 'import-unit-2025';
    input.name = '某区部门整体绩效评价指标体系';
    const msg = (text: string) => ({ channel: 'local' as const, chatId: 'g9', chatType: 'group' as const, userId: 'u1', userName: '张三', text, receivedAt: 0 });
    const deps = { now: new Date('2025-01-02T00:00:00Z'), newId: () => 'ev-import' };
    const frameworks = [{ id: input.id, name: input.name, input }];
    const asked = handleMessage(msg('新建自评 某区财政局 2025'), { frameworks }, deps);
    expect(asked.replies.map(replyText).join('\n')).toContain('import-unit-2025：某区部门整体绩效评价指标体系');
    const out = handleMessage(msg('新建自评 某区财政局 2025 框架=import-unit-2025'), { frameworks }, deps);
    expect(out.created).toMatchObject({ frameworkId: 'import-unit-2025', framework: { id: 'import-unit-2025' } });
    const unknown = handleMessage(msg('新建自评 某区财政局 2025 框架=import-unit-2025'), {}, deps);
    expect(unknown.replies.map(replyText).join('\n')).toContain('没有「import-unit-2025」这个指标体系');
  });
});

describe('an imported framework through the bot', () => {
  it('creates an evaluation with a ready imported framework from the store, which it then carries', async () => {
    const { isDraftUsable } = await import('../src/core/import/confirm');
    const t = createTranscript();
    const draft = await storeImportedBuiltin(t.store, 'nanjing-2020', 'import-a1b2c3', '某区部门整体绩效评价指标体系');
    expect(isDraftUsable(draft)).toBe(true);
    expect(await t.ask('张三', '新建自评 某区办公室 2024 框架=import-a1b2c3')).toContain('已创建「某区办公室2024年度部门整体绩效自评价」（某区部门整体绩效评价指标体系）');
    const rec = await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!);
    expect(rec!.frameworkId).toBe('import-a1b2c3');
    expect(rec!.framework?.id).toBe('import-a1b2c3');
    // The evaluation is scored with its own copy from then on.
    expect(await t.ask('张三', '开始')).toContain('决策制度');
  });
});

describe('an imported framework on the disk store', () => {
  it('answers, survives a reopen and reports, with the framework stored once and shared read-only', async () => {
    const { mkdtemp, readdir, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { openLowdbStore } = await import('../src/store/lowdb');
    const dir = await mkdtemp(join(tmpdir(), 'jx-dialog-carried-'));
    try {
      const store = await openLowdbStore(dir);
      await storeImportedBuiltin(store, 'nanjing-2020', 'import-d4e5f6', '某区部门整体绩效评价指标体系');
      const t = createTranscript({ store });
      await t.say('张三', '新建自评 某区办公室 2024 框架=import-d4e5f6');
      expect(await t.ask('张三', '开始')).toContain('决策制度');
      expect(await t.ask('张三', '是')).toMatch(/得 \d+(\.\d+)?\/\d+(\.\d+)? 分/);
      await t.say('张三', '是');
      // The framework is on disk once; the evaluation file names it.
      expect(await readdir(join(dir, 'carried'))).toHaveLength(1);
      const again = createTranscript({ store: await openLowdbStore(dir) });
      expect(await again.ask('张三', '进度')).toContain('已评分指标 2/');
      const replies = await again.say('张三', '报告');
      expect(replies.some((r) => r.kind === 'file')).toBe(true);
      const rec = (await again.store.getEvaluation((await again.store.evaluationIdForChat('group-1'))!))!;
      expect(rec.framework?.id).toBe('import-d4e5f6');
      expect(Object.isFrozen(rec.framework)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('confirming an imported framework in the chat', () => {
  const CSV = `一级指标,二级指标,三级指标,指标说明,评价要点,分值
部门决策（10分）,决策机制（10分）,决策制度的规范性,是否建立决策制度,决策制度建立完整，得5分。,5
,,部门预算执行率,部门预算执行百分比,年末预算执行率达到财政考核要求的得5分,5
部门管理（90分）,资产管理（90分）,资产管理制度健全性,资产管理制度健全情况,制定资产管理制度，得90分。,90
`;

  it('asks one question per open row with its prose, re-asks on a rule it cannot take, and makes the framework usable', async () => {
    const { importFile } = await import('../src/core/import');
    const { updateDraftMeta } = await import('../src/core/import/confirm');
    const draft = await importFile({ name: '某区指标表.csv', bytes: new TextEncoder().encode(CSV) });
    const meta = updateDraftMeta(draft, { id: 'import-c0ffee', name: '某区指标表' });
    if (!meta.ok) throw new Error(meta.error);
    const t = createTranscript();
    const at = '2025-01-02T00:00:00Z';
    await t.store.putFramework({ id: 'import-c0ffee', name: '某区指标表', draft: meta.draft, status: 'open', createdAt: at, updatedAt: at, uploadedBy: 'u-zhangsan' });

    expect(await t.ask('张三', '新建自评 某区办公室 2024 框架=import-c0ffee')).toContain('没有「import-c0ffee」这个指标体系');
    const first = await t.ask('张三', '确认指标体系');
    expect(first).toContain('已自动识别 2 行评分规则，还有 1 行需要您确认');
    expect(first).toContain('评价要点：年末预算执行率达到财政考核要求的得5分');
    expect(first).toContain('“达到财政考核要求”未给出具体标准');
    expect(await t.ask('张三', '确认')).toContain('没有采用');
    const done = await t.ask('张三', '预算执行率达到90%得5分，否则不得分');
    expect(done).toContain('已确认 A12 部门预算执行率');
    expect(done).toContain('可以使用了：发送「新建自评 单位名称 年度 框架=import-c0ffee」');
    expect((await t.store.getFramework('import-c0ffee'))!.status).toBe('ready');

    expect(await t.ask('张三', '新建自评 某区办公室 2024 框架=import-c0ffee')).toContain('已创建「某区办公室2024年度部门整体绩效自评价」');
    await t.say('张三', '修改 预算执行率');
    expect(await t.ask('张三', '88%')).toContain('「部门预算执行率」得 0/5 分：预算执行率88%，低于90%');
  });
});
