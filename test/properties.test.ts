/**
 * Properties of scoring that must hold for every framework and every answer: scores stay within
 * their points, parents are exactly the sum of their children, the base never exceeds its full mark,
 * and decimal points add up without binary floating-point artefacts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadFramework } from '../src/core/framework/load';
import type { IndicatorInput, Rule } from '../src/core/framework/schema';
import type { Answers } from '../src/core/scoring/answers';
import { scoreEvaluation } from '../src/core/scoring/engine';
import type { ScoreResult } from '../src/core/scoring/types';
import { miniFrameworkData, scoreLeaf } from './helpers/mini-framework';

/** Numbers with at most `d` decimals in [lo, hi], as people type them. */
const decimal = (lo: number, hi: number, d = 2) =>
  fc.integer({ min: Math.round(lo * 10 ** d), max: Math.round(hi * 10 ** d) }).map((n) => n / 10 ** d);
const points = fc.constantFrom(0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.1, 1.5, 2, 2.5, 3, 4, 5, 10, 30);
/** Hundredths as an integer: compares decimals exactly. */
const cents = (x: number) => Math.round(x * 100);
/** True when x is printed with at most 2 decimals and no artefacts (0.30000000000000004 fails). */
const exact2 = (x: number) => Number(x.toFixed(2)) === x && String(x).replace(/^-?\d+\.?/, '').length <= 2;

const stepsRule: fc.Arbitrary<Rule> = fc
  .record({
    direction: fc.constantFrom('higher' as const, 'lower' as const),
    edge: decimal(-50, 150),
    inclusive: fc.boolean(),
    step: fc.constantFrom(0.5, 1, 2, 5),
    deduct: fc.constantFrom(0.1, 0.2, 0.5, 1, 2),
    partial: fc.constantFrom('ceil' as const, 'floor' as const, 'proportional' as const),
    cut: fc.option(decimal(0, 60), { nil: undefined }),
  })
  .map(({ direction, edge, inclusive, step, deduct, partial, cut }) => {
    const full = direction === 'higher' ? (inclusive ? { gte: edge } : { gt: edge }) : inclusive ? { lte: edge } : { lt: edge };
    const cutoff = cut === undefined ? undefined : direction === 'higher' ? { lt: edge - cut } : { gt: edge + cut };
    return { kind: 'steps', metric: 'rate', direction, full, step, deduct, partial, ...(cutoff ? { cutoff } : {}) } as Rule;
  });

const proportionalRule: fc.Arbitrary<Rule> = fc
  .record({ direction: fc.constantFrom('higher' as const, 'lower' as const), target: decimal(1, 200) })
  .map(({ direction, target }) => ({ kind: 'proportional', metric: 'rate', direction, target }));

/** Bands over ascending thresholds, each scoring a share of the points (resolved once points are known). */
const bandsRule = (p: number): fc.Arbitrary<Rule> =>
  fc
    .record({
      cuts: fc.uniqueArray(decimal(0, 100), { minLength: 1, maxLength: 5 }),
      shares: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 6, maxLength: 6 }),
      otherwise: fc.integer({ min: 0, max: 100 }),
    })
    .map(({ cuts, shares, otherwise }) => {
      const sorted = [...cuts].sort((a, b) => a - b);
      const share = (i: number) => Math.floor((p * shares[i]!) / 100 * 100) / 100;
      const bands = sorted.map((c, i) => (i + 1 < sorted.length ? { gte: c, lt: sorted[i + 1]!, score: share(i) } : { gte: c, score: share(i) }));
      return { kind: 'bands', metric: 'rate', bands, otherwise: Math.floor((p * otherwise) / 100 * 100) / 100 } as Rule;
    });

describe('a score never leaves [0, points]', () => {
  it('for steps, proportional and bands rules over any rate', () => {
    fc.assert(
      fc.property(
        points.chain((p) => fc.tuple(fc.constant(p), fc.oneof(stepsRule, proportionalRule, bandsRule(p)), decimal(-200, 300))),
        ([p, rule, v]) => {
          const e = scoreLeaf(rule, p, { metrics: { rate: v } });
          expect(e.status).toBe('complete');
          expect(e.score).toBeGreaterThanOrEqual(0);
          expect(e.score).toBeLessThanOrEqual(p);
          expect(exact2(e.score!)).toBe(true);
          expect(cents(e.lost!)).toBe(cents(p) - cents(e.score!));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('for per-violation counts (扣完为止)', () => {
    fc.assert(
      fc.property(points, fc.constantFrom(0.1, 0.5, 1, 2), fc.integer({ min: 0, max: 60 }), (p, deduct, count) => {
        const e = scoreLeaf({ kind: 'per_violation', question: '几例？', deduct, counted: '问题' }, p, { judgements: { X: count } });
        expect(e.score).toBeGreaterThanOrEqual(0);
        expect(e.score).toBeLessThanOrEqual(p);
        expect(cents(e.score!)).toBe(Math.max(0, cents(p) - count * cents(deduct)));
      }),
    );
  });
});

/** A random tree: leaves carry judgement or per-violation rules; parents' points are their children's sum. */
interface Tree {
  indicators: IndicatorInput[];
  answers: Answers;
}
const leafArb = fc.record({
  points,
  kind: fc.constantFrom('judgement' as const, 'per_violation' as const),
  yes: fc.boolean(),
  count: fc.integer({ min: 0, max: 4 }),
  deduct: fc.constantFrom(0.1, 0.2, 0.5, 1),
  na: fc.boolean(),
});
type LeafSpec = typeof leafArb extends fc.Arbitrary<infer T> ? T : never;
const treeArb: fc.Arbitrary<Tree> = fc
  .array(fc.array(fc.array(leafArb, { minLength: 0, maxLength: 3 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 })
  .chain((shape) => fc.tuple(fc.constant(shape), fc.array(leafArb, { minLength: 20, maxLength: 20 })))
  .map(([shape, spare]) => {
    const answers: Answers = { judgements: {}, notApplicable: {} };
    let n = 0;
    const makeLeaf = (code: string, s: LeafSpec): IndicatorInput => {
      const rule: Rule =
        s.kind === 'judgement'
          ? { kind: 'judgement', question: '是否？', yes: '是', no: '否' }
          : { kind: 'per_violation', question: '几例？', deduct: s.deduct, counted: '问题' };
      answers.judgements![code] = s.kind === 'judgement' ? s.yes : s.count;
      if (s.na && n++ % 3 === 0) answers.notApplicable![code] = '不涉及';
      return { code, name: `指标${code}`, points: s.points, rule };
    };
    const sumPoints = (xs: IndicatorInput[]) => xs.reduce((s, x) => s + cents(x.points), 0) / 100;
    const indicators = shape.map((level2, i) => {
      const code1 = `L${i + 1}`;
      const children = level2.map((level3, j) => {
        const code2 = `${code1}_${j + 1}`;
        if (!level3.length) return makeLeaf(code2, spare[(i * 4 + j) % spare.length]!);
        const leaves = level3.map((s, k) => makeLeaf(`${code2}_${k + 1}`, s));
        return { code: code2, name: `指标${code2}`, points: sumPoints(leaves), children: leaves };
      });
      return { code: code1, name: `指标${code1}`, points: sumPoints(children), children };
    });
    return { indicators, answers };
  });

function scoreTree(t: Tree): ScoreResult {
  const fw = loadFramework(miniFrameworkData(t.indicators), 'random.json');
  return scoreEvaluation(fw, t.answers);
}

describe('aggregation', () => {
  it('a subtotal always equals the sum of its children, and the base is the sum of level 1', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        const r = scoreTree(t);
        const byCode = new Map(r.indicators.map((i) => [i.code, i]));
        for (const i of r.indicators) {
          if (!i.children.length || i.score === null) continue;
          const kids = i.children.map((c) => byCode.get(c)!.score ?? 0);
          expect(cents(i.score)).toBe(kids.reduce((s, k) => s + cents(k), 0));
          expect(exact2(i.score)).toBe(true);
        }
        expect(cents(r.baseRaw)).toBe(r.roots.reduce((s, c) => s + cents(byCode.get(c)!.score ?? 0), 0));
      }),
      { numRuns: 300 },
    );
  });

  it('the base never exceeds basePoints, re-based or not', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        const r = scoreTree(t);
        expect(r.base).toBeGreaterThanOrEqual(0);
        expect(r.base).toBeLessThanOrEqual(r.basePoints);
        expect(r.baseRaw).toBeLessThanOrEqual(r.applicablePoints);
        if (!r.rebased) expect(r.base).toBe(r.baseRaw);
      }),
      { numRuns: 300 },
    );
  });

  it('full marks everywhere give exactly the full points (no 0.1 + 0.2 artefacts)', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        const answers: Answers = { judgements: {} };
        const fill = (ind: IndicatorInput) => {
          if (ind.children) ind.children.forEach(fill);
          else answers.judgements![ind.code] = ind.rule!.kind === 'judgement' ? true : 0;
        };
        t.indicators.forEach(fill);
        const r = scoreTree({ indicators: t.indicators, answers });
        const full = t.indicators.reduce((s, i) => s + cents(i.points), 0) / 100;
        expect(r.base).toBe(full);
        expect(r.total).toBe(full);
        for (const i of r.indicators) expect(i.score).toBe(i.points);
      }),
      { numRuns: 200 },
    );
  });
});

describe('decimal exactness', () => {
  it('adds 0.1 + 0.2 as 0.3 and 2.5 + 0.1 + 0.2 as 2.8', () => {
    const judge: Rule = { kind: 'judgement', question: '是否？', yes: '是', no: '否' };
    const fw = loadFramework(
      miniFrameworkData([
        { code: 'A', name: '甲', points: 0.3, children: [{ code: 'A1', name: '甲一', points: 0.1, rule: judge }, { code: 'A2', name: '甲二', points: 0.2, rule: judge }] },
        { code: 'B', name: '乙', points: 2.5, rule: judge },
      ]),
      'exact.json',
    );
    const r = scoreEvaluation(fw, { judgements: { A1: true, A2: true, B: true } });
    expect(r.indicators.find((i) => i.code === 'A')!.score).toBe(0.3);
    expect(r.base).toBe(2.8);
    expect(r.total).toBe(2.8);
  });

  it('computes a ratio of two-decimal figures to exactly two decimals', () => {
    fc.assert(
      fc.property(decimal(0, 100000), decimal(0.01, 100000), (actual, limit) => {
        const fw = loadFramework(miniFrameworkData([{ code: 'X', name: '测试', points: 1, rule: { kind: 'judgement', question: '?', yes: '是', no: '否' } }]), 'ratio.json');
        const r = scoreEvaluation(fw, { facts: { actual, limit } });
        const v = r.metrics.ratio!.value;
        expect(exact2(v)).toBe(true);
        // Within half a hundredth of the true ratio.
        expect(Math.abs(v - (actual / limit) * 100)).toBeLessThanOrEqual(0.005 + 1e-9);
      }),
      { numRuns: 300 },
    );
  });
});
