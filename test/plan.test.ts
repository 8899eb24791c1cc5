/**
 * The question plan is rebuilt after every answer and shares its questions' texts between rebuilds:
 * what it shares must never carry one evaluation's answers or key tasks into another's plan.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../src/core/dialog/plan';
import { loadBuiltinFramework } from '../src/core/framework/builtin';
import type { Answers } from '../src/core/scoring/answers';
import { scoreEvaluation } from '../src/core/scoring/engine';

const framework = loadBuiltinFramework('nanjing-2021')!;
const sample = JSON.parse(readFileSync(new URL('../templates/examples/nanjing-2021-data-bureau-2024.json', import.meta.url), 'utf8')) as Answers;
const plan = (answers: Answers) => buildPlan(framework, answers, scoreEvaluation(framework, answers));
const empty = (): Answers => ({ framework: 'nanjing-2021', unit: '某单位', year: 2024 });

describe('question plan', () => {
  it('keeps each evaluation’s answers and key tasks apart while plans of the same framework alternate', () => {
    const other: Answers = { ...empty(), keyTasks: { C1: [{ name: '招商引资', points: 40 }] } };
    for (let round = 0; round < 3; round++) {
      const full = plan(sample);
      const fresh = plan(empty());
      const mine = plan(other);
      expect(full.find((q) => q.key === 'fact:spending')?.answered).toBe(true);
      expect(fresh.find((q) => q.key === 'fact:spending')?.answered).toBe(false);
      expect(mine.find((q) => q.key === 'fact:spending')?.answered).toBe(false);
      const tasks = (p: typeof full) => p.filter((q) => q.key.startsWith('judgement:C1')).map((q) => q.label);
      expect(tasks(full)).toEqual(sample.keyTasks!.C1!.map((t) => t.name));
      expect(tasks(mine)).toEqual(['招商引资']);
      expect(tasks(fresh)).toEqual([]);
      expect(mine.find((q) => q.key === 'keyTasks:C1')?.answered).toBe(true);
      expect(fresh.find((q) => q.key === 'keyTasks:C1')?.answered).toBe(false);
    }
  });

  it('follows a changed answer at once', () => {
    const answers = empty();
    expect(plan(answers).find((q) => q.key === 'fact:spending')?.answered).toBe(false);
    answers.facts = { spending: 100 };
    expect(plan(answers).find((q) => q.key === 'fact:spending')?.answered).toBe(true);
    delete answers.facts;
    expect(plan(answers).find((q) => q.key === 'fact:spending')?.answered).toBe(false);
  });

  it('hands out questions that cannot be changed by a caller', () => {
    const q = plan(empty()).find((x) => x.key === 'fact:spending')!;
    expect(() => {
      (q as { prompt: string }).prompt = 'changed';
    }).toThrow(TypeError);
    expect(() => {
      (q.meta as { unit?: string }).unit = '元';
    }).toThrow(TypeError);
    expect(plan(empty()).find((x) => x.key === 'fact:spending')!.prompt).not.toBe('changed');
  });
});
