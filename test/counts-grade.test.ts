/**
 * One count, one grade: the creation reply, 进度, 得分, the JSON API and `npm run score` give the same
 * item counts for the same evaluation, and a grade only when it is final. The export and the import
 * of a framework count the same rows.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { loadBuiltinFramework } from '../src/core/framework/builtin';
import { countExportRows, exportFramework } from '../src/core/import/export';
import { importFile, summariseDraft } from '../src/core/import/index';
import { createApp } from '../src/server/app';
import { runEntry } from './helpers/cli';
import { makeEvaluation } from './helpers/records';
import { createTranscript, type Transcript } from './helpers/transcript';

const LOCAL = { incoming: { socket: { remoteAddress: '127.0.0.1' } } };
const dir = mkdtempSync(join(tmpdir(), 'counts-grade-'));

function num(text: string, re: RegExp): [number, number, number, number] {
  const m = re.exec(text);
  if (!m) throw new Error(`${re} not in:\n${text}`);
  return m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) as [number, number, number, number];
}

async function api(t: Transcript) {
  const app = createApp({ store: t.store, bot: t.bot, config: loadConfig({}) });
  const list = (await (await app.request('/api/evaluations', {}, LOCAL)).json()) as Array<{
    id: string;
    completion: { answered: number; total: number; notApplicable: number };
    score: { grade: string | null; final: boolean; total: number };
  }>;
  const row = list[0]!;
  const detail = (await (await app.request(`/api/evaluations/${row.id}/score`, {}, LOCAL)).json()) as { grade: string | null; final: boolean; total: number };
  const view = (await (await app.request('/api/chats/group-1/evaluation', {}, LOCAL)).json()) as { missing: Array<{ code: string }> };
  return { row, detail, view };
}

/** Writes the chat's stored answers to a file and runs `npm run score` on it (text and --json). */
async function cli(t: Transcript) {
  const rec = (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;
  const file = join(dir, `${rec.id}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify({ ...rec.answers, framework: rec.frameworkId, unit: rec.unit, year: rec.year }));
  const text = await runEntry('score', ['--answers', file]);
  const json = JSON.parse((await runEntry('score', ['--answers', file, '--json'])).stdout) as { grade: string | null; final: boolean; total: number };
  return { text, json };
}

describe('one definition of an item', () => {
  it('creation, 进度, 得分, the API and the score CLI count the same items of one evaluation', async () => {
    const t = createTranscript();
    const created = await t.ask('张三', '新建自评 南京市数据局 2024 框架=nanjing-2021');
    const [createdItems, createdQuestions] = num(created, /共 (\d+) 项评分指标.*需回答 (\d+) 个问题/);
    const start = await t.ask('张三', '进度');
    expect(num(start, /已评分指标 (\d+)\/(\d+) 项；已回答问题 (\d+)\/(\d+) 个/)).toEqual([0, createdItems, 0, createdQuestions]);

    // Answer three indicators, enter the key tasks of one slot (two tasks), mark one indicator not applicable.
    await t.say('张三', '开始');
    for (let i = 0; i < 3; i++) expect(await t.ask('张三', '是')).toContain('得 ');
    await t.say('张三', '修改 C1');
    expect(await t.ask('张三', '党建工作 20分\n业务工作 20分')).toContain('已记录「重点工作完成情况」2项');
    expect(await t.ask('张三', '不适用 B14 本单位预决算由上级统一公开')).toContain('标记为不适用');

    const progress = await t.ask('张三', '进度');
    const [scored, items, na] = num(progress, /已评分指标 (\d+)\/(\d+) 项（另有 (\d+) 项不适用）/);
    // The slot counted once at creation now counts its two tasks; the indicator marked not applicable is apart.
    expect([scored, items, na]).toEqual([3, createdItems + 1 - 1, 1]);
    // Per section, the items add up to the whole; the outstanding list is the items not yet scored.
    const sections = [...progress.matchAll(/指标 (\d+)\/(\d+) 项，问题/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(sections.reduce((s, [a]) => s + a!, 0)).toBe(scored);
    expect(sections.reduce((s, [, b]) => s + b!, 0)).toBe(items);
    expect(num(progress, /待评分指标（(\d+)项）/)[0]).toBe(items - scored);
    // The first items not yet scored, in framework order (A11, A12, A21 were answered).
    expect(progress).toContain(`待评分指标（${items - scored}项）：A22 中长期规划与部门职能的匹配性、A31 `);

    const score = await t.ask('张三', '得分');
    expect(num(score, /已评分指标 (\d+)\/(\d+) 项/).slice(0, 2)).toEqual([scored, items]);
    expect(score).toContain('暂不评定等级');

    const { row, detail, view } = await api(t);
    expect(row.completion).toEqual({ answered: scored, total: items, notApplicable: na });
    // The console's list of what is missing is the same items: the tasks entered, not the indicator marked.
    expect(view.missing).toHaveLength(items - scored);
    expect(view.missing.map((m) => m.code)).toEqual(expect.arrayContaining(['C11', 'C12']));
    expect(view.missing.map((m) => m.code)).not.toContain('B14');
    expect([row.score.grade, row.score.final, detail.grade, detail.final]).toEqual([null, false, null, false]);

    const { text, json } = await cli(t);
    expect(text.code).toBe(2);
    expect(num(text.stdout, /已评分指标 (\d+)\/(\d+) 项（另有 (\d+) 项不适用）/).slice(0, 3)).toEqual([scored, items, na]);
    expect(num(text.stdout, /尚有 (\d+) 项指标待评分/)[0]).toBe(items - scored);
    expect(text.stdout).toContain('等级：待全部指标评分后评定');
    expect([json.grade, json.final, json.total]).toEqual([null, false, detail.total]);
  }, 30_000);
});

describe('a grade only when final, the same on every surface', () => {
  const example = JSON.parse(readFileSync('templates/examples/nanjing-2021-data-bureau-2024.json', 'utf8'));
  const partial = structuredClone(example);
  delete partial.judgements.A11;

  for (const [name, answers, final] of [
    ['complete (002)', example, true],
    ['one indicator short', partial, false],
  ] as const) {
    it(`${name}: chat, report command, API and CLI agree`, async () => {
      const t = createTranscript();
      await t.store.createEvaluation(makeEvaluation('ev-g', ['group-1'], { answers, organisers: ['u-zhangsan'] }));
      const score = await t.ask('张三', '得分');
      const { row, detail } = await api(t);
      const { text, json } = await cli(t);
      expect([row.score.final, detail.final, json.final]).toEqual([final, final, final]);
      expect(text.code).toBe(final ? 0 : 2);
      if (final) {
        expect([row.score.grade, detail.grade, json.grade]).toEqual(['优秀', '优秀', '优秀']);
        expect(score).toContain('98.5 分，优秀');
        expect(text.stdout).toContain('等级：优秀');
      } else {
        expect([row.score.grade, detail.grade, json.grade]).toEqual([null, null, null]);
        expect(score).toContain('暂不评定等级');
        expect(score).not.toContain('优秀');
        expect(text.stdout).not.toContain('优秀');
      }
      // The report command names what is missing exactly when the grade is not final.
      expect((await t.ask('张三', '报告')).includes('待填写')).toBe(!final);
    }, 30_000);
  }
});

describe('framework export and import count the same rows', () => {
  const ids = readdirSync('templates/frameworks').map((f) => f.replace(/\.json$/, ''));
  for (const id of ids) {
    it(id, async () => {
      const fw = loadBuiltinFramework(id)!;
      const draft = await importFile({ name: `${id}.xlsx`, bytes: await exportFramework(fw) }, {});
      expect(countExportRows(fw)).toBe(draft.rows.length);
      // What the export CLI says it wrote is what the import CLI says it read.
      expect(summariseDraft(draft).lines.filter((l) => l.startsWith(`共${countExportRows(fw)}行`))).toHaveLength(1);
    });
  }
});
