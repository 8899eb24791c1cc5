import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { openLowdbStore } from '../src/store/lowdb';

/** Process- and browser-driven tests are slow on a busy machine: generous limits, no timing assertions. */
const SLOW = { timeout: 180_000 };

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Runs `npm run chat`'s entry with `lines` on stdin and returns what it printed. */
function runChat(dataDir: string, lines: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/entries/chat.ts', '--chat', 'term-group'], {
      env: { ...process.env, DATA_DIR: dataDir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
    child.stdin.end(lines.map((l) => `${l}\n`).join(''));
  });
}

describe('npm run chat (terminal)', SLOW, () => {
  it('runs the conversation with user switching, numbered buttons and a saved report', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'jx-term-'));
    dirs.push(dataDir);
    const { code, out } = await runChat(dataDir, [
      '新建自评 南京市数据局 2024 框架=nanjing-2021',
      '/1',
      '/1',
      '/user 李四',
      '开始',
      '是',
      '/9',
      '报告',
      '/quit',
    ]);
    expect(code, out).toBe(0);
    expect(out).toContain('已创建');
    expect(out).toContain('［开始填报］');
    expect(out).toContain('已切换到用户：李四');
    expect(out).toContain('没有第 9 个按钮');
    expect(out).toMatch(/\[\/1\] 是 {2}\[\/2\] 否/);
    const saved = /已保存到 (.+\.docx)/.exec(out)?.[1];
    expect(saved).toBeDefined();
    expect((await readFile(saved!)).subarray(0, 2).toString('latin1')).toBe('PK');
    expect(out.trimEnd().endsWith('再见。')).toBe(true);

    // What was said is in DATA_DIR: two people's answers, each with their own place.
    const store = await openLowdbStore(loadConfig({ DATA_DIR: dataDir }).DATA_DIR);
    const rec = (await store.getEvaluation((await store.evaluationIdForChat('term-group'))!))!;
    expect(Object.keys(rec.answers.judgements ?? {})).toHaveLength(2);
    expect(Object.keys(rec.sessions).sort()).toEqual(['term-张三', 'term-李四']);
  });
});
