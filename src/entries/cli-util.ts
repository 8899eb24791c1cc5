/**
 * Small helpers shared by the command-line entries: argument parsing, loading a framework by id or
 * file, reading answers files, and padding text that mixes Chinese and Latin characters.
 */
import { readFileSync } from 'node:fs';
import { loadBuiltinFramework, BUILTIN_FRAMEWORK_IDS } from '../core/framework/builtin';
import { FrameworkError, loadFramework, type Framework } from '../core/framework/load';

/** Parses `--name value` and `--flag` arguments; the rest are positional. */
export function parseArgs(argv: string[]): { flags: Record<string, string | true>; positional: string[] } {
  const flags: Record<string, string | true> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
      else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) flags[a.slice(2)] = argv[++i]!;
      else flags[a.slice(2)] = true;
    } else positional.push(a);
  }
  return { flags, positional };
}

/** A CLI failure: the message is printed as it is and the process exits with `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

/** Reads and parses a JSON file, with a message naming the file on failure. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`无法读取文件 ${path}：${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new CliError(`${path} 不是有效的 JSON：${(e as Error).message}`);
  }
}

/** A built-in framework by id, or a framework JSON file by path. */
export function loadFrameworkArg(arg: string): Framework {
  const builtin = loadBuiltinFramework(arg);
  if (builtin) return builtin;
  if (!arg.endsWith('.json') && !arg.includes('/'))
    throw new CliError(`未知的指标体系「${arg}」。内置：${BUILTIN_FRAMEWORK_IDS.join('、')}；或给出 .json 文件路径`);
  try {
    return loadFramework(readJsonFile(arg), arg);
  } catch (e) {
    if (e instanceof FrameworkError) throw new CliError(e.message);
    throw e;
  }
}

/** Display width in a terminal: CJK and full-width characters count 2. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    w += (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x20000 && c <= 0x3fffd) || c === 0x201c || c === 0x201d
      ? 2
      : 1;
  }
  return w;
}

/** Pads (or truncates with "…") to a display width. */
export function fitWidth(s: string, width: number, align: 'left' | 'right' = 'left'): string {
  let out = s;
  if (displayWidth(out) > width) {
    let acc = '';
    for (const ch of out) {
      if (displayWidth(acc + ch) > width - 1) break;
      acc += ch;
    }
    out = `${acc}…`;
  }
  const pad = ' '.repeat(Math.max(0, width - displayWidth(out)));
  return align === 'left' ? out + pad : pad + out;
}

/** Runs a CLI main function: CliError → message and exit code; anything else → stack and exit 1. */
export async function runCli(main: () => Promise<number | void>): Promise<void> {
  try {
    const code = await main();
    process.exitCode = code ?? 0;
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`${e.message}\n`);
      process.exitCode = e.code;
    } else {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    }
  }
}
