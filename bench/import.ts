/**
 * Framework import time against the number of rows: a generated annex sheet of 10,000, 40,000 and
 * 160,000 scored rows (merged level cells, one compiled rule per row) read and compiled by
 * `importFile`, with the row limits raised for the bench. Linear import shows as ≈ 4× per step.
 */
import { importFile } from '../src/core/import/index';
import { DEFAULT_WORKBOOK_LIMITS, type WorkbookLimits } from '../src/core/import/workbook';
import { buildFrameworkXlsx } from '../test/helpers/big-sheets';

const SIZES = [10_000, 40_000, 160_000];
const LIMITS: WorkbookLimits = { ...DEFAULT_WORKBOOK_LIMITS, maxUnpackedBytes: 1024 * 1024 * 1024, maxRows: 200_000, maxCells: 2_000_000 };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeImport(bytes: Uint8Array, rows: number): Promise<number> {
  const t0 = performance.now();
  const draft = await importFile({ name: `bench-${rows}.xlsx`, bytes }, {}, { limits: LIMITS });
  const ms = performance.now() - t0;
  if (draft.rows.length !== rows) throw new Error(`expected ${rows} rows, got ${draft.rows.length}`);
  return ms;
}

export async function run(): Promise<void> {
  // Warm up the reader and the compiler on a small sheet first.
  const warm = await buildFrameworkXlsx(2_000);
  for (let i = 0; i < 3; i++) await timeImport(warm, 2_000);
  const times: number[] = [];
  for (const rows of SIZES) {
    const bytes = await buildFrameworkXlsx(rows);
    const runs = rows >= 100_000 ? 1 : 3;
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) samples.push(await timeImport(bytes, rows));
    const ms = median(samples);
    times.push(ms);
    console.log(`import ${rows.toLocaleString('en')} rows (${(bytes.byteLength / 1024 / 1024).toFixed(1)} MB .xlsx): ${(ms / 1000).toFixed(2)} s (median of ${runs})`);
  }
  for (let i = 1; i < SIZES.length; i++) {
    const ratio = times[i]! / times[i - 1]!;
    console.log(`import ${SIZES[i]! / 1000}k / ${SIZES[i - 1]! / 1000}k rows: ${ratio.toFixed(2)}× the time for ${SIZES[i]! / SIZES[i - 1]!}× the rows (linear ≈ 4×)`);
  }
}
