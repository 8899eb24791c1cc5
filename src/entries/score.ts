/**
 * `npm run score -- --framework <id|file.json> --answers <file.json> [--json]`: prints the score table
 * of a filled answers file, so a finance officer can check one without the chat.
 * Exit codes: 0 complete, 1 bad input, 2 valid but incomplete (the table says so, and gives no grade).
 * `--json` prints the scoring with `grade` null and `final` false until every item is answered.
 */
import { formatScore } from '../core/decimal';
import { scoreCliText as T } from '../core/locale/zh-CN';
import { scoreEvaluation } from '../core/scoring/engine';
import { gradeStatus, itemCounts } from '../core/scoring/summary';
import type { ScoreResult } from '../core/scoring/types';
import { validateAnswers } from '../core/scoring/validate';
import { CliError, fitWidth, loadFrameworkArg, parseArgs, readJsonFile, runCli } from './cli-util';

/** Renders the score table as text lines. */
export function renderScoreTable(result: ScoreResult, title?: string): string[] {
  const lines: string[] = [];
  const items = itemCounts(result);
  if (title) lines.push(title, '');
  const [hCode, hName, hPoints, hScore, hWhy] = T.header;
  lines.push(`${fitWidth(hCode, 6)}${fitWidth(hName, 42)}${fitWidth(hPoints, 6, 'right')}${fitWidth(hScore, 8, 'right')}  ${hWhy}`);
  for (const ind of result.indicators) {
    const indent = '  '.repeat(ind.level - 1);
    const score = ind.score === null ? T.status[ind.status] || '—' : formatScore(ind.score);
    const flag = ind.score !== null && ind.status !== 'complete' ? `(${T.status[ind.status]})` : '';
    const isLeaf = ind.children.length === 0;
    const why = isLeaf || ind.status !== 'complete' ? ind.reasons.join('，') : '';
    lines.push(
      `${fitWidth(ind.code, 6)}${fitWidth(indent + ind.name, 42)}${fitWidth(formatScore(ind.points), 6, 'right')}${fitWidth(score + flag, 8, 'right')}  ${why}`,
    );
  }
  for (const adj of [result.bonus, result.penalty]) {
    if (!adj.name) continue;
    lines.push(`${fitWidth('', 6)}${fitWidth(adj.name, 42)}${fitWidth(adj.cap !== undefined ? `≤${formatScore(adj.cap)}` : '', 6, 'right')}${fitWidth(formatScore(adj.score), 8, 'right')}  ${adj.reasons.join('；')}`);
  }
  lines.push('');
  if (Object.keys(result.metrics).length) {
    lines.push(T.metrics);
    for (const m of Object.values(result.metrics))
      lines.push(`  ${m.label} ${formatScore(m.value)}${m.unit}${m.workings ? ` = ${m.workings}` : ''}`);
  }
  if (result.inconsistencies.length) {
    lines.push(T.inconsistencies);
    for (const i of result.inconsistencies) lines.push(`  ! ${i.message}`);
  }
  if (result.deductions.length) {
    lines.push(T.deductions);
    for (const d of result.deductions) lines.push(`  ${d.code} ${d.name}：${d.reasons.join('，')}，扣${formatScore(d.lost)}分`);
  }
  for (const n of result.notes) lines.push(n);
  lines.push(
    T.totalLine(formatScore(result.base), formatScore(result.bonus.score), formatScore(result.penalty.score), formatScore(result.total), gradeStatus(result).grade),
    T.counts(items.scored, items.applicable, items.notApplicable),
  );
  if (!gradeStatus(result).final) lines.push(T.incomplete(items.missing));
  return lines;
}

await runCli(async () => {
  const { flags } = parseArgs(process.argv.slice(2));
  if (typeof flags.framework !== 'string' && typeof flags.answers !== 'string') throw new CliError(T.usage);
  const answersFile = flags.answers;
  if (typeof answersFile !== 'string') throw new CliError(T.usage);
  const data = readJsonFile(answersFile) as { framework?: unknown };
  const fwArg = typeof flags.framework === 'string' ? flags.framework : typeof data?.framework === 'string' ? data.framework : undefined;
  if (!fwArg) throw new CliError(T.usage);
  const framework = loadFrameworkArg(fwArg);
  const v = validateAnswers(framework, data);
  if (!v.ok) throw new CliError([T.invalidAnswers(answersFile, v.problems.length), ...v.problems.map((p) => `  - ${p}`)].join('\n'));
  const result = scoreEvaluation(framework, v.answers);
  if (flags.json) {
    // The grade only once final, as everywhere else (`final` says whether it is).
    process.stdout.write(`${JSON.stringify({ ...result, ...gradeStatus(result) }, null, 2)}\n`);
  } else {
    const title = [framework.name, v.answers.unit, v.answers.year ? `${v.answers.year}年度` : ''].filter(Boolean).join(' · ');
    process.stdout.write(`${renderScoreTable(result, title).join('\n')}\n`);
  }
  return result.complete ? 0 : 2;
});
