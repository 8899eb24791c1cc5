/** The formula language: parsing, evaluation in decimal and in floating point, rendering. */
import { describe, expect, it } from 'vitest';
import { Big } from '../src/core/decimal';
import {
  evaluateFormula,
  evaluateFormulaNumber,
  formulaRefs,
  FormulaSyntaxError,
  parseFormula,
  renderFormula,
  roundDecimal,
} from '../src/core/framework/formula';

const vals: Record<string, number> = { spending: 5959.46, adjustedBudget: 6091.91, carryoverStart: 860.29, a: 1.005, b: 100, zero: 0 };
const big = (n: string) => (vals[n] === undefined ? undefined : new Big(vals[n]!));
const num = (n: string) => vals[n];

describe('formulas', () => {
  it('parses with precedence and unary minus, and lists the references', () => {
    const f = parseFormula('spending / (adjustedBudget + carryoverStart) * 100');
    expect([...formulaRefs(f)]).toEqual(['spending', 'adjustedBudget', 'carryoverStart']);
    expect(renderFormula(f, (id) => String(vals[id]))).toBe('5959.46 ÷ (6091.91 + 860.29) × 100');
    expect(renderFormula(parseFormula('a - (b - c)'), (id) => id)).toBe('a − (b − c)');
    expect(renderFormula(parseFormula('-a + max(b, 2)'), (id) => id)).toBe('−a + max(b, 2)');
  });

  it.each(['a +', '(a', 'a b', 'eval(a)', 'a $ b', ''])('rejects %j with a position', (src) => {
    expect(() => parseFormula(src)).toThrow(FormulaSyntaxError);
  });

  it('evaluates in decimal: 0.1 + 0.2 is 0.3', () => {
    expect((evaluateFormula(parseFormula('0.1 + 0.2'), big) as Big).toString()).toBe('0.3');
  });

  it('reports every missing input and division by zero', () => {
    expect(evaluateFormula(parseFormula('x + y * spending'), big)).toEqual({ missing: ['x', 'y'] });
    expect(evaluateFormula(parseFormula('spending / zero'), big)).toEqual({ divisionByZero: true });
    expect(evaluateFormulaNumber(parseFormula('x + y'), num)).toEqual({ missing: ['x', 'y'] });
    expect(evaluateFormulaNumber(parseFormula('spending / zero'), num)).toEqual({ divisionByZero: true });
  });

  it('floating point agrees with decimal after rounding, and declines near a tie', () => {
    const f = parseFormula('spending / (adjustedBudget + carryoverStart) * 100');
    expect(roundDecimal(evaluateFormulaNumber(f, num) as number, 2)).toBe(85.72);
    // 1.005 / 100 * 100 is 1.00499999… in binary: too close to the tie to round in floating point.
    const tie = evaluateFormulaNumber(parseFormula('a / b * 100'), num) as number;
    expect(roundDecimal(tie, 2)).toBeUndefined();
    expect((evaluateFormula(parseFormula('a / b * 100'), big) as Big).round(2, Big.roundHalfUp).toString()).toBe('1.01');
    expect(roundDecimal(-98.4419, 2)).toBe(-98.44);
    expect(roundDecimal(0.0001, 2)).toBe(0);
  });
});

describe('metrics in the engine', () => {
  it('rounds a rate that lands on a tie half up, as the reports do', async () => {
    const { loadBuiltinFramework } = await import('../src/core/framework/builtin');
    const { scoreEvaluation } = await import('../src/core/scoring/engine');
    const fw = loadBuiltinFramework('nanjing-2021')!;
    for (const [spending, expected] of [[8572.5, 85.73], [1000.5, 10.01], [8999.95, 90]] as const) {
      const r = scoreEvaluation(fw, { facts: { adjustedBudget: 10000, carryoverStart: 0, spending } });
      expect(r.metrics.budgetExecutionRate!.value).toBe(expected);
    }
  });
});
