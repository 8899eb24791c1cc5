/**
 * `npm run import` and `npm run export` as a finance officer runs them: one line per row, the counts,
 * the share compiled without confirmation; exit 0 when usable, 2 with rows open, 1 when refused.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEntry } from './helpers/cli';
import { loadFramework } from '../src/core/framework/load';


const cli = (entry: 'import' | 'export', args: string[]) => runEntry(entry, args);

describe('import and export CLIs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'import-cli-'));

  it('exports a built-in framework and imports it back into a framework file the loader accepts', async () => {
    const xlsx = join(dir, 'nanjing-2021.xlsx');
    const exported = await cli('export', ['--framework', 'nanjing-2021', '--out', xlsx]);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain(xlsx);
    const out = join(dir, 'nanjing-2021.json');
    const imported = await cli('import', [xlsx, '--out', out]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^\s+9\s+A41\s+预算编制科学规范（2分）\s+= 预算执行率 > 90% 得 2 分，否则得 1 分$/m);
    expect(imported.stdout).toContain('待确认0行');
    const fw = loadFramework(JSON.parse(readFileSync(out, 'utf8')), out);
    expect(fw.id).toBe('nanjing-2021');
  });

  it('prints open rows with their reason, writes only the draft, and exits 2', async () => {
    const csv = join(dir, 'unit.csv');
    writeFileSync(
      csv,
      [
        '某局指标体系',
        '一级指标,二级指标,三级指标,指标说明,评价要点,分值',
        '部门管理（100分）,预算执行（100分）,部门预算执行率,,年末预算执行率达到财政考核要求的得1分,1',
        ',,预算编制,,年度预算执行率大于90%的得99分，小于90%得50分,99',
      ].join('\n'),
    );
    const out = join(dir, 'unit.json');
    const r = await cli('import', [csv, '--out', out, '--id', 'unit-2025']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^\s+3\s+A11\s+部门预算执行率（1分）\s+？ 待确认：“达到财政考核要求”未给出具体标准，请补充目标值$/m);
    expect(r.stdout).toMatch(/^\s+4\s+A12\s+预算编制（99分）\s+✓ 预算执行率 > 90% 得 99 分；预算执行率 ≤ 90% 得 50 分/m);
    expect(r.stdout).toContain('评价要点自动识别率：1/2 = 50.0%');
    expect(existsSync(out)).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, 'unit.draft.json'), 'utf8')).id).toBe('unit-2025');
  });

  it('refuses a sheet that is not a framework, and exits 1', async () => {
    const csv = join(dir, 'contacts.csv');
    writeFileSync(csv, '姓名,电话\n张三,13800000000\n');
    const r = await cli('import', [csv]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('没有表头');
  });

  it('prints the quality figure over the seed tables, none compiled wrongly', async () => {
    const r = await cli('import', ['--seed-stats']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('评价要点自动识别率：66/73 = 90.4%');
    expect(r.stdout).toContain('识别错误 0 条');
  });

  it('refuses an unknown framework id on export', async () => {
    const r = await cli('export', ['--framework', 'no-such', '--out', join(dir, 'x.xlsx')]);
    expect(r.code).toBe(1);
  });
});
