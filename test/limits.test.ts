/**
 * Limits with clear messages (issue #14): a message delivered twice is applied once, a narrative
 * section and a key-task line have a size cap, a record stops growing at its cap, and an unfinished
 * 新建自评 expires. Each refusal says the limit and leaves what was stored as it was.
 */
import { describe, expect, it } from 'vitest';
import { CHAT_DRAFT_TTL_MS, MAX_RECORD_CHARS } from '../src/app/bot';
import { MAX_NARRATIVE_CHARS, REPEAT_WINDOW_MS } from '../src/core/dialog/engine';
import { MAX_KEY_TASK_LINE_CHARS } from '../src/core/dialog/parse';
import { dialogText as T } from '../src/core/locale/zh-CN';
import { createMemoryStore } from '../src/store/memory';
import { createGroupEvaluation, GROUP_FRAMEWORK } from './helpers/group';
import { createTranscript, PEOPLE, type Transcript } from './helpers/transcript';

const FRAMEWORK = { ...GROUP_FRAMEWORK, narratives: [{ key: 'problems', title: '存在的问题', question: '请写出存在的问题。' }] };

async function group(extra: Parameters<typeof createGroupEvaluation>[1] = {}): Promise<Transcript> {
  const store = createMemoryStore();
  await createGroupEvaluation(store, { framework: FRAMEWORK, ...extra });
  return createTranscript({ store });
}

const record = async (t: Transcript) => (await t.store.getEvaluation('ev-group'))!;

/** Answers A1–A4 and the key tasks, so the narrative is asked next. */
async function upToNarrative(t: Transcript): Promise<string> {
  await t.say('张三', '开始');
  for (let i = 0; i < 4; i++) await t.say('张三', '是');
  await t.say('张三', '党建工作 2分');
  // The key task's own yes/no question comes before the report's sections.
  return t.ask('张三', '是');
}

describe('the same message twice', () => {
  it('stores a key task once when it arrives twice within seconds', async () => {
    const t = await group();
    await t.say('张三', '开始');
    for (let i = 0; i < 4; i++) await t.say('张三', '是');
    expect(await t.ask('张三', '党建工作 1分')).toContain('还差');
    expect(await t.ask('张三', '党建工作 1分')).toContain(T.repeatIgnored);
    expect(await t.ask('张三', '业务工作 1分')).toContain('业务工作');
    expect((await record(t)).answers.keyTasks?.B1?.map((k) => k.name)).toEqual(['党建工作', '业务工作']);
  });

  it('stores a narrative paragraph once, and takes the same words again after the window', async () => {
    const t = await group();
    expect(await upToNarrative(t)).toContain('请写出存在的问题');
    await t.say('张三', '第一段：制度执行不到位。');
    expect(await t.ask('张三', '第一段：制度执行不到位。')).toContain(T.repeatIgnored);
    t.tick(REPEAT_WINDOW_MS);
    expect(await t.ask('张三', '第一段：制度执行不到位。')).toContain('第2段');
    await t.say('张三', '完成');
    expect((await record(t)).answers.narratives?.problems).toBe('第一段：制度执行不到位。\n第一段：制度执行不到位。');
  });

  it('takes a quick "是" to the next question as that question\'s answer', async () => {
    const t = await group();
    await t.say('张三', '开始');
    await t.say('张三', '是');
    expect(await t.ask('张三', '是')).not.toContain(T.repeatIgnored);
    expect((await record(t)).answers.judgements).toMatchObject({ A1: true, A2: true });
  });

  it('answers a repeated bad reply with the reason and the question again, not as a repeat', async () => {
    const t = await group();
    await t.say('张三', '开始');
    const first = await t.ask('张三', '也许吧');
    const second = await t.ask('张三', '也许吧');
    for (const r of [first, second]) {
      expect(r).toContain('是否建立内部管理制度？');
      expect(r).not.toContain(T.repeatIgnored);
    }
  });
});

describe('size caps', () => {
  it('refuses a narrative part past the section cap, keeps the parts so far, and saves them on 完成', async () => {
    const t = await group();
    await upToNarrative(t);
    const full = '问'.repeat(MAX_NARRATIVE_CHARS - 10);
    expect(await t.ask('张三', full)).toContain('第1段');
    const refused = await t.ask('张三', '再补充二十个字的内容，超过上限了吧，对吧对吧');
    expect(refused).toContain(`最多${MAX_NARRATIVE_CHARS}字`);
    expect(refused).toContain(`已收到${MAX_NARRATIVE_CHARS - 10}字`);
    expect(await t.ask('张三', '完成')).toContain('存在的问题');
    expect((await record(t)).answers.narratives?.problems).toBe(full);
  });

  it('refuses an overlong key-task line at once, naming the limit', async () => {
    const t = await group();
    await t.say('张三', '开始');
    for (let i = 0; i < 4; i++) await t.say('张三', '是');
    const reply = await t.ask('张三', `${'1'.repeat(5000)}x 2分`);
    expect(reply).toContain(`不超过${MAX_KEY_TASK_LINE_CHARS}字`);
    expect((await record(t)).answers.keyTasks?.B1).toBeUndefined();
  });

  it('stops a record at its cap: a change that grows it is refused and nothing is stored, a small one still fits', async () => {
    // A record just under the cap: a long remark already stored on A1.
    const base = await group();
    const probe = JSON.stringify(await record(base)).length;
    const filler = 'x'.repeat(MAX_RECORD_CHARS - probe - 8_000);
    const t = await group({ answers: { notes: { A1: filler } } as never });
    const before = await record(t);
    expect(JSON.stringify(before).length).toBeLessThan(MAX_RECORD_CHARS);
    await upToNarrative(t);
    const mid = await record(t);
    const reply = await t.ask('张三', '长'.repeat(10_000));
    expect(reply).toContain(T.recordTooLarge(Math.round(MAX_RECORD_CHARS / 1_000_000)));
    const after = await record(t);
    expect(after.revision).toBe(mid.revision);
    expect(after.sessions[PEOPLE['张三']!]!.draft).toEqual(mid.sessions[PEOPLE['张三']!]!.draft);
    expect(await t.ask('张三', '一段短的。')).toContain('第1段');
  });

  it('does not count the copy of a large imported framework the evaluation carries', async () => {
    const big = { ...FRAMEWORK, source: { ...FRAMEWORK.source, documents: ['附'.repeat(MAX_RECORD_CHARS)] } };
    const store = createMemoryStore();
    await createGroupEvaluation(store, { framework: big });
    const t = createTranscript({ store });
    await t.say('张三', '开始');
    expect(await t.ask('张三', '是')).not.toContain('上限');
    expect((await record(t)).answers.judgements).toMatchObject({ A1: true });
  });
});

describe('drafts expire', () => {
  it('drops a 新建自评 left unfinished for a day and says so', async () => {
    const t = createTranscript({ chatId: 'group-new' });
    expect(await t.ask('张三', '新建自评')).toContain('单位');
    expect(await t.store.getChatDraft('group-new', PEOPLE['张三']!)).toBeDefined();
    t.tick(CHAT_DRAFT_TTL_MS);
    const reply = await t.ask('张三', '测试单位');
    expect(reply).toContain(T.createDraftExpired(CHAT_DRAFT_TTL_MS / 3600_000));
    expect(await t.store.getChatDraft('group-new', PEOPLE['张三']!)).toBeUndefined();
  });

  it('keeps a draft that is still within the day', async () => {
    const t = createTranscript({ chatId: 'group-new' });
    await t.say('张三', '新建自评');
    t.tick(CHAT_DRAFT_TTL_MS - 60_000);
    expect(await t.ask('张三', '测试单位')).not.toContain('已作废');
    expect((await t.store.getChatDraft('group-new', PEOPLE['张三']!))?.draft).toMatchObject({ unit: '测试单位' });
  });
});
