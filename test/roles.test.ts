/**
 * Roles (issue #13): the permission matrix. Every command, answer and framework confirmation in the
 * chat, and every API route, for each kind of person: organiser, contributor (in the group and in a
 * private chat), contributor under strict assignments, leader, and people the evaluation is not theirs.
 */
import { describe, expect, it } from 'vitest';
import { createBot } from '../src/app/bot';
import { loadConfig } from '../src/config';
import type { CommandName } from '../src/core/dialog/commands';
import { COMMAND_WORDS } from '../src/core/dialog/commands';
import { assistantText } from '../src/core/locale/zh-CN';
import type { ButtonAction } from '../src/core/messages';
import { createApp } from '../src/server/app';
import { createMemoryStore } from '../src/store/memory';
import type { Store } from '../src/store/port';
import { createGroupEvaluation } from './helpers/group';
import { createTranscript, PEOPLE, replyText } from './helpers/transcript';

PEOPLE['陌生人'] = 'u-stranger';

/** What a person may do with a row of the matrix. */
type Outcome = 'allowed' | 'refused' | 'unreached';
type Kind = 'view' | 'answer' | 'organise';

interface Row {
  label: string;
  kind: Kind;
  text?: string;
  action?: ButtonAction;
  /** Under strict assignments, 赵六 has A2 only: this row answers outside it. */
  outsideAssignment?: boolean;
  /** Only in the evaluation's own group (同意汇总, 撤销汇总): a private chat is sent there. */
  groupOnly?: boolean;
}

/** Every command (one row each, checked against CommandName below), answers, and the framework confirmation. */
const COMMAND_ROWS: Record<CommandName, Row> = {
  start: { label: '开始', kind: 'answer', text: '开始' },
  skip: { label: '跳过', kind: 'answer', text: '跳过' },
  back: { label: '上一题', kind: 'answer', text: '上一题' },
  edit: { label: '修改 A2', kind: 'answer', text: '修改 A2' },
  cancel: { label: '取消', kind: 'answer', text: '取消' },
  unconfirm: { label: '撤销确认', kind: 'answer', text: '撤销确认' },
  progress: { label: '进度', kind: 'view', text: '进度' },
  score: { label: '得分', kind: 'view', text: '得分' },
  deductions: { label: '扣分', kind: 'view', text: '扣分' },
  report: { label: '报告', kind: 'view', text: '报告' },
  help: { label: '帮助', kind: 'view', text: '帮助' },
  create: { label: '新建自评', kind: 'view', text: '新建自评 另一单位 2024' },
  switch: { label: '切换自评', kind: 'view', text: '切换自评' },
  assign: { label: '分配', kind: 'organise', text: '分配 部门管理 @李四' },
  deadline: { label: '截止', kind: 'organise', text: '截止 2025-05-31' },
  reportDate: { label: '落款', kind: 'organise', text: '落款 2025-03-31' },
  keyTasks: { label: '重点工作', kind: 'organise', text: '重点工作' },
  notApplicable: { label: '不适用', kind: 'organise', text: '不适用 A4 本单位无政府采购业务' },
  applicable: { label: '适用', kind: 'organise', text: '适用 A3' },
  setRole: { label: '设置', kind: 'organise', text: '设置 领导 @李四' },
  compare: { label: '对比', kind: 'view', text: '对比' },
  reminders: { label: '提醒 暂停', kind: 'organise', text: '提醒 暂停' },
  // Follows units from this chat: figures of other units only, each gated by that unit's consent.
  overview: { label: '汇总', kind: 'view', text: '汇总' },
  overviewConsent: { label: '同意汇总', kind: 'organise', text: '同意汇总 AB12CD', groupOnly: true },
  overviewRevoke: { label: '撤销汇总', kind: 'organise', text: '撤销汇总', groupOnly: true },
  assistantOn: { label: '启用助手', kind: 'organise', text: '启用助手' },
  assistantOff: { label: '停用助手', kind: 'organise', text: '停用助手' },
  // Issue #16: drafting a report section and taking the draft are answering (no assistant here: nothing changes).
  draftSection: { label: '起草', kind: 'answer', text: '起草 部门基本情况' },
  draftAccept: { label: '采用草稿', kind: 'answer', text: '采用草稿' },
  draftEdit: { label: '修改草稿', kind: 'answer', text: '修改草稿' },
  draftReject: { label: '不用草稿', kind: 'answer', text: '不用草稿' },
};

const ROWS: Row[] = [
  ...Object.values(COMMAND_ROWS),
  { label: 'press 是 on A1', kind: 'answer', action: { type: 'answer', key: 'judgement:A1', value: '是', stamp: '' }, outsideAssignment: true },
  { label: 'press 是 on A2', kind: 'answer', action: { type: 'answer', key: 'judgement:A2', value: '是', stamp: '' } },
  { label: 'press the key tasks', kind: 'organise', action: { type: 'answer', key: 'keyTasks:B1', value: '党建工作 1分\n业务工作 1分', stamp: '' } },
  { label: '设置 严格分配', kind: 'organise', text: '设置 严格分配' },
  { label: '确认指标体系', kind: 'organise', text: '确认指标体系 import-c0ffee' },
  { label: '提醒 (view)', kind: 'view', text: '提醒' },
];

interface Who {
  label: string;
  person: string;
  chatId?: string;
  chatType?: 'group' | 'p2p';
  strict?: boolean;
  /** Binds this private chat to the evaluation first (as if someone had bound it). */
  bindChat?: boolean;
  expect: (row: Row) => Outcome;
}

const WHO: Who[] = [
  { label: 'organiser', person: '张三', expect: () => 'allowed' },
  { label: 'contributor', person: '李四', expect: (r) => (r.kind === 'organise' ? 'refused' : 'allowed') },
  {
    label: 'contributor in a private chat',
    person: '李四',
    chatId: 'p2p-lisi',
    chatType: 'p2p',
    expect: (r) => (r.groupOnly ? 'unreached' : r.kind === 'organise' ? 'refused' : 'allowed'),
  },
  {
    label: 'contributor under strict assignments',
    person: '赵六',
    strict: true,
    expect: (r) => (r.kind === 'organise' || r.outsideAssignment ? 'refused' : 'allowed'),
  },
  { label: 'leader', person: '王五', expect: (r) => (r.kind === 'view' ? 'allowed' : 'refused') },
  { label: 'a member writing from another group', person: '李四', chatId: 'group-2', expect: () => 'unreached' },
  { label: 'a stranger in a private chat', person: '陌生人', chatId: 'p2p-stranger', chatType: 'p2p', expect: () => 'unreached' },
  { label: 'a stranger in a private chat bound to the evaluation', person: '陌生人', chatId: 'p2p-stranger', chatType: 'p2p', bindChat: true, expect: () => 'unreached' },
];

/** The policy's refusals (not the notes that say who enters what, e.g. 「等待组织者填写」). */
const REFUSAL = /只有组织者（|您是本次自评的领导，可以查询|实行严格分配|只有自评的组织者或该指标体系的上传者/;

const CSV = `一级指标,二级指标,三级指标,指标说明,评价要点,分值
部门决策（10分）,决策机制（10分）,决策制度的规范性,是否建立决策制度,决策制度建立完整，得5分。,5
,,部门预算执行率,部门预算执行百分比,年末预算执行率达到财政考核要求的得5分,5
部门管理（90分）,资产管理（90分）,资产管理制度健全性,资产管理制度健全情况,制定资产管理制度，得90分。,90
`;

/** An imported framework with one open row, uploaded over the API (nobody in the chat uploaded it). */
async function putOpenFramework(store: Store): Promise<void> {
  const { importFile } = await import('../src/core/import');
  const { updateDraftMeta } = await import('../src/core/import/confirm');
  const draft = await importFile({ name: '某区指标表.csv', bytes: new TextEncoder().encode(CSV) });
  const meta = updateDraftMeta(draft, { id: 'import-c0ffee', name: '某区指标表' });
  if (!meta.ok) throw new Error(meta.error);
  const at = '2025-01-02T00:00:00Z';
  await store.putFramework({ id: 'import-c0ffee', name: '某区指标表', draft: meta.draft, status: 'open', createdAt: at, updatedAt: at, uploadedBy: 'api' });
}

/** The evaluation as each cell starts it: 王五 leads, A3 is marked not applicable, 赵六 has A2. */
async function setUp(who: Who) {
  const store = createMemoryStore();
  const ids = (...names: string[]) => Object.fromEntries(names.map((n) => [PEOPLE[n]!, { name: n }]));
  await createGroupEvaluation(store, {
    leaders: [PEOPLE['王五']!],
    members: ids('张三', '李四', '王五', '赵六'),
    assignments: { A2: [PEOPLE['赵六']!] },
    answers: { notApplicable: { A3: '本单位无公开事项' } },
    ...(who.strict ? { strictAssignments: true } : {}),
  });
  await putOpenFramework(store);
  if (who.bindChat) await store.bindChat(who.chatId!, 'ev-group');
  // A bureau's chat waits for the unit's consent (同意汇总 AB12CD).
  await store.setOverviewBinding({ chatId: 'bureau-1', units: [{ unit: '测试单位', status: 'pending', code: 'AB12CD', requestedBy: 'u-bureau', requestedAt: '2025-01-01T00:00:00Z' }], updatedAt: '2025-01-01T00:00:00Z' });
  // An assistant configured (never called here), so 启用助手 has something to enable.
  const assistant = { target: { model: 'm', host: 'llm.example' }, complete: () => Promise.reject(new Error('not called in this test')) };
  return { store, t: createTranscript({ store, assistant: { assistant, logger: { info() {}, error() {} }, monthlyTokenCap: 0 } }) };
}

describe('the permission matrix: every command and answer × every role, plus people from elsewhere', () => {
  it('has a row for every command', () => {
    expect(Object.keys(COMMAND_ROWS).sort()).toEqual(Object.keys(COMMAND_WORDS).sort());
  });

  for (const who of WHO) {
    describe(who.label, () => {
      it.each(ROWS.map((r) => [r.label, r] as const))('%s', async (_label, row) => {
        const { store, t } = await setUp(who);
        const before = (await store.getEvaluation('ev-group'))!;
        const auditBefore = (await store.listAudit('ev-group')).length;
        const frameworkBefore = JSON.stringify((await store.getFramework('import-c0ffee'))!.draft);
        const bindingsBefore = JSON.stringify(await store.listOverviewBindings());
        const opts = { ...(who.chatId ? { chatId: who.chatId } : {}), ...(who.chatType ? { chatType: who.chatType } : {}) };
        const result = row.action ? await t.pressFull(who.person, row.action, opts) : { replies: await t.say(who.person, row.text!, opts) };
        const said = result.replies.map(replyText).join('\n');
        const after = (await store.getEvaluation('ev-group'))!;
        const audit = (await store.listAudit('ev-group')).slice(auditBefore);
        const frameworkChanged = JSON.stringify((await store.getFramework('import-c0ffee'))!.draft) !== frameworkBefore || said.includes('还有 1 行需要您确认');
        const bindingsChanged = JSON.stringify(await store.listOverviewBindings()) !== bindingsBefore;
        const expected = who.expect(row);
        const context = `${who.label} / ${row.label}:\n${t.log.join('\n')}`;

        if (expected === 'allowed') {
          expect(said, context).not.toMatch(REFUSAL);
          expect(result.pressed?.ok ?? true, context).toBe(true);
          // Organiser actions take effect: an audited change, or (for 重点工作, 确认指标体系) the question asked.
          // 停用助手 on an evaluation that never enabled it says so and changes nothing.
          if (row.kind === 'organise')
            expect(audit.length > 0 || said.includes('请列出本年度的重点工作') || said.includes(assistantText.alreadyDisabled) || frameworkChanged || bindingsChanged, context).toBe(true);
          if (row.action && row.kind === 'answer') expect(audit.map((e) => e.userId), context).toContain(PEOPLE[who.person]);
          return;
        }
        // Refused or unreached: nothing recorded, the framework untouched.
        expect(audit, context).toEqual([]);
        expect(after.answers, context).toEqual(before.answers);
        expect([after.organisers, after.leaders, after.assignments, after.deadline, after.reportDate, after.strictAssignments], context).toEqual([
          before.organisers,
          before.leaders,
          before.assignments,
          before.deadline,
          before.reportDate,
          before.strictAssignments,
        ]);
        expect(frameworkChanged, context).toBe(false);
        expect(bindingsChanged, context).toBe(false);
        if (expected === 'refused') {
          expect(said, context).toMatch(REFUSAL);
          // The refusal says who may: the organiser by name (the framework's, who uploaded or organises).
          if (row.label !== '确认指标体系') expect(said, context).toContain('张三');
          if (row.action) expect(result.pressed?.ok, context).toBe(false);
        } else {
          // Nothing of the evaluation is shown: not its unit, not its questions, not its scores.
          expect(said, context).not.toMatch(/测试单位|部门管理|制度建设|资产管理|得分：|基础分/);
          expect(after.revision, context).toBe(before.revision);
          expect(Object.keys(after.members), context).toEqual(Object.keys(before.members));
        }
      });
    });
  }
});

describe('setting roles', () => {
  it('names co-organisers and leaders by mention, audited, and a leader then only queries', async () => {
    const store = createMemoryStore();
    await createGroupEvaluation(store);
    const t = createTranscript({ store });
    await t.say('李四', '进度');
    const set = await t.say('张三', '设置 组织者 @李四');
    expect(replyText(set[0]!)).toContain('已将 李四 设为组织者');
    expect(set[0]!.kind === 'text' && set[0]!.mentions).toEqual([{ userId: PEOPLE['李四'], name: '李四' }]);
    // A platform mention before the person has spoken: stored by id, named as the platform gave it.
    const leader = (await t.say('李四', '设置 领导 @王五', { mentions: [{ userId: PEOPLE['王五']!, name: '王五' }] })).map(replyText).join('\n');
    expect(leader).toContain('已将 王五 设为领导');
    const rec = (await store.getEvaluation('ev-group'))!;
    expect(rec.organisers).toEqual([PEOPLE['张三'], PEOPLE['李四']]);
    expect(rec.leaders).toEqual([PEOPLE['王五']]);
    const audit = await store.listAudit('ev-group');
    expect(audit.filter((e) => e.path === 'organisers').map((e) => [e.userId, e.new])).toEqual([[PEOPLE['张三'], [PEOPLE['张三'], PEOPLE['李四']]]]);
    expect(audit.filter((e) => e.path === 'leaders').map((e) => [e.userId, e.new])).toEqual([[PEOPLE['李四'], [PEOPLE['王五']]]]);

    expect(await t.ask('王五', '开始')).toContain('您是本次自评的领导');
    expect(await t.ask('王五', '得分')).toContain('当前 0 分');
    expect(await t.ask('王五', '帮助')).not.toContain('跳过');
  });

  it('keeps one organiser at least, and a name given before someone speaks becomes their id', async () => {
    const store = createMemoryStore();
    await createGroupEvaluation(store);
    const t = createTranscript({ store });
    expect(await t.ask('张三', '设置 成员 @张三')).toContain('张三 是唯一的组织者');
    expect(await t.ask('张三', '设置 组织者 @赵六')).toContain('已将 赵六 设为组织者');
    expect((await store.getEvaluation('ev-group'))!.organisers).toEqual([PEOPLE['张三'], 'name:赵六']);
    expect(await t.ask('赵六', '截止 2025-06-30')).toContain('截止日期已设为 2025-06-30');
    expect((await store.getEvaluation('ev-group'))!.organisers).toEqual([PEOPLE['张三'], PEOPLE['赵六']]);
  });

  it('reads "设置…" that names no role as an answer to the open question', async () => {
    const store = createMemoryStore();
    await createGroupEvaluation(store);
    const t = createTranscript({ store });
    await t.say('李四', '开始');
    expect(await t.ask('李四', '设置了专门的内部管理制度')).toContain('已记录「制度建设」');
    expect(await t.ask('李四', '设置 严格分配')).toContain('只有组织者');
  });

  it('under strict assignments, gives a contributor only their sections and says who has the rest', async () => {
    const store = createMemoryStore();
    await createGroupEvaluation(store);
    const t = createTranscript({ store });
    await t.say('张三', '分配 A2 @李四');
    expect(await t.ask('张三', '设置 严格分配')).toContain('已改为严格分配');
    expect(await t.ask('李四', '开始')).toContain('是否建立资产台账？');
    const rest = await t.ask('李四', '是');
    expect(rest).toContain('由 张三 负责');
    expect(rest).not.toContain('是否建立内部管理制度？');
    expect(await t.ask('李四', '修改 A1')).toContain('实行严格分配');
  });
});

describe('the API', () => {
  const TOKEN = 'matrix-token-0123456789';
  const REMOTE = { incoming: { socket: { remoteAddress: '203.0.113.9' } } };
  const ROUTES: Array<[string, string, unknown?]> = [
    ['GET', '/api/evaluations'],
    ['GET', '/api/evaluations/ev-group/score'],
    ['GET', '/api/evaluations/ev-group/report.docx'],
    ['GET', '/api/chats/group-1/evaluation'],
    ['POST', '/api/local/messages', { chatId: 'group-1', userId: PEOPLE['王五'], userName: '王五', text: '进度' }],
    ['GET', '/api/local/messages?chatId=group-1'],
    ['GET', '/api/local/history?chatId=group-1'],
    ['DELETE', '/api/local/history?chatId=group-1'],
    ['GET', '/api/frameworks'],
    ['POST', '/api/frameworks'],
    ['GET', '/api/frameworks/import-c0ffee'],
    ['PATCH', '/api/frameworks/import-c0ffee', { name: '改名' }],
    ['POST', '/api/frameworks/import-c0ffee/confirm', { code: 'A12', answer: '确认' }],
    ['GET', '/api/frameworks/import-c0ffee/export.xlsx'],
    ['GET', '/api/overview?units=测试单位'],
    ['GET', '/api/overview/export.xlsx?units=测试单位'],
    ['GET', '/api/overview/bindings'],
    ['PUT', '/api/overview/bindings/bureau-1', { units: ['测试单位'] }],
    ['DELETE', '/api/overview/bindings/bureau-1'],
  ];

  async function app() {
    const store = createMemoryStore();
    await createGroupEvaluation(store, { leaders: [PEOPLE['王五']!], members: { [PEOPLE['张三']!]: { name: '张三' }, [PEOPLE['王五']!]: { name: '王五' } } });
    await putOpenFramework(store);
    const bot = createBot({ store });
    return { store, app: createApp({ store, bot, config: loadConfig({ ADMIN_TOKEN: TOKEN }) }) };
  }
  const request = (a: Awaited<ReturnType<typeof app>>['app'], [method, path, body]: [string, string, unknown?], token?: string) =>
    a.request(
      path,
      {
        method,
        headers: { ...(body ? { 'Content-Type': 'application/json' } : {}), ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      },
      REMOTE,
    );

  it.each(ROUTES.map((r) => [`${r[0]} ${r[1]}`, r] as const))('%s: refused without the admin token, whoever asks; served with it', async (_l, route) => {
    const { app: a } = await app();
    expect((await request(a, route)).status).toBe(401);
    expect((await request(a, route, 'wrong-token-0123456789')).status).toBe(401);
    expect([401, 403]).not.toContain((await request(a, route, TOKEN)).status);
  });

  it('acts for the user it names through the same policy: a leader cannot assign over HTTP, the organiser can', async () => {
    const { app: a, store } = await app();
    const say = async (userId: string, userName: string, text: string) =>
      (await (await request(a, ['POST', '/api/local/messages', { chatId: 'group-1', userId, userName, text }], TOKEN)).json()) as { replies: Array<{ text?: string }> };
    const refused = await say(PEOPLE['王五']!, '王五', '分配 部门管理 @王五');
    expect(refused.replies.map((r) => r.text).join('\n')).toContain('分配填报任务只有组织者（张三）可以进行');
    expect((await store.getEvaluation('ev-group'))!.assignments).toEqual({});
    await say(PEOPLE['张三']!, '张三', '分配 部门管理 @王五');
    expect((await store.getEvaluation('ev-group'))!.assignments).toEqual({ A: [PEOPLE['王五']] });
  });
});

// Found by the fuzz test: ids are looked up in the record's maps (members, sessions), where "toString"
// and "constructor" are keys every object inherits and "__proto__" is not a key at all when assigned.
describe('ids that are names of object properties', () => {
  /** Says something as a user id given as is (the transcript maps names to ids through a plain object). */
  function speaker(store: Store) {
    const bot = createBot({ store, now: () => new Date('2025-05-10T01:00:00Z') });
    return async (userId: string, text: string, chatId = 'group-1', chatType: 'group' | 'p2p' = 'group') =>
      (await bot.handle({ channel: 'local', chatId, chatType, userId, userName: `名${userId}`, text, receivedAt: 0 })).replies.map(replyText).join('\n');
  }

  it('"toString" or "constructor" in a private chat does not reach an evaluation they never took part in', async () => {
    const store = createMemoryStore();
    await createGroupEvaluation(store);
    const say = speaker(store);
    for (const id of ['toString', 'constructor', 'hasOwnProperty', 'valueOf']) {
      const text = await say(id, '进度', `p2p-${id}`, 'p2p');
      expect(text, id).not.toContain('测试单位');
      expect(await store.evaluationIdForChat(`p2p-${id}`), id).toBeUndefined();
    }
  });

  it('"__proto__" and "constructor" in the group keep their place, answer like anyone and are named as themselves', async () => {
    const store = createMemoryStore();
    await createGroupEvaluation(store);
    const say = speaker(store);
    for (const id of ['__proto__', 'constructor']) {
      expect(await say(id, '开始'), id).toContain('是否建立');
      const rec = (await store.getEvaluation('ev-group'))!;
      expect(Object.hasOwn(rec.sessions, id) && rec.sessions[id]!.current, id).toBeTruthy();
      expect(Object.hasOwn(rec.members, id) && rec.members[id]!.name, id).toBe(`名${id}`);
      expect(await say(id, '是'), id).toContain('已记录');
      await say(id, '取消');
    }
    // Once known, a message that changes nothing does not rewrite the record.
    const before = (await store.getEvaluation('ev-group'))!.revision;
    await say('__proto__', '进度');
    expect((await store.getEvaluation('ev-group'))!.revision).toBe(before);
  });
});
