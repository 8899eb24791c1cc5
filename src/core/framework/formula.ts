/**
 * A small expression language for metric formulas: numbers, identifiers (fact or metric keys),
 * + − × ÷, unary minus, parentheses and min/max/abs. Parsed once at load time into an AST, evaluated
 * with decimal arithmetic; never `eval`.
 *
 * @example parseFormula('spending / (adjustedBudget + carryoverStart) * 100')
 */
import { Big } from '../decimal';

export type FormulaNode =
  | { type: 'num'; value: Big; number?: number }
  | { type: 'ref'; name: string }
  | { type: 'neg'; arg: FormulaNode }
  | { type: 'bin'; op: '+' | '-' | '*' | '/'; left: FormulaNode; right: FormulaNode }
  | { type: 'call'; fn: 'min' | 'max' | 'abs'; args: FormulaNode[] };

const FUNCTIONS = new Set(['min', 'max', 'abs']);

/** A formula that failed to parse; `position` is the character offset. */
export class FormulaSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

type Token = { t: 'num' | 'id' | 'op' | 'lp' | 'rp' | 'comma' | 'end'; v: string; pos: number };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (/[0-9.]/.test(c)) {
      const m = /^(\d+(\.\d+)?|\.\d+)/.exec(src.slice(i));
      if (!m) throw new FormulaSyntaxError(`bad number at ${i}`, i);
      tokens.push({ t: 'num', v: m[0], pos: i });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      tokens.push({ t: 'id', v: m[0], pos: i });
      i += m[0].length;
    } else if ('+-*/'.includes(c)) {
      tokens.push({ t: 'op', v: c, pos: i++ });
    } else if (c === '(') tokens.push({ t: 'lp', v: c, pos: i++ });
    else if (c === ')') tokens.push({ t: 'rp', v: c, pos: i++ });
    else if (c === ',') tokens.push({ t: 'comma', v: c, pos: i++ });
    else throw new FormulaSyntaxError(`unexpected character "${c}" at ${i}`, i);
  }
  tokens.push({ t: 'end', v: '', pos: src.length });
  return tokens;
}

/** Parses a formula; throws FormulaSyntaxError with the position of the problem. */
export function parseFormula(src: string): FormulaNode {
  const tokens = tokenize(src);
  let p = 0;
  const peek = () => tokens[p]!;
  const next = () => tokens[p++]!;
  const expect = (t: Token['t'], what: string) => {
    const tok = next();
    if (tok.t !== t) throw new FormulaSyntaxError(`expected ${what} at ${tok.pos}`, tok.pos);
    return tok;
  };

  function expr(): FormulaNode {
    let left = term();
    while (peek().t === 'op' && (peek().v === '+' || peek().v === '-')) {
      const op = next().v as '+' | '-';
      left = { type: 'bin', op, left, right: term() };
    }
    return left;
  }
  function term(): FormulaNode {
    let left = unary();
    while (peek().t === 'op' && (peek().v === '*' || peek().v === '/')) {
      const op = next().v as '*' | '/';
      left = { type: 'bin', op, left, right: unary() };
    }
    return left;
  }
  function unary(): FormulaNode {
    if (peek().t === 'op' && peek().v === '-') {
      next();
      return { type: 'neg', arg: unary() };
    }
    if (peek().t === 'op' && peek().v === '+') {
      next();
      return unary();
    }
    return primary();
  }
  function primary(): FormulaNode {
    const tok = next();
    if (tok.t === 'num') return { type: 'num', value: new Big(tok.v) };
    if (tok.t === 'lp') {
      const e = expr();
      expect('rp', '")"');
      return e;
    }
    if (tok.t === 'id') {
      if (peek().t === 'lp') {
        if (!FUNCTIONS.has(tok.v)) throw new FormulaSyntaxError(`unknown function "${tok.v}"`, tok.pos);
        next();
        const args = [expr()];
        while (peek().t === 'comma') {
          next();
          args.push(expr());
        }
        expect('rp', '")"');
        if (tok.v === 'abs' && args.length !== 1) throw new FormulaSyntaxError('abs takes one argument', tok.pos);
        return { type: 'call', fn: tok.v as 'min' | 'max' | 'abs', args };
      }
      return { type: 'ref', name: tok.v };
    }
    throw new FormulaSyntaxError(tok.t === 'end' ? 'unexpected end of formula' : `unexpected "${tok.v}" at ${tok.pos}`, tok.pos);
  }

  const node = expr();
  if (peek().t !== 'end') throw new FormulaSyntaxError(`unexpected "${peek().v}" at ${peek().pos}`, peek().pos);
  return node;
}

/** Every identifier a formula refers to. */
export function formulaRefs(node: FormulaNode, into: Set<string> = new Set()): Set<string> {
  switch (node.type) {
    case 'ref':
      into.add(node.name);
      break;
    case 'neg':
      formulaRefs(node.arg, into);
      break;
    case 'bin':
      formulaRefs(node.left, into);
      formulaRefs(node.right, into);
      break;
    case 'call':
      for (const a of node.args) formulaRefs(a, into);
      break;
  }
  return into;
}

/** Why a formula has no value: a missing input, or a division by zero. */
export type FormulaGap = { missing: string[] } | { divisionByZero: true };

/**
 * Evaluates a formula with decimal arithmetic. Returns the value, or what stopped it: the inputs
 * still missing (all of them), or a division by zero.
 */
export function evaluateFormula(node: FormulaNode, lookup: (name: string) => Big | undefined): Big | FormulaGap {
  const missing: string[] = [];
  let divZero = false;
  const ev = (n: FormulaNode): Big | undefined => {
    switch (n.type) {
      case 'num':
        return n.value;
      case 'ref': {
        const v = lookup(n.name);
        if (v === undefined && !missing.includes(n.name)) missing.push(n.name);
        return v;
      }
      case 'neg': {
        const v = ev(n.arg);
        return v && v.neg();
      }
      case 'bin': {
        const l = ev(n.left);
        const r = ev(n.right);
        if (!l || !r) return undefined;
        switch (n.op) {
          case '+':
            return l.plus(r);
          case '-':
            return l.minus(r);
          case '*':
            return l.times(r);
          case '/':
            if (r.eq(0)) {
              divZero = true;
              return undefined;
            }
            return l.div(r);
        }
      }
      // falls through: unreachable, every op returns
      case 'call': {
        const args = n.args.map(ev);
        if (args.some((a) => !a)) return undefined;
        const vals = args as Big[];
        if (n.fn === 'abs') return vals[0]!.abs();
        return vals.reduce((a, b) => (n.fn === 'min' ? (a.lt(b) ? a : b) : a.gt(b) ? a : b));
      }
    }
  };
  const v = ev(node);
  if (v) return v;
  if (missing.length) return { missing };
  if (divZero) return { divisionByZero: true };
  return { missing };
}

/** Renders a formula with each identifier replaced (e.g. by its Chinese label or value). */
export function renderFormula(node: FormulaNode, name: (id: string) => string): string {
  return renderNode(node, name);
}

// Module-level helpers rather than closures made per call: these run for every metric of every
// scoring, and each closure made costs a name under tsx (which keeps function names).
const SYMBOLS = { '+': ' + ', '-': ' − ', '*': ' × ', '/': ' ÷ ' } as const;

function precedence(n: FormulaNode): number {
  return n.type === 'bin' ? (n.op === '+' || n.op === '-' ? 1 : 2) : 3;
}

function renderNode(n: FormulaNode, name: (id: string) => string): string {
  switch (n.type) {
    case 'num':
      return n.value.toString();
    case 'ref':
      return name(n.name);
    case 'neg':
      return `−${wrapNode(n.arg, 3, name)}`;
    case 'call':
      return `${n.fn}(${n.args.map((a) => renderNode(a, name)).join(', ')})`;
    case 'bin': {
      const p = precedence(n);
      // the right operand of − and ÷ needs brackets at equal precedence
      const rightMin = n.op === '-' || n.op === '/' ? p + 1 : p;
      return `${wrapNode(n.left, p, name)}${SYMBOLS[n.op]}${wrapNode(n.right, rightMin, name)}`;
    }
  }
}

function wrapNode(n: FormulaNode, min: number, name: (id: string) => string): string {
  return precedence(n) < min ? `(${renderNode(n, name)})` : renderNode(n, name);
}

/** What a floating-point evaluation has met so far: the inputs missing, a division by zero. */
interface NumberEvaluation {
  lookup: (name: string) => number | undefined;
  missing: string[] | undefined;
  divZero: boolean;
}

/**
 * Evaluates a formula in binary floating point: fast, and exact enough wherever the result is then
 * rounded away from a tie (see `roundDecimal`). Same gaps as `evaluateFormula`.
 */
export function evaluateFormulaNumber(node: FormulaNode, lookup: (name: string) => number | undefined): number | FormulaGap {
  const state: NumberEvaluation = { lookup, missing: undefined, divZero: false };
  const v = evaluateNumber(node, state);
  if (state.missing) return { missing: state.missing };
  if (state.divZero) return { divisionByZero: true };
  return v;
}

function evaluateNumber(n: FormulaNode, state: NumberEvaluation): number {
  switch (n.type) {
    case 'num':
      return n.number ?? (n.number = n.value.toNumber());
    case 'ref': {
      const v = state.lookup(n.name);
      if (v === undefined) {
        state.missing ??= [];
        if (!state.missing.includes(n.name)) state.missing.push(n.name);
        return NaN;
      }
      return v;
    }
    case 'neg':
      return -evaluateNumber(n.arg, state);
    case 'bin': {
      const l = evaluateNumber(n.left, state);
      const r = evaluateNumber(n.right, state);
      switch (n.op) {
        case '+':
          return l + r;
        case '-':
          return l - r;
        case '*':
          return l * r;
        case '/':
          if (r === 0) {
            state.divZero = true;
            return NaN;
          }
          return l / r;
      }
    }
    // falls through: unreachable, every op returns
    case 'call': {
      const vals = n.args.map((a) => evaluateNumber(a, state));
      if (n.fn === 'abs') return Math.abs(vals[0]!);
      return n.fn === 'min' ? Math.min(...vals) : Math.max(...vals);
    }
  }
}

/**
 * Rounds half up to `decimals` places and returns the double nearest the decimal result, or undefined
 * when the value is too close to a tie (or too large) for floating point to be trusted: the caller then
 * computes it in decimal.
 */
export function roundDecimal(v: number, decimals: number): number | undefined {
  const p = 10 ** decimals;
  const scaled = v * p;
  if (!Number.isFinite(scaled) || Math.abs(scaled) > 1e14) return undefined;
  const frac = Math.abs(scaled) % 1;
  if (Math.abs(frac - 0.5) < 1e-6) return undefined;
  const rounded = Math.sign(scaled) * Math.round(Math.abs(scaled));
  return (rounded === 0 ? 0 : rounded) / p;
}
