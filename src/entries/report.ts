/**
 * `npm run report -- --framework <id|file.json> --answers <file.json> --out <file.docx> [--xlsx <file.xlsx>]`:
 * builds the self-evaluation report (and optionally the score table as .xlsx) from an answers file.
 * Given a folder of answers files, builds every one into the `--out` folder (and `--xlsx` folder),
 * printing a progress line per report. `--unit`, `--year` and `--date` override the answers file.
 *
 * Exit codes: 0 every report built (missing answers are marked 【待填写】 in the report and listed
 * here), 1 bad input (every problem printed).
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { formatScore } from '../core/decimal';
import type { Framework } from '../core/framework/load';
import { reportText } from '../core/locale/zh-CN';
import { buildReport, buildScoreTableXlsx, reportFileName, scoreTableFileName } from '../core/report/index';
import { gradeStatus } from '../core/scoring/summary';
import { scoreEvaluation } from '../core/scoring/engine';
import { validateAnswers } from '../core/scoring/validate';
import { CliError, loadFrameworkArg, parseArgs, readJsonFile, runCli } from './cli-util';

const T = reportText.cli;

interface Options {
  framework?: string;
  unit?: string;
  year?: number;
  date?: Date;
}

/** One report built from one answers file. */
interface Built {
  docx: Uint8Array;
  xlsx?: Uint8Array;
  fileName: string;
  xlsxName: string;
  total: string;
  grade: string;
  complete: boolean;
  missing: string[];
}

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** Validates, scores and builds one answers file; throws CliError naming every problem. */
async function buildOne(file: string, opts: Options, withXlsx: boolean, frameworks: Map<string, Framework>): Promise<Built> {
  const data = readJsonFile(file) as { framework?: unknown; unit?: unknown; year?: unknown } | null;
  const fwArg = opts.framework ?? (typeof data?.framework === 'string' ? data.framework : undefined);
  if (!fwArg) throw new CliError(T.noFramework(file));
  let framework = frameworks.get(fwArg);
  if (!framework) {
    framework = loadFrameworkArg(fwArg);
    frameworks.set(fwArg, framework);
  }
  const v = validateAnswers(framework, data);
  const unit = opts.unit ?? (typeof data?.unit === 'string' && data.unit ? data.unit : undefined);
  const year = opts.year ?? (typeof data?.year === 'number' ? data.year : undefined);
  const problems = [...(v.ok ? [] : v.problems), ...(unit ? [] : [T.noUnit(file)]), ...(year ? [] : [T.noYear(file)])];
  if (!v.ok || problems.length)
    throw new CliError([T.invalidAnswers(file, problems.length), ...problems.map((p) => `  - ${p}`)].join('\n'));
  const result = scoreEvaluation(framework, v.answers);
  const input = { framework, answers: v.answers, result, unit: unit!, year: year!, ...(opts.date ? { date: opts.date } : {}) };
  const report = await buildReport(input);
  return {
    docx: report.bytes,
    ...(withXlsx ? { xlsx: await buildScoreTableXlsx(input) } : {}),
    fileName: reportFileName(unit!, year!),
    xlsxName: scoreTableFileName(unit!, year!),
    total: formatScore(result.total),
    // The same rule as the chat, the API and `npm run score`: a grade only when final.
    grade: gradeStatus(result).grade ?? '',
    complete: gradeStatus(result).final,
    missing: report.missing,
  };
}

function summaryLines(b: Built): string[] {
  const head = b.complete ? T.summary(b.total, b.grade, b.missing.length) : T.pendingTotal(b.missing.length);
  return [head, ...b.missing.map((m) => `  - ${m}`)];
}

/** Picks a file name not used yet in this batch ("x.docx", "x-2.docx"…). */
function uniqueName(name: string, used: Set<string>): string {
  const ext = extname(name);
  const stem = name.slice(0, -ext.length);
  let candidate = name;
  for (let i = 2; used.has(candidate); i++) candidate = `${stem}-${i}${ext}`;
  used.add(candidate);
  return candidate;
}

async function runBatch(dir: string, out: string, xlsxDir: string | undefined, opts: Options): Promise<number> {
  const files = readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
  if (!files.length) throw new CliError(T.emptyFolder(dir));
  for (const folder of [out, xlsxDir]) if (folder && !isDir(folder) && extname(folder)) throw new CliError(T.outNotFolder(folder));
  mkdirSync(out, { recursive: true });
  if (xlsxDir) mkdirSync(xlsxDir, { recursive: true });
  const frameworks = new Map<string, Framework>();
  const used = new Set<string>();
  const usedXlsx = new Set<string>();
  const t0 = performance.now();
  let ok = 0;
  for (const [i, file] of files.entries()) {
    try {
      const b = await buildOne(file, opts, xlsxDir !== undefined, frameworks);
      const name = uniqueName(b.fileName, used);
      writeOutput(join(out, name), b.docx);
      if (xlsxDir && b.xlsx) writeOutput(join(xlsxDir, uniqueName(b.xlsxName, usedXlsx)), b.xlsx);
      const [head, ...rest] = summaryLines(b);
      process.stdout.write(`${T.progress(i + 1, files.length, name, head!)}\n${rest.map((l) => `${l}\n`).join('')}`);
      ok++;
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      process.stderr.write(`${T.failed(i + 1, files.length, basename(file), e.message)}\n`);
    }
  }
  process.stdout.write(`${T.batchDone(ok, files.length, performance.now() - t0)}\n`);
  return ok === files.length ? 0 : 1;
}

/** Writes a file, creating its folder; a failure is a CliError naming the file. */
function writeOutput(path: string, bytes: Uint8Array): void {
  try {
    mkdirSync(dirname(path) || '.', { recursive: true });
    writeFileSync(path, bytes);
  } catch (e) {
    throw new CliError(T.cannotWrite(path, (e as NodeJS.ErrnoException).code ?? (e as Error).message));
  }
}

function parseOptions(flags: Record<string, string | true>): Options {
  const opts: Options = {};
  if (typeof flags.framework === 'string') opts.framework = flags.framework;
  if (typeof flags.unit === 'string') opts.unit = flags.unit;
  if (typeof flags.year === 'string') {
    const y = Number(flags.year);
    if (!Number.isInteger(y) || y < 1900 || y > 2200) throw new CliError(T.badYear(flags.year));
    opts.year = y;
  }
  if (typeof flags.date === 'string') {
    // The 落款日期 on the cover: a real calendar day (2025-02-30 is refused, not rolled over to March).
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(flags.date);
    const date = m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : undefined;
    if (!date || date.getMonth() !== Number(m![2]) - 1 || date.getDate() !== Number(m![3])) throw new CliError(T.badDate(flags.date));
    opts.date = date;
  }
  return opts;
}

await runCli(async () => {
  const { flags } = parseArgs(process.argv.slice(2));
  const answers = flags.answers;
  if (typeof answers !== 'string' || flags.out === true || flags.xlsx === true) throw new CliError(T.usage);
  const opts = parseOptions(flags);
  const out = typeof flags.out === 'string' ? flags.out : undefined;
  const xlsx = typeof flags.xlsx === 'string' ? flags.xlsx : undefined;
  if (isDir(answers)) {
    if (!out) throw new CliError(T.usage);
    return runBatch(answers, out, xlsx, opts);
  }
  const b = await buildOne(answers, opts, xlsx !== undefined, new Map());
  const target = out ?? b.fileName;
  writeOutput(target, b.docx);
  process.stdout.write(`${T.written(target)}\n`);
  if (xlsx && b.xlsx) {
    writeOutput(xlsx, b.xlsx);
    process.stdout.write(`${T.written(xlsx)}\n`);
  }
  process.stdout.write(`${summaryLines(b).join('\n')}\n`);
  return 0;
});
