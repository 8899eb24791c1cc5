/**
 * The bureau overview (汇总): a chat follows several units' evaluations with their organisers' consent,
 * sees each unit's completion, total and grade sorted (final totals first), exports them as .xlsx, and
 * can neither read nor change anything else. The same table over the JSON API, guarded like the others.
 */
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { loadBuiltinFramework } from '../src/core/framework/builtin';
import type { Reply } from '../src/core/messages';
import { scoreEvaluation } from '../src/core/scoring/engine';
import { gradeStatus, itemCounts } from '../src/core/scoring/summary';
import { createApp } from '../src/server/app';
import type { OverviewResponse } from '../src/server/overview-api';
import type { EvaluationRecord } from '../src/store/port';
import { BUREAU, fourUnits, UNITS, type UnitName } from './helpers/overview';
import { replyText, type Transcript } from './helpers/transcript';

const LOCAL = { incoming: { socket: { remoteAddress: '127.0.0.1' } } };

/** The consent code the bureau's chat was given for a unit. */
async function codeOf(t: Transcript, chatId: string, unit: string): Promise<string> {
  const b = await t.store.getOverviewBinding(chatId);
  const code = b?.units.find((u) => u.unit === unit)?.code;
  if (!code) throw new Error(`no code for ${unit} in ${JSON.stringify(b)}`);
  return code;
}

/** Every unit's organiser agrees in the unit's own chat. */
async function consentAll(t: Transcript, chatId = 'bureau') {
  for (const u of Object.values(UNITS)) {
    const reply = await t.ask(u.organiser, `同意汇总 ${await codeOf(t, chatId, u.unit)}`, { chatId: u.chatId });
    expect(reply).toContain(`已同意${BUREAU}所在的群查看「${u.unit}」`);
  }
}

const textOf = (replies: Reply[]) => replies.map(replyText).join('\n');
/** The table's line of a unit (a numbered row, or a pending unit's bullet). */
const lineOf = (text: string, unit: string) => text.split('\n').find((l) => /^(\d+\. |· )/.test(l) && l.includes(unit)) ?? '';

describe('汇总 in a bureau chat', () => {
  it('asks each unit for consent, shows no figures until given, then lists every unit sorted and as each unit scores itself', async () => {
    const { t, ids } = await fourUnits();
    const asked = textOf(await t.say(BUREAU, '汇总 南京市数据局、南京市财政局 南京市审计局，南京市统计局 南京市不存在局', { chatId: 'bureau' }));
    expect(asked).toContain('未找到以下单位的自评：南京市不存在局');
    expect(asked).toContain('已向以下单位申请查看');
    for (const u of Object.values(UNITS)) expect(lineOf(asked, u.unit)).toContain(`同意汇总 ${await codeOf(t, 'bureau', u.unit)}`);
    expect(asked).not.toMatch(/完成 \d+\/\d+ 项/);
    expect(asked).not.toContain('98.5');

    // Only an organiser of the unit, in the unit's own chat, and with the unit's own code, can consent.
    const dataCode = await codeOf(t, 'bureau', UNITS.data.unit);
    expect(await t.ask('李四', `同意汇总 ${dataCode}`, { chatId: UNITS.data.chatId })).toContain('同意或撤销汇总查看只有组织者（张三）可以进行');
    expect(await t.ask('李四', `同意汇总 ${dataCode}`, { chatId: UNITS.finance.chatId })).toContain(`没有「南京市财政局」待同意的汇总申请「${dataCode}」`);
    expect(await t.ask('张三', `同意汇总 ${dataCode}`, { chatId: 'bureau' })).toContain('请在本单位的自评群里发送');
    expect(textOf(await t.say(BUREAU, '汇总', { chatId: 'bureau' }))).not.toMatch(/完成 \d+\/\d+ 项/);

    await consentAll(t);
    const table = textOf(await t.say(BUREAU, '汇总', { chatId: 'bureau' }));
    // Each unit's line agrees with what the unit's own 得分 and 进度 say and with its scoring.
    const fw = loadBuiltinFramework('nanjing-2021')!;
    const figures = {} as Record<UnitName, { total: number; final: boolean; line: string }>;
    for (const [name, u] of Object.entries(UNITS) as Array<[UnitName, (typeof UNITS)[UnitName]]>) {
      const rec = (await t.store.getEvaluation(ids[name]))!;
      const result = scoreEvaluation(fw, rec.answers);
      const c = itemCounts(result);
      const { grade, final } = gradeStatus(result);
      const line = lineOf(table, u.unit);
      expect(line).toContain(`完成 ${c.scored}/${c.applicable} 项`);
      const own = await t.ask(u.organiser, '得分', { chatId: u.chatId });
      expect(own).toContain(`${result.total} 分`);
      expect(line).toContain(`${result.total} 分`);
      if (final) expect(line).toContain(`${result.total} 分，${grade}`);
      else expect(line).toContain('未填完');
      figures[name] = { total: result.total, final, line };
    }
    // The fixture covers the order's cases: a provisional total above a final one, two unfinished.
    expect(figures.data.final && figures.finance.final && !figures.audit.final && !figures.stats.final).toBe(true);
    expect(figures.audit.total).toBeGreaterThan(figures.finance.total);
    expect(figures.data.total).toBeGreaterThan(figures.finance.total);
    const order = (['data', 'finance', 'audit', 'stats'] as UnitName[]).map((n) => table.indexOf(figures[n].line));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(table.split('\n').filter((l) => /^\d+\. /.test(l)).map((l) => l.slice(0, 2))).toEqual(['1.', '2.', '3.', '4.']);
  });

  it('binds at once when the one asking organises the unit, and names the year asked for', async () => {
    const { t } = await fourUnits();
    const own = textOf(await t.say('张三', '汇总 南京市数据局', { chatId: 'bureau-2' }));
    expect(own).toContain('已关注：南京市数据局');
    expect(lineOf(own, '南京市数据局')).toContain('98.5 分，优秀');
    const earlier = textOf(await t.say('张三', '汇总 2023', { chatId: 'bureau-2' }));
    expect(earlier).toContain('2023年度自评汇总');
    expect(lineOf(earlier, '南京市数据局')).toContain('尚无2023年度自评');
    expect(lineOf(textOf(await t.say('张三', '汇总 2024', { chatId: 'bureau-2' })), '南京市数据局')).toContain('98.5 分');
  });

  it('stops following a unit, then every unit', async () => {
    const { t } = await fourUnits();
    await t.say(BUREAU, '汇总 南京市数据局 南京市财政局 南京市审计局', { chatId: 'bureau' });
    const stopped = textOf(await t.say(BUREAU, '汇总 取消 南京市财政局 南京市统计局', { chatId: 'bureau' }));
    expect(stopped).toContain('本群并未关注：南京市统计局');
    expect(stopped).toContain('已取消关注：南京市财政局');
    expect((await t.store.getOverviewBinding('bureau'))!.units.map((u) => u.unit)).toEqual(['南京市数据局', '南京市审计局']);
    expect(await t.ask(BUREAU, '汇总 取消', { chatId: 'bureau' })).toContain('本群已不再关注任何单位');
    expect(await t.store.getOverviewBinding('bureau')).toBeUndefined();
    expect(await t.ask(BUREAU, '汇总', { chatId: 'bureau' })).toContain('本群尚未关注任何单位');
  });

  it('exports the table as an .xlsx with the rows in the chat\'s order', async () => {
    const { t } = await fourUnits();
    expect(await t.ask(BUREAU, '汇总 导出', { chatId: 'bureau' })).toContain('没有可导出的数据');
    await t.say(BUREAU, '汇总 南京市数据局 南京市财政局 南京市审计局 南京市统计局', { chatId: 'bureau' });
    await consentAll(t);
    const table = textOf(await t.say(BUREAU, '汇总', { chatId: 'bureau' }));
    const replies = await t.press(BUREAU, { type: 'command', command: 'overview', arg: '导出' }, { chatId: 'bureau' });
    const file = replies.find((r) => r.kind === 'file');
    if (!file || file.kind !== 'file') throw new Error(`no file in ${textOf(replies)}`);
    expect(file.name).toBe('自评汇总.xlsx');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(file.bytes as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('自评汇总')!;
    const row = (r: number) => (ws.getRow(r).values as unknown[]).slice(1);
    expect(row(2)).toEqual(['序号', '单位', '年度', '已评分项', '应评分项', '完成度', '总分', '等级']);
    const lines = table.split('\n').filter((l) => /^\d+\. /.test(l));
    expect(lines).toHaveLength(4);
    lines.forEach((line, i) => {
      const [rank, unit, year, scored, applicable, ratio, total, grade] = row(3 + i) as [number, string, number, number, number, number, number, string];
      expect(rank).toBe(i + 1);
      expect(line).toContain(`${unit}（${year}年度）：完成 ${scored}/${applicable} 项`);
      expect(ratio).toBeCloseTo(scored / applicable, 4);
      expect(line).toContain(`${total} 分`);
      expect(line).toContain(grade === '未填完' ? '未填完' : `${total} 分，${grade}`);
    });
  });

  it('gives the bureau chat no way to read or change any unit\'s answers', async () => {
    const { t, ids } = await fourUnits();
    await t.say(BUREAU, '汇总 南京市数据局 南京市财政局 南京市审计局 南京市统计局', { chatId: 'bureau' });
    await consentAll(t);
    const before = await Promise.all(Object.values(ids).map((id) => t.store.getEvaluation(id)));
    const said: string[] = [];
    for (const text of ['开始', '得分', '进度', '扣分', '修改 A11', '否，没有做到', '报告', '不适用 A11 无', '分配 部门管理 @孙八', '切换自评', '同意汇总 ABCDEF']) {
      said.push(textOf(await t.say(BUREAU, text, { chatId: 'bureau' })));
    }
    said.push(textOf(await t.press(BUREAU, { type: 'answer', key: 'judgement:A12', value: '否' }, { chatId: 'bureau' })));
    said.push(textOf(await t.say(BUREAU, '得分', { chatId: 'p2p-sun' })));
    const after = await Promise.all(Object.values(ids).map((id) => t.store.getEvaluation(id)));
    const strip = (r: EvaluationRecord | undefined) => r && { answers: r.answers, revision: r.revision, chatIds: r.chatIds, members: r.members };
    expect(after.map(strip)).toEqual(before.map(strip));
    for (const r of after) expect(r!.chatIds).not.toContain('bureau');
    // Nothing said there shows an answer, a subtotal or a deduction of any unit.
    const all = said.join('\n');
    for (const leak of ['预算执行率', '部门决策', '扣 1 分', '98.5', '受机构改革']) expect(all).not.toContain(leak);
    expect((await t.store.listEvaluations()).length).toBe(4);
  });
});

describe('consent under a borrowed name', () => {
  it('covers only the evaluations the consenting organiser organises, so a namesake evaluation unlocks nothing', async () => {
    const { t } = await fourUnits();
    // Anyone can create an evaluation under a unit's name in a chat of their own, and so organise it.
    await t.say(BUREAU, '新建自评 南京市数据局 2024 框架=nanjing-2021', { chatId: 'namesake' });
    const self = textOf(await t.say(BUREAU, '汇总 南京市数据局', { chatId: 'bureau' }));
    expect(self).toContain('已关注：南京市数据局');
    expect(lineOf(self, '南京市数据局')).toMatch(/完成 0\/\d+ 项/);
    expect(self).not.toContain('98.5');
    // Consent given from the namesake's chat to someone else's request covers the namesake only.
    await t.say('周九', '汇总 南京市数据局', { chatId: 'bureau-2' });
    const code = await codeOf(t, 'bureau-2', '南京市数据局');
    await t.say(BUREAU, `同意汇总 ${code}`, { chatId: 'namesake' });
    expect(lineOf(textOf(await t.say('周九', '汇总', { chatId: 'bureau-2' })), '南京市数据局')).not.toContain('98.5');
    // The real unit's organiser agreeing shows the real figures.
    await t.say('周九', '汇总 取消', { chatId: 'bureau-2' });
    await t.say('周九', '汇总 南京市数据局', { chatId: 'bureau-2' });
    await t.say('张三', `同意汇总 ${await codeOf(t, 'bureau-2', '南京市数据局')}`, { chatId: UNITS.data.chatId });
    expect(lineOf(textOf(await t.say('周九', '汇总', { chatId: 'bureau-2' })), '南京市数据局')).toContain('98.5 分，优秀');
  });
});

describe('撤销汇总', () => {
  it('lets the unit\'s organiser withdraw every consent and request for the unit, and no one else', async () => {
    const { t } = await fourUnits();
    await t.say(BUREAU, '汇总 南京市数据局 南京市财政局', { chatId: 'bureau' });
    await t.say('周九', '汇总 南京市数据局', { chatId: 'bureau-2' });
    await t.say('张三', `同意汇总 ${await codeOf(t, 'bureau', '南京市数据局')}`, { chatId: UNITS.data.chatId });
    await t.say('李四', `同意汇总 ${await codeOf(t, 'bureau', '南京市财政局')}`, { chatId: UNITS.finance.chatId });
    expect(lineOf(textOf(await t.say(BUREAU, '汇总', { chatId: 'bureau' })), '南京市数据局')).toContain('98.5');

    expect(await t.ask('李四', '撤销汇总', { chatId: UNITS.data.chatId })).toContain('同意或撤销汇总查看只有组织者（张三）可以进行');
    expect(await t.ask('张三', '撤销汇总', { chatId: UNITS.data.chatId })).toContain('已撤销 2 个群对「南京市数据局」的汇总查看');
    const after = textOf(await t.say(BUREAU, '汇总', { chatId: 'bureau' }));
    expect(after).not.toContain('南京市数据局');
    expect(lineOf(after, '南京市财政局')).toMatch(/完成 \d+\/\d+ 项/);
    expect(await t.store.getOverviewBinding('bureau-2')).toBeUndefined();
  });
});

describe('GET /api/overview', () => {
  async function harness(env: Record<string, string> = {}) {
    const { t } = await fourUnits();
    const app = createApp({ store: t.store, bot: t.bot, config: loadConfig(env), logger: { info: () => {}, error: () => {} } });
    return { t, app };
  }

  it('lists any units for the admin, sorted as the chat sorts them, and a chat\'s table with its pending units', async () => {
    const { t, app } = await harness();
    const res = await app.request(`/api/overview?units=${encodeURIComponent('南京市统计局,南京市审计局,南京市财政局,南京市数据局,无此单位')}`, {}, LOCAL);
    expect(res.status).toBe(200);
    const body = (await res.json()) as OverviewResponse;
    expect(body.rows.map((r) => [r.unit, r.final, r.grade])).toEqual([
      ['南京市数据局', true, '优秀'],
      ['南京市财政局', true, expect.any(String)],
      ['南京市审计局', false, null],
      ['南京市统计局', false, null],
      ['无此单位', false, null],
    ]);
    expect(body.rows[4]!.status).toBe('none');

    await t.say(BUREAU, '汇总 南京市数据局 南京市财政局', { chatId: 'bureau' });
    const code = await codeOf(t, 'bureau', '南京市数据局');
    await t.say('张三', `同意汇总 ${code}`, { chatId: 'chat-data' });
    const chat = (await (await app.request('/api/overview?chatId=bureau', {}, LOCAL)).json()) as OverviewResponse;
    expect(chat.rows.map((r) => r.unit)).toEqual(['南京市数据局']);
    expect(chat.pending!.map((p) => p.unit)).toEqual(['南京市财政局']);
    const table = textOf(await t.say(BUREAU, '汇总', { chatId: 'bureau' }));
    expect(lineOf(table, '南京市数据局')).toContain(`${chat.rows[0]!.total} 分，${chat.rows[0]!.grade}`);

    const xlsx = await app.request('/api/overview/export.xlsx?chatId=bureau', {}, LOCAL);
    expect(xlsx.headers.get('content-type')).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await xlsx.arrayBuffer());
    expect(wb.getWorksheet('自评汇总')!.getRow(3).getCell(2).value).toBe('南京市数据局');
    expect(wb.getWorksheet('自评汇总')!.getRow(4).getCell(2).value).toBeNull();

    expect((await app.request('/api/overview', {}, LOCAL)).status).toBe(400);
    expect((await app.request('/api/overview?units=a&year=24', {}, LOCAL)).status).toBe(400);
  });

  it('binds units to a chat for the admin, without the units\' consent, and unbinds them', async () => {
    const { t, app } = await harness();
    const put = (body: unknown) => app.request('/api/overview/bindings/bureau', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }, LOCAL);
    expect((await put({ units: [] })).status).toBe(400);
    expect((await put({ units: ['南京市审计局'], year: '2024' })).status).toBe(400);
    expect((await put({ units: ['南京市审计局', '南京市财政局'], year: 2024 })).status).toBe(200);
    const table = textOf(await t.say(BUREAU, '汇总', { chatId: 'bureau' }));
    expect(table).toContain('2024年度自评汇总');
    expect(table.indexOf('南京市财政局')).toBeLessThan(table.indexOf('南京市审计局'));
    expect(table).not.toContain('待单位同意');
    expect((await (await app.request('/api/overview/bindings', {}, LOCAL)).json()) as unknown[]).toHaveLength(1);
    expect((await app.request('/api/overview/bindings/bureau', { method: 'DELETE' }, LOCAL)).status).toBe(204);
    expect(await t.ask(BUREAU, '汇总', { chatId: 'bureau' })).toContain('本群尚未关注任何单位');
  });

  it('needs the admin token like the other API routes', async () => {
    const { app } = await harness({ ADMIN_TOKEN: 's3cret-token' });
    const remote = { incoming: { socket: { remoteAddress: '203.0.113.7' } } };
    for (const path of ['/api/overview?units=南京市数据局', '/api/overview/export.xlsx?units=南京市数据局', '/api/overview/bindings']) {
      expect((await app.request(encodeURI(path), {}, remote)).status).toBe(401);
      expect((await app.request(encodeURI(path), { headers: { Authorization: 'Bearer s3cret-token' } }, remote)).status).toBe(200);
    }
    const put = await app.request('/api/overview/bindings/x', { method: 'PUT', body: JSON.stringify({ units: ['南京市数据局'] }) }, remote);
    expect(put.status).toBe(401);
  });
});
