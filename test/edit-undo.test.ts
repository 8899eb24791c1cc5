/**
 * Edits and undo: every indicator of every built-in framework is reached by 修改 with its code or its
 * name (however its quotes are typed), key-task items once entered; 不适用 is undone by 修改 or 适用;
 * 跳过 while editing keeps the answer and says so.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Reply } from '../src/core/messages';
import { recogniseCommand } from '../src/core/dialog/commands';
import { loadBuiltinFramework } from '../src/core/framework/builtin';
import { formulaRefs } from '../src/core/framework/formula';
import type { Framework, Indicator } from '../src/core/framework/load';
import { quantitiesOf } from '../src/core/framework/usage';
import { formatScore } from '../src/core/decimal';
import { loadConfig } from '../src/config';
import { createApp } from '../src/server/app';
import { instantiate } from '../src/core/scoring/engine';
import { createTranscript, replyText, type Transcript } from './helpers/transcript';

const FRAMEWORKS = readdirSync('templates/frameworks').map((f) => f.replace(/\.json$/, ''));

/** The question keys that belong to an indicator: its own and its descendants', and the figures their rules read. */
function relatedKeys(fw: Framework, ind: Indicator): Set<string> {
  const keys = new Set<string>();
  const quantity = (k: string) => {
    keys.add(`fact:${k}`).add(`metric:${k}`).add(`confirm:${k}`);
    const ast = fw.metricByKey.get(k)?.ast;
    if (ast) for (const r of formulaRefs(ast)) quantity(r);
  };
  const visit = (i: Indicator) => {
    keys.add(`judgement:${i.code}`).add(`decision:${i.code}`).add(`keyTasks:${i.code}`);
    if (i.rule) quantitiesOf(i.rule).forEach(quantity);
    i.children.forEach(visit);
  };
  visit(ind);
  // A parent's questions include the figures filed under it (its section of the questionnaire).
  const codes = new Set([...keys].filter((k) => k.startsWith('judgement:')).map((k) => k.slice(10)));
  if (ind.children.length) for (const f of [...fw.facts, ...fw.metrics]) if (f.section && codes.has(f.section)) quantity(f.key);
  return keys;
}

/** Whether the indicator is asked about itself (rather than scored from figures). */
function hasOwnQuestion(ind: Indicator): boolean {
  return !!ind.measure || (!!ind.rule && ['judgement', 'graded', 'checklist', 'per_violation', 'discretionary'].includes(ind.rule.kind));
}

const asked = (replies: Reply[]) => replies.flatMap((r) => (r.kind !== 'file' && r.question ? [r.question.key] : []))[0];
const choices = (replies: Reply[]) => {
  const card = replies.find((r) => r.kind === 'card' && r.title === '请选择要修改的项目');
  return card && card.kind === 'card' ? card.buttons ?? [] : undefined;
};

/** The question keys a 修改 reply leads to: the question asked, or those behind each choice (one level of sub-choices followed). */
async function reached(t: Transcript, replies: Reply[], depth = 0): Promise<string[]> {
  const key = asked(replies);
  if (key) return [key];
  const buttons = choices(replies);
  if (!buttons || depth > 1) throw new Error(`no question and no choice:\n${replies.map(replyText).join('\n')}`);
  const keys: string[] = [];
  for (const b of buttons) keys.push(...(await reached(t, await t.press('张三', b.action), depth + 1)));
  return keys;
}

/** Spellings of a name as people type it: as written, with ASCII quotes, without quotes. */
function spellings(name: string): string[] {
  return [...new Set([name, name.replace(/[“”]/g, '"'), name.replace(/[“”"]/g, '')])];
}

describe('修改 reaches every indicator of every built-in framework', () => {
  for (const id of FRAMEWORKS) {
    it(`${id}: by code and by name, key-task items included`, async () => {
      const fw = loadBuiltinFramework(id)!;
      const t = createTranscript();
      await t.say('张三', `新建自评 某单位 2024 框架=${id}`);
      // Enter two tasks in every key-task slot, so that its items exist.
      for (const slot of [...fw.byCode.values()].filter((i) => i.keyTasks)) {
        await t.say('张三', `修改 ${slot.code}`);
        const half = formatScore(slot.points / 2);
        expect(await t.ask('张三', `甲项工作${slot.code} ${half}分\n乙项工作${slot.code} ${half}分`)).toContain('项：');
      }
      const rec = (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;
      const tree = instantiate(fw, rec.answers);
      const all: Indicator[] = [];
      const walk = (i: Indicator) => {
        all.push(i);
        i.children.forEach(walk);
      };
      tree.forEach(walk);
      expect(all.filter((i) => i.keyTask).length).toBe(2 * [...fw.byCode.values()].filter((i) => i.keyTasks).length);

      const failures: string[] = [];
      for (const ind of all) {
        const related = relatedKeys(fw, ind);
        for (const [how, arg] of [['code', ind.code], ['lower-case code', ind.code.toLowerCase()], ...spellings(ind.name).map((n) => ['name', n])] as const) {
          const replies = await t.say('张三', `修改 ${arg}`);
          let keys: string[];
          try {
            keys = await reached(t, replies);
          } catch (e) {
            failures.push(`${ind.code} by ${how} "${arg}": ${(e as Error).message.split('\n')[1] ?? ''}`);
            continue;
          }
          const mine = keys.filter((k) => related.has(k));
          // By code: only the indicator's questions. By name: a figure or report section of the same name may be offered beside them.
          if (!mine.length || (how !== 'name' && mine.length !== keys.length)) failures.push(`${ind.code} by ${how} "${arg}": ${keys.join(', ')}`);
          // An indicator with its own question gets it at once.
          if (how !== 'name' && hasOwnQuestion(ind) && (keys.length !== 1 || keys[0] !== `judgement:${ind.code}`))
            failures.push(`${ind.code}: asked ${keys[0]}`);
        }
      }
      expect(failures.join('\n')).toBe('');
    }, 60_000);
  }

  it('reaches A41 and D21 (scored from metrics) through their inputs, and B13 with any quotes', async () => {
    const t = createTranscript();
    await t.say('张三', '新建自评 南京市数据局 2024 框架=nanjing-2021');
    const a41Replies = await t.say('张三', '修改 A41');
    expect(a41Replies.map(replyText).join('\n')).toContain('「预算编制科学规范」的得分由以下数据计算');
    const a41 = choices(a41Replies)!;
    expect(a41.map((b) => b.label)).toEqual(expect.arrayContaining(['本年实际支出数', '调整后部门预算数', '年初结转和结余']));
    expect(asked(await t.say('张三', '修改 D21'))).toBe('metric:satisfactionRate');
    for (const n of ['B13', 'b13', '“三公”经费控制率', '"三公"经费控制率', '三公经费控制率', '「三公」经费控制率']) expect(asked(await t.say('张三', `修改 ${n}`))).toBe('judgement:B13');
  });
});

describe('not applicable can be undone', () => {
  const subtotal = (text: string, name: string) => /· (\S+) (\S+)\/([\d.]+)/.exec(text.split('\n').find((l) => l.startsWith(`· ${name} `)) ?? '')?.[3];

  it('修改 on an indicator marked not applicable brings it back, re-scored, with the full maximum', async () => {
    const t = createTranscript();
    await t.say('张三', '新建自评 南京市数据局 2024 框架=nanjing-2021');
    expect(subtotal(await t.ask('张三', '得分'), '部门管理')).toBe('20');
    expect(await t.ask('张三', '不适用 "三公"经费控制率 由机关事务局统一核算')).toContain('已将「“三公”经费控制率」标记为不适用');
    expect(subtotal(await t.ask('张三', '得分'), '部门管理')).toBe('19');
    // The console's subtotals (the JSON API) say the same.
    const app = createApp({ store: t.store, bot: t.bot, config: loadConfig({}) });
    const view = (await (await app.request('/api/chats/group-1/evaluation', {}, { incoming: { socket: { remoteAddress: '127.0.0.1' } } })).json()) as { subtotals: Array<{ code: string; points: number }> };
    expect(view.subtotals.find((x) => x.code === 'B')!.points).toBe(19);
    expect(await t.ask('李四', '修改 B13')).toContain('只有组织者');
    const back = await t.say('张三', '修改 B13');
    expect(back.map(replyText).join('\n')).toContain('已恢复「“三公”经费控制率」，重新计入评分（参评指标满分 100 分，不再折算）');
    expect(asked(back)).toBe('judgement:B13');
    expect(await t.ask('张三', '是')).toContain('「“三公”经费控制率」得 1/1 分');
    const score = await t.ask('张三', '得分');
    expect(subtotal(score, '部门管理')).toBe('20');
    expect(score).not.toContain('折算');
    const rec = (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;
    expect(rec.answers.notApplicable?.B13).toBeUndefined();
  });

  it('适用 undoes 不适用 explicitly, for a level-2 indicator and by a leaf under it', async () => {
    const t = createTranscript();
    await t.say('张三', '新建自评 南京市数据局 2024 框架=nanjing-2021');
    expect(await t.ask('张三', '适用 B4')).toContain('「政府采购管理」没有标记为不适用');
    await t.say('张三', '不适用 B4 本单位无政府采购业务');
    expect(subtotal(await t.ask('张三', '得分'), '部门管理')).toBe('18');
    // A leaf under the marked indicator: 修改 brings the marked parent back.
    const leaf = await t.say('张三', '修改 B41');
    expect(leaf.map(replyText).join('\n')).toContain('已恢复「政府采购管理」');
    expect(asked(leaf)).toBe('judgement:B41');
    await t.say('张三', '不适用 政府采购管理 本单位无政府采购业务');
    const undo = await t.say('张三', '撤销不适用 政府采购管理');
    expect(undo.map(replyText).join('\n')).toContain('已恢复「政府采购管理」');
    expect(asked(undo)).toBe('judgement:B41');
    expect(subtotal(await t.ask('张三', '得分'), '部门管理')).toBe('20');
  });

  it('recognises 适用 only as a command with a code or name after a space', () => {
    expect(recogniseCommand('适用 B13')).toEqual({ name: 'applicable', arg: 'B13' });
    expect(recogniseCommand('适用B13')).toEqual({ name: 'applicable', arg: 'B13' });
    expect(recogniseCommand('撤销不适用 B13')).toEqual({ name: 'applicable', arg: 'B13' });
    expect(recogniseCommand('不适用 B13 理由')).toEqual({ name: 'notApplicable', arg: 'B13 理由' });
    expect(recogniseCommand('适用范围明确')).toBeUndefined();
  });
});

describe('跳过 says what happened', () => {
  it('while editing an answered question, keeps the answer and does not call it skipped', async () => {
    const t = createTranscript();
    await t.say('张三', '新建自评 南京市数据局 2024 框架=nanjing-2021');
    await t.say('张三', '开始');
    await t.say('张三', '是');
    await t.say('张三', '修改 A11');
    const reply = await t.ask('张三', '跳过');
    expect(reply).toContain('「决策制度的规范性」未作修改，仍为：');
    expect(reply).not.toContain('已跳过');
    const rec = (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;
    expect(rec.answers.judgements?.A11).toBe(true);
    expect(Object.values(rec.sessions)[0]!.skipped).not.toContain('judgement:A11');
  });

  it('on an open question, skips it and 上一题 brings it back at once', async () => {
    const t = createTranscript();
    await t.say('张三', '新建自评 南京市数据局 2024 框架=nanjing-2021');
    await t.say('张三', '开始');
    const skipped = await t.say('张三', '跳过');
    expect(skipped.map(replyText).join('\n')).toContain('已跳过「决策制度的规范性」');
    expect(asked(skipped)).toBe('judgement:A12');
    expect(asked(await t.say('张三', '上一题'))).toBe('judgement:A11');
  });
});

describe('a confirmed check can be withdrawn', () => {
  it('撤销确认 removes the confirmation and asks the check again while it fails', async () => {
    const t = createTranscript();
    await t.say('张三', '新建自评 南京市数据局 2024 框架=nanjing-2021');
    expect(await t.ask('张三', '撤销确认')).toContain('目前没有已确认的数据核对');
    for (const [label, v] of [['调整后部门预算数', '6091.91'], ['年初结转和结余', '860.29'], ['本年实际支出数', '5959.46'], ['年末结转和结余', '990']]) {
      await t.say('张三', `修改 ${label}`);
      await t.say('张三', v!);
    }
    expect(await t.ask('张三', '继续')).toContain('年末结转和结余核对不符');
    expect(await t.ask('张三', '确认无误')).toContain('发送「撤销确认」可撤销');
    const undo = await t.say('张三', '撤销确认');
    expect(undo.map(replyText).join('\n')).toContain('已撤销对「年末结转和结余」数据无误的确认');
    expect(asked(undo)).toBe('check:balance');
    const rec = (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;
    expect(rec.answers.confirmedChecks).toEqual([]);
  });
});
