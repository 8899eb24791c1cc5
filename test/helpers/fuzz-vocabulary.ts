/**
 * What the fuzz test says in chats: real answers and commands as people type them, answers fitted to
 * the question being asked (so evaluations get far into their questionnaires and the stored answers
 * are worth checking), and malformed bodies for the local channel.
 */
import type { QuestionMeta } from '../../src/core/messages';
import { junk, mutateText, type Rng } from './fuzz-random';

/** People of the fuzz: four ordinary ones, and ids and names that trip careless code. */
export const PEOPLE: ReadonlyArray<{ id: string; name?: string }> = [
  { id: 'u-zhang', name: '张三' },
  { id: 'u-li', name: '李四' },
  { id: 'u-wang', name: '王五' },
  { id: 'u-zhao', name: '赵六' },
  { id: '__proto__', name: '原型' },
  { id: 'constructor', name: 'constructor' },
  { id: 'toString' },
  { id: 'hasOwnProperty', name: '__proto__' },
  { id: 'name:张三', name: '冒名' },
  { id: `long-${'x'.repeat(250)}`, name: '长'.repeat(100) },
  { id: '用户 😀\u200b', name: '表情😀' },
];
/** How often each person speaks (the ordinary ones most). */
export const PEOPLE_WEIGHTS = [30, 22, 14, 8, 3, 3, 2, 2, 2, 1, 2];

/** Chat ids: groups, others' groups, and ids that look like other channels' or objects' keys. */
export const GROUPS = ['g-1', 'g-2', 'g-3'];
export const FOREIGN_CHATS = ['g-foreign', 'feishu:oc_local_lookalike', 'dingtalk:cidLookalike==', '__proto__', 'constructor', `c-${'y'.repeat(250)}`, '群 😀'];

const UNITS = ['某局', '南京市数据局', '某某单位', '市财政局', '局😀', '某局'.repeat(30)];
const FRAMEWORKS = ['nanjing-2021', 'nanjing-2020', 'guangdong-2020', 'goal-rate'];

/** Commands and answers as people type them. */
const PHRASES = [
  '开始', '继续', '下一题', '跳过', '先跳过', '上一题', '返回', '取消', '退出', '得分', '总分', '多少分', '扣分', '进度', '还差什么', '帮助', '?', '？', 'help',
  '对比', '切换自评', '汇总', '同意汇总', '撤销汇总', '撤销确认', '重点工作', '重点工作 B1', '提醒', '落款', '截止', '分配', '设置', '修改', '不适用', '适用',
  '是', '否', '是的', '是，已建立', '否，尚未建立', '没有', '无', '有', '不是', '对', '不适用', '不涉及', '部分', '基本做到', '全部', '都做到了',
  '6,091.91万元', '6091.91', '６，０９１．９１万元', '1.2亿元', '3000元', '95%', '95.5％', '约85%', '超过90%', '百分之八十', '100', '0', '3', '十二', '一百二十万元', '-5', '1e3',
  '满分', '0分', '扣1分', '部分 0.5 理由：只完成一半', '部分 2 尚未完成验收', '部分做到，得0.5分，因为材料不全',
  '1', '2', '1,3', '1、2', '第二项', '全部', '以上都不是', '确认无误', '采用计算值', '采用填报值', '沿用上年', '不沿用',
  '2025-01-01', '2025年5月31日', '5月31日', '明年', '2025-13-45', '跳过',
  '甲项工作 10分\n乙项工作 10分', '党建工作 5分\n业务工作 5分', '数据共享工作 完成率目标90% 10分', '重新', '完成',
  '3 市级部门绩效考核位列第一等次', '受到省级嘉奖', '无加分', '扣 1 分 预算执行偏差较大', '无减分',
  '本部门主要职能是统筹推进数字政府建设。', '存在的问题：预算执行进度偏慢。\n完成', '下一步措施：加强预算管理。', '好的', '收到', '👍',
  '新建自评 某局 2024', '新建自评 某局 2025 框架=goal-rate', '新建自评 某局 2023 框架=nanjing-2020 截止=2024-05-31', '新建自评', '新建自评 某局',
  '修改 A1', '修改 A11', '修改 A1 否', '修改 B1 否', '修改 本年实际支出数', '修改 部门预算执行率 95%', '修改 不存在的项目',
  '不适用 A11 本单位没有此项工作', '不适用 A11', '适用 A11', '适用 部门管理', '撤销确认 全部',
  '设置 领导 @李四', '设置 组织者 @王五', '设置 成员 @张三', '设置 成员 @李四', '设置 严格分配', '设置 自由分配', '设置领导@赵六', '设置 专门机构',
  '分配 部门管理 @李四', '分配 报告 @王五', '分配 加减分 @赵六', '分配 A1 @李四 @王五', '分配 不存在 @李四',
  '提醒 工作日 09:30', '提醒 每天 18:00', '提醒 周一 周三 08:00', '提醒 暂停', '提醒 恢复', '提醒 截止前 7 3 1', '提醒 25:61', '提醒 加急',
  '截止 2025-05-31', '截止 5月31日', '截止日期 2025-13-45', '截止2025-06-30', '落款 2025-03-31', '落款 默认', '落款 2020-01-01',
  '汇总 某局', '汇总 某局 南京市数据局', '汇总 导出', '汇总 2024', '同意汇总 ABC123', '切换自评 某局2024年度部门整体绩效自评价',
];

/** A command or an answer from the vocabulary, with units, years and frameworks varied. */
export function phrase(rng: Rng, importedFrameworks: readonly string[]): string {
  const r = rng.int(200);
  if (r < 3) return `新建自评 ${rng.pick(UNITS)} ${rng.pick([2023, 2024, 2025, 2024, 1999, 3000])}${rng.chance(0.7) ? ` 框架=${rng.pick([...FRAMEWORKS, ...importedFrameworks, 'nope', '__proto__'])}` : ''}${rng.chance(0.3) ? ` 截止=${rng.pick(['2025-05-31', '5月31日', '2025-02-30'])}` : ''}`;
  if (r < 10) return `修改 ${rng.pick(['A', 'B', 'C', 'D'])}${rng.between(1, 4)}${rng.chance(0.5) ? rng.between(1, 4) : ''}${rng.chance(0.3) ? ` ${rng.pick(['是', '否', '95%', '满分'])}` : ''}`;
  if (r < 12) return `${rng.pick(['设置 领导', '设置 组织者', '设置 成员', '分配 部门管理', '分配 报告'])} @${rng.pick(PEOPLE).name ?? '某人'}`;
  if (r < 14) return `${rng.pick(['提醒', '截止', '落款'])} ${junk(rng, rng.between(1, 12))}`;
  return rng.pick(PHRASES);
}

/** An answer fitted to a question's type (mostly a good one, sometimes a near miss). */
export function answerTo(rng: Rng, q: QuestionMeta): string {
  const good = rng.chance(0.8);
  switch (q.type) {
    case 'boolean':
      return good ? rng.pick(['是', '否', '是，《内部控制手册》', '否，尚未建立', '有', '没有']) : rng.pick(['可能吧', '是否', '不知道', '否是']);
    case 'number':
      return good ? rng.pick([`${rng.between(0, 99999)}`, `${rng.between(1, 9999)}.${rng.between(0, 99)}万元`, '6,091.91万元', '1.5亿元', '没有', '约100']) : rng.pick(['很多', '-1', '1e400', '一百万亿亿']);
    case 'percent':
      return good ? rng.pick([`${rng.between(0, 100)}%`, `${rng.between(0, 100)}.${rng.between(0, 9)}%`, '百分之九十', '约85%', '超过90%', '没有']) : rng.pick(['150%', '-3%', '好']);
    case 'choice':
    case 'multi':
      if (q.options?.length && good) return rng.chance(0.7) ? rng.pick(q.options) : String(rng.between(1, q.options.length));
      return rng.pick(['0', '99', '都不是', '1,2,3']);
    case 'count':
      return good ? rng.pick(['0', '1', '3次', '十二', '无']) : rng.pick(['-2', '很多次']);
    case 'score':
      return good ? rng.pick(['满分', '0', '1', '0.5', '扣1分', '部分 0.5 理由：材料不全']) : rng.pick(['101', '-1', '一半']);
    case 'date':
      return good ? rng.pick(['2025-01-01', '2025年5月31日', '5月31日', '跳过']) : rng.pick(['明天', '2025-02-30']);
    case 'list':
      return good ? rng.pick(['甲项工作 10分\n乙项工作 10分', '党建工作 5分\n业务工作 15分', '无', '3 市级部门绩效考核位列第一等次', '扣 1 分 预算执行偏差较大']) : rng.pick(['甲项工作', '10分', '重新']);
    case 'text':
      return good ? rng.pick(['本部门主要职能是统筹推进数字政府建设。\n完成', '存在的问题：预算执行进度偏慢。', '完成', '无']) : rng.pick(['', '好的', '👍']);
  }
}

/** Text for a chat message: an answer to the question asked, a phrase, two phrases, or junk; sometimes mutated. */
export function chatText(rng: Rng, q: QuestionMeta | undefined, importedFrameworks: readonly string[]): string {
  const r = rng.int(100);
  let s = q && r < 40 ? answerTo(rng, q) : r < 85 ? phrase(rng, importedFrameworks) : r < 92 ? `${phrase(rng, importedFrameworks)}${rng.pick([' ', '\n', '，'])}${phrase(rng, importedFrameworks)}` : junk(rng);
  if (rng.chance(0.2)) s = mutateText(rng, s);
  if (rng.chance(0.03)) s = mutateText(rng, s);
  return s;
}

/** Keys of answer buttons that are not any question's, or are objects' own keys. */
export const BAD_KEYS = ['judgement:ZZ9', 'judgement:__proto__', 'fact:constructor', 'metric:toString', 'keyTasks:__proto__', 'narrative:__proto__', 'create:year', 'create:framework', 'create:__proto__', 'bonus', 'penalty:', ':', '__proto__', 'constructor', 'judgement:A1', 'judgement:A11', 'fact:spending', 'x'.repeat(200)];

/**
 * A body for `POST /api/local/messages` that the channel must refuse with a 4xx: not JSON, not an
 * object, a field of the wrong type, a text over the limit, an action of the wrong shape. Prototype
 * keys are written into the raw JSON (JSON.stringify would drop or keep them differently).
 */
export function malformedBody(rng: Rng): { body: string | Uint8Array; contentType?: string; why: string; refused?: false } {
  const chat = JSON.stringify(rng.pick(GROUPS));
  const r = rng.int(22);
  switch (r) {
    case 0:
      return { body: `{"chatId":${chat},"userId":"u-zhang","text":"开始"`.slice(0, rng.between(0, 40)), why: 'truncated JSON' };
    case 1:
      return { body: rng.pick(['[]', '[1,2]', '"开始"', '1', 'null', 'true', '', ' ', '{}']), why: 'not an object' };
    case 2:
      return { body: `{"__proto__":{"chatId":${chat},"userId":"u-zhang","text":"开始","isAdmin":true}}`, why: 'fields only on __proto__' };
    case 3:
      // Valid fields with prototype keys beside them: taken (the keys ignored), so not refused.
      return { body: `{"chatId":${chat},"userId":"u-zhang","text":"进度","__proto__":{"organisers":["u-zhao"]},"constructor":{"prototype":{"polluted":1}}}`, why: 'prototype keys beside the fields', refused: false };
    case 4:
      return { body: JSON.stringify({ chatId: rng.pick([1, null, true, [], {}, '', ' ', 'x'.repeat(257)]), userId: 'u-zhang', text: '开始' }), why: 'chatId of the wrong type or size' };
    case 5:
      return { body: JSON.stringify({ chatId: 'g-1', userId: rng.pick([1, null, false, {}, ['u'], '', '\t', 'x'.repeat(257)]), text: '开始' }), why: 'userId of the wrong type or size' };
    case 6:
      return { body: JSON.stringify({ chatId: 'g-1', userId: 'u-zhang', text: rng.pick([1, null, {}, ['开始'], true]) }), why: 'text of the wrong type' };
    case 7:
      return { body: JSON.stringify({ chatId: 'g-1', userId: 'u-zhang', text: 'x'.repeat(20_001 + rng.int(100)) }), why: 'text over 20 000 characters' };
    case 8:
      return { body: JSON.stringify({ chatId: 'g-1', userId: 'u-zhang', chatType: rng.pick(['channel', 'P2P', '', 1, null]), text: '开始' }), why: 'chatType not group or p2p' };
    case 9:
      return { body: JSON.stringify({ chatId: 'g-1', userId: 'u-zhang', userName: rng.pick([1, {}, 'x'.repeat(101)]), text: '开始' }), why: 'userName of the wrong type or size' };
    case 10:
      return { body: JSON.stringify({ chatId: 'g-1', userId: 'u-zhang', action: rng.pick([[], 'start', 1, null, true]) }), why: 'action not an object' };
    case 11:
      return {
        body: JSON.stringify({
          chatId: 'g-1',
          userId: 'u-zhang',
          action: rng.pick<unknown>([
            { type: 'command', command: '__proto__' },
            { type: 'command', command: 'toString' },
            { type: 'command', command: 'start', arg: 'x'.repeat(201) },
            { type: 'command', command: 'start', extra: 1 },
            { type: 'answer' },
            { type: 'answer', key: '' },
            { type: 'answer', key: 'x'.repeat(201), value: '是' },
            { type: 'answer', key: 'judgement:A1', value: 1 },
            { type: 'answer', key: 'judgement:A1', stamp: 'x'.repeat(41) },
            { type: 'answer', key: 'judgement:A1', value: 'x'.repeat(20_001) },
            { type: '__proto__' },
            { type: 'delete' },
            {},
          ]),
        }),
        why: 'action of the wrong shape',
      };
    case 12:
      return { body: JSON.stringify({ chatId: 'g-1', userId: 'u-zhang' }), why: 'neither text nor action' };
    case 13:
      return { body: JSON.stringify({ chatId: 'g-1', userId: 'u-zhang', text: rng.pick(['', '   ', '\n\t']) }), why: 'blank text' };
    case 14:
      return { body: Uint8Array.from([0x7b, 0x22, 0x63, 0xff, 0xfe, 0x22, 0x7d]), why: 'invalid UTF-8' };
    case 15:
      return { body: JSON.stringify({ chatId: 'g-1', userId: 'u-zhang', text: '开始' }), contentType: rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', '', 'application/jsonx', 'json']), why: 'not application/json' };
    case 16:
      return { body: `{"chatId":${chat},"userId":"u-zhang","text":"\\ud800开始\\udfff"`, why: 'truncated JSON with lone surrogates' };
    case 17:
      return { body: '{"chatId":"g-1","userId":"u-zhang","text":"开始",' + '"a":['.repeat(rng.between(100, 3000)), why: 'deeply nested, unterminated' };
    case 18:
      return { body: `{"chatId":"g-1","userId":"u-zhang","action":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`, why: 'deeply nested action' };
    case 19:
      return { body: JSON.stringify({ chatId: 'g-1', userId: 'u-zhang', text: 1e400 }), why: 'a number as text' };
    case 20:
      return { body: `{"chatId":"g-1","userId":"u-zhang","text":"开始","text":${JSON.stringify('x'.repeat(20_001))}}`, why: 'duplicate key, the last over the limit' };
    default:
      return { body: JSON.stringify({ chatId: rng.pick(['   ', '\t\n', '\u3000']), userId: 'u-zhang', text: 'x' }), why: 'blank chat id' };
  }
}
