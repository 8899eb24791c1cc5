/**
 * The whole of 002's questionnaire (南京市数据局 2024) through Feishu, as a unit would do it: two people in
 * one group, answering the question cards by pressing buttons, submitting the card's input form, or
 * typing with an @ to the bot; it ends at 98.5 优秀 and the report as a file message in the group.
 * The real bot and the lowdb store, the app over real HTTP, the real SDK against the fake Open Platform.
 */
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBot } from '../src/app/bot';
import { answer002 } from './helpers/answers-002';
import { questionIn, readable, type AskedQuestion } from './helpers/feishu-cards';
import { BOT_NAME, BOT_OPEN_ID, feishuEvents, startFakeFeishu, type FakeFeishu, type PostedMessage } from './fakes/feishu';
import { startFeishuHarness, tempDir, type FeishuHarness } from './fakes/feishu-harness';

const GROUP = 'oc_nanjing_data_bureau';
const PEOPLE = { 张三: 'ou_zhangsan00000000000000000000000a', 李四: 'ou_lisi0000000000000000000000000000b' } as const;
type Person = keyof typeof PEOPLE;
const AT_BOT = { openId: BOT_OPEN_ID, name: BOT_NAME };

let fake: FakeFeishu;
let h: FeishuHarness;
let dir: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  fake = await startFakeFeishu();
  fake.users.set(PEOPLE.张三, '张三');
  fake.users.set(PEOPLE.李四, '李四');
  dir = await tempDir('jx-feishu-002-');
  h = await startFeishuHarness({ fake, dataDir: dir.dir, makeBot: (store) => createBot({ store }), sendIntervalMs: 0 });
});
afterAll(async () => {
  await h?.close();
  await fake?.close();
  await dir?.remove();
});

let seq = 0;
/** Sends an event and waits until everything it caused was processed and sent; returns the answer and what was posted. */
async function act(envelope: unknown): Promise<{ status: number; body: any; posted: PostedMessage[] }> {
  const before = fake.messages.length;
  const res = await h.post(envelope);
  const body = await res.json();
  await h.pipeline.idle();
  return { status: res.status, body, posted: fake.messages.slice(before) };
}
const say = (person: Person, text: string, mentions: Array<{ openId: string; name: string }> = []) =>
  act(feishuEvents.text({ chatId: GROUP, sender: PEOPLE[person], text: `@_user_1 ${text}`, mentions: [AT_BOT, ...mentions], messageId: `om_msg_${++seq}` }));
const press = (person: Person, q: AskedQuestion, value: unknown, formValue?: Record<string, unknown>) =>
  act(feishuEvents.cardAction({ chatId: GROUP, operator: PEOPLE[person], value, messageId: q.messageId, ...(formValue ? { formValue } : {}) }));

describe("002's questionnaire in a Feishu group", () => {
  it('is answered by two people through messages, buttons and card forms, and ends with the report as a file', { timeout: 120_000 }, async () => {
    const transcript: string[] = [];
    const note = (who: string, r: { posted: PostedMessage[] }) => transcript.push(`${who}`, ...r.posted.map((m) => `  bot: ${readable(m).slice(0, 120)}`));

    const created = await say('张三', '新建自评 南京市数据局 2024 框架=nanjing-2021 截止=2025-05-31');
    expect(created.status).toBe(200);
    expect(created.posted.map(readable).join('\n')).toContain('已创建「南京市数据局2024年度部门整体绩效自评价」');
    // Group replies quote the message they answer.
    expect(created.posted[0]).toMatchObject({ via: 'reply', replyTo: `om_msg_${seq}` });

    // 分配 @someone: the mention reaches the dialog, and the reply @s them (text: <at user_id="…">).
    const assigned = await say('张三', '分配 部门管理 @_user_2', [{ openId: PEOPLE.李四, name: '李四' }]);
    const assignedText = assigned.posted.map((m) => String(m.content.text ?? '')).join('\n');
    expect(assignedText).toContain('已将「部门管理」分配给');
    expect(assignedText).toContain(`<at user_id="${PEOPLE.李四}">李四</at>`);

    const current: Record<Person, AskedQuestion | undefined> = {
      张三: questionIn((await say('张三', '开始')).posted),
      李四: questionIn((await say('李四', '开始')).posted),
    };
    expect(current.张三).toBeDefined();
    expect(current.李四).toBeDefined();

    const all: PostedMessage[] = [];
    const ways = { button: 0, form: 0, message: 0 };
    let answered = 0;
    for (let step = 0; step < 400 && (current.张三 || current.李四); step++) {
      const person: Person = step % 2 === 0 ? (current.张三 ? '张三' : '李四') : current.李四 ? '李四' : '张三';
      const q = current[person]!;
      const answer = answer002({ key: q.key, type: '' });
      const button = q.buttons.find((b) => b.label === answer && b.value.a.type === 'answer');
      let r: Awaited<ReturnType<typeof act>>;
      if (button) {
        r = await press(person, q, button.value);
        ways.button++;
        // Answered in time: the callback's answer is a toast and the card turned into what was recorded.
        expect(r.body).toMatchObject({ toast: { type: 'success' }, card: { type: 'raw', data: { schema: '2.0', header: { template: 'green' } } } });
      } else if (q.form && answered % 2 === 0) {
        r = await press(person, q, q.form.value, { answer });
        ways.form++;
        expect(r.body.toast).toBeDefined();
      } else {
        r = await say(person, answer);
        ways.message++;
        expect(r.body).toEqual({});
      }
      answered++;
      note(`${person}: ${answer.slice(0, 40)}`, r);
      all.push(...r.posted);
      const next = questionIn(r.posted);
      if (next?.key === q.key) throw new Error(`"${answer}" was not taken for ${q.key}:\n${transcript.slice(-8).join('\n')}`);
      current[person] = next;
    }
    expect(current).toEqual({ 张三: undefined, 李四: undefined });
    expect(ways.button).toBeGreaterThan(0);
    expect(ways.form).toBeGreaterThan(0);
    expect(ways.message).toBeGreaterThan(0);
    const everything = all.map(readable).join('\n');
    expect(everything, transcript.slice(-10).join('\n')).toContain('所有问题都已回答：总分 98.5 分，优秀');

    // The score as a card with a bar chart and a table of the first-level indicators.
    const score = await say('李四', '得分');
    const scoreCard = score.posted.find((m) => m.msgType === 'interactive');
    expect(scoreCard?.content.body.elements.some((e: any) => e.tag === 'table')).toBe(true);
    expect(scoreCard?.content.body.elements.some((e: any) => e.tag === 'chart')).toBe(true);
    expect(readable(scoreCard!)).toContain('总分 98.5（优秀）');
    expect(readable(scoreCard!)).toContain('部门履职 40/40');

    // The report: a short progress message first, then the .docx uploaded and sent as a file message.
    const report = await say('张三', '报告');
    expect(report.posted.map((m) => m.msgType)).toEqual(['text', 'file']);
    expect(report.posted[0]!.content.text).toContain('正在生成报告');
    expect(fake.files).toHaveLength(1);
    const file = fake.files[0]!;
    expect(file).toMatchObject({ fileName: '南京市数据局2024年度部门整体绩效自评价报告.docx', fileType: 'stream' });
    expect(report.posted[1]).toMatchObject({ msgType: 'file', content: { file_key: file.fileKey } });
    const xml = await (await JSZip.loadAsync(file.bytes)).file('word/document.xml')!.async('string');
    expect(xml).toContain('98.5');
    expect(xml).not.toContain('待填写');

    // Both people's answers are in the one evaluation, with their names from the contact API.
    const rec = await h.store.getEvaluation((await h.store.evaluationIdForChat(`feishu:${GROUP}`))!);
    expect(rec!.members[PEOPLE.张三]?.name).toBe('张三');
    expect(rec!.members[PEOPLE.李四]?.name).toBe('李四');
    const audit = await h.store.listAudit(rec!.id);
    expect(new Set(audit.map((e) => e.userId))).toEqual(new Set([PEOPLE.张三, PEOPLE.李四]));
    // One token for the whole run.
    expect(fake.tokensIssued()).toBe(1);
  });
});
