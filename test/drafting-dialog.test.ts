/**
 * Report drafting in the chat (issue #16), through the real bot and the memory store with an
 * in-process drafter: 起草 shows a draft whose figures are all the state's; 采用 records it as the
 * section and the report prints it; 不用 leaves the report as it was; a draft that invents a figure
 * is discarded and drafted again, and after the attempts the person is asked as if there were no model.
 */
import { describe, expect, it } from 'vitest';
import type { ButtonAction, Reply } from '../src/core/messages';
import type { DraftRequest } from '../src/core/drafting/draft';
import { buildReportReplies } from '../src/app/bot';
import type { Logger } from '../src/app/ports';
import { createMemoryStore } from '../src/store/memory';
import { ANSWERS_002 } from './helpers/answers-002';
import { makeEvaluation } from './helpers/records';
import { readDocx } from './helpers/report';
import { createTranscript, PEOPLE, replyText } from './helpers/transcript';
import { createOpenAiAssistant, usageMonth } from '../src/app/assistant';
import { startFakeOpenAi } from './fakes/openai';

const GOOD = '一是预算执行进度有待加快。2024年部门预算执行率为85.72%，低于90%，预算编制科学规范扣1分。\n二是绩效管理闭环有待完善，事前评估充分性不足。';
const INVENTED = '一是预算执行进度有待加快。2024年部门预算执行率为86.3%，较上年下降4.1个百分点。';
const MARKER = '【待填写：存在问题及原因分析】';

/** A store holding 002 answered in full but for the section 存在问题及原因分析, in group-1, 张三 organising. */
async function storeWithoutProblems() {
  const store = createMemoryStore();
  const answers = structuredClone(ANSWERS_002);
  delete answers.narratives.problems;
  delete answers.framework;
  delete answers.unit;
  delete answers.year;
  await store.createEvaluation(makeEvaluation('ev-002', ['group-1'], { answers, organisers: [PEOPLE['张三']!], members: { [PEOPLE['张三']!]: { name: '张三' } } }));
  return store;
}

/** `storeWithoutProblems` with an in-process drafter answering `replies` in turn. */
async function setUp(replies: string[], opts: { enabled?: boolean; attempts?: number } = {}) {
  const store = await storeWithoutProblems();
  const requests: DraftRequest[] = [];
  const logged: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  const logger: Logger = { info: (message, fields) => logged.push({ message, ...(fields ? { fields } : {}) }), error: (message, fields) => logged.push({ message, ...(fields ? { fields } : {}) }) };
  const drafter = async (req: DraftRequest) => {
    requests.push(req);
    return { text: replies[Math.min(requests.length - 1, replies.length - 1)]! };
  };
  const t = createTranscript({ store, drafting: { drafter, enabled: () => opts.enabled ?? true, logger, ...(opts.attempts ? { attempts: opts.attempts } : {}) } });
  return { store, t, requests, logged };
}

/** The report's body text as the .docx has it. */
async function reportText(store: ReturnType<typeof createMemoryStore>): Promise<string> {
  const rec = (await store.getEvaluation('ev-002'))!;
  const file = (await buildReportReplies(rec, new Date('2025-05-10T00:00:00Z'))).find((r) => r.kind === 'file');
  if (!file || file.kind !== 'file') throw new Error('no report file');
  const parts = await readDocx(file.bytes);
  return parts.body.map((b) => (b.type === 'p' ? b.text : '')).join('\n');
}

function draftCard(replies: Reply[]) {
  const card = replies.find((r) => r.kind === 'card' && r.title.startsWith('草稿：'));
  if (!card || card.kind !== 'card') throw new Error(`no draft card in: ${replies.map(replyText).join('\n')}`);
  return card;
}

const button = (card: { buttons?: Array<{ label: string; action: ButtonAction }> }, label: string) => card.buttons!.find((b) => b.label === label)!.action;

describe('drafting a report section', () => {
  it('drafts a section, shows it as a draft the report does not print, and prints it once accepted', async () => {
    const { store, t, requests } = await setUp([GOOD]);
    const card = draftCard(await t.say('张三', '起草 存在的问题'));
    expect(card.title).toBe('草稿：存在问题及原因分析');
    expect(card.text).toContain(GOOD);
    expect(card.buttons!.map((b) => b.label)).toEqual(['采用', '修改', '不用']);
    // The model was given the state's figures and deductions, not asked blind.
    expect(requests[0]!.variables.deductions).toContain('预算编制科学规范：扣1分');
    // A pending draft is not final: the report still asks for the section.
    const before = await reportText(store);
    expect(before).toContain(MARKER);
    expect(before).not.toContain('预算执行进度有待加快');
    expect((await store.getEvaluation('ev-002'))!.answers.narratives?.problems).toBeUndefined();

    const accepted = await t.pressFull('张三', button(card, '采用'));
    expect(accepted.replies.map(replyText).join('\n')).toContain('已保存「存在问题及原因分析」');
    expect(accepted.pressed).toMatchObject({ ok: true, card: { text: '「存在问题及原因分析」已采用草稿（张三）。' } });
    const rec = (await store.getEvaluation('ev-002'))!;
    expect(rec.answers.narratives?.problems).toBe(GOOD);
    // Recorded as the person's answer, audited like a typed one.
    expect((await store.listAudit('ev-002')).filter((e) => e.path === 'narratives.problems')).toMatchObject([{ userId: PEOPLE['张三'], new: GOOD }]);
    const after = await reportText(store);
    expect(after).not.toContain(MARKER);
    expect(after).toContain('一是预算执行进度有待加快。2024年部门预算执行率为85.72%，低于90%，预算编制科学规范扣1分。');
    expect(after).toContain('二是绩效管理闭环有待完善，事前评估充分性不足。');
    // A second press of the same card takes nothing again.
    expect(replyText((await t.press('张三', button(card, '采用')))[0]!)).toContain('不是最新的');
  });

  it('discards a draft that invents a figure and drafts again; after the attempts, asks the person as if there were no model', async () => {
    const retried = await setUp([INVENTED, GOOD]);
    expect(draftCard(await retried.t.say('张三', '起草 存在的问题')).text).toContain(GOOD);
    expect(retried.requests.map((r) => r.attempt)).toEqual([1, 2]);
    expect(retried.requests[1]!.variables.feedback).toContain('86.3%');
    expect(retried.logged).toMatchObject([{ message: 'draft_discarded', fields: { evaluation: 'ev-002', reason: 'invented_figure', figures: ['86.3%', '4.1'] } }]);

    const { store, t, requests, logged } = await setUp([INVENTED], { attempts: 3 });
    const said = await t.ask('张三', '起草 存在的问题');
    expect(requests).toHaveLength(3);
    expect(logged.map((l) => l.fields?.reason)).toEqual(['invented_figure', 'invented_figure', 'invented_figure']);
    expect(said).toContain('助手这次没能起草出可用的「存在问题及原因分析」');
    expect(said).toContain('本次评价发现了哪些问题？原因是什么？');
    expect(said).not.toContain('86.3');
    // Nothing drafted is kept or printed; the person's own text is taken as before.
    expect((await store.getEvaluation('ev-002'))!.sessions[PEOPLE['张三']!]!.sectionDraft).toBeUndefined();
    expect(await t.ask('张三', '预算执行进度偏慢。\n完成')).toContain('已保存「存在问题及原因分析」');
    expect((await store.getEvaluation('ev-002'))!.answers.narratives?.problems).toBe('预算执行进度偏慢。');
  });

  it('discards a reply that is not what the prompt asked for, with a log line and no text of it', async () => {
    const { t, logged } = await setUp(['As an AI language model I cannot help with that.'], { attempts: 1 });
    const said = await t.ask('张三', '起草 存在的问题');
    expect(said).toContain('助手这次没能起草出可用的');
    expect(logged).toEqual([{ message: 'draft_discarded', fields: { evaluation: 'ev-002', section: 'problems', attempt: 1, reason: 'too_short', chars: 48 } }]);
  });

  it('不用 drops the draft and leaves the report as it was', async () => {
    const { store, t } = await setUp([GOOD]);
    const before = await reportText(store);
    const card = draftCard(await t.say('张三', '起草 存在的问题'));
    expect(await t.ask('张三', '不用')).toContain('已放弃草稿，「存在问题及原因分析」没有改动。');
    expect(await reportText(store)).toBe(before);
    expect((await store.getEvaluation('ev-002'))!.answers.narratives?.problems).toBeUndefined();
    expect(replyText((await t.press('张三', button(card, '采用')))[0]!)).toContain('不是最新的');
    expect(await reportText(store)).toBe(before);
  });

  it('修改 gives the text back; what the person sends is recorded', async () => {
    const { store, t } = await setUp([GOOD]);
    draftCard(await t.say('张三', '起草 存在的问题'));
    const said = await t.say('张三', '修改草稿');
    expect(said.map(replyText)).toContain(GOOD);
    await t.say('张三', `${GOOD.replace('有待加快', '亟需加快')}\n完成`);
    expect((await store.getEvaluation('ev-002'))!.answers.narratives?.problems).toBe(GOOD.replace('有待加快', '亟需加快'));
  });

  it('offers 起草 on the narrative question only when the assistant is on, and asks no model when it is off', async () => {
    const on = await setUp([GOOD]);
    const question = (await on.t.say('张三', '修改 存在问题及原因分析')).find((r) => r.kind === 'card');
    expect(question && question.kind === 'card' ? question.buttons?.map((b) => b.action) : []).toContainEqual({ type: 'command', command: 'draftSection', arg: 'problems' });
    expect(draftCard(await on.t.press('张三', { type: 'command', command: 'draftSection', arg: 'problems' })).text).toContain(GOOD);

    const off = await setUp([GOOD], { enabled: false });
    expect(await off.t.ask('张三', '起草 存在的问题')).toContain('本次自评未启用助手');
    expect(off.requests).toHaveLength(0);
  });

  it('drafts through the configured assistant over HTTP once the organiser enabled it, counting the usage', async () => {
    const fake = await startFakeOpenAi();
    try {
      const store = await storeWithoutProblems();
      const logger: Logger = { info: () => {}, error: () => {} };
      const assistant = createOpenAiAssistant({ baseUrl: fake.baseUrl, apiKey: 'sk-fake', model: 'qwen-fake', timeoutMs: 5000, maxRetries: 0, sleep: async () => {} });
      const t = createTranscript({ store, assistant: { assistant, logger, monthlyTokenCap: 1_000_000 } });
      // Help names the command; it is off until the organiser enables it: nothing is sent.
      expect(await t.ask('张三', '帮助')).toContain('起草 <部分名称>');
      expect(await t.ask('张三', '起草 存在的问题')).toContain('未启用助手');
      expect(fake.requests).toHaveLength(0);
      await t.say('张三', '启用助手');
      fake.script({ kind: 'complete', text: GOOD, promptTokens: 900, completionTokens: 80 });
      const card = draftCard(await t.say('张三', '起草 存在的问题'));
      expect(card.text).toContain(GOOD);
      expect(fake.requests).toHaveLength(1);
      const sent = fake.requests[0]!.raw;
      expect(sent).toContain('预算编制科学规范');
      expect(sent).not.toContain('张三');
      expect(await store.getAssistantUsage(usageMonth(new Date('2025-05-10T01:00:00Z')))).toMatchObject({ calls: 1, tokens: 980 });
      await t.pressFull('张三', button(card, '采用'));
      expect(await reportText(store)).toContain('二是绩效管理闭环有待完善，事前评估充分性不足。');
    } finally {
      await fake.close();
    }
  });
});
