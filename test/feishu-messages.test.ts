/**
 * What the Feishu channel makes of messages and cards, both ways: decoding (placeholders, the bot's
 * mention, posts, types it cannot read, card presses and forms) and encoding (text mentions, question
 * cards with buttons or an input form, score tables, the answered card); then, with the real bot, a
 * press on a question someone already answered, a picture, a post and a private chat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBot } from '../src/app/bot';
import { decodeFeishuEvent, type DecodeContext } from '../src/channels/feishu/decode';
import { buildAnsweredCard, encodeFeishuReply, escapeMarkdown } from '../src/channels/feishu/encode';
import { decryptFeishu, encryptFeishu, parseFeishuTimestamp } from '../src/channels/feishu/verify';
import { feishuText } from '../src/core/locale/zh-CN';
import type { OutboundTarget, Reply } from '../src/core/messages';
import { BOT_NAME, BOT_OPEN_ID, feishuEvents, startFakeFeishu, type FakeFeishu, type PostedMessage } from './fakes/feishu';
import { startFeishuHarness, type FeishuHarness } from './fakes/feishu-harness';

const ZHANG = 'ou_zhang';
const LISI = 'ou_lisi';
const AT_BOT = { openId: BOT_OPEN_ID, name: BOT_NAME };
const ctx = (o: Partial<DecodeContext> = {}): DecodeContext => ({ botOpenId: BOT_OPEN_ID, now: 1000, unsupportedLabel: (t) => feishuText.unsupported[t] ?? feishuText.unsupportedOther, ...o });
const group: OutboundTarget = { chatId: 'feishu:oc_g', chatType: 'group', userId: ZHANG, userName: '张三' };

describe('verify helpers', () => {
  it("decrypts Feishu's published test vector", () => {
    expect(decryptFeishu('P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=', 'test key')).toBe('hello world');
    // Characters of three and four bytes at every position across the 16-byte blocks.
    for (let pad = 0; pad < 16; pad++) {
      const text = `${'x'.repeat(pad)}${'绩效自评😀'.repeat(5)} {"a":1}`;
      expect(decryptFeishu(encryptFeishu(text, 'k'), 'k')).toBe(text);
    }
  });

  it.each([
    ['1700000000', 1700000000000],
    ['1700000000123', 1700000000123],
    ['1700000000123456', 1700000000123],
    [' 1700000000 ', 1700000000000],
    ['2026-10-04 18:23:46.05 +0800 CST m=+3612.1', Date.parse('2026-10-04T10:23:46.050Z')],
    ['2026-10-04T10:23:46Z', Date.parse('2026-10-04T10:23:46Z')],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
  ])('reads the timestamp %j', (value, expected) => {
    expect(parseFeishuTimestamp(value)).toBe(expected);
  });
});

describe('decoding', () => {
  it('resolves @_user_N placeholders, removes the bot and @_all, and keeps the others as mentions', () => {
    const env = feishuEvents.text({ chatId: 'oc_g', sender: ZHANG, text: '@_user_1 分配 部门管理 @_user_2 @_all @_user_3', mentions: [AT_BOT, { openId: LISI, name: '李 四' }, { openId: 'ou_wang', name: '王五' }] });
    const learned: string[] = [];
    const d = decodeFeishuEvent(env, ctx({ learnName: (id, name) => learned.push(`${id}=${name}`) }));
    expect(d.kind).toBe('message');
    if (d.kind !== 'message') return;
    expect(d.event.message).toEqual({
      channel: 'feishu',
      chatId: 'feishu:oc_g',
      chatType: 'group',
      userId: ZHANG,
      text: '分配 部门管理 @李四 @王五',
      mentions: [{ userId: LISI, name: '李四' }, { userId: 'ou_wang', name: '王五' }],
      receivedAt: 1000,
    });
    expect(d.event.keys).toEqual([`feishu:ev:${env.header.event_id}`, `feishu:msg:${(env.event as { message: { message_id: string } }).message.message_id}`]);
    expect(d.event.replyTo).toMatchObject({ chatId: 'feishu:oc_g', chatType: 'group', userId: ZHANG, context: { replyTo: expect.stringMatching(/^om_/) } });
    expect(learned).toEqual([`${BOT_OPEN_ID}=${BOT_NAME}`, `${LISI}=李 四`, 'ou_wang=王五']);
  });

  it("does not mistake @_user_1 for the start of @_user_10", () => {
    const mentions = Array.from({ length: 10 }, (_, i) => ({ openId: `ou_${i + 1}`, name: `P${i + 1}` }));
    const d = decodeFeishuEvent(feishuEvents.text({ chatId: 'oc_g', chatType: 'p2p', sender: ZHANG, text: '@_user_10 @_user_1', mentions }), ctx());
    expect(d.kind === 'message' && d.event.message.text).toBe('@P10 @P1');
  });

  it('takes the text of a post: title, paragraphs, links and mentions, no pictures', () => {
    const content = {
      zh_cn: {
        title: '说明',
        content: [
          [{ tag: 'at', user_id: '@_user_1', user_name: BOT_NAME }, { tag: 'text', text: ' 6091.91万元' }],
          [{ tag: 'img', image_key: 'img_1' }],
          [{ tag: 'text', text: '见 ' }, { tag: 'a', href: 'https://example.gov.cn', text: '文件' }, { tag: 'at', user_id: LISI, user_name: '李四' }],
        ],
      },
    };
    const d = decodeFeishuEvent(feishuEvents.message({ chatId: 'oc_g', sender: ZHANG, type: 'post', content, mentions: [AT_BOT, { openId: LISI, name: '李四' }] }), ctx());
    expect(d.kind === 'message' && d.event.message.text).toBe('说明\n6091.91万元\n\n见 文件@李四');
  });

  it('turns a message it cannot read into an explanation request, in a private chat; in a group without @ it is not for the bot', () => {
    const p2p = decodeFeishuEvent(feishuEvents.message({ chatId: 'oc_p', chatType: 'p2p', sender: ZHANG, type: 'image', content: { image_key: 'img_x' } }), ctx());
    expect(p2p.kind === 'message' && p2p.event.message).toMatchObject({ unsupported: '图片', chatType: 'p2p' });
    const sticker = decodeFeishuEvent(feishuEvents.message({ chatId: 'oc_p', chatType: 'p2p', sender: ZHANG, type: 'something_new', content: {} }), ctx());
    expect(sticker.kind === 'message' && sticker.event.message.unsupported).toBe('这类消息');
    const inGroup = decodeFeishuEvent(feishuEvents.message({ chatId: 'oc_g', sender: ZHANG, type: 'image', content: { image_key: 'img_x' } }), ctx());
    expect(inGroup.kind).toBe('ignored');
  });

  it('ignores messages from bots and from the bot itself', () => {
    expect(decodeFeishuEvent(feishuEvents.text({ chatId: 'oc_p', chatType: 'p2p', sender: ZHANG, text: 'x', senderType: 'app' }), ctx()).kind).toBe('ignored');
    expect(decodeFeishuEvent(feishuEvents.text({ chatId: 'oc_p', chatType: 'p2p', sender: BOT_OPEN_ID, text: 'x' }), ctx()).kind).toBe('ignored');
  });

  it('takes a group message that @s someone while the bot does not yet know its own id (prepare removes the mention later)', () => {
    const env = feishuEvents.text({ chatId: 'oc_g', sender: ZHANG, text: '@_user_1 开始', mentions: [AT_BOT] });
    const d = decodeFeishuEvent(env, ctx({ botOpenId: undefined }));
    expect(d.kind === 'message' && d.event.message).toMatchObject({ text: `@${BOT_NAME} 开始`, mentions: [{ userId: BOT_OPEN_ID }] });
  });

  it('reads a pressed button from its value, and a submitted form fills the answer', () => {
    const pressed = decodeFeishuEvent(feishuEvents.cardAction({ chatId: 'oc_p', operator: LISI, value: { a: { type: 'command', command: 'skip' }, c: 'p2p' }, messageId: 'om_card' }), ctx());
    expect(pressed.kind === 'action' && pressed.event.message).toEqual({ channel: 'feishu', chatId: 'feishu:oc_p', chatType: 'p2p', userId: LISI, action: { type: 'command', command: 'skip' }, receivedAt: 1000 });
    expect(pressed.kind === 'action' && pressed.event.replyTo.context).toMatchObject({ cardMessageId: 'om_card', cardToken: expect.stringMatching(/^c-/), cardTokenAt: 1000 });
    const form = decodeFeishuEvent(feishuEvents.cardAction({ chatId: 'oc_g', operator: LISI, value: { a: { type: 'answer', key: 'fact:spending', stamp: '' }, c: 'group' }, formValue: { answer: '5959.46' } }), ctx());
    expect(form.kind === 'action' && form.event.message.action).toEqual({ type: 'answer', key: 'fact:spending', stamp: '', value: '5959.46' });
    expect(form.kind === 'action' && form.event.keys).toHaveLength(1);
  });

  it('refuses a button value that is not one of ours', () => {
    for (const value of [{ a: { type: 'delete-everything' } }, { type: 'command', command: 'nope' }, 'a string', undefined]) {
      const d = decodeFeishuEvent(feishuEvents.cardAction({ chatId: 'oc_g', operator: LISI, value }), ctx());
      expect(d).toMatchObject({ kind: 'ignored', badPress: true });
    }
  });

  it('ignores what is not a v2 event', () => {
    expect(decodeFeishuEvent({ uuid: 'u', token: 't', type: 'event_callback', event: { type: 'message' } }, ctx())).toMatchObject({ kind: 'ignored', eventType: 'event_callback' });
  });
});

describe('encoding', () => {
  const parse = (r: Reply, target = group) => {
    if (r.kind === 'file') throw new Error('no');
    const out = encodeFeishuReply(r, target, (id) => (id === LISI ? '李四' : undefined));
    return { msgType: out.msgType, content: JSON.parse(out.content) };
  };

  it('sends text with <at user_id> mentions, names filled in from what the channel learned', () => {
    expect(parse({ kind: 'text', text: '已分配', mentions: [{ userId: LISI }, { userId: 'ou_x', name: '王<五>' }] })).toEqual({
      msgType: 'text',
      content: { text: `<at user_id="${LISI}">李四</at> <at user_id="ou_x">王五</at> 已分配` },
    });
  });

  it('makes a yes/no question a card 2.0 with a button per answer, carrying the action and the chat type', () => {
    const reply: Reply = {
      kind: 'card',
      title: '[部门决策 › 决策机制]',
      text: '决策程序是否科学合理？\n修改 <名称> & 更多',
      buttons: [
        { label: '是', action: { type: 'answer', key: 'judgement:A12', value: '是', stamp: '' } },
        { label: '否', action: { type: 'answer', key: 'judgement:A12', value: '否', stamp: '' } },
      ],
      question: { key: 'judgement:A12', type: 'boolean', options: ['是', '否'], stamp: '' },
      mentions: [{ userId: LISI }],
    };
    const { msgType, content } = parse(reply);
    expect(msgType).toBe('interactive');
    expect(content.schema).toBe('2.0');
    expect(content.config.update_multi).toBe(true);
    expect(content.header).toEqual({ title: { tag: 'plain_text', content: '[部门决策 › 决策机制]' }, template: 'blue', subtitle: { tag: 'plain_text', content: '张三 填写' } });
    expect(content.body.elements[0]).toEqual({ tag: 'markdown', content: `<at id=${LISI}></at> 决策程序是否科学合理？\n修改 &lt;名称&gt; &amp; 更多` });
    const buttons = content.body.elements.filter((e: any) => e.tag === 'button');
    expect(buttons.map((b: any) => [b.text.content, b.behaviors])).toEqual([
      ['是', [{ type: 'callback', value: { a: reply.buttons![0]!.action, c: 'group' } }]],
      ['否', [{ type: 'callback', value: { a: reply.buttons![1]!.action, c: 'group' } }]],
    ]);
    expect(content.body.elements.some((e: any) => e.tag === 'form')).toBe(false);
  });

  it('gives a value question an input form whose submit sends the key and stamp; text questions take several lines', () => {
    const { content } = parse({ kind: 'text', text: '[部门管理] 本年实际支出数是多少？（万元）', question: { key: 'fact:spending', type: 'number', unit: '万元', stamp: 'abc' } }, { ...group, chatType: 'p2p' });
    expect(content.header.title.content).toBe('请回答');
    expect(content.header.subtitle).toBeUndefined();
    const form = content.body.elements.find((e: any) => e.tag === 'form');
    expect(form.elements[0]).toMatchObject({ tag: 'input', name: 'answer', required: true, max_length: 1000 });
    expect(form.elements[0].input_type).toBeUndefined();
    expect(form.elements[1]).toMatchObject({ tag: 'button', name: 'answer_submit', form_action_type: 'submit', behaviors: [{ type: 'callback', value: { a: { type: 'answer', key: 'fact:spending', stamp: 'abc' }, c: 'p2p' } }] });
    expect(content.body.elements.some((e: any) => e.tag === 'markdown' && e.content === '单位：万元')).toBe(true);
    const narrative = parse({ kind: 'text', text: '请写工作总结', question: { key: 'narrative:summary', type: 'text' } }).content;
    expect(narrative.body.elements.find((e: any) => e.tag === 'form').elements[0].input_type).toBe('multiline_text');
  });

  it('shows a score summary as a table', () => {
    const { msgType, content } = parse({ kind: 'text', text: '当前 97.5 分（基础分）＋1 分（加分）＝ 98.5 分，优秀。\n· 部门决策 14/15\n· 部门管理 18.5/20（未填完）\n扣分情况：' });
    expect(msgType).toBe('interactive');
    const table = content.body.elements.find((e: any) => e.tag === 'table');
    expect(table.rows).toEqual([
      { name: '部门决策', score: '14', points: '15', note: '' },
      { name: '部门管理', score: '18.5', points: '20', note: '未填完' },
    ]);
    expect(table.columns.map((c: any) => c.display_name)).toEqual(['指标', '得分', '分值', '备注']);
    expect(content.body.elements.at(-1)).toEqual({ tag: 'markdown', content: '扣分情况：' });
    // Other text stays a text message.
    expect(parse({ kind: 'text', text: '· 只有一行 1/2' }).msgType).toBe('text');
  });

  it('falls back to text when a card would be over 30 KB', () => {
    const long = '很'.repeat(12_000);
    const out = parse({ kind: 'text', text: long, question: { key: 'narrative:x', type: 'text' } });
    expect(out.msgType).toBe('text');
    expect(out.content.text).toBe(long);
  });

  it('turns a pressed card into the answered card', () => {
    expect(buildAnsweredCard({ title: '[部门决策]', text: '✅ 是（张三）' })).toMatchObject({ schema: '2.0', header: { template: 'green' }, body: { elements: [{ tag: 'markdown', content: '✅ 是（张三）' }] } });
    expect(escapeMarkdown('<at id=all></at>')).toBe('&lt;at id=all&gt;&lt;/at&gt;');
  });
});

describe('with the real bot', () => {
  let fake: FakeFeishu;
  let h: FeishuHarness;
  const GROUP = 'oc_group_real';
  beforeAll(async () => {
    fake = await startFakeFeishu();
    fake.users.set(ZHANG, '张三');
    fake.users.set(LISI, '李四');
    h = await startFeishuHarness({ fake, makeBot: (store) => createBot({ store }), sendIntervalMs: 0 });
  });
  afterAll(async () => {
    await h.close();
    await fake.close();
  });
  const act = async (envelope: unknown) => {
    const before = fake.messages.length;
    const res = await h.post(envelope);
    const body = await res.json();
    await h.pipeline.idle();
    return { body, posted: fake.messages.slice(before) };
  };
  const say = (who: string, text: string, chatId = GROUP) => act(feishuEvents.text({ chatId, sender: who, text: `@_user_1 ${text}`, mentions: [AT_BOT] }));
  const cardOf = (posted: PostedMessage[]) => posted.find((m) => m.msgType === 'interactive')!;

  it('says in a toast that a question was already answered, and leaves the card as it is', async () => {
    await say(ZHANG, '新建自评 南京市数据局 2024 框架=nanjing-2021');
    const card = cardOf((await say(ZHANG, '开始')).posted);
    const yes = card.content.body.elements.find((e: any) => e.tag === 'button' && e.text.content === '是');
    const first = await act(feishuEvents.cardAction({ chatId: GROUP, operator: ZHANG, value: yes.behaviors[0].value, messageId: card.messageId }));
    expect(first.body).toMatchObject({ toast: { type: 'success', content: '已记录' }, card: { type: 'raw', data: { header: { template: 'green' } } } });
    expect(JSON.stringify(first.body.card.data)).toContain('（张三）');
    // 李四 presses the same (now outdated) card.
    const late = await act(feishuEvents.cardAction({ chatId: GROUP, operator: LISI, value: yes.behaviors[0].value, messageId: card.messageId }));
    expect(late.body).toEqual({ toast: { type: 'warning', content: expect.stringContaining('已经有人回答') } });
    expect(late.posted).toEqual([]);
  });

  it('explains a picture in a private chat, and answers from a post', async () => {
    const pic = await act(feishuEvents.message({ chatId: 'oc_private_lisi', chatType: 'p2p', sender: LISI, type: 'image', content: { image_key: 'img_1' } }));
    expect(pic.posted.map((m) => m.content.text).join('\n')).toContain('暂时无法识别图片');
    const post = await act(feishuEvents.message({ chatId: GROUP, sender: ZHANG, type: 'post', content: { title: '', content: [[{ tag: 'at', user_id: '@_user_1', user_name: BOT_NAME }, { tag: 'text', text: ' 进度' }]] }, mentions: [AT_BOT] }));
    expect(post.posted.map((m) => m.content.text).join('\n')).toContain('进度：已评分指标');
  });

  it('explains a message that is too long', async () => {
    const long = await say(ZHANG, '很'.repeat(20_001));
    expect(long.posted.map((m) => m.content.text).join('\n')).toContain('消息太长');
  });

  it('lets a member answer in a private chat, with buttons that keep saying it is private', async () => {
    const res = await act(feishuEvents.text({ chatId: 'oc_private_zhang', chatType: 'p2p', sender: ZHANG, text: '开始' }));
    const texts = res.posted.map((m) => (m.msgType === 'text' ? m.content.text : JSON.stringify(m.content))).join('\n');
    expect(texts).toContain('已进入「南京市数据局2024年度部门整体绩效自评价」');
    const card = cardOf(res.posted);
    const button = card.content.body.elements.find((e: any) => e.tag === 'button' || e.tag === 'form');
    const value = button.tag === 'button' ? button.behaviors[0].value : button.elements[1].behaviors[0].value;
    expect(value.c).toBe('p2p');
    // Private replies are plain messages to the chat, no quote.
    expect(res.posted.every((m) => m.via === 'create' && m.receiveId === 'oc_private_zhang')).toBe(true);
  });
});
