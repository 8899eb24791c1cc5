/**
 * The chat channels on Workers: `wrangler dev` (local workerd, local D1, local Queue) with Feishu and
 * DingTalk pointed at the fake platforms. 002's questionnaire answered through signed Feishu events
 * ends at 98.5 优秀 with the report sent as a .docx; an event delivered again is processed once; a bad
 * signature is refused with nothing done; a DingTalk callback is answered; the JSON API needs
 * ADMIN_TOKEN. One Worker for the file; the inbox Queue delivers at once (max_batch_timeout 0) rather
 * than waiting a second per answer for a batch to fill.
 */
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackBody, FAKE_APP_KEY as DINGTALK_KEY, FAKE_APP_SECRET as DINGTALK_SECRET, signedHeaders, startFakeDingTalk, type FakeDingTalk } from './fakes/dingtalk';
import { BOT_NAME, BOT_OPEN_ID, FAKE_ENCRYPT_KEY, fakeFeishuVars, feishuEvents, signFeishuRequest, startFakeFeishu, type FakeFeishu, type PostedMessage } from './fakes/feishu';
import { answer002 } from './helpers/answers-002';
import { questionIn, readable, type AskedQuestion } from './helpers/feishu-cards';
import { eventually, feishuOnWorkers, type Acted, type FeishuOnWorkers } from './helpers/workers-chat';
import { startWorkersDev, type WorkersDev } from './helpers/workers-dev';

const TOKEN = 'workers-chat-admin-token-0123456789';
const GROUP = 'oc_workers_nanjing_data_bureau';
const ZHANG = 'ou_workers_zhangsan000000000000000a';
const AT_BOT = { openId: BOT_OPEN_ID, name: BOT_NAME };

let fake: FakeFeishu;
let ding: FakeDingTalk;
let w: WorkersDev;
let feishu: FeishuOnWorkers;

beforeAll(async () => {
  fake = await startFakeFeishu();
  fake.users.set(ZHANG, '张三');
  ding = await startFakeDingTalk();
  w = await startWorkersDev({
    vars: {
      ADMIN_TOKEN: TOKEN,
      ...fakeFeishuVars(fake.url),
      DINGTALK_APP_KEY: DINGTALK_KEY,
      DINGTALK_APP_SECRET: DINGTALK_SECRET,
      DINGTALK_API_BASE: ding.apiBase,
      DINGTALK_OAPI_BASE: ding.oapiBase,
    },
    changes: { queueBatchTimeout: 0 },
  });
  feishu = feishuOnWorkers(w, fake);
}, 180_000);
afterAll(async () => {
  await w?.stop();
  await fake?.close();
  await ding?.close();
});

const api = (path: string, token = TOKEN) => fetch(`${w.baseUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } });

let seq = 0;
const textEvent = (chatId: string, text: string, ids: { messageId?: string; eventId?: string } = {}) =>
  feishuEvents.text({ chatId, sender: ZHANG, text: `@_user_1 ${text}`, mentions: [AT_BOT], messageId: ids.messageId ?? `om_workers_${++seq}`, ...(ids.eventId ? { eventId: ids.eventId } : {}) });
const messageIdOf = (envelope: ReturnType<typeof textEvent>) => (envelope.event as { message: { message_id: string } }).message.message_id;
/** Replies quoting a message. */
const repliesTo = (messageId: string) => fake.messages.filter((m) => m.replyTo === messageId);
/** Something was posted in reply to the event's message. */
const answered = (envelope: ReturnType<typeof textEvent>) => () => repliesTo(messageIdOf(envelope)).length > 0;

const DONE = '所有问题都已回答：总分 98.5 分，优秀';
/** The bot asked a question, or said everything is answered. */
const askedOrDone = (posted: PostedMessage[]) => questionIn(posted) !== undefined || posted.some((m) => readable(m).includes(DONE));

describe("002's questionnaire in a Feishu group, on Workers", () => {
  it('is answered through signed events (messages, buttons, card forms) and ends at 98.5 优秀 with the report as a .docx', { timeout: 300_000 }, async () => {
    const started = Date.now();
    const say = (text: string, until: (posted: PostedMessage[]) => boolean) => feishu.act(textEvent(GROUP, text), until);
    const created = await say('新建自评 南京市数据局 2024 框架=nanjing-2021 截止=2025-05-31', (p) => p.length > 0);
    expect(created.body).toEqual({});
    expect(created.posted.map(readable).join('\n')).toContain('已创建「南京市数据局2024年度部门整体绩效自评价」');
    expect(created.posted[0]).toMatchObject({ via: 'reply', replyTo: `om_workers_${seq}` });

    let q: AskedQuestion | undefined = questionIn((await say('开始', askedOrDone)).posted);
    expect(q).toBeDefined();
    const transcript: string[] = [];
    const ways = { button: 0, form: 0, message: 0 };
    const everything: PostedMessage[] = [];
    // A press is answered at once (the event is processed later, in the Queue consumer) and the card
    // updated afterwards; each holds the chat a second for that update, so a few presses suffice.
    const PRESSES = 3;
    for (let step = 0; q && step < 400; step++) {
      const answer = answer002({ key: q.key, type: '' });
      const button = q.buttons.find((b) => b.label === answer && b.value.a.type === 'answer');
      let r: Acted;
      if ((button && ways.button < PRESSES) || (q.form && !button && ways.form < PRESSES)) {
        const formValue = button ? undefined : { answer };
        const event = feishuEvents.cardAction({ chatId: GROUP, operator: ZHANG, value: button ? button.value : q.form!.value, messageId: q.messageId, ...(formValue ? { formValue } : {}) });
        r = await feishu.act(event, askedOrDone);
        ways[button ? 'button' : 'form']++;
        expect(r.body).toMatchObject({ toast: { type: 'info' } });
        // The pressed card turns into what was recorded, by the card update API with the callback's token.
        const token = (event.event as { token: string }).token;
        const update = await eventually(() => fake.cardUpdates.find((u) => u.token === token), () => `the card update of press ${token}`);
        expect(update.card).toMatchObject({ schema: '2.0', header: { template: 'green' } });
      } else {
        r = await say(answer, askedOrDone);
        ways.message++;
        expect(r.body).toEqual({});
      }
      transcript.push(`张三: ${answer.slice(0, 40)}`, ...r.posted.map((m) => `  bot: ${readable(m).slice(0, 120)}`));
      everything.push(...r.posted);
      const next = questionIn(r.posted);
      if (next?.key === q.key) throw new Error(`"${answer}" was not taken for ${q.key}:\n${transcript.slice(-8).join('\n')}`);
      q = next;
    }
    expect(q).toBeUndefined();
    expect(ways).toEqual({ button: PRESSES, form: PRESSES, message: expect.any(Number) });
    expect(everything.map(readable).join('\n'), transcript.slice(-10).join('\n')).toContain(DONE);

    const score = await say('得分', (p) => p.some((m) => m.msgType === 'interactive'));
    expect(readable(score.posted.find((m) => m.msgType === 'interactive')!)).toContain('总分 98.5（优秀）');

    // The report: a progress message, then the .docx uploaded and sent as a file message.
    const report = await say('报告', (p) => p.some((m) => m.msgType === 'file'));
    expect(report.posted.map((m) => m.msgType)).toEqual(['text', 'file']);
    expect(fake.files).toHaveLength(1);
    const file = fake.files[0]!;
    expect(file).toMatchObject({ fileName: '南京市数据局2024年度部门整体绩效自评价报告.docx', fileType: 'stream' });
    expect(report.posted[1]).toMatchObject({ msgType: 'file', content: { file_key: file.fileKey } });
    const xml = await (await JSZip.loadAsync(file.bytes)).file('word/document.xml')!.async('string');
    expect(xml).toContain('98.5');
    expect(xml).not.toContain('待填写');
    console.log(`002 on Workers: ${ways.message} messages, ${ways.button} button presses, ${ways.form} form submissions; ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // The JSON API sees the same evaluation in D1.
    const chat = (await (await api(`/api/chats/${encodeURIComponent(`feishu:${GROUP}`)}/evaluation`)).json()) as { unit: string; complete: boolean; score: { total: number; grade: string } };
    expect(chat).toMatchObject({ unit: '南京市数据局', complete: true, score: { total: 98.5, grade: '优秀' } });
  });

  it('processes an event delivered again (also at the same time) once', async () => {
    const dup = textEvent(GROUP, '得分', { eventId: `ev-dup-${Date.now()}` });
    const statuses = await Promise.all([feishu.post(dup), feishu.post(dup)]).then((rs) => rs.map((r) => r.status));
    statuses.push((await feishu.post(dup)).status);
    // Acknowledged each time (Feishu would deliver again otherwise), processed once.
    expect(statuses).toEqual([200, 200, 200]);
    // The chat's events are processed in order: once a later event is answered, the copies would have been too.
    const marker = textEvent(GROUP, '进度');
    await feishu.act(marker, answered(marker));
    const replies = repliesTo(messageIdOf(dup));
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.filter((m) => readable(m).includes('总分 98.5（优秀）'))).toHaveLength(1);
    // As many replies as one delivery of 得分 gets.
    const single = textEvent(GROUP, '得分');
    await feishu.act(single, answered(single));
    await feishu.act(textEvent(GROUP, '进度'), (p) => p.length > 0);
    expect(replies.map((m) => m.msgType)).toEqual(repliesTo(messageIdOf(single)).map((m) => m.msgType));
  });

  it('refuses an event with a bad signature (401) and does nothing with it', async () => {
    const chatId = 'oc_workers_bad_signature';
    const forged = textEvent(chatId, '新建自评 伪造局 2024 框架=nanjing-2021 截止=2025-05-31');
    const signed = signFeishuRequest(forged, { encryptKey: FAKE_ENCRYPT_KEY });
    const sig = signed.headers['x-lark-signature']!;
    const tampered = { ...signed.headers, 'x-lark-signature': (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1) };
    const other = signFeishuRequest(forged, { encryptKey: 'another-encrypt-key' });
    for (const req of [{ body: signed.body, headers: tampered }, other]) {
      const res = await fetch(feishu.webhookUrl, { method: 'POST', headers: req.headers, body: req.body });
      expect(res.status).toBe(401);
      await res.arrayBuffer();
    }
    // A later event of that chat is answered; the forged one never was, and created nothing.
    const marker = textEvent(chatId, '帮助');
    await feishu.act(marker, answered(marker));
    expect(repliesTo(messageIdOf(forged))).toEqual([]);
    expect((await api(`/api/chats/${encodeURIComponent(`feishu:${chatId}`)}/evaluation`)).status).toBe(404);
  });

  it('answers a signed DingTalk callback, and refuses a badly signed one', async () => {
    const conversationId = 'cidWorkersGroup001==';
    const person = { staffId: 'staff-wangwu-001', nick: '王五' };
    const body = (text: string) => callbackBody({ conversationId, from: person, text, session: ding.session(conversationId) });
    const bad = await fetch(`${w.baseUrl}/webhook/dingtalk`, { method: 'POST', headers: signedHeaders('not-the-app-secret'), body: JSON.stringify(body('新建自评 伪造局 2024 框架=nanjing-2021')) });
    expect(bad.status).toBe(401);
    await bad.arrayBuffer();
    const res = await fetch(`${w.baseUrl}/webhook/dingtalk`, { method: 'POST', headers: signedHeaders(), body: JSON.stringify(body('新建自评 某某区数据局 2024 框架=nanjing-2021 截止=2025-05-31')) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"msgtype":"empty"}');
    const reply = await eventually(
      () => ding.messages.find((m) => m.conversationId === conversationId),
      () => `a DingTalk reply; wrangler said:\n${w.output().slice(-3000)}`,
    );
    expect(`${reply.title ?? ''}\n${reply.text ?? ''}`).toContain('已创建「某某区数据局2024年度部门整体绩效自评价」');
    expect(ding.messages.filter((m) => m.conversationId === conversationId)).toHaveLength(1);
    const chat = (await (await api(`/api/chats/${encodeURIComponent(`dingtalk:${conversationId}`)}/evaluation`)).json()) as { unit: string };
    expect(chat.unit).toBe('某某区数据局');
  });

  it('needs ADMIN_TOKEN for the JSON API', async () => {
    for (const res of [await fetch(`${w.baseUrl}/api/evaluations`), await api('/api/evaluations', 'wrong-token-0000000000000000000000')]) {
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain('南京市数据局');
    }
    const res = await api('/api/evaluations');
    expect(res.status).toBe(200);
    const list = (await res.json()) as Array<{ unit: string; score: { total: number } | null }>;
    expect(list.find((e) => e.unit === '南京市数据局')?.score?.total).toBe(98.5);
  });
});
