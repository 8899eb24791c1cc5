/** Full scorings of nanjing-2021 per second on one core (target ≥ 20,000), and rescorings that reuse the previous result. */
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
  // CPU time of this process, not wall time: on a shared machine other processes steal the core, and
  // what we want is how many scorings one core does.
  const rates: number[] = [];
  for (let b = 0; b < 7; b++) {
    const n = 5000;
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) scoreEvaluation(fw, answers);
    const c = process.cpuUsage(c0);
    rates.push(n / ((c.user + c.system) / 1e6));
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)]!;
  console.log(`scoring nanjing-2021 (002's answers, ${fw.byCode.size} indicators): ${Math.round(median)} full scorings per CPU-second (median of 7 batches; target ≥ 20000: ${median >= 20000 ? 'met' : 'NOT met'})`);

  // What the chat does after each answer: score again with the previous result, one answer changed.
  const other: typeof answers = { ...answers, judgements: { ...answers.judgements, A11: { value: false, reason: '制度不健全' } } };
  let previous = scoreEvaluation(fw, answers);
  const rescore = (i: number) => (previous = scoreEvaluation(fw, i % 2 ? other : answers, previous));
  for (let i = 0; i < 2000; i++) rescore(i);
  const again: number[] = [];
  for (let b = 0; b < 7; b++) {
    const n = 5000;
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) rescore(i);
    const c = process.cpuUsage(c0);
    again.push(n / ((c.user + c.system) / 1e6));
  }
  again.sort((a, b) => a - b);
  const m = again[Math.floor(again.length / 2)]!;
  console.log(`scoring again after one answer changed (reusing the previous result, as the chat does): ${Math.round(m)} per CPU-second (${(m / median).toFixed(1)}× full scoring)`);
}
