/** `npm run score`: the table for a filled answers file; every problem listed on bad input. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEntry } from './helpers/cli';

const EXAMPLE = 'templates/examples/nanjing-2021-data-bureau-2024.json';

const score = (args: string[]) => runEntry('score', args);

describe('score CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'score-cli-'));

  it("prints 002's table with its subtotals and total", async () => {
    const r = await score(['--framework', 'nanjing-2021', '--answers', EXAMPLE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^A\s+部门决策\s+15\s+14\s*$/m);
    expect(r.stdout).toMatch(/^B\s+部门管理\s+20\s+18\.5\s*$/m);
    expect(r.stdout).toContain('预算执行率 85.72% = 5959.46 ÷ (6091.91 + 860.29)');
    expect(r.stdout).toContain('基础分 97.5 ＋ 加分 1 － 减分 0 ＝ 总分 98.5，等级：优秀');
  });

  it('prints JSON with --json', async () => {
    const r = await score(['--answers', EXAMPLE, '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect([json.base, json.bonus.score, json.total, json.grade]).toEqual([97.5, 1, 98.5, '优秀']);
  });

  it('lists every problem of a bad answers file and prints no score', async () => {
    const bad = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
    bad.facts.spendng = 1;
    bad.facts.adjustedBudget = -5;
    bad.judgements.A11 = '是';
    bad.judgements.B62 = { level: '很好' };
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(bad));
    const r = await score(['--answers', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    // Shape problems and the rest, all in one go.
    expect(r.stderr).toContain('judgements.A11');
    expect(r.stderr).toContain('未知的基础数据「spendng」');
    expect(r.stderr).toContain('「调整后部门预算数」的值-5超出范围');
    expect(r.stderr).toContain('没有「很好」这一档');
  });

  it('marks a partial score as partial, with exit code 2', async () => {
    const partial = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
    delete partial.judgements.A11;
    const file = join(dir, 'partial.json');
    writeFileSync(file, JSON.stringify(partial));
    const r = await score(['--answers', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('尚有 1 项指标待评分：以上为部分得分，不是最终结果。');
    expect(r.stdout).toContain('等级：待全部指标评分后评定');
  });

  it('refuses a broken framework file, naming the file and the field', async () => {
    const fw = JSON.parse(readFileSync('templates/frameworks/nanjing-2021.json', 'utf8'));
    fw.indicators[0].children[0].points = 5;
    fw.metrics[0].formula = 'spending / (adjustedBudget + carryOver) * 100';
    const file = join(dir, 'broken.json');
    writeFileSync(file, JSON.stringify(fw));
    const r = await score(['--framework', file, '--answers', EXAMPLE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}: indicators[0].points: children of "A 部门决策" add up to 16, not 15`);
    expect(r.stderr).toContain(`${file}: metrics[0].formula: unknown fact or metric "carryOver"`);
  });

  it('names an unknown framework id', async () => {
    const r = await score(['--framework', 'nanjing-1999', '--answers', EXAMPLE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('未知的指标体系「nanjing-1999」');
  });
});
