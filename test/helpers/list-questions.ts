/**
 * Lists every question of a built-in framework (key, prompt, unit, rule), for writing reply corpora
 * against real prompts: `npx tsx test/helpers/list-questions.ts nanjing-2021`.
 */
import { loadBuiltinFramework, BUILTIN_FRAMEWORK_IDS } from '../../src/core/framework/builtin';
import { buildPlan } from '../../src/core/dialog/plan';
import { scoreEvaluation } from '../../src/core/scoring/engine';
import { createAnswers } from '../../src/core/scoring/answers';

const ids = process.argv.slice(2).length ? process.argv.slice(2) : [...BUILTIN_FRAMEWORK_IDS];
for (const id of ids) {
  const fw = loadBuiltinFramework(id)!;
  const answers = createAnswers();
  const plan = buildPlan(fw, answers, scoreEvaluation(fw, answers));
  console.log(`# ${id}: ${plan.length} questions`);
  for (const q of plan) {
    const ind = q.kind === 'judgement' || q.kind === 'decision' ? fw.byCode.get(q.target) : undefined;
    const unit = q.meta.unit ?? '';
    const fact = q.kind === 'fact' ? fw.factByKey.get(q.target) : q.kind === 'metric' ? fw.metricByKey.get(q.target) : undefined;
    const range = fact ? ` min=${(fact as { min?: number }).min ?? ''} max=${(fact as { max?: number }).max ?? ''}` : '';
    console.log(`${q.key}\t[${q.meta.type}${unit ? ' ' + unit : ''}]${range}\t${q.prompt.replace(/\n/g, ' / ')}`);
    if (q.rule) console.log(`\t\trule=${JSON.stringify(q.rule)}${ind?.criteria ? `\n\t\tcriteria=${ind.criteria}` : ''}`);
  }
}
