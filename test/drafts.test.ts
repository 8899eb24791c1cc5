/**
 * Drafts read back from storage: a session's draft or a chat's draft that does not parse (garbage, an
 * old shape) is dropped, and the dialog goes on as with no draft; a valid one still works. Through the
 * real bot and the memory store.
 */
import { describe, expect, it } from 'vitest';
import type { Reply } from '../src/core/messages';
import type { SessionDraft } from '../src/core/dialog/drafts';
import { readChatDraft, readSessionDraft } from '../src/core/dialog/drafts';
import { dialogText as T } from '../src/core/locale/zh-CN';
import { createTranscript, PEOPLE, replyText, type Transcript } from './helpers/transcript';

const CREATE = '新建自评 南京市数据局 2024 框架=nanjing-2021 截止=2025-05-31';
const ZHANG = PEOPLE['张三']!;

/** The question a reply set asks, if any. */
function questionOf(replies: Reply[]) {
  for (const r of replies) if (r.kind !== 'file' && r.question) return r.question;
  return undefined;
}

async function created(): Promise<Transcript> {
  const t = createTranscript();
  expect(await t.ask('张三', CREATE)).toContain('已创建');
  return t;
}

async function evaluationId(t: Transcript): Promise<string> {
  return (await t.store.evaluationIdForChat('group-1'))!;
}

/** Writes a session draft into the stored evaluation, as a store holding old or broken data would. */
async function storeSessionDraft(t: Transcript, userId: string, draft: unknown): Promise<void> {
  await t.store.updateEvaluation(await evaluationId(t), (rec) => {
    rec.sessions[userId]!.draft = draft as SessionDraft;
  });
}

describe('a session draft read back from storage', () => {
  it('drops a narrative draft that does not parse: the question is asked again', async () => {
    const t = await created();
    expect(questionOf(await t.say('张三', '修改 narrative:basicInfo'))?.key).toBe('narrative:basicInfo');
    // Parts as a string, not a list: read as it was, each character would have become a paragraph.
    await storeSessionDraft(t, ZHANG, { kind: 'collect', key: 'narrative:basicInfo', parts: '第一段' });
    const replies = await t.say('张三', '完成');
    expect(replies.map(replyText).join('\n')).toContain(T.narrativeEmpty);
    expect(questionOf(replies)?.key).toBe('narrative:basicInfo');
    const rec = await t.store.getEvaluation(await evaluationId(t));
    expect(rec!.answers.narratives?.basicInfo).toBeUndefined();
    expect(rec!.sessions[ZHANG]!.draft).toBeUndefined();
  });

  it('keeps a valid narrative draft', async () => {
    const t = await created();
    await t.say('张三', '修改 narrative:basicInfo');
    await storeSessionDraft(t, ZHANG, { kind: 'collect', key: 'narrative:basicInfo', parts: ['第一段'] });
    expect(await t.ask('张三', '第二段\n完成')).toContain('（7字）');
    const rec = await t.store.getEvaluation(await evaluationId(t));
    expect(rec!.answers.narratives?.basicInfo).toBe('第一段\n第二段');
  });

  it('drops key tasks entered so far that do not parse, and takes the next ones afresh', async () => {
    const t = await created();
    expect(questionOf(await t.say('张三', '重点工作'))?.key).toMatch(/^keyTasks:/);
    await storeSessionDraft(t, ZHANG, { kind: 'keyTasks', slot: 'C1', items: [{ name: '党建工作' }] });
    expect(await t.ask('张三', '业务工作 10分')).toContain('已记下1项，合计10分');
  });

  it('keeps valid key tasks entered so far', async () => {
    const t = await created();
    await t.say('张三', '重点工作');
    await storeSessionDraft(t, ZHANG, { kind: 'keyTasks', slot: 'C1', items: [{ name: '党建工作', points: 4 }] });
    expect(await t.ask('张三', '业务工作 10分')).toContain('已记下2项，合计14分');
  });
});

describe('a chat draft read back from storage', () => {
  it('drops a 新建自评 draft that does not parse: the chat behaves as with no draft', async () => {
    const t = createTranscript();
    await t.store.setChatDraft({ chatId: 'group-1', userId: PEOPLE['王五']!, draft: { kind: 'create', year: '去年', step: 5 }, updatedAt: 'x' });
    expect(await t.ask('王五', '南京市数据局')).toContain('本群还没有自评任务');
    expect(await t.store.getChatDraft('group-1', PEOPLE['王五']!)).toBeUndefined();
  });

  it('goes on with a valid 新建自评 draft', async () => {
    const t = createTranscript();
    await t.store.setChatDraft({ chatId: 'group-1', userId: PEOPLE['王五']!, draft: { kind: 'create', step: 'unit', stepwise: true }, updatedAt: 'x' });
    expect(await t.ask('王五', '南京市数据局')).toContain('评价哪一年度');
    expect((await t.store.getChatDraft('group-1', PEOPLE['王五']!))?.draft).toMatchObject({ kind: 'create', unit: '南京市数据局', step: 'year' });
  });

  it('lets a private chat with a broken draft reach the sender\'s group evaluation', async () => {
    const t = await created();
    await t.say('李四', '进度');
    await t.store.setChatDraft({ chatId: 'p2p-lisi', userId: PEOPLE['李四']!, draft: 'garbage', updatedAt: 'x' });
    const text = await t.ask('李四', '开始', { chatId: 'p2p-lisi', chatType: 'p2p' });
    expect(text).toContain('已进入「南京市数据局2024年度部门整体绩效自评价」');
  });
});

describe('the draft readers', () => {
  it('return the typed draft, or undefined for nothing and for garbage', () => {
    expect(readSessionDraft({ kind: 'collect', key: 'k', choice: '直接填报' })).toEqual({ kind: 'collect', key: 'k', choice: '直接填报' });
    expect(readSessionDraft(undefined)).toBeUndefined();
    expect(readSessionDraft({ kind: 'collect' })).toBeUndefined();
    expect(readSessionDraft(null)).toBeUndefined();
    expect(readChatDraft({ kind: 'confirmFramework', id: 'import-x', skipped: [] })).toEqual({ kind: 'confirmFramework', id: 'import-x', skipped: [] });
    expect(readChatDraft({ kind: 'confirmFramework', id: 'import-x' })).toBeUndefined();
    expect(readChatDraft({ step: 'unit' })).toBeUndefined();
  });
});
