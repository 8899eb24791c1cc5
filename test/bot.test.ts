import { describe, expect, it } from 'vitest';
import type { InboundMessage, Reply } from '../src/core/messages';
import { createTranscript, PEOPLE, replyText, type Transcript } from './helpers/transcript';

const CREATE = '新建自评 南京市数据局 2024 框架=nanjing-2021 截止=2025-05-31';

async function created(chatId = 'group-1'): Promise<Transcript> {
  const t = createTranscript({ chatId });
  expect(await t.ask('张三', CREATE)).toContain('已创建「南京市数据局2024年度部门整体绩效自评价」');
  return t;
}

function cardOf(replies: Reply[]) {
  const card = replies.find((r) => r.kind === 'card');
  if (!card || card.kind !== 'card') throw new Error(`expected a card in ${replies.map(replyText).join('\n')}`);
  return card;
}

/** A platform message (it carries its inbox id), as the pipeline hands it to the bot. */
function platformMessage(person: string, text: string, messageId: string, chatId = 'group-1'): InboundMessage {
  return { channel: 'feishu', chatId, chatType: 'group', userId: PEOPLE[person] ?? person, userName: person, text, messageId, receivedAt: Date.parse('2025-05-10T02:00:00Z') };
}

describe('a platform message handled twice (a replay after a crash)', () => {
  it('gets the first replies again and changes nothing', async () => {
    const t = await created();
    await t.say('李四', '开始');
    const first = await t.bot.handle(platformMessage('李四', '是', 'feishu:ev:1'));
    expect(first.replies.map(replyText).join('\n')).toContain('已记录「决策制度的规范性」：是');
    const id = (await t.store.evaluationIdForChat('group-1'))!;
    const before = await t.store.getEvaluation(id);
    const again = await t.bot.handle(platformMessage('李四', '是', 'feishu:ev:1'));
    expect(again).toEqual(first);
    const after = await t.store.getEvaluation(id);
    // Not taken as the answer to the next question, not written again.
    expect(after!.revision).toBe(before!.revision);
    expect(after!.answers.judgements).toEqual(before!.answers.judgements);
    expect(after!.sessions[PEOPLE['李四']!]!.current).toBe(before!.sessions[PEOPLE['李四']!]!.current);
  });

  it('regenerates the report of a replayed 报告, and treats a new message id as a new message', async () => {
    const t = await created();
    const report = await t.bot.handle(platformMessage('张三', '报告', 'feishu:ev:r'));
    expect(report.replies.some((r) => r.kind === 'file')).toBe(true);
    await t.say('李四', '开始');
    expect((await t.bot.handle(platformMessage('李四', '是', 'feishu:ev:a'))).replies.map(replyText).join('\n')).toContain('决策制度的规范性');
    expect((await t.bot.handle(platformMessage('李四', '是', 'feishu:ev:b'))).replies.map(replyText).join('\n')).toContain('决策流程的科学性');
  });
});

describe('pressing a card', () => {
  it('answers as the presser and says on the card what was recorded and by whom', async () => {
    const t = await created();
    const yes = cardOf(await t.say('李四', '开始')).buttons!.find((b) => b.label === '是')!;
    const result = await t.pressFull('王五', yes.action);
    expect(result.pressed).toMatchObject({ ok: true, toast: '已记录' });
    expect(result.pressed!.card!.text).toContain('已记录「决策制度的规范性」：是');
    expect(result.pressed!.card!.text).toContain('王五');
    const rec = await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!);
    expect(rec!.answers.judgements?.A11).toBe(true);
  });

  it('refuses, with a toast and nothing in the chat, a press on a question someone answered since', async () => {
    const t = await created();
    const card = cardOf(await t.say('李四', '开始'));
    const yes = card.buttons!.find((b) => b.label === '是')!;
    const no = card.buttons!.find((b) => b.label === '否')!;
    await t.press('李四', yes.action);
    const late = await t.pressFull('王五', no.action);
    expect(late.replies).toEqual([]);
    expect(late.pressed).toMatchObject({ ok: false });
    expect(late.pressed!.toast).toContain('已经有人回答');
    const rec = await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!);
    expect(rec!.answers.judgements?.A11).toBe(true);
    // A card shown after the answer (修改) carries the new stamp and may change it.
    const edit = cardOf(await t.say('李四', '修改 A11'));
    await t.press('李四', edit.buttons!.find((b) => b.label === '否')!.action);
    const changed = await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!);
    expect(changed!.answers.judgements?.A11).toBe(false);
  });

  it('keeps a bad value on the card: the reason in a toast and the question asked again', async () => {
    const t = await created();
    await t.say('李四', '开始');
    await t.say('李四', '是');
    await t.say('李四', '是');
    // A form answer (no value in the button: the channel fills in what was typed).
    const q = (await t.say('李四', '修改 调整后预算数')).find((r) => r.kind !== 'file' && r.question);
    const key = q && q.kind !== 'file' ? q.question!.key : 'fact:adjustedBudget';
    const result = await t.pressFull('李四', { type: 'answer', key, value: '很多' });
    expect(result.pressed).toMatchObject({ ok: false });
    expect(result.pressed!.card).toBeUndefined();
    expect(result.replies.map(replyText).join('\n')).toContain('没能从「很多」中找到数字');
    expect(result.pressed!.toast).toContain('很多');
  });
});

describe('a private chat with the bot', () => {
  it("reaches the evaluation of the sender's group and answers their part there", async () => {
    const t = await created();
    await t.say('张三', '分配 部门决策 @李四');
    await t.say('李四', '进度');
    const first = await t.bot.handle({ channel: 'local', chatId: 'p2p-lisi', chatType: 'p2p', userId: PEOPLE['李四']!, userName: '李四', text: '开始', receivedAt: Date.now() });
    const text = first.replies.map(replyText).join('\n');
    expect(text).toContain('已进入「南京市数据局2024年度部门整体绩效自评价」');
    expect(text).toContain('部门决策');
    await t.bot.handle({ channel: 'local', chatId: 'p2p-lisi', chatType: 'p2p', userId: PEOPLE['李四']!, userName: '李四', text: '是', receivedAt: Date.now() });
    const rec = await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!);
    expect(rec!.answers.judgements?.A11).toBe(true);
    expect(rec!.chatIds).toEqual(['group-1', 'p2p-lisi']);
  });

  it('asks which evaluation when there are several, and switches on request', async () => {
    const t = await created('group-1');
    await t.say('张三', '新建自评 南京市财政局 2024 框架=nanjing-2021', { chatId: 'group-2' });
    const p2p = (text: string, action?: InboundMessage['action']) =>
      t.bot.handle({ channel: 'local', chatId: 'p2p-zhang', chatType: 'p2p', userId: PEOPLE['张三']!, userName: '张三', ...(text ? { text } : {}), ...(action ? { action } : {}), receivedAt: Date.now() });
    const which = cardOf((await p2p('开始')).replies);
    expect(which.buttons!.map((b) => b.label)).toEqual(expect.arrayContaining(['南京市数据局2024年度部门整体绩效自评价', '南京市财政局2024年度部门整体绩效自评价']));
    const pick = which.buttons!.find((b) => b.label.startsWith('南京市财政局'))!;
    expect((await p2p('', pick.action)).replies.map(replyText).join('\n')).toContain('已进入「南京市财政局2024年度部门整体绩效自评价」');
    expect(await t.store.evaluationIdForChat('p2p-zhang')).toBe(await t.store.evaluationIdForChat('group-2'));
    // 切换自评 offers the other one.
    const other = cardOf((await p2p('切换自评')).replies);
    expect(other.buttons!.map((b) => b.label)).toEqual(['南京市数据局2024年度部门整体绩效自评价']);
  });

  it('offers 新建自评 to someone in no evaluation, and keeps groups to their own evaluation', async () => {
    const t = await created();
    const stranger = await t.bot.handle({ channel: 'local', chatId: 'p2p-x', chatType: 'p2p', userId: 'u-stranger', text: '开始', receivedAt: Date.now() });
    expect(stranger.replies.map(replyText).join('\n')).toContain('新建自评');
    expect(await t.ask('李四', '切换自评')).toContain('私聊');
  });
});

describe('notes a channel adds to 进度', () => {
  it('are shown to organisers, not to others', async () => {
    const t = await created('dingtalk:cid1');
    const progress = (person: string) =>
      t.bot.handle({ channel: 'dingtalk', chatId: 'dingtalk:cid1', chatType: 'group', userId: PEOPLE[person]!, userName: person, text: '进度', receivedAt: Date.now(), organiserNotes: ['本月钉钉开放接口已调用 1234 次'] });
    expect((await progress('张三')).replies.map(replyText).join('\n')).toContain('本月钉钉开放接口已调用 1234 次');
    expect((await progress('李四')).replies.map(replyText).join('\n')).not.toContain('钉钉开放接口');
  });
});

describe('分配 with a platform mention', () => {
  it('names the mentioned person before they have spoken', async () => {
    const t = await created();
    const text = await t.say('张三', '分配 部门管理 @lisi02', { mentions: [{ userId: 'lisi02', name: '李四' }] });
    expect(text.map(replyText).join('\n')).toContain('已将「部门管理」分配给 李四');
    expect(text.map(replyText).join('\n')).not.toContain('lisi02');
  });
});
