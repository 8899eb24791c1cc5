/** Full scorings of nanjing-2021 per second on one core (target ≥ 20,000). */
import { readFileSync } from 'node:fs';
import { loadBuiltinFramework } from '../src/core/framework/builtin';
import { scoreEvaluation } from '../src/core/scoring/engine';
import { validateAnswers } from '../src/core/scoring/validate';

export async function run(): Promise<void> {
  const fw = loadBuiltinFramework('nanjing-2021')!;
  const v = validateAnswers(fw, JSON.parse(readFileSync('templates/examples/nanjing-2021-data-bureau-2024.json', 'utf8')));
  if (!v.ok) throw new Error(v.problems.join('\n'));
  const answers = v.answers;
  // Warm up, then time batches and take the median rate.
  for (let i = 0; i < 2000; i++) scoreEvaluation(fw, answers);
  const rates: number[] = [];
  for (let b = 0; b < 7; b++) {
    const n = 5000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) scoreEvaluation(fw, answers);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push(n / s);
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)]!;
  console.log(`scoring nanjing-2021 (002's answers, ${fw.byCode.size} indicators): ${Math.round(median)} full scorings/s on one core (median of 7 batches; target ≥ 20000: ${median >= 20000 ? 'met' : 'NOT met'})`);
}
