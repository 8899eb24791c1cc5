/**
 * Scoring with the previous result (as the chat does after every answer) must give exactly what scoring
 * from scratch gives, whatever changed in between: answers, figures, direct metrics, not-applicable
 * marks, key tasks, confirmations. And it must really reuse what did not change.
 */
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_FRAMEWORK_IDS, loadBuiltinFramework } from '../src/core/framework/builtin';
import type { Framework, Indicator } from '../src/core/framework/load';
import type { Answers, JudgementAnswer } from '../src/core/scoring/answers';
import { scoreEvaluation } from '../src/core/scoring/engine';
import type { ScoreResult } from '../src/core/scoring/types';
import { validateAnswers } from '../src/core/scoring/validate';

/** The example answers of each built-in framework (templates/examples). */
function exampleAnswers(framework: Framework): Answers {
  for (const name of readdirSync('templates/examples')) {
    const data = JSON.parse(readFileSync(`templates/examples/${name}`, 'utf8')) as { framework?: string };
    if (data.framework !== framework.id) continue;
    const v = validateAnswers(framework, data);
    if (!v.ok) throw new Error(v.problems.join('\n'));
    return v.answers;
  }
  throw new Error(`no example answers for ${framework.id}`);
}

function leavesOf(framework: Framework): Indicator[] {
  const out: Indicator[] = [];
  const visit = (i: Indicator) => (i.children.length ? i.children.forEach(visit) : i.rule && out.push(i));
  framework.indicators.forEach(visit);
  return out;
}

function allCodes(framework: Framework): string[] {
  const out: string[] = [];
  const visit = (i: Indicator) => {
    out.push(i.code);
    i.children.forEach(visit);
  };
  framework.indicators.forEach(visit);
  return out;
}

/** An answer a person could give to a leaf's own question, by the rule's kind. */
function answerFor(ind: Indicator, pick: number): JudgementAnswer {
  const rule = ind.rule!;
  switch (rule.kind) {
    case 'graded': {
      const level = rule.levels[pick % rule.levels.length]!;
      return level.score === undefined ? { level: level.label, score: Math.round(ind.points * (level.minShare ?? 0) * 100) / 100 } : { level: level.label };
    }
    case 'checklist':
      return rule.items.filter((_, i) => (pick >> i) & 1).map((i) => i.key);
    case 'per_violation':
      return pick % 4;
    case 'discretionary':
      return { score: Math.round(((pick % 11) / 10) * ind.points * 100) / 100, reason: '酌情扣分' };
    default:
      return pick % 2 === 0 ? true : { value: false, reason: '未达到' };
  }
}

/** Where two results differ (an indicator's code or a field), briefly: the whole results are long. */
function firstDifference(a: ScoreResult, b: ScoreResult): string | undefined {
  for (let i = 0; i < Math.max(a.indicators.length, b.indicators.length); i++) {
    const x = JSON.stringify(a.indicators[i]);
    const y = JSON.stringify(b.indicators[i]);
    if (x !== y) return `indicator ${b.indicators[i]?.code ?? a.indicators[i]?.code}: ${x} ≠ ${y}`;
  }
  for (const key of Object.keys(b) as Array<keyof ScoreResult>) {
    if (key !== 'indicators' && JSON.stringify(a[key]) !== JSON.stringify(b[key])) return `${key}: ${JSON.stringify(a[key])} ≠ ${JSON.stringify(b[key])}`;
  }
  return undefined;
}

type Edit = (a: Answers, fw: Framework) => void;

/** One random change to the answers, drawn from everything scoring reads. */
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.tuple(fc.nat(), fc.nat()).map(([i, pick]): Edit => (a, fw) => {
    const leaves = leavesOf(fw);
    const leaf = leaves[i % leaves.length]!;
    a.judgements = { ...a.judgements, [leaf.code]: answerFor(leaf, pick) };
  }),
  fc.nat().map((i): Edit => (a, fw) => {
    const leaves = leavesOf(fw);
    const { [leaves[i % leaves.length]!.code]: _, ...rest } = a.judgements ?? {};
    a.judgements = rest;
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 200_000 }), fc.boolean()).map(([i, cents, remove]): Edit => (a, fw) => {
    const key = fw.facts[i % fw.facts.length]?.key;
    if (!key) return;
    const facts = { ...a.facts };
    if (remove) delete facts[key];
    else facts[key] = cents / 100;
    a.facts = facts;
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 10_000 }), fc.boolean(), fc.boolean()).map(([i, cents, remove, useDirect]): Edit => (a, fw) => {
    const direct = fw.metrics.filter((m) => m.directAllowed);
    const m = direct[i % Math.max(1, direct.length)];
    if (!m) return;
    const metrics = { ...a.metrics };
    if (remove) delete metrics[m.key];
    else metrics[m.key] = cents / 100;
    a.metrics = metrics;
    a.metricChoice = { ...a.metricChoice, [m.key]: useDirect ? 'direct' : 'computed' };
  }),
  fc.tuple(fc.nat(), fc.boolean()).map(([i, remove]): Edit => (a, fw) => {
    const codes = allCodes(fw);
    const code = codes[i % codes.length]!;
    const na = { ...a.notApplicable };
    if (remove) delete na[code];
    else na[code] = '本年度未发生';
    a.notApplicable = na;
  }),
  // Key tasks, some measured against a target (their achieved value is read as a quantity).
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 4 }), fc.boolean()).map(([i, count, measured]): Edit => (a, fw) => {
    const slots = allCodes(fw).filter((c) => fw.byCode.get(c)?.keyTasks);
    const slot = slots[i % Math.max(1, slots.length)];
    if (!slot) return;
    a.keyTasks = {
      ...a.keyTasks,
      [slot]: Array.from({ length: count }, (_, k) => ({ name: `重点工作${k + 1}`, points: 2 + (i % 3), ...(measured && k % 2 === 0 ? { target: 90 } : {}) })),
    };
  }),
  // An answer to a key task: its achieved value, or yes/no.
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 120 })).map(([i, k, actual]): Edit => (a, fw) => {
    const slots = allCodes(fw).filter((c) => fw.byCode.get(c)?.keyTasks);
    const slot = slots[i % Math.max(1, slots.length)];
    if (!slot) return;
    a.judgements = { ...a.judgements, [`${slot}${k}`]: i % 3 === 0 ? { value: actual > 60 } : { actual } };
  }),
  fc.nat().map((i): Edit => (a, fw) => {
    const check = fw.checks[i % Math.max(1, fw.checks.length)];
    if (!check) return;
    const confirmed = new Set(a.confirmedChecks ?? []);
    if (confirmed.has(check.key)) confirmed.delete(check.key);
    else confirmed.add(check.key);
    a.confirmedChecks = [...confirmed];
  }),
);

describe('scoring with the previous result', () => {
  it.each(BUILTIN_FRAMEWORK_IDS.map((id) => [id]))('gives what scoring from scratch gives, after any changes (%s)', (id) => {
    const fw = loadBuiltinFramework(id)!;
    const start = exampleAnswers(fw);
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 12 }), (edits) => {
        const answers = structuredClone(start);
        let previous = scoreEvaluation(fw, answers);
        for (const e of edits) {
          // Edited in place, as the chat does, and on a fresh copy, as after reading the store.
          e(answers, fw);
          const copy = structuredClone(answers);
          const incremental = scoreEvaluation(fw, copy, previous);
          expect(firstDifference(incremental, scoreEvaluation(fw, copy))).toBeUndefined();
          previous = incremental;
        }
      }),
      { numRuns: 60 },
    );
  });

  it('reuses the entries of the leaves whose inputs did not change', () => {
    const fw = loadBuiltinFramework('nanjing-2021')!;
    const answers = exampleAnswers(fw);
    const before = scoreEvaluation(fw, answers);
    const next = structuredClone(answers);
    next.judgements = { ...next.judgements, A11: { value: false, reason: '制度不健全' } };
    // A figure that one metric and its indicators read.
    next.facts = { ...next.facts, spending: (next.facts!.spending ?? 0) + 100 };
    const after = scoreEvaluation(fw, next, before);
    const old = new Map(before.indicators.map((i) => [i.code, i]));
    const changed = after.indicators.filter((i) => !i.children.length && old.get(i.code) !== i).map((i) => i.code);
    const kept = after.indicators.filter((i) => !i.children.length && old.get(i.code) === i).length;
    // A11 and the indicators of the spending figure are new; every other leaf is the same object.
    expect(changed).toContain('A11');
    expect(changed.length).toBeGreaterThan(1);
    expect(changed.length).toBeLessThan(8);
    expect(kept).toBe(after.indicators.filter((i) => !i.children.length).length - changed.length);
    expect(kept).toBeGreaterThan(20);
    expect(after.indicators.find((i) => i.code === 'A11')!.score).toBe(0);
  });
});

describe('the indicator tree of an evaluation', () => {
  it('follows key tasks changed in place in the same answers object', () => {
    const fw = loadBuiltinFramework('nanjing-2021')!;
    const answers = exampleAnswers(fw);
    answers.keyTasks = { C1: [{ name: '党建工作', points: 10 }] };
    const before = scoreEvaluation(fw, answers);
    expect(before.indicators.filter((i) => i.parent === 'C1').map((i) => i.name)).toEqual(['党建工作']);
    // The chat replaces a slot's list inside the same keyTasks object.
    answers.keyTasks.C1 = [
      { name: '党建工作', points: 10 },
      { name: '业务工作', points: 10 },
    ];
    const after = scoreEvaluation(fw, answers, before);
    expect(after.indicators.filter((i) => i.parent === 'C1').map((i) => i.name)).toEqual(['党建工作', '业务工作']);
    expect(firstDifference(after, scoreEvaluation(fw, structuredClone(answers)))).toBeUndefined();
  });
});
