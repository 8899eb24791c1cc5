/**
 * Nobody blocked (issue #13): a question shown to someone is theirs only while they are active on it;
 * what is held says by whom and until when; what only the organiser enters is announced to them.
 */
import { describe, expect, it } from 'vitest';
import type { Reply } from '../src/core/messages';
import { createMemoryStore } from '../src/store/memory';
import { createGroupEvaluation } from './helpers/group';
import { createTranscript, PEOPLE, replyText, type Transcript } from './helpers/transcript';

const MIN = 60 * 1000;
const A1 = '是否建立内部管理制度？';

async function group(options: { holdIdleMs?: number } = {}): Promise<Transcript> {
  const store = createMemoryStore();
  await createGroupEvaluation(store);
  return createTranscript({ store, ...options });
}

const joined = (replies: Reply[]) => replies.map(replyText).join('\n');

async function record(t: Transcript) {
  return (await t.store.getEvaluation('ev-group'))!;
}

describe('the colleague who finishes first', () => {
  it('is told who holds the rest and since when, and the organiser is called by mention for the key tasks', async () => {
    const t = await group();
    // The organiser is shown A1 at 09:00 (UTC+8) and does not answer.
    expect(await t.ask('张三', '开始')).toContain(A1);
    await t.say('李四', '开始');
    await t.say('李四', '是');
    await t.say('李四', '是');
    const last = await t.say('李四', '是');
    const said = joined(last);
    expect(said).toContain('「制度建设」由 张三 填写中（09:00 起，09:10 前无操作将自动释放）');
    expect(said).toContain('等待组织者填写：「年度重点工作」');
    expect(said).not.toContain('其余题目正由其他同事填写中。');
    const call = last.find((r) => r.kind === 'text' && r.text.includes('请组织者填写「年度重点工作」'));
    expect(call && call.kind === 'text' ? call.mentions : undefined).toEqual([{ userId: PEOPLE['张三'], name: '张三' }]);

    // Still within the organiser's idle time: A1 stays theirs.
    t.tick(4 * MIN);
    expect(await t.ask('李四', '继续')).toContain('「制度建设」由 张三 填写中');
    // Ten minutes after it was shown, nobody is blocked: the colleague gets it.
    t.tick(6 * MIN);
    expect(await t.ask('李四', '继续')).toContain(A1);
    const done = await t.ask('李四', '是');
    expect(done).toContain('已记录「制度建设」：是');
    expect(done).toContain('等待组织者填写：「年度重点工作」');

    // The organiser comes back: the answer given meanwhile stands, and the key tasks are theirs to enter.
    const back = await t.ask('张三', '否');
    expect(back).toContain('「制度建设」已由其他同事填写');
    expect(back).toContain('请列出本年度的重点工作');
    expect((await record(t)).answers.judgements?.A1).toBe(true);
  });
});

describe('three people in one group, one of whom walks away mid-question', () => {
  it('the other two complete everything, and the one who left changes nothing on return', async () => {
    const t = await group();
    expect(await t.ask('王五', '开始')).toContain(A1);
    // 王五 walks away. 李四 answers the rest of 部门管理.
    expect(await t.ask('李四', '开始')).toContain('是否建立资产台账？');
    await t.say('李四', '是');
    await t.say('李四', '是，已公开');
    expect(await t.ask('李四', '是')).toContain('「制度建设」由 王五 填写中');
    // The organiser enters the key tasks and answers them.
    expect(await t.ask('张三', '开始')).toContain('请列出本年度的重点工作');
    await t.say('张三', '党建工作 1分\n业务工作 1分');
    await t.say('张三', '是');
    expect(await t.ask('张三', '是')).toContain('「制度建设」由 王五 填写中');

    t.tick(10 * MIN);
    expect(await t.ask('李四', '继续')).toContain(A1);
    const finished = await t.ask('李四', '是');
    expect(finished).toContain('全部指标已评分：总分 6 分');

    // 王五 comes back and answers the question he was shown: nothing is recorded over 李四's answer.
    expect(await t.ask('王五', '否')).toContain('「制度建设」已由其他同事填写');
    const rec = await record(t);
    expect(rec.answers.judgements?.A1).toBe(true);
    const a1 = (await t.store.listAudit('ev-group')).filter((e) => e.path === 'judgements.A1');
    expect(a1.map((e) => e.userId)).toEqual([PEOPLE['李四']]);
  });
});

describe('holds', () => {
  it('are released at once when their holder moves on', async () => {
    const t = await group();
    expect(await t.ask('王五', '开始')).toContain(A1);
    expect(await t.ask('李四', '开始')).not.toContain(A1);
    await t.say('李四', '取消');
    expect(await t.ask('王五', '跳过')).toContain('已跳过「制度建设」');
    expect(await t.ask('李四', '继续')).toContain(A1);
  });

  it('last as long as the configured idle time, counted from the holder\'s last reply to the question', async () => {
    const t = await group({ holdIdleMs: 2 * MIN });
    expect(await t.ask('王五', '开始')).toContain(A1);
    t.tick(90 * 1000);
    // A reply that cannot be read keeps the question his.
    expect(await t.ask('王五', '也许吧')).toContain(A1);
    t.tick(90 * 1000);
    expect(await t.ask('李四', '开始')).not.toContain(A1);
    await t.say('李四', '取消');
    t.tick(31 * 1000);
    expect(await t.ask('李四', '继续')).toContain(A1);
  });

  it('do not stop anyone from pressing the card they see: the answer is recorded as theirs', async () => {
    const t = await group();
    const shown = await t.say('王五', '开始');
    const card = shown.find((r) => r.kind === 'card' && r.question?.key === 'judgement:A1');
    if (!card || card.kind !== 'card') throw new Error(`no card for A1:\n${t.log.join('\n')}`);
    const yes = card.buttons!.find((b) => b.label === '是')!.action;
    const pressed = await t.pressFull('李四', yes);
    expect(pressed.pressed).toMatchObject({ ok: true });
    expect(pressed.pressed?.card?.text).toContain('李四');
    // 王五's own press on the same card comes too late.
    const late = await t.pressFull('王五', card.buttons!.find((b) => b.label === '否')!.action);
    expect(late.pressed?.ok).toBe(false);
    const a1 = (await t.store.listAudit('ev-group')).filter((e) => e.path === 'judgements.A1');
    expect(a1.map((e) => [e.userId, e.new])).toEqual([[PEOPLE['李四'], true]]);
  });
});
