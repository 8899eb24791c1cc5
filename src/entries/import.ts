/**
 * `npm run import -- <file.xlsx|file.csv> [--out framework.json] [--id id] [--name name]`: imports a
 * framework sheet in the annex layout and prints one line per row (code, name, points, the compiled
 * rule or what is open), the counts and the share of 评价要点 compiled without confirmation.
 * With every row compiled, `--out` receives the framework file; otherwise it receives nothing and the
 * draft goes to `<out>.draft.json` for confirmation.
 *
 * `npm run import -- --seed-stats` prints the quality figure over the seed reports' score tables
 * (test/fixtures/import/seed-tables.json): share compiled without confirmation, and rows compiled wrongly.
 *
 * Exit codes: 0 usable, 1 refused (every problem with its row), 2 imported with rows still open.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFrameworkInput, describeDraftStatus } from '../core/import/confirm';
import { importFile, summariseDraft } from '../core/import/index';
import { ImportError, type DraftFramework } from '../core/import/importer';
import { computeSeedStats, type SeedRow } from '../core/import/seed-stats';
import { importText as T } from '../core/locale/zh-CN';
import { CliError, parseArgs, runCli } from './cli-util';

/** Reads a file's bytes, with a message naming the file on failure. */
function readBytes(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new CliError(T.cli.cannotRead(path, (e as NodeJS.ErrnoException).code ?? (e as Error).message));
  }
}

const SEED_FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/import/seed-tables.json');

await runCli(async () => {
  const { flags, positional } = parseArgs(process.argv.slice(2));
  if (flags['seed-stats']) {
    const fixture = JSON.parse(readFileSync(SEED_FIXTURE, 'utf8')) as { rows: SeedRow[] };
    const stats = computeSeedStats(fixture.rows);
    for (const [seed, s] of Object.entries(stats.perSeed)) process.stdout.write(`${seed}: ${T.cli.share(s.compiled, s.rows, ((s.compiled / s.rows) * 100).toFixed(1))}\n`);
    process.stdout.write(`${T.cli.share(stats.compiled, stats.rows, (stats.share * 100).toFixed(1))}\n`);
    process.stdout.write(`${T.cli.seedCheck(stats.wrong.length, stats.missed.length)}\n`);
    for (const w of stats.wrong) process.stdout.write(`  WRONG ${w.seed} ${w.code} ${w.criteria}\n    got ${w.got}\n    expected ${w.expected}\n`);
    for (const m of stats.missed) process.stdout.write(`  MISSED ${m.seed} ${m.code} ${m.criteria}: ${m.reason}\n`);
    return stats.wrong.length ? 1 : 0;
  }
  const file = positional[0];
  if (!file) throw new CliError(T.cli.usageImport);
  let draft: DraftFramework;
  try {
    draft = await importFile(
      { name: basename(file), bytes: readBytes(file) },
      {
        ...(typeof flags.id === 'string' ? { id: flags.id } : {}),
        ...(typeof flags.name === 'string' ? { name: flags.name } : {}),
      },
    );
  } catch (e) {
    if (e instanceof ImportError) throw new CliError(e.message);
    throw e;
  }
  process.stdout.write(`${draft.name}（${draft.id}）\n`);
  for (const line of summariseDraft(draft).lines) process.stdout.write(`${line}\n`);
  const status = describeDraftStatus(draft);
  const out = typeof flags.out === 'string' ? flags.out : undefined;
  if (status.usable) {
    if (out) {
      writeFileSync(out, `${JSON.stringify(buildFrameworkInput(draft), null, 2)}\n`);
      process.stdout.write(`${T.cli.written(out)}\n`);
    }
    return 0;
  }
  process.stdout.write(`${T.cli.notWritten(status.open)}\n`);
  if (out) {
    const draftPath = out.replace(/\.json$/, '') + '.draft.json';
    writeFileSync(draftPath, `${JSON.stringify(draft, null, 2)}\n`);
    process.stdout.write(`${T.cli.draftWritten(draftPath)}\n`);
  }
  return 2;
});
