/**
 * Import help (issue #16, item 5) against a fake OpenAI-compatible server on real HTTP: while an
 * imported framework's open rows are confirmed in the chat, the organiser may press 「请助手建议」; the
 * model's rule is parsed by the compiler, shown only when accepted, and recorded on 采用 exactly as if
 * typed. A refused, failed or stalled proposal leaves the row asked as without a model; with no model
 * configured nothing changes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AssistantSetup } from '../src/app/assistant';
import { getPrompt } from '../src/core/assistant/prompts';
import { compileCriteria } from '../src/core/import/compiler';
import { applyConfirmation, listOpenRows } from '../src/core/import/confirm';
import { importSheet } from '../src/core/import/importer';
import { sheetFromCsv } from '../src/core/import/sheet';
import type { ButtonAction, Reply } from '../src/core/messages';
import { fakeAssistantSetup, recordingLogger, startFakeOpenAi, type FakeOpenAi } from './fakes/openai';
import { THREE_OPEN_CSV } from './helpers/framework-sheets';
import { createTranscript, replyText, type Transcript } from './helpers/transcript';

const ID = 'import-c0ffee';
const draft = () => importSheet(sheetFromCsv(THREE_OPEN_CSV, '某区指标表.csv'), { id: ID });
/** A rule for A11 (1 point, "达到财政考核要求" without a standard) that the compiler accepts. */
const GOOD_RULE = '预算执行率达到90%的得1分，否则得0.5分';

let fake: FakeOpenAi;
let log: ReturnType<typeof recordingLogger>;
beforeEach(async () => {
  fake = await startFakeOpenAi();
  log = recordingLogger();
});
afterEach(async () => {
  await fake.close();
});

/** A chat whose organiser (张三, the uploader) has started confirming the stored framework; returns the first question card. */
async function confirming(assistant?: AssistantSetup): Promise<{ t: Transcript; card: Extract<Reply, { kind: 'card' }> }> {
  const t = createTranscript(assistant ? { assistant } : {});
  const at = '2025-01-02T00:00:00Z';
  await t.store.putFramework({ id: ID, name: '某区指标表', draft: draft(), status: 'open', createdAt: at, updatedAt: at, uploadedBy: 'u-zhangsan' });
  const replies = await t.say('张三', `确认指标体系 ${ID}`);
  return { t, card: lastCard(replies) };
}

function lastCard(replies: Reply[]): Extract<Reply, { kind: 'card' }> {
  const card = [...replies].reverse().find((r): r is Extract<Reply, { kind: 'card' }> => r.kind === 'card');
  if (!card) throw new Error(`no card in: ${replies.map(replyText).join('\n')}`);
  return card;
}

function button(card: Extract<Reply, { kind: 'card' }>, label: string): ButtonAction {
  const b = card.buttons?.find((x) => x.label === label);
  if (!b) throw new Error(`no button ${label} in: ${replyText(card)}`);
  return b.action;
}

async function rowA11(t: Transcript) {
  return (await t.store.getFramework(ID))!.draft.rows.find((r) => r.code === 'A11')!;
}

describe('请助手建议 on an open row', () => {
  it('offers the button only with a model, saying what is sent where; nothing is sent until it is pressed', async () => {
    const { card } = await confirming(fakeAssistantSetup(fake, log.logger));
    expect(card.text).toContain('评价要点：年末预算执行率达到财政考核要求的得1分');
    expect(card.text).toContain(`发送到 ${new URL(fake.baseUrl).host} 的模型 qwen-fake`);
    expect(card.buttons!.map((b) => b.label)).toContain('请助手建议');
    expect(fake.requests).toHaveLength(0);
  });

  it('shows a proposal the compiler accepts, and on 采用 records it as if typed: the row is confirmed', async () => {
    const { t, card } = await confirming(fakeAssistantSetup(fake, log.logger));
    fake.script({ kind: 'complete', text: JSON.stringify({ rule: GOOD_RULE }), promptTokens: 400, completionTokens: 30 });
    const offered = lastCard(await t.press('张三', button(card, '请助手建议')));
    expect(replyText(offered)).toContain('助手建议的规则：预算执行率 ≥ 90% 得 1 分，否则得 0.5 分，是否采用？');
    // Nothing recorded before the organiser confirms.
    expect((await rowA11(t)).outcome.status).toBe('open');

    // What was sent: the row's own text with the propose-rule prompt; no names of people.
    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0]!.raw;
    expect(sent).toContain('部门预算执行率');
    expect(sent).toContain('年末预算执行率达到财政考核要求的得1分');
    expect(sent).toContain('分值：1分');
    for (const name of ['张三', 'u-zhangsan']) expect(sent).not.toContain(name);
    expect(log.lines.find((l) => l.message === 'assistant call')?.fields).toMatchObject({ task: 'propose-rule', prompt: 'propose-rule', totalTokens: 430 });

    const after = await t.press('张三', button(offered, '采用'));
    const text = after.map(replyText).join('\n');
    expect(text).toContain('已确认 A11 部门预算执行率：预算执行率 ≥ 90% 得 1 分，否则得 0.5 分');
    // The next open row is asked.
    expect(text).toContain('网上办公');
    // Recorded exactly as the organiser typing the rule would have recorded it.
    const typed = applyConfirmation(draft(), 'A11', GOOD_RULE);
    if (!typed.ok) throw new Error(typed.error);
    expect((await rowA11(t)).outcome).toEqual(typed.row.outcome);
    expect((await rowA11(t)).outcome).toMatchObject({ status: 'confirmed', rule: { kind: 'bands', metric: 'budgetExecutionRate' } });
    expect(listOpenRows((await t.store.getFramework(ID))!.draft).map((q) => q.code)).toEqual(['A13', 'bonus']);
  });

  it('never shows a proposal the compiler refuses (or no rule, or not the JSON asked for): the row is asked again', async () => {
    const { t, card } = await confirming(fakeAssistantSetup(fake, log.logger));
    const outputs = [
      // Still no standard: the compiler leaves it open.
      JSON.stringify({ rule: '预算执行率达到财政考核要求的得1分' }),
      // A score above the row's 1 point.
      JSON.stringify({ rule: '预算执行率达到90%的得2分，否则不得分' }),
      JSON.stringify({ rule: null }),
      '好的，建议：预算执行率达到90%得1分',
    ];
    for (const text of outputs) {
      fake.script({ kind: 'complete', text });
      const replies = await t.press('张三', button(card, '请助手建议'));
      const said = replies.map(replyText).join('\n');
      expect(said, text).not.toContain('助手建议的规则');
      expect(said, text).toContain('助手给出的规则程序读不懂或与本行不符');
      // Asked exactly as without a model (the same question card).
      expect(lastCard(replies), text).toEqual(card);
      expect((await rowA11(t)).outcome.status).toBe('open');
    }
    expect(fake.requests).toHaveLength(outputs.length);
    const discarded = log.lines.filter((l) => l.message === 'assistant output discarded');
    expect(discarded.map((l) => l.fields?.reason)).toEqual([
      'the compiler does not accept the proposed rule',
      'the compiler does not accept the proposed rule',
      'no rule proposed',
      'not what the prompt asked for',
    ]);
    // 采用 without a proposal shown takes nothing.
    expect(await t.ask('张三', '采用助手建议')).toContain('这条建议已经过时');
    // The organiser still answers by typing, as always.
    expect(await t.ask('张三', GOOD_RULE)).toContain('已确认 A11');
  });

  it('declined with 不采用: nothing recorded, the row asked again, the refusal logged', async () => {
    const { t, card } = await confirming(fakeAssistantSetup(fake, log.logger));
    fake.script({ kind: 'complete', text: JSON.stringify({ rule: GOOD_RULE }) });
    const offered = lastCard(await t.press('张三', button(card, '请助手建议')));
    const replies = await t.press('张三', button(offered, '不采用'));
    expect(replies.map(replyText).join('\n')).toContain('好的，没有采用');
    expect(lastCard(replies)).toEqual(card);
    expect((await rowA11(t)).outcome.status).toBe('open');
    expect(log.lines.some((l) => l.message === 'assistant proposal rejected' && l.fields?.row === 'A11')).toBe(true);
    // The proposal is gone: a late 采用 takes nothing.
    expect(await t.ask('张三', '采用助手建议')).toContain('这条建议已经过时');
    expect((await rowA11(t)).outcome.status).toBe('open');
  });

  it('a model that stalls past the timeout: the row is asked as before, with a log line', async () => {
    const { t, card } = await confirming(fakeAssistantSetup(fake, log.logger, { timeoutMs: 300, maxRetries: 0 }));
    fake.script({ kind: 'stall' });
    const replies = await t.press('张三', button(card, '请助手建议'));
    expect(replies.map(replyText).join('\n')).toContain('助手这次没能给出建议');
    expect(lastCard(replies)).toEqual(card);
    expect(log.lines.find((l) => l.message === 'assistant call failed')?.fields).toMatchObject({ task: 'propose-rule', failure: 'timeout' });
    expect((await rowA11(t)).outcome.status).toBe('open');
    expect(await t.ask('张三', GOOD_RULE)).toContain('已确认 A11');
  });

  it('a row answered in the console while the model was thinking: the proposal is not shown, the next row is asked', async () => {
    const setup = fakeAssistantSetup(fake, log.logger);
    const { confirmFrameworkRow } = await import('../src/app/frameworks');
    let t!: Transcript;
    // The organiser answers A11 in the console while the request is in flight.
    const assistant = { ...setup.assistant, complete: async (req: Parameters<AssistantSetup['assistant']['complete']>[0]) => {
      const done = await confirmFrameworkRow(t.store, ID, 'A11', '预算执行率达到95%的得1分，否则不得分');
      if (!done.ok) throw new Error(done.error);
      return setup.assistant.complete(req);
    } };
    const started = await confirming({ ...setup, assistant });
    t = started.t;
    fake.script({ kind: 'complete', text: JSON.stringify({ rule: GOOD_RULE }) });
    const replies = await t.press('张三', button(started.card, '请助手建议'));
    const said = replies.map(replyText).join('\n');
    expect(said).not.toContain('助手建议的规则');
    expect(said).toContain('这条建议已经过时');
    expect(replyText(lastCard(replies))).toContain('网上办公');
    expect((await rowA11(t)).outcome).toMatchObject({ status: 'confirmed', rule: { bands: [{ gte: 95, score: 1 }] } });
  });

  it('without a model: no button, the question as before, and 请助手建议 sends nothing', async () => {
    const { t, card } = await confirming();
    expect(card.text).toBe(listOpenRows(draft())[0]!.question);
    expect(card.buttons!.map((b) => b.label)).toEqual(['跳过', '取消']);
    expect(await t.ask('张三', '请助手建议')).toContain('没有配置语言模型助手');
    expect(fake.requests).toHaveLength(0);
    expect((await rowA11(t)).outcome.status).toBe('open');
  });
});

describe('the propose-rule prompt', () => {
  it("its example output is a rule the compiler accepts with the example's points", () => {
    const p = getPrompt('propose-rule');
    const rule = (JSON.parse(p.example.output) as { rule: string }).rule;
    const r = compileCriteria(rule, { code: 'X1', name: p.example.variables.name!, points: Number(p.example.variables.points) });
    expect(r.ok, r.ok ? '' : r.reason).toBe(true);
  });

  it('documents phrases the compiler reads: every concrete example in the system text compiles', () => {
    const system = getPrompt('propose-rule').system;
    // The quoted examples, each with the points its highest score (a checklist: its sum) implies.
    const examples = [...system.matchAll(/「([^」]*\d分[^」]*)」/g)].map((m) => m[1]!);
    expect(examples.length).toBeGreaterThan(1);
    for (const e of examples) {
      const scores = [...e.matchAll(/(\d+(?:\.\d+)?)分/g)].map((m) => Number(m[1]));
      const points = /①/.test(e) ? scores.reduce((a, b) => a + b, 0) : Math.max(...scores);
      const r = compileCriteria(e, { code: 'X1', name: '预算执行率', points });
      expect(r.ok, `${e}: ${r.ok ? '' : r.reason}`).toBe(true);
    }
  });
});
