/**
 * The figure check of a drafted section: every number a draft states must be one the scored state
 * holds, so a model that invents a figure (a rate nobody entered, a count, a date) is caught before
 * anyone sees its draft.
 *
 * What counts as a number, and when two are the same:
 * - Arabic numbers with decimals and thousands separators ("5,959.46", "98.50"), full-width digits
 *   included; equal when their decimal values are equal (98.5 = 98.50), sign ignored ("下降98.44%"
 *   states −98.44 %).
 * - Percentages ("85.72%", "百分之八十五点七二"): the number before the sign, as metrics keep it;
 *   a fraction of the state (0.8572) matches too.
 * - Money: 元, 万元 and 亿元 convert into one another (59594600元 = 5959.46万元 = 0.595946亿元).
 * - Chinese numerals when they count something (三项, 五个处室, 两次, 百分之九十), not in ordinals
 *   (第三), enumerations (一是, 二、, （一）, 一方面), a lone 一 (an article: 一套制度), words (进一步,
 *   统一, 一般) or set phrases (四个意识, 三重一大; see vocabulary `NUMERAL_SET_PHRASES`).
 * - List numbering is not a figure: "1." "1、" "(1)" "（1）" at the start of a line or after a full stop.
 * - Years are numbers like any other: the state's own year and the years next to it (last year's
 *   comparison, next year's plans) are allowed with `years`, any other year only when the state
 *   mentions it.
 * Nothing is rounded: 85.7 for 85.72 is not the state's figure.
 *
 * Pure: no I/O.
 *
 * @example checkFigures('预算执行率为85.72%。', allowedFigures(['预算执行率：85.72%'])) // { ok: true }
 */
import { Big } from '../decimal';
import { parseChineseNumber } from '../import/numerals';
import { ENUMERATION_SUFFIXES, NUMERAL_MEASURE_WORDS, NUMERAL_SET_PHRASES, ORDINAL_PREFIXES } from '../dialog/vocabulary';

/** A number found in a text. */
export interface FoundFigure {
  /** As written ("5,959.46万元", "百分之九十", "三项"). */
  text: string;
  /** The value, as a canonical decimal string without sign ("5959.46", "90", "3"). */
  value: string;
  /** The unit written after it, when it is one the check converts: %, 元, 万元, 亿元. */
  unit?: '%' | '元' | '万元' | '亿元';
  /** Where it starts in the text. */
  index: number;
}

/** The numbers a draft may state: canonical decimal strings. */
export interface AllowedFigures {
  values: ReadonlySet<string>;
}

/** The outcome of a check: the figures not in the state, each once, in the order written. */
export type FigureCheck = { ok: true } | { ok: false; unknown: FoundFigure[] };

const CN_DIGITS = '零〇一二两三四五六七八九十百千万亿';
const CN_NUMERAL = new RegExp(`百分之[${CN_DIGITS}点]+|[${CN_DIGITS}]+(?:点[${CN_DIGITS}]+)?`, 'g');
const ARABIC = /\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?/g;

/**
 * Full-width digits, point, percent sign and brackets as ASCII, one unit for one (indices stay). The
 * full-width comma stays: "100，200项" is two numbers, not 100200.
 */
function halfWidthDigits(text: string): string {
  return text.replace(/[０-９．％（）]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
}

/** True when the number at `index` opens an item: only spaces and an opening bracket since a line start or a full stop. */
function opensItem(text: string, index: number): boolean {
  let i = index - 1;
  if (text[i] === '(') i--;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  return i < 0 || '\n。；;：:'.includes(text[i]!);
}

/** Canonical decimal string of a value (no trailing zeros, no sign). */
function canonical(v: Big): string {
  return v.abs().toString();
}

function bigOf(s: string): Big | undefined {
  try {
    return new Big(s.replace(/,/g, ''));
  } catch {
    return undefined;
  }
}

/** A Chinese numeral with 万 and 亿 ("一万二千", "三点五亿"), or undefined. */
function parseChineseBig(s: string): Big | undefined {
  const yi = s.split('亿');
  if (yi.length > 2) return undefined;
  if (yi.length === 2) {
    const high = yi[0] ? parseChineseBig(yi[0]) : undefined;
    const low = yi[1] ? parseChineseBig(yi[1]) : new Big(0);
    return high && low ? high.times(1e8).plus(low) : undefined;
  }
  const wan = s.split('万');
  if (wan.length > 2) return undefined;
  if (wan.length === 2) {
    const high = wan[0] ? parseChineseNumber(wan[0]) : undefined;
    const low = wan[1] ? parseChineseNumber(wan[1]) : 0;
    return high !== undefined && low !== undefined ? new Big(high).times(1e4).plus(low) : undefined;
  }
  const v = parseChineseNumber(s);
  return v === undefined ? undefined : new Big(v);
}

/** The unit written right after a number, as the check converts it. */
function unitAt(text: string, end: number): FoundFigure['unit'] {
  const rest = text.slice(end, end + 3);
  if (/^\s*%/.test(rest)) return '%';
  if (/^\s*万元/.test(rest)) return '万元';
  if (/^\s*亿元/.test(rest)) return '亿元';
  if (/^\s*元/.test(rest)) return '元';
  return undefined;
}

/** The text with set phrases blanked out (same length, so indices stay). */
function blankSetPhrases(text: string): string {
  let s = text;
  for (const p of NUMERAL_SET_PHRASES) s = s.split(p).join('\u3000'.repeat(p.length));
  return s;
}

/**
 * Every number a text states, as the check reads it (see the module's notes). List numbers, ordinals
 * and enumerations are left out.
 */
export function extractFigures(input: string): FoundFigure[] {
  // Full-width digits and signs as ASCII (one unit for one, so indices stay).
  const text = blankSetPhrases(halfWidthDigits(input));
  const found: FoundFigure[] = [];
  for (const m of text.matchAll(ARABIC)) {
    const index = m.index!;
    const end = index + m[0].length;
    const before = text.slice(Math.max(0, index - 2), index);
    const after = text.slice(end, end + 2);
    // Part of a longer token (a code such as A11, a version v2): not a figure of the prose.
    if (/[A-Za-z_]$/.test(before) || /^[A-Za-z_]/.test(after)) continue;
    if (ORDINAL_PREFIXES.some((p) => before.endsWith(p))) continue;
    // "1." "1、" "(1)" "（1）" opening an item.
    if (opensItem(text, index) && /^([.、)]|\s)/.test(after) && !/^\.\d/.test(after)) continue;
    const v = bigOf(m[0]);
    if (!v) continue;
    const unit = unitAt(text, end);
    found.push({ text: text.slice(index, end) + (unit ?? ''), value: canonical(v), ...(unit ? { unit } : {}), index });
  }
  for (const m of text.matchAll(CN_NUMERAL)) {
    const index = m.index!;
    const raw = m[0];
    const end = index + raw.length;
    if (raw.startsWith('百分之')) {
      const v = parseChineseBig(raw.slice(3));
      if (v) found.push({ text: raw, value: canonical(v), unit: '%', index });
      continue;
    }
    const before = text.slice(Math.max(0, index - 1), index);
    const after = text.slice(end);
    if (ORDINAL_PREFIXES.some((p) => before.endsWith(p))) continue;
    if (ENUMERATION_SUFFIXES.some((s) => after.startsWith(s))) continue;
    // （一）, (三) as headings.
    if (before === '(' && after.startsWith(')')) continue;
    // A lone 一 is an article (一套制度, 一批项目); other lone numerals count only before a measure word.
    if (raw === '一') continue;
    const unit = unitAt(text, end);
    if (!unit && !(after[0] !== undefined && NUMERAL_MEASURE_WORDS.includes(after[0]))) continue;
    const v = parseChineseBig(raw);
    if (!v) continue;
    found.push({ text: raw + (unit ?? after[0]), value: canonical(v), ...(unit ? { unit } : {}), index });
  }
  return found.sort((a, b) => a.index - b.index);
}

/**
 * The numbers a draft may state: every number in the state's texts (read as `extractFigures` reads
 * them, list numbers included), plus `numbers` (raw values) and `years`.
 */
export function allowedFigures(texts: readonly string[], numbers: readonly number[] = [], years: readonly number[] = []): AllowedFigures {
  const values = new Set<string>();
  const add = (v: Big | undefined) => {
    if (v) values.add(canonical(v));
  };
  for (const t of texts) {
    for (const f of extractFigures(t)) values.add(f.value);
    // List numbers and ordinals of the state's own text are numbers it states too.
    for (const m of halfWidthDigits(t).matchAll(ARABIC)) add(bigOf(m[0]));
  }
  for (const n of [...numbers, ...years]) if (Number.isFinite(n)) add(new Big(n));
  return { values };
}

/** The values a written figure may stand for: itself, and its conversions for money and percentages. */
function candidates(f: FoundFigure): string[] {
  const v = new Big(f.value);
  switch (f.unit) {
    case '%':
      return [v, v.div(100)].map(canonical);
    case '元':
      return [v, v.div(1e4), v.div(1e8)].map(canonical);
    case '万元':
      return [v, v.times(1e4), v.div(1e4)].map(canonical);
    case '亿元':
      return [v, v.times(1e4), v.times(1e8)].map(canonical);
    default:
      return [canonical(v)];
  }
}

/** Checks a draft: every number it states must be among the allowed figures. */
export function checkFigures(draft: string, allowed: AllowedFigures): FigureCheck {
  const unknown: FoundFigure[] = [];
  const seen = new Set<string>();
  for (const f of extractFigures(draft)) {
    if (candidates(f).some((c) => allowed.values.has(c))) continue;
    if (seen.has(f.text)) continue;
    seen.add(f.text);
    unknown.push(f);
  }
  return unknown.length ? { ok: false, unknown } : { ok: true };
}
