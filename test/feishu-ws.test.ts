/**
 * The long connection (FEISHU_MODE=ws) end to end: the SDK's WSClient discovers its endpoint at the
 * fake (`domain` = FEISHU_BASE_URL), connects over a pbbp2 WebSocket, and events pushed there go into
 * the same inbox as webhook events: messages acknowledged and answered once, card callbacks answered
 * in the frame's ACK (toast and updated card), unknown events acknowledged and logged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBot } from '../src/app/bot';
import { encryptFeishu } from '../src/channels/feishu/verify';
import { BOT_NAME, BOT_OPEN_ID, FAKE_APP_ID, FAKE_ENCRYPT_KEY, feishuEvents, startFakeFeishu, type FakeFeishu } from './fakes/feishu';
import { startFeishuHarness, type FeishuHarness } from './fakes/feishu-harness';

const GROUP = 'oc_group_ws';
const ZHANG = 'ou_zhangsan000000000000000000000001';
const AT_BOT = { openId: BOT_OPEN_ID, name: BOT_NAME };

let fake: FakeFeishu;
let h: FeishuHarness;
beforeAll(async () => {
  fake = await startFakeFeishu();
  fake.users.set(ZHANG, '张三');
  h = await startFeishuHarness({ fake, mode: 'ws', makeBot: (store) => createBot({ store }), sendIntervalMs: 0 });
  await fake.waitForWsClient();
});
afterAll(async () => {
  await h?.close();
  await fake?.close();
});

const push = async (envelope: unknown) => {
  const before = fake.messages.length;
  const ack = await fake.pushEvent(envelope);
  await h.pipeline.idle();
  return { ack, posted: fake.messages.slice(before) };
};
const say = (text: string) => feishuEvents.text({ chatId: GROUP, sender: ZHANG, text: `@_user_1 ${text}`, mentions: [AT_BOT] });

describe('the long connection', () => {
  it('discovers its endpoint at FEISHU_BASE_URL with the app credentials', () => {
    const discovery = fake.callsTo('/callback/ws/endpoint');
    expect(discovery.length).toBeGreaterThanOrEqual(1);
    expect(discovery[0]!.body).toMatchObject({ AppID: FAKE_APP_ID });
    expect(fake.wsClients()).toBe(1);
  });

  it('takes a message into the inbox, acknowledges it, and answers it once even when pushed again', async () => {
    const event = say('新建自评 南京市数据局 2024 框架=nanjing-2021');
    const first = await push(event);
    expect(first.ack).toEqual({ code: 200, data: {} });
    expect(JSON.stringify(first.posted.map((m) => m.content))).toContain('已创建「南京市数据局2024年度部门整体绩效自评价」');
    const again = await push(event);
    expect(again.ack.code).toBe(200);
    expect(again.posted).toEqual([]);
  });

  it('answers a card press in the ACK: a toast and the card showing what was recorded', async () => {
    const asked = await push(say('开始'));
    const card = asked.posted.find((m) => m.msgType === 'interactive')!;
    const yes = card.content.body.elements.find((e: any) => e.tag === 'button' && e.text.content === '是');
    const pressed = await push(feishuEvents.cardAction({ chatId: GROUP, operator: ZHANG, value: yes.behaviors[0].value, messageId: card.messageId }));
    expect(pressed.ack.code).toBe(200);
    expect(pressed.ack.data).toMatchObject({ toast: { type: 'success', content: '已记录' }, card: { type: 'raw', data: { schema: '2.0', header: { template: 'green' } } } });
    // The next question follows as a message.
    expect(pressed.posted.some((m) => m.msgType === 'interactive')).toBe(true);
  });

  it('decrypts an encrypted payload', async () => {
    const r = await push({ encrypt: encryptFeishu(JSON.stringify(say('进度')), FAKE_ENCRYPT_KEY) });
    expect(r.ack.code).toBe(200);
    expect(r.posted.map((m) => m.content.text).join('\n')).toContain('进度：已评分指标');
  });

  it('acknowledges and logs an event type it does not handle', async () => {
    const event = { ...say('x'), header: { ...say('x').header, event_type: 'im.message.reaction.created_v1' } };
    const r = await push(event);
    expect(r.ack).toEqual({ code: 200, data: {} });
    expect(h.logs).toContainEqual({ level: 'info', message: 'feishu event ignored', fields: { eventType: 'im.message.reaction.created_v1', reason: 'unhandled event type' } });
  });
});
