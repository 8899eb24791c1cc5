/**
 * Report building: median time to build the full .docx for 002's figures (target < 100 ms), and the
 * time to score and build a batch of 100 units (target < 10 s).
 */
import { readFileSync } from 'node:fs';
import { loadBuiltinFramework } from '../src/core/framework/builtin';
import { buildReport } from '../src/core/report/index';
import { scoreEvaluation } from '../src/core/scoring/engine';
import { validateAnswers } from '../src/core/scoring/validate';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<void> {
  const fw = loadBuiltinFramework('nanjing-2021')!;
  const raw = JSON.parse(readFileSync('templates/examples/nanjing-2021-data-bureau-2024.json', 'utf8'));
  const v = validateAnswers(fw, raw);
  if (!v.ok) throw new Error(v.problems.join('\n'));
  const answers = v.answers;
  const result = scoreEvaluation(fw, answers);
  const input = { framework: fw, answers, result, unit: '南京市数据局', year: 2024, date: new Date(2025, 5, 1) };

  // One report: warm up, then time single builds.
  for (let i = 0; i < 5; i++) await buildReport(input);
  const times: number[] = [];
  let size = 0;
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    size = (await buildReport(input)).bytes.length;
    times.push(performance.now() - t0);
  }
  const one = median(times);
  console.log(
    `report 002 (${result.indicators.length} indicators, ${Math.round(size / 1024)} KB .docx): median ${one.toFixed(1)} ms per build (30 builds; target < 100 ms: ${one < 100 ? 'met' : 'NOT met'})`,
  );

  // A batch of 100 units: each validated, scored and built, one after another.
  const units = Array.from({ length: 100 }, (_, i) => {
    const data = structuredClone(raw);
    data.unit = `测试单位${i + 1}`;
    data.facts.spending = 5959.46 - i * 10; // different execution rates, so different scores
    data.facts.carryoverEnd = 992.74 + i * 10;
    data.facts.projectSpending = 2301.58 - i * 10;
    return data;
  });
  const batches: number[] = [];
  for (let b = 0; b < 3; b++) {
    const t0 = performance.now();
    for (const data of units) {
      const va = validateAnswers(fw, data);
      if (!va.ok) throw new Error(va.problems.join('\n'));
      const r = scoreEvaluation(fw, va.answers);
      await buildReport({ framework: fw, answers: va.answers, result: r, unit: data.unit, year: 2024, date: new Date(2025, 5, 1) });
    }
    batches.push(performance.now() - t0);
  }
  const batch = median(batches) / 1000;
  console.log(
    `report batch of 100 units (validate + score + build): median ${batch.toFixed(2)} s of 3 runs (target < 10 s: ${batch < 10 ? 'met' : 'NOT met'})`,
  );
}
