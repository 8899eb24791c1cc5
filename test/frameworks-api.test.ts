/**
 * The frameworks API: uploading a sheet (.xlsx multipart or raw, CSV), refusing what is not a
 * framework, confirming open rows until the framework is ready, overrides, export and re-import, the
 * guard, and the framework a new evaluation can carry.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { isDraftUsable } from '../src/core/import/confirm';
import { pickAnnexSheet, readFrameworkData } from '../src/core/import/export';
import { importSheet } from '../src/core/import/importer';
import { readWorkbookSheets } from '../src/core/import/sheet';
import { resolveFramework } from '../src/core/framework/resolve';
import { scoreEvaluation } from '../src/core/scoring/engine';
import { createApp } from '../src/server/app';
import { createBot } from '../src/app/bot';
import { XLSX_MIME } from '../src/server/frameworks-api';
import { handleMessage } from '../src/core/dialog/engine';
import { declaredUnpackedSize, loadFrameworkChoices, loadReadyFramework, normaliseCsvBytes } from '../src/app/frameworks';
import { createMemoryStore } from '../src/store/memory';
import type { Store } from '../src/store/port';
import { createFakeBot } from './helpers/fake-bot';
import { B11_ANSWER, BAD_POINTS_CSV, buildOneOpenXlsx, ONE_OPEN_CSV, THREE_OPEN_CSV } from './helpers/framework-sheets';

const fromAddress = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });
const LOCAL = fromAddress('127.0.0.1');

interface Detail {
  id: string;
  name: string;
  status: 'open' | 'ready';
  builtin: boolean;
  counts: { rows: number; compiled: number; kept: number; confirmed: number; open: number };
  rows: Array<{ row?: number; code: string; name: string; points?: number; status: string; rule?: string; reason?: string }>;
  open: Array<{ code: string; row: number; reason: string; question: string; suggestion?: string }>;
  problems?: string[];
  confirmed?: { code: string; rule?: string };
  error?: string;
}

function createHarness(env: Record<string, string> = {}) {
  const store: Store = createMemoryStore();
  const app = createApp({
    store,
    bot: createFakeBot(store),
    config: loadConfig(env),
    logger: { info: () => {}, error: () => {} },
    now: () => new Date('2025-03-01T08:00:00Z'),
  });
  const request = (path: string, init: RequestInit = {}, envIn: unknown = LOCAL) => app.request(path, init, envIn);
  const uploadCsv = (csv: string, query = '?name=测试指标体系') =>
    request(`/api/frameworks${query}`, { method: 'POST', headers: { 'Content-Type': 'text/csv; charset=utf-8' }, body: csv });
  const confirm = (id: string, code: string, answer: unknown) =>
    request(`/api/frameworks/${id}/confirm`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code, answer }) });
  return { app, store, request, uploadCsv, confirm };
}

async function json(res: Response): Promise<Detail> {
  return (await res.json()) as Detail;
}

describe('POST /api/frameworks', () => {
  it('imports a CSV body and stores it open, with one question per open row', async () => {
    const h = createHarness();
    const res = await h.uploadCsv(ONE_OPEN_CSV);
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body.id).toMatch(/^import-[0-9a-f]{6}$/);
    expect(res.headers.get('location')).toBe(`/api/frameworks/${body.id}`);
    expect(body).toMatchObject({ name: '测试指标体系', status: 'open', builtin: false, counts: { rows: 2, compiled: 1, open: 1 } });
    expect(body.open.map((q) => q.code)).toEqual(['B11']);
    expect(body.open[0]!.question).toContain('第4行 B11');
    expect(body.open[0]!.reason).toContain('未给出具体标准');
    expect(body.rows[0]).toMatchObject({ row: 3, code: 'A11', points: 20, status: 'compiled', rule: '建立决策制度得 20 分，否则不得分' });
    expect(body.rows[1]).toMatchObject({ code: 'B11', status: 'open' });
    const stored = (await h.store.getFramework(body.id))!;
    expect(stored).toMatchObject({ status: 'open', sourceName: 'upload.csv', uploadedBy: 'api', createdAt: '2025-03-01T08:00:00.000Z' });
    expect(stored.draft.id).toBe(body.id);
  });

  it('imports an .xlsx sent as multipart, reading the annex sheet behind a cover sheet', async () => {
    const h = createHarness();
    const bytes = await buildOneOpenXlsx();
    const form = new FormData();
    form.set('file', new Blob([bytes as Uint8Array<ArrayBuffer>], { type: XLSX_MIME }), '某某局指标体系.xlsx');
    const res = await h.request('/api/frameworks', { method: 'POST', body: form });
    expect(res.status).toBe(201);
    const body = await json(res);
    // No name given: the sheet's title row names it.
    expect(body).toMatchObject({ name: '某某局2025年度部门整体绩效评价指标体系', status: 'open', counts: { rows: 2, compiled: 1, open: 1 } });
    expect((await h.store.getFramework(body.id))?.sourceName).toBe('某某局指标体系.xlsx');

    // The same sheet again, as a raw .xlsx body: a new id, not the first one overwritten.
    const again = await h.request('/api/frameworks', { method: 'POST', headers: { 'Content-Type': XLSX_MIME }, body: bytes as Uint8Array<ArrayBuffer> });
    expect(again.status).toBe(201);
    const second = await json(again);
    expect(second.id).toBe(`${body.id}-2`);
    expect((await h.store.listFrameworks()).map((r) => r.id)).toEqual([body.id, second.id]);
  });

  it('takes an id, refusing a built-in or taken one', async () => {
    const h = createHarness();
    expect((await h.uploadCsv(ONE_OPEN_CSV, '?id=my-unit-2025')).status).toBe(201);
    expect(await h.store.getFramework('my-unit-2025')).toBeDefined();
    const taken = await h.uploadCsv(ONE_OPEN_CSV, '?id=my-unit-2025');
    expect(taken.status).toBe(409);
    const builtin = await h.uploadCsv(ONE_OPEN_CSV, '?id=nanjing-2021');
    expect(builtin.status).toBe(400);
    expect((await json(builtin)).error).toContain('nanjing-2021');
    expect((await h.uploadCsv(ONE_OPEN_CSV, '?id=Bad_Id')).status).toBe(400);
    expect((await h.store.listFrameworks()).map((r) => r.id)).toEqual(['my-unit-2025']);
  });

  it('refuses a sheet that is not a framework, naming the row, and stores nothing', async () => {
    const h = createHarness();
    const res = await h.uploadCsv(BAD_POINTS_CSV);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; problems: Array<{ row: number; message: string }> };
    expect(body.error).toContain('第4行');
    expect(body.problems).toEqual([{ row: 4, message: expect.stringContaining('合计70分') }]);
    const noHeader = await h.uploadCsv('姓名,电话\n张三,123\n');
    expect(noHeader.status).toBe(400);
    expect((await json(noHeader)).error).toContain('没有表头');
    const notXlsx = await h.request('/api/frameworks', { method: 'POST', headers: { 'Content-Type': XLSX_MIME }, body: 'not a zip' });
    expect(notXlsx.status).toBe(400);
    expect(await h.store.listFrameworks()).toEqual([]);
  });

  it('refuses other file types, a form without a file, an empty file and more than 5 MB', async () => {
    const h = createHarness();
    const plain = await h.request('/api/frameworks', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: ONE_OPEN_CSV });
    expect(plain.status).toBe(415);
    const xls = new FormData();
    xls.set('file', new Blob(['x']), 'old.xls');
    expect((await h.request('/api/frameworks', { method: 'POST', body: xls })).status).toBe(415);
    const noFile = new FormData();
    noFile.set('name', 'x');
    expect((await h.request('/api/frameworks', { method: 'POST', body: noFile })).status).toBe(400);
    expect((await h.uploadCsv('')).status).toBe(400);
    const big = new Uint8Array(5 * 1024 * 1024 + 1).fill(0x2c);
    const tooLarge = await h.request('/api/frameworks', { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: big });
    expect(tooLarge.status).toBe(413);
    const bigForm = new FormData();
    bigForm.set('file', new Blob([big]), 'big.csv');
    expect((await h.request('/api/frameworks', { method: 'POST', body: bigForm })).status).toBe(413);
    expect(await h.store.listFrameworks()).toEqual([]);
  });

  it('refuses a workbook that says it unpacks to more than 50 MB, before inflating it', async () => {
    const h = createHarness();
    const bytes = await buildOneOpenXlsx();
    const real = declaredUnpackedSize(bytes)!;
    expect(real).toBeGreaterThan(1000);
    expect(real).toBeLessThan(1024 * 1024);
    expect(declaredUnpackedSize(new TextEncoder().encode(ONE_OPEN_CSV))).toBeUndefined();
    // Declare one entry of the central directory as 2 GB.
    const bomb = new Uint8Array(bytes);
    const view = new DataView(bomb.buffer);
    const central = bomb.findIndex((_, i) => i + 4 <= bomb.length && view.getUint32(i, true) === 0x02014b50);
    view.setUint32(central + 24, 0x7fffffff, true);
    expect(declaredUnpackedSize(bomb)).toBeGreaterThan(50 * 1024 * 1024);
    const res = await h.request('/api/frameworks', { method: 'POST', headers: { 'Content-Type': XLSX_MIME }, body: bomb });
    expect(res.status).toBe(413);
    expect((await json(res)).error).toContain('解压后超过 50 MB');
    expect(await h.store.listFrameworks()).toEqual([]);
  });

  it('reads a CSV saved as GB18030 by Excel', () => {
    const gbk = new Uint8Array([210, 187, 188, 182, 214, 184, 177, 234, 44, 183, 214, 214, 181]);
    expect(new TextDecoder().decode(normaliseCsvBytes(gbk))).toBe('一级指标,分值');
    const utf8 = new TextEncoder().encode('一级指标,分值');
    expect(normaliseCsvBytes(utf8)).toBe(utf8);
  });
});

describe('GET /api/frameworks and /api/frameworks/:id', () => {
  it('lists built-in frameworks as ready and imported ones with status and counts', async () => {
    const h = createHarness();
    const { id } = await json(await h.uploadCsv(ONE_OPEN_CSV));
    const list = (await (await h.request('/api/frameworks')).json()) as Array<{ id: string; name: string; status: string; builtin: boolean; counts?: object }>;
    expect(list.filter((f) => f.builtin).map((f) => f.id)).toEqual(['nanjing-2021', 'nanjing-2020', 'guangdong-2020', 'goal-rate']);
    expect(list.find((f) => f.id === 'nanjing-2021')).toMatchObject({ status: 'ready', builtin: true });
    expect(list.at(-1)).toMatchObject({ id, name: '测试指标体系', status: 'open', builtin: false, counts: { rows: 2, open: 1 } });
  });

  it('shows one framework: rows with rules or open reasons, and the open questions', async () => {
    const h = createHarness();
    const { id } = await json(await h.uploadCsv(ONE_OPEN_CSV));
    const res = await h.request(`/api/frameworks/${id}`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.rows.map((r) => [r.code, r.name, r.points, r.rule ?? r.reason])).toEqual([
      ['A11', '决策制度', 20, '建立决策制度得 20 分，否则不得分'],
      ['B11', '部门预算执行率', 80, '“达到财政考核要求”未给出具体标准，请补充目标值'],
    ]);
    expect(body.open).toHaveLength(1);
    const builtin = await json(await h.request('/api/frameworks/nanjing-2021'));
    expect(builtin).toMatchObject({ id: 'nanjing-2021', status: 'ready', builtin: true, open: [] });
    expect(builtin.rows.length).toBeGreaterThan(20);
    expect(builtin.rows.some((r) => r.rule && /分/.test(r.rule))).toBe(true);
    expect((await h.request('/api/frameworks/import-nope')).status).toBe(404);
    expect((await h.request('/api/frameworks/..%2Fchats')).status).toBe(404);
  });
});

describe('POST /api/frameworks/:id/confirm', () => {
  it('answers 422 with the reason to a bad answer and keeps the row open', async () => {
    const h = createHarness();
    const { id } = await json(await h.uploadCsv(ONE_OPEN_CSV));
    const bad = await h.confirm(id, 'B11', '好好干');
    expect(bad.status).toBe(422);
    const body = await json(bad);
    expect(body.error).toContain('没能理解这条规则');
    expect(body.open.map((q) => q.code)).toEqual(['B11']);
    const noSuggestion = await h.confirm(id, 'B11', '确认');
    expect(noSuggestion.status).toBe(422);
    expect((await json(noSuggestion)).error).toBe('这一行没有可直接采用的建议，请写出评分规则');
    const wrongPoints = await h.confirm(id, 'B11', '预算执行率达到90%的得2分');
    expect(wrongPoints.status).toBe(422);
    expect((await json(wrongPoints)).error).toContain('与分值80分不符');
    expect((await h.confirm(id, 'Z99', '确认')).status).toBe(422);
    const after = await json(await h.request(`/api/frameworks/${id}`));
    expect(after).toMatchObject({ status: 'open', counts: { open: 1 } });
    expect((await h.store.getFramework(id))?.status).toBe('open');
  });

  it('confirms the open row until the framework is ready, and overrides a compiled row', async () => {
    const h = createHarness();
    const { id } = await json(await h.uploadCsv(ONE_OPEN_CSV));
    const res = await h.confirm(id, 'B11', B11_ANSWER);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ status: 'ready', open: [], counts: { open: 0, confirmed: 1 }, confirmed: { code: 'B11', rule: '预算执行率 ≥ 90% 得 80 分，否则得 40 分' } });
    expect((await h.store.getFramework(id))?.status).toBe('ready');

    // An override of a compiled row, as a rule object; a bad override changes nothing.
    const override = await h.confirm(id, 'A11', { kind: 'judgement', question: '是否建立决策制度？', yes: '已建立', no: '未建立', noScore: 10 });
    expect(override.status).toBe(200);
    const overridden = await json(override);
    expect(overridden.rows.find((r) => r.code === 'A11')).toMatchObject({ status: 'confirmed' });
    expect(overridden.status).toBe('ready');
    const badOverride = await h.confirm(id, 'A11', { kind: 'judgement', question: '?', yes: 'y', no: 'n', noScore: 30 });
    expect(badOverride.status).toBe(422);
    expect((await json(badOverride)).status).toBe('ready');
  });

  it('keeps every one of several answers sent at once, the bonus table included', async () => {
    const h = createHarness();
    const up = await json(await h.uploadCsv(THREE_OPEN_CSV));
    expect(up.open.map((q) => q.code)).toEqual(['A11', 'A13', 'bonus']);
    const answers = await Promise.all([h.confirm(up.id, 'A11', '预算执行率达到90%的得1分，否则得0.5分'), h.confirm(up.id, 'A13', '确认'), h.confirm(up.id, 'bonus', '不累计')]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    const after = await json(await h.request(`/api/frameworks/${up.id}`));
    expect(after).toMatchObject({ status: 'ready', open: [] });
    expect(after.rows.find((r) => r.code === 'bonus')?.rule).toContain('不累计');
  });

  it('refuses built-in and unknown frameworks and malformed bodies', async () => {
    const h = createHarness();
    const { id } = await json(await h.uploadCsv(ONE_OPEN_CSV));
    expect((await h.confirm('nanjing-2021', 'A11', '确认')).status).toBe(409);
    expect((await h.confirm('import-nope', 'A11', '确认')).status).toBe(404);
    const form = await h.request(`/api/frameworks/${id}/confirm`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'code=B11&answer=x' });
    expect(form.status).toBe(415);
    for (const body of ['{', '{"code":"B11"}', '{"answer":"确认"}', '{"code":"B11","answer":""}', '{"code":"B11","answer":[1]}']) {
      const res = await h.request(`/api/frameworks/${id}/confirm`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      expect(res.status, body).toBe(400);
    }
  });
});

describe('PATCH /api/frameworks/:id', () => {
  const patch = (h: ReturnType<typeof createHarness>, id: string, body: unknown) =>
    h.request(`/api/frameworks/${id}`, { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  it('renames a framework and sets its grade bands, keeping its id', async () => {
    const h = createHarness();
    const { id } = await json(await h.uploadCsv(ONE_OPEN_CSV));
    const grades = [
      { grade: '优', gte: 85 },
      { grade: '良', gte: 70, lt: 85 },
      { grade: '差', gte: 0, lt: 70 },
    ];
    const res = await patch(h, id, { name: '某某局指标体系（修订）', grades });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ id, name: '某某局指标体系（修订）', status: 'open' });
    const stored = (await h.store.getFramework(id))!;
    expect(stored).toMatchObject({ name: '某某局指标体系（修订）', draft: { id, name: '某某局指标体系（修订）', grades } });
    await h.confirm(id, 'B11', B11_ANSWER);
    expect((await loadReadyFramework(h.store, id))).toMatchObject({ name: '某某局指标体系（修订）', grades });
  });

  it('refuses grade bands with a gap, other fields, built-in and unknown ids', async () => {
    const h = createHarness();
    const { id } = await json(await h.uploadCsv(ONE_OPEN_CSV));
    const gap = await patch(h, id, { grades: [{ grade: '优', gte: 90 }, { grade: '差', gte: 0, lt: 80 }] });
    expect(gap.status).toBe(422);
    expect((await json(gap)).error).toContain('80');
    expect((await patch(h, id, { id: 'other-id' })).status).toBe(400);
    expect((await patch(h, id, {})).status).toBe(400);
    expect((await patch(h, id, { name: '' })).status).toBe(400);
    expect((await patch(h, 'nanjing-2021', { name: 'x' })).status).toBe(409);
    expect((await patch(h, 'import-nope', { name: 'x' })).status).toBe(404);
    expect((await h.store.getFramework(id))!.name).toBe('测试指标体系');
  });
});

describe('GET /api/frameworks/:id/export.xlsx', () => {
  it('refuses a framework with open rows, then exports it once ready, and the workbook imports again', async () => {
    const h = createHarness();
    const { id, name } = await json(await h.uploadCsv(ONE_OPEN_CSV));
    const early = await h.request(`/api/frameworks/${id}/export.xlsx`);
    expect(early.status).toBe(409);
    expect((await json(early)).error).toContain('1 行');
    await h.confirm(id, 'B11', B11_ANSWER);

    const res = await h.request(`/api/frameworks/${id}/export.xlsx`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(XLSX_MIME);
    expect(res.headers.get('content-disposition')).toContain(encodeURIComponent(`${name}.xlsx`));
    const sheets = await readWorkbookSheets(new Uint8Array(await res.arrayBuffer()));
    const sheet = pickAnnexSheet(sheets)!;
    // The annex sheet alone: the same rows and points, the confirmed rule's prose open again.
    const plain = importSheet(sheet);
    expect(plain.rows.map((r) => [r.code, r.points])).toEqual([
      ['A11', 20],
      ['B11', 80],
    ]);
    // With the hidden data sheet, every rule comes back and the draft is usable at once.
    const withData = importSheet(sheet, { data: readFrameworkData(sheets)! });
    expect(withData.rows.map((r) => r.outcome.status)).toEqual(['kept', 'kept']);
    expect(withData.rows[1]!.outcome).toMatchObject({ rule: { kind: 'bands', metric: 'budgetExecutionRate', otherwise: 40 } });
    expect(isDraftUsable(withData)).toBe(true);

    // Uploading the export again gives a ready framework straight away.
    const again = await h.request('/api/frameworks', { method: 'POST', headers: { 'Content-Type': XLSX_MIME }, body: await (await h.request(`/api/frameworks/${id}/export.xlsx`)).arrayBuffer() });
    expect(again.status).toBe(201);
    expect(await json(again)).toMatchObject({ status: 'ready', open: [] });
  });

  it('exports built-in frameworks and answers 404 for unknown ids', async () => {
    const h = createHarness();
    const res = await h.request('/api/frameworks/nanjing-2021/export.xlsx');
    expect(res.status).toBe(200);
    const sheets = await readWorkbookSheets(new Uint8Array(await res.arrayBuffer()));
    expect(importSheet(pickAnnexSheet(sheets)!).rows.length).toBeGreaterThan(20);
    expect((await h.request('/api/frameworks/import-nope/export.xlsx')).status).toBe(404);
  });
});

describe('frameworks API guard', () => {
  it('without ADMIN_TOKEN answers loopback clients only', async () => {
    const h = createHarness();
    const remote = fromAddress('10.1.2.3');
    const { id } = await json(await h.uploadCsv(ONE_OPEN_CSV));
    for (const [path, init] of [
      ['/api/frameworks', {}],
      [`/api/frameworks/${id}`, {}],
      [`/api/frameworks/${id}/export.xlsx`, {}],
      ['/api/frameworks', { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: ONE_OPEN_CSV }],
      [`/api/frameworks/${id}`, { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'x' }) }],
      [`/api/frameworks/${id}/confirm`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: 'B11', answer: B11_ANSWER }) }],
    ] as Array<[string, RequestInit]>) {
      expect((await h.request(path, init, remote)).status, path).toBe(403);
    }
    // A foreign page in the operator's browser cannot post a form to it either.
    const form = new FormData();
    form.set('file', new Blob([ONE_OPEN_CSV]), 'x.csv');
    expect((await h.request('/api/frameworks', { method: 'POST', body: form, headers: { Origin: 'https://evil.example' } })).status).toBe(403);
    expect((await h.store.listFrameworks()).map((r) => r.status)).toEqual(['open']);
  });

  it('with ADMIN_TOKEN needs the bearer token', async () => {
    const h = createHarness({ ADMIN_TOKEN: 'fw-secret-token' });
    const init = { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: ONE_OPEN_CSV };
    expect((await h.request('/api/frameworks', init)).status).toBe(401);
    expect((await h.request('/api/frameworks')).status).toBe(401);
    const ok = await h.request('/api/frameworks', { ...init, headers: { ...init.headers, Authorization: 'Bearer fw-secret-token' } }, fromAddress('203.0.113.5'));
    expect(ok.status).toBe(201);
  });
});

describe('using an imported framework', () => {
  it('gives a framework file only once ready, which an evaluation can carry and score with', async () => {
    const h = createHarness();
    const { id } = await json(await h.uploadCsv(ONE_OPEN_CSV));
    expect(await loadReadyFramework(h.store, id)).toBeUndefined();
    expect(await loadFrameworkChoices(h.store)).toEqual([]);
    await h.confirm(id, 'B11', B11_ANSWER);
    const input = (await loadReadyFramework(h.store, id))!;
    expect(input).toMatchObject({ id, name: '测试指标体系' });
    expect((await loadFrameworkChoices(h.store)).map((f) => [f.id, f.name, f.input.id])).toEqual([[id, '测试指标体系', id]]);
    expect(await loadReadyFramework(h.store, 'nanjing-2021')).toBeUndefined();
    expect(await loadReadyFramework(h.store, '../x')).toBeUndefined();

    // The evaluation's copy resolves under the imported id and scores like any framework.
    const framework = resolveFramework(id, input);
    expect(framework.id).toBe(id);
    const result = scoreEvaluation(framework, {
      framework: id,
      facts: { adjustedBudget: 100, carryOverStart: 0, spending: 95 },
      judgements: { A11: { value: true } },
    } as never);
    expect(result.indicators.find((i) => i.code === 'A11')?.score).toBe(20);
  });

  it('reads and checks a ready framework once, until it changes', async () => {
    const h = createHarness();
    const { id } = await json(await h.uploadCsv(ONE_OPEN_CSV));
    await h.confirm(id, 'B11', B11_ANSWER);
    let reads = 0;
    const counting = new Proxy(h.store, {
      get: (target, key, receiver) => (key === 'getFramework' ? (fid: string) => (reads++, target.getFramework(fid)) : Reflect.get(target, key, receiver)),
    });
    const first = await loadFrameworkChoices(counting);
    expect(await loadFrameworkChoices(counting)).toEqual(first);
    expect(reads).toBe(1);
    await h.store.updateFramework(id, (r) => {
      r.name = '改过的名称';
    });
    expect((await loadFrameworkChoices(counting)).map((f) => f.name)).toEqual(['改过的名称']);
    expect(reads).toBe(2);
  });

  it('lets 新建自评 pick a ready imported framework, which the evaluation carries', async () => {
    const h = createHarness();
    const { id } = await json(await h.uploadCsv(ONE_OPEN_CSV));
    const msg = (text: string) => ({ channel: 'local' as const, chatId: 'g1', chatType: 'group' as const, userId: 'u1', userName: '张三', text, receivedAt: 0 });
    const deps = { now: new Date('2025-03-01T08:00:00Z'), newId: () => 'ev-imported' };
    const create = `新建自评 某某局 2025 框架=${id}`;
    // While a row is open the framework is not offered.
    const early = handleMessage(msg(create), { frameworks: await loadFrameworkChoices(h.store) }, deps);
    expect(early.created).toBeUndefined();
    await h.confirm(id, 'B11', B11_ANSWER);
    const out = handleMessage(msg(create), { frameworks: await loadFrameworkChoices(h.store) }, deps);
    expect(out.created).toMatchObject({ frameworkId: id, framework: { id, name: '测试指标体系' } });
    await h.store.createEvaluation(out.created!);
    // The API scores it from the carried copy, like any evaluation.
    const score = (await (await h.request('/api/evaluations/ev-imported/score')).json()) as { indicators: Array<{ code: string }> };
    expect(score.indicators.map((i) => i.code)).toEqual(expect.arrayContaining(['A11', 'B11']));
  });

  it('creates an evaluation with it through the local channel and the real bot, once ready', async () => {
    const store = createMemoryStore();
    const app = createApp({ store, bot: createBot({ store }), config: loadConfig({}), logger: { info: () => {}, error: () => {} } });
    const request = (path: string, init: RequestInit = {}) => app.request(path, init, LOCAL);
    const { id } = (await (await request('/api/frameworks?name=测试指标体系', { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: ONE_OPEN_CSV })).json()) as { id: string };
    const say = async (text: string) => {
      const res = await request('/api/local/messages', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ chatId: 'g-import', userId: 'u1', userName: '张三', text }) });
      return JSON.stringify(await res.json());
    };
    expect(await say(`新建自评 某某局 2025 框架=${id}`)).toContain(`没有「${id}」这个指标体系`);
    await say('取消');
    await request(`/api/frameworks/${id}/confirm`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: 'B11', answer: B11_ANSWER }) });
    expect(await say(`新建自评 某某局 2025 框架=${id}`)).toContain('已创建');
    const [rec] = await store.listEvaluations();
    expect(rec).toMatchObject({ frameworkId: id, framework: { id, name: '测试指标体系' }, chatIds: ['g-import'] });
    // The conversation asks the imported framework's own questions, and scores them.
    expect(await say('开始')).toContain('建立决策制度');
    await say('是');
    const score = (await (await request(`/api/evaluations/${rec!.id}/score`)).json()) as { indicators: Array<{ code: string; score: number | null }> };
    expect(score.indicators.find((i) => i.code === 'A11')?.score).toBe(20);
  });
});
