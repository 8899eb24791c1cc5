/**
 * `npm run export -- --framework <id|framework.json> --out <file.xlsx>`: writes a framework (built-in
 * or a framework file) in the annex layout with merged level cells, for editing in Excel and
 * importing again with `npm run import`.
 */
import { writeFileSync } from 'node:fs';
import { countExportRows, exportFramework } from '../core/import/export';
import { importText as T } from '../core/locale/zh-CN';
import { CliError, loadFrameworkArg, parseArgs, runCli } from './cli-util';

await runCli(async () => {
  const { flags } = parseArgs(process.argv.slice(2));
  if (typeof flags.framework !== 'string' || typeof flags.out !== 'string') throw new CliError(T.cli.usageExport);
  const framework = loadFrameworkArg(flags.framework);
  const bytes = await exportFramework(framework);
  writeFileSync(flags.out, bytes);
  process.stdout.write(`${T.cli.exported(flags.out, countExportRows(framework))}\n`);
  return 0;
});
