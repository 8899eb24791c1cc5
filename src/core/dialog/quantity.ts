/**
 * Reading a figure the way a careful clerk would: the whole reply must be understood, or nothing is taken.
 *
 * A reply holds at most one figure: an Arabic number (6,091.91 · 5 959.46 · ６０９１．９１), a Chinese
 * numeral (五千九百五十九点四六), or 百分之… ; with multipliers (万, 亿) and a unit that must belong to the
 * question's family (money: 元/千元/万元/亿元; a percentage; points 分; counts 例/次/个…). A qualifier
 * (以上, 不低于, 超过, 约, 左右…) turns the figure into bounds or marks it approximate; 「没有具体数字」 says
 * there is no figure. Text before the figure may name it ("截至年底支出"), text after it is a remark.
 * `1e309`, `0x10`, `1.2.3`, two figures in one reply, a percentage to a money question: not understood.
 */
import type { Bounds } from '../framework/schema';
import { readingText as R } from '../locale/zh-CN';
import { COUNT_UNITS, DECREASE_WORDS, FILLER_BEFORE_NUMBER, INCREASE_WORDS, MONEY_UNITS, NO_FIGURE_WORDS, OTHER_UNITS, PERCENT_BEFORE, QUALIFIERS, REMARK_LABELS } from './vocabulary';

/** What a reply said about a figure. Exactly one of `value`, `bounds` or `noFigure` is set. */
export interface QuantityReading {
  /** The figure in the question's unit. */
  value?: number;
  /** A figure given as a range ("90%以上" → { gte: 90 }), in the question's unit. */
  bounds?: Bounds;
  /** "约85%", "85%左右": `value` is approximate. */
  approximate?: boolean;
  /** 「没有具体数字」: the unit has no figure; `bounds` may still carry a conclusion given with it. */
  noFigure?: boolean;
  /** What followed the figure (evidence, a remark, a conclusion in words), as typed. */
  rest: string;
  /** The qualifier word as typed ("以上"), for messages. */
  qualifier?: string;
}

export type QuantityResult = ({ ok: true } & QuantityReading) | { ok: false; error: string };

type Family = 'money' | 'percent' | 'points' | 'count' | 'plain';


/** The family of a question's unit. */
export function unitFamily(unit: string): Family {
  if (unit in MONEY_UNITS) return 'money';
  if (unit === '%' || unit === '％') return 'percent';
  if (unit === '分') return 'points';
  if ((COUNT_UNITS as readonly string[]).includes(unit)) return 'count';
  return 'plain';
}

const FULL_WIDTH_FORMS = /[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A\uFF05\uFF0B\uFF0D\uFF0E\uFF1C\uFF1E\uFF1D]/g;

/** Full-width digits, letters and number signs to ASCII, one character for one (so offsets hold). */
function recognisingForm(text: string): string {
  return text.replace(FULL_WIDTH_FORMS, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, ' ');
}

const CN_DIGIT: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const CN_SMALL: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };

/**
 * A Chinese numeral with 万/亿 sections and decimals after 点, as a decimal string (exact):
 * 五千九百五十九点四六 → "5959.46", 六千零九十一万 → "60910000", 十二 → "12". Undefined if malformed.
 */
export function chineseNumeral(s: string): string | undefined {
  const [intPart, frac, extra] = s.split('点');
  if (extra !== undefined || intPart === undefined) return undefined;
  if (frac !== undefined && (!frac || [...frac].some((c) => !(c in CN_DIGIT)))) return undefined;
  let total = 0n;
  let section = 0n;
  let digit: bigint | undefined;
  let lastSmall = 10000n;
  let lastBig = 10n ** 20n;
  for (const ch of intPart) {
    if (ch in CN_DIGIT) {
      if (digit !== undefined && CN_DIGIT[ch] !== 0 && digit !== 0n) return undefined; // "九九"
      digit = BigInt(CN_DIGIT[ch]!);
    } else if (ch in CN_SMALL) {
      const u = BigInt(CN_SMALL[ch]!);
      if (u >= lastSmall) return undefined; // "十百"
      section += (digit ?? 1n) * u;
      digit = undefined;
      lastSmall = u;
    } else if (ch === '万' || ch === '亿') {
      const u = ch === '万' ? 10000n : 100000000n;
      if (u >= lastBig && !(ch === '亿' && lastBig === 10000n)) return undefined;
      section += digit ?? 0n;
      if (section === 0n && total === 0n) return undefined;
      total = ch === '亿' ? (total + section) * u : total + section * u;
      section = 0n;
      digit = undefined;
      lastSmall = 10000n;
      lastBig = u;
    } else return undefined;
  }
  section += digit ?? 0n;
  const whole = (total + section).toString();
  if (!intPart && frac === undefined) return undefined;
  return frac ? `${whole}.${[...frac].map((c) => CN_DIGIT[c]).join('')}` : whole;
}

/** Multiplies a decimal string by 10^exp exactly, giving a number. */
function shift(decimal: string, exp: number): number {
  return Number(`${decimal}e${exp}`);
}

interface Figure {
  start: number;
  end: number;
  /** The number as a decimal string, multipliers (万/亿/千 inside the numeral) already applied as `exp`. */
  digits: string;
  exp: number;
  percentBefore: boolean;
  negative: boolean;
  /** Inside （…）: a breakdown or workings after the figure, not the answer. */
  inParens: boolean;
  /** Written with a multiplier (万, 亿, 千): a money figure in 元 unless a unit follows. */
  scaled: boolean;
}

const ARABIC = /([+\-−]?)(\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d{1,3}(?: \d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)/y;
const CN_RUN = /[零〇一二两三四五六七八九十百千万亿点]+/y;
/** After a number: these make it part of something else (1.2.3, 1e309, 0x10, 2024年, 1号). */
const GLUED = /^(?:\.\d|[A-Za-z]|\d)/;
const NOT_A_FIGURE_AFTER = /^ ?(?:年|月|日|号|届|季度|号文|周年)/;

/** Finds the figures in a reply (dates, document numbers and text inside 《》〔〕 are not figures). */
function findFigures(t: string): Figure[] | 'garbled' {
  const out: Figure[] = [];
  let depth = 0;
  let parens = 0;
  for (let i = 0; i < t.length; ) {
    const c = t[i]!;
    if (c === '《' || c === '〔' || c === '[' || c === '【') depth++;
    if ((c === '》' || c === '〕' || c === ']' || c === '】') && depth > 0) depth--;
    if (c === '(' || c === '（') parens++;
    if ((c === ')' || c === '）') && parens > 0) parens--;
    let percentBefore = false;
    let j = i;
    if (t.startsWith(PERCENT_BEFORE, i)) {
      percentBefore = true;
      j = i + PERCENT_BEFORE.length;
    }
    ARABIC.lastIndex = j;
    const a = /[\d.+\-−]/.test(t[j] ?? '') ? ARABIC.exec(t) : null;
    if (a && a.index === j && /\d/.test(a[0])) {
      // A sign counts only at the start or after a space or punctuation ("-5", not "2024-5").
      const signOk = !a[1] || j === 0 || /[\s,，:：;；(（]/.test(t[j - 1]!);
      if (!signOk) {
        i = j + 1;
        continue;
      }
      let end = j + a[0].length;
      // A spaced-thousands reading must end the number: "5 959.46" yes, "5 9" no.
      let digits = a[2]!.replace(/[,， ]/g, '');
      if (/ /.test(a[2]!) && /^\d/.test(t.slice(end))) return 'garbled';
      if (GLUED.test(t.slice(end))) return 'garbled';
      let exp = 0;
      // Multipliers after an Arabic number: 6091.91万, 1.2亿, 5千 (not 千元, which is a unit).
      for (;;) {
        const rest = t.slice(end);
        if (rest.startsWith('亿')) (exp += 8), (end += 1);
        else if (rest.startsWith('万') && !rest.startsWith('万元')) (exp += 4), (end += 1);
        else if (rest.startsWith('万元')) break;
        else if (rest.startsWith('千') && !rest.startsWith('千元')) (exp += 3), (end += 1);
        else break;
      }
      if (depth === 0 && !NOT_A_FIGURE_AFTER.test(t.slice(end)) && t[i - 1] !== '第') {
        out.push({ start: i, end, digits, exp, percentBefore, negative: a[1] === '-' || a[1] === '−', inParens: parens > 0, scaled: exp > 0 });
      }
      i = end;
      continue;
    }
    CN_RUN.lastIndex = j;
    const m = CN_RUN.exec(t);
    if (m && m.index === j) {
      const run = m[0];
      // A Chinese numeral counts when it is clearly a figure: after 百分之, before a unit, or the whole reply.
      const after = t.slice(j + run.length);
      const unitAfter = /^(?:%|‰|个百分点|元|万元|亿元|千元|分)/.test(after) || COUNT_UNITS.some((u) => after.startsWith(u));
      let body = run;
      let exp = 0;
      // "…万元": the 万 belongs to the unit.
      if (after.startsWith('元') && /[万亿千]$/.test(body)) {
        const last = body.slice(-1);
        body = body.slice(0, -1);
        exp = last === '亿' ? 8 : last === '万' ? 4 : 3;
      } else if (/点.*[万亿]$/.test(body)) {
        // "六千零九十一点九一万": a decimal followed by its multiplier.
        exp = body.endsWith('亿') ? 8 : 4;
        body = body.slice(0, -1);
      }
      const whole = percentBefore || unitAfter || (j === 0 && after.trim() === '');
      const value = whole && body ? chineseNumeral(body) : undefined;
      if (value !== undefined && depth === 0 && !NOT_A_FIGURE_AFTER.test(after) && t[i - 1] !== '第') {
        out.push({ start: i, end: j + run.length, digits: value, exp, percentBefore, negative: false, inParens: parens > 0, scaled: exp > 0 || /[万亿]/.test(body) });
      }
      i = j + run.length;
      continue;
    }
    i++;
  }
  return out;
}

const before = (k: keyof typeof QUALIFIERS): readonly string[] => QUALIFIERS[k].before;
const after = (k: keyof typeof QUALIFIERS): readonly string[] => QUALIFIERS[k].after;
const QUALIFIER_KINDS = Object.keys(QUALIFIERS) as Array<keyof typeof QUALIFIERS>;

function longestPrefix(s: string, words: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const w of words) if (w && s.startsWith(w) && (!best || w.length > best.length)) best = w;
  return best;
}
function longestSuffix(s: string, words: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const w of words) if (w && s.endsWith(w) && (!best || w.length > best.length)) best = w;
  return best;
}

const NEGATION_IN_LABEL = /[不没未无非否]|\?|？|吗/;
const SEPARATOR = /^[\s,，;；。.、:：!！)）]+/;

/** Strips a remark label ("依据：") from the start of a remark. */
function remark(text: string): string {
  let r = text.replace(SEPARATOR, '').trim();
  const label = longestPrefix(r, REMARK_LABELS);
  if (label) r = r.slice(label.length).replace(/^[\s:：是为]+/, '').trim();
  // Punctuation or emoji alone is no remark.
  return /[\p{L}\p{N}]/u.test(r) ? r : '';
}

/**
 * Reads a figure for a question in `unit` (万元, %, 分, 例, or '' for a bare number).
 *
 * @example readQuantity('五千九百五十九点四六万元', '万元') // { ok: true, value: 5959.46, rest: '' }
 * @example readQuantity('90%以上', '%') // { ok: true, bounds: { gte: 90 }, qualifier: '以上', rest: '' }
 */
export function readQuantity(text: string, unit: string): QuantityResult {
  const original = text.trim();
  const t = recognisingForm(original);
  const family = unitFamily(unit);
  const example = R.example(unit);
  if (!t) return { ok: false, error: R.empty(example) };

  // 「没有具体数字」, alone or before a conclusion.
  const lead = t.replace(/^[\s，,。.]+/, '');
  const noFigureWord = NO_FIGURE_WORDS.find((w) => lead.startsWith(w));
  const figures = findFigures(t);
  if (figures === 'garbled') return { ok: false, error: R.garbled(quoteOf(original), example) };
  if (noFigureWord) {
    const restText = t.slice(t.indexOf(noFigureWord) + noFigureWord.length);
    if (!figures.length) return { ok: true, noFigure: true, rest: remark(original.slice(original.length - restText.length)) };
    // "没有具体数字，满意度在90%以上": the conclusion must be a range, not a figure.
    const inner = readQuantity(original.slice(original.length - restText.length).replace(SEPARATOR, ''), unit);
    if (!inner.ok) return inner;
    if (inner.value !== undefined) return { ok: false, error: R.figureAfterNoFigure(quoteOf(original)) };
    return { ...inner, noFigure: true };
  }
  if (!figures.length) return { ok: false, error: R.noFigure(quoteOf(original), example) };
  // Workings ("531.95/535.58=99.32%"): the figure is the result after the last "=".
  const eq = Math.max(t.lastIndexOf('='), t.lastIndexOf('＝'));
  if (figures.length > 1 && eq > 0) {
    const result = readQuantity(original.slice(eq + 1), unit);
    if (!result.ok || result.value === undefined) return result.ok ? { ok: false, error: R.twoFigures(quoteOf(original), example) } : result;
    return { ...result, rest: [original.slice(0, eq).trim(), result.rest].filter(Boolean).join('，') };
  }
  // A breakdown in brackets after the figure ("5959.46万元（其中基本支出3657.88万元…）") is a remark.
  const outside = figures.filter((x) => !x.inParens);
  const chosen = outside.length === 1 ? outside : figures;
  if (chosen.length > 1) return { ok: false, error: R.twoFigures(quoteOf(original), example) };
  const f = chosen[0]!;
  if (chosen !== figures && figures.some((x) => x.start < f.start)) return { ok: false, error: R.twoFigures(quoteOf(original), example) };

  // Before the figure: a label, filler and a qualifier; nothing negative or questioning.
  let head = t.slice(0, f.start).trim();
  let qualifierKind: keyof typeof QUALIFIERS | undefined;
  let qualifier: string | undefined;
  for (let again = true; again; ) {
    again = false;
    const filler = longestSuffix(head, FILLER_BEFORE_NUMBER);
    if (filler && filler !== head) {
      head = head.slice(0, -filler.length).trim();
      again = true;
    } else if (filler) {
      head = '';
    }
    for (const k of QUALIFIER_KINDS) {
      const w = longestSuffix(head, before(k));
      if (w && !qualifierKind) {
        qualifierKind = k;
        qualifier = w;
        head = head.slice(0, -w.length).trim();
        again = true;
      }
    }
    const sep = /[\s,，:：]+$/.exec(head);
    if (sep) {
      head = head.slice(0, sep.index);
      again = true;
    }
  }
  // "减少98.44%": a decrease is a negative change (asked as "减少填负数").
  let sign = 1;
  const change = family === 'percent' ? longestSuffix(head, [...DECREASE_WORDS, ...INCREASE_WORDS]) : undefined;
  if (change) {
    if ((DECREASE_WORDS as readonly string[]).includes(change)) sign = -1;
    head = head.slice(0, -change.length).trim();
  }
  if (head && NEGATION_IN_LABEL.test(head)) return { ok: false, error: R.unclearLabel(quoteOf(original), example) };

  // After the figure: the unit, then a qualifier, then a remark.
  let tail = t.slice(f.end);
  let percent = f.percentBefore;
  let moneyExp: number | undefined;
  let countUnit = false;
  let points = false;
  const tailTrim = tail.replace(/^ /, '');
  const moneyWord = longestPrefix(tailTrim, Object.keys(MONEY_UNITS));
  if (!percent && /^(%|‰|个百分点)/.test(tailTrim)) {
    const w = /^(%|‰|个百分点)/.exec(tailTrim)![1]!;
    if (w === '‰') return { ok: false, error: R.garbled(quoteOf(original), example) };
    percent = true;
    tail = tailTrim.slice(w.length);
  } else if (moneyWord && (moneyWord.endsWith('元') || f.exp === 0)) {
    moneyExp = Math.round(Math.log10(MONEY_UNITS[moneyWord]! * 1e4));
    tail = tailTrim.slice(moneyWord.length);
  } else if (tailTrim.startsWith('分') && !tailTrim.startsWith('分之')) {
    points = true;
    tail = tailTrim.slice(1);
  } else {
    const cu = longestPrefix(tailTrim, COUNT_UNITS);
    if (cu && (unit === cu || family === 'count' || family === 'plain')) {
      countUnit = true;
      tail = tailTrim.slice(cu.length);
    } else if (unit && !['万元', '元', '亿元', '千元', '%', '分'].includes(unit) && tailTrim.startsWith(unit)) {
      countUnit = true;
      tail = tailTrim.slice(unit.length);
    }
  }
  if (!moneyWord && !percent && !points && !countUnit && longestPrefix(tailTrim, OTHER_UNITS)) return { ok: false, error: R.wrongUnit(quoteOf(original), unit, example) };
  tail = tail.replace(/^整/, '');
  for (const k of QUALIFIER_KINDS) {
    const w = longestPrefix(tail, after(k));
    if (w) {
      if (qualifierKind && qualifierKind !== k) return { ok: false, error: R.unclearLabel(quoteOf(original), example) };
      qualifierKind = k;
      qualifier = w;
      tail = tail.slice(w.length);
      break;
    }
  }
  const rest = remark(original.slice(original.length - tail.length));
  const afterFigure = tail.replace(SEPARATOR, '');
  if (/^(吗|吧|\?|？)/.test(afterFigure) || /[?？]\s*$/.test(t)) return { ok: false, error: R.unclearLabel(quoteOf(original), example) };

  // Units must fit the question.
  if (percent && family !== 'percent' && family !== 'plain') return { ok: false, error: R.percentNotWanted(quoteOf(original), unit, example) };
  if (percent && family === 'plain' && unit) return { ok: false, error: R.percentNotWanted(quoteOf(original), unit, example) };
  if (moneyExp !== undefined && family !== 'money') return { ok: false, error: R.moneyNotWanted(quoteOf(original), unit, example) };
  if (points && family !== 'points' && family !== 'plain') return { ok: false, error: R.wrongUnit(quoteOf(original), unit, example) };
  if (countUnit && (family === 'money' || family === 'percent')) return { ok: false, error: R.wrongUnit(quoteOf(original), unit, example) };
  if (f.exp && family === 'percent') return { ok: false, error: R.wrongUnit(quoteOf(original), unit, example) };

  // The value in the question's unit, exactly (through the decimal string).
  let exp = f.exp;
  if (family === 'money') {
    const target = Math.round(Math.log10(MONEY_UNITS[unit]! * 1e4)); // 万元 → 4, 元 → 0
    const given = moneyExp ?? (f.scaled ? 0 : target); // "6091.91万", "九万" are in 元 times the multiplier; a bare number is in the question's unit
    exp = f.exp + given - target;
  }
  const digits = f.digits.replace(/^0+(?=\d)/, '');
  if (digits.replace('.', '').replace(/^0+/, '').length > 15) return { ok: false, error: R.garbled(quoteOf(original), example) };
  let value = shift(digits, exp);
  if (f.negative) value = -value;
  if (sign < 0 && value > 0) value = -value;
  if (!Number.isFinite(value)) return { ok: false, error: R.garbled(quoteOf(original), example) };
  value = Number(value.toPrecision(15));

  if (!qualifierKind) return { ok: true, value, rest };
  if (qualifierKind === 'about') return { ok: true, value, approximate: true, qualifier, rest };
  const bounds: Bounds =
    qualifierKind === 'atLeast' ? { gte: value } : qualifierKind === 'above' ? { gt: value } : qualifierKind === 'atMost' ? { lte: value } : { lt: value };
  return { ok: true, bounds, qualifier, rest };
}

function quoteOf(text: string, max = 20): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : text;
}
