/**
 * Parsing answers the way people type them: full-width digits, thousands separators, 万元/元/亿元,
 * percentages, 是/否/有/没有, a choice by number or label, Chinese numerals, dates, and evidence
 * written after the answer. Every parser returns `{ ok, value, rest }` or `{ ok: false, error }`;
 * none throws.
 */
import { dialogText as T, readingText as R } from '../locale/zh-CN';
import { readQuantity } from './quantity';
import { readYesNo } from './yesno';

export type Parsed<V> = { ok: true; value: V; rest: string } | { ok: false; error: string };

const FULL_WIDTH = /[\uFF01-\uFF5E]/g;

/**
 * Normalises typed text: full-width ASCII to half-width (９７．８％ → 97.8%), ideographic space to
 * space, control characters removed (newlines kept), runs of spaces collapsed, trimmed.
 */
export function normaliseText(text: string): string {
  return text
    .replace(FULL_WIDTH, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ')
    .replace(/\r\n?/g, '\n')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u200B-\u200F\u2028\u2029\uFEFF]/g, '')
    .replace(/[ \t]+/g, ' ')
    .trim();
}

/** A short quote of what someone typed, for error messages. */
export function quote(text: string, max = 20): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : text;
}

const CN_DIGITS: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** Parses a Chinese numeral up to the thousands ("十二" → 12, "两" → 2, "一百零五" → 105); undefined if it is not one. */
export function parseChineseNumeral(s: string): number | undefined {
  if (!s || !/^[零〇一二两三四五六七八九十百千]+$/.test(s)) return undefined;
  let total = 0;
  let digit = 0;
  let seen = false;
  for (const ch of s) {
    if (ch in CN_DIGITS) {
      digit = CN_DIGITS[ch]!;
      seen = true;
    } else {
      const unit = ch === '十' ? 10 : ch === '百' ? 100 : 1000;
      total += (seen ? digit : 1) * unit;
      digit = 0;
      seen = false;
    }
  }
  return total + digit;
}

/** Splits the evidence or remark that follows an answer: "是，《党组工作规则》" → "《党组工作规则》". */
function restAfter(text: string, consumed: number): string {
  return text
    .slice(consumed)
    .replace(/^[\s,，;；。.、:：]+/, '')
    .replace(/^(依据|佐证|佐证材料|证明材料|备注|说明|理由|原因)[:：是为]?\s*/, '')
    .trim();
}

const NUMBER_RE = /^([+\-−]?)(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)/;
// "2. 5" (a PDF or typing artefact) is 2.5
const SPACED_DECIMAL = /^(\d+)\.\s+(\d+)/;

/** A bare number at the start of the text, with its length. */
function leadingNumber(text: string): { value: number; length: number } | undefined {
  const t = text.replace(SPACED_DECIMAL, '$1.$2');
  const shift = text.length - t.length;
  const m = NUMBER_RE.exec(t);
  if (m) {
    const sign = m[1] === '-' || m[1] === '−' ? -1 : 1;
    const value = sign * Number(m[2]!.replace(/,/g, ''));
    return Number.isFinite(value) ? { value, length: m[0].length + shift } : undefined;
  }
  const cn = /^[零〇一二两三四五六七八九十百千]+/.exec(text);
  if (cn) {
    const v = parseChineseNumeral(cn[0]);
    if (v !== undefined) return { value: v, length: cn[0].length };
  }
  return undefined;
}

/**
 * Parses an exact amount in the fact's unit (see `readQuantity` for the rules). For 万元: "6,091.91万元",
 * "6091.91万", "60919100元" (→ 6091.91) and "0.6亿" all work; for %: "97.8%" or "97.8". A range, an
 * approximate figure or 「没有具体数字」 is not an amount here.
 */
export function parseQuantity(text: string, unit: string): Parsed<number> {
  const r = readQuantity(text, unit);
  if (!r.ok) return r;
  if (r.value === undefined || r.approximate) return { ok: false, error: R.boundOnFact(quote(text.trim()), R.example(unit)) };
  return { ok: true, value: r.value, rest: r.rest };
}

/** Parses yes/no against the question's wording when given (see `readYesNo`). */
export function parseYesNo(text: string, question = ''): Parsed<boolean> {
  const r = readYesNo(text, question);
  return r.ok ? r : { ok: false, error: r.error };
}

/** Parses a choice by number ("2", "2.", "第二项") or label (exact, or a unique part of one). */
export function parseChoice(text: string, options: string[]): Parsed<string> {
  const t = normaliseText(text);
  // Options are compared in the same normal form as the text (a label's "：" reads as ":").
  const forms = options.map((o) => normaliseText(o));
  const i = forms.findIndex((o) => t === o || t.startsWith(`${o} `) || t.startsWith(`${o}，`) || t.startsWith(`${o},`));
  if (i >= 0) return { ok: true, value: options[i]!, rest: restAfter(t, forms[i]!.length) };
  const num = /^(?:第)?(\d+|[一二三四五六七八九十])(?:项|个|档)?(?:[.、):：\s，,]|$)/.exec(t);
  if (num) {
    const i = /\d/.test(num[1]!) ? Number(num[1]) : parseChineseNumeral(num[1]!)!;
    if (i >= 1 && i <= options.length) return { ok: true, value: options[i - 1]!, rest: restAfter(t, num[0].length) };
    return { ok: false, error: T.choiceOutOfRange(i, options.length) };
  }
  const partial = forms.map((o, j) => ({ o, j })).filter(({ o }) => t.includes(o) || (t.length >= 2 && o.includes(t)));
  if (partial.length === 1) {
    const { o, j } = partial[0]!;
    return { ok: true, value: options[j]!, rest: t.includes(o) ? restAfter(t, t.indexOf(o) + o.length) : '' };
  }
  return { ok: false, error: T.notAChoice(quote(t), options) };
}

/** Parses several choices: "1,3", "1、3", labels, "全部", or "无" (none). */
export function parseChoices(text: string, options: string[]): Parsed<string[]> {
  const t = normaliseText(text);
  if (/^(全部|都有|都是|所有|全都)/.test(t)) return { ok: true, value: [...options], rest: restAfter(t, 2) };
  if (/^(无|没有|都没有|都不|均未|均无)$/.test(t)) return { ok: true, value: [], rest: '' };
  const parts = t.split(/[,，、;；\s]+/).filter(Boolean);
  const picked: string[] = [];
  for (const p of parts) {
    const c = parseChoice(p, options);
    if (!c.ok) return { ok: false, error: c.error };
    if (!picked.includes(c.value)) picked.push(c.value);
  }
  if (!picked.length) return { ok: false, error: T.notAChoice(quote(t), options) };
  return { ok: true, value: picked, rest: '' };
}

/** Parses a count of cases: "2", "两例", "无"/"没有" (0). */
export function parseCount(text: string): Parsed<number> {
  const t = normaliseText(text);
  if (/^(无|没有|零|0)(例|次|个|件)?($|[\s,，。;；])/.test(t)) return { ok: true, value: 0, rest: restAfter(t, t.match(/^(无|没有|零|0)(例|次|个|件)?/)![0].length) };
  const r = readQuantity(t, '例');
  if (!r.ok || r.value === undefined || r.approximate || !Number.isInteger(r.value) || r.value < 0) return { ok: false, error: T.notACount(quote(t)) };
  return { ok: true, value: r.value, rest: r.rest };
}

/** Parses a score with its reason: "8 满意度略低于目标", "8分，理由…". */
export function parseScore(text: string, points: number): Parsed<number> {
  const t = normaliseText(text).replace(/^(得|给|打)/, '');
  const r = readQuantity(t, '分');
  if (!r.ok || r.value === undefined || r.approximate) return { ok: false, error: T.notAScore(quote(t), points) };
  if (r.value < 0 || r.value > points) return { ok: false, error: T.scoreOutOfRange(r.value, points) };
  return { ok: true, value: r.value, rest: r.rest };
}

/** Parses a date: 2025-05-31, 2025/5/31, 2025年5月31日, 5月31日 (year from `defaultYear`). Returns YYYY-MM-DD. */
export function parseDate(text: string, defaultYear: number): Parsed<string> {
  const t = normaliseText(text);
  let m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?/.exec(t);
  let y: number;
  let mo: number;
  let d: number;
  if (m) [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else if ((m = /^(\d{1,2})[-/.月](\d{1,2})日?/.exec(t))) [y, mo, d] = [defaultYear, Number(m[1]), Number(m[2])];
  else return { ok: false, error: T.notADate(quote(t)) };
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return { ok: false, error: T.notADate(quote(t)) };
  return { ok: true, value: `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`, rest: restAfter(t, m[0].length) };
}

/** A key task line: "党建工作 4分", "1. 党建工作，4", "公文处理完成率 6分 目标85%". */
export interface KeyTaskLine {
  name: string;
  points: number;
  /** A target rate in %, when the line gives one. */
  target?: number;
}

/** Parses key-task lines; every line ends in its points, optionally followed by a target ("目标90%"). */
export function parseKeyTaskLines(text: string): Parsed<KeyTaskLine[]> {
  const lines = normaliseText(text)
    .split(/\n|[;；]/)
    .map((l) => l.trim())
    .filter(Boolean);
  const out: KeyTaskLine[] = [];
  for (const full of lines) {
    const t = /[\s,，;；]*(?:目标值?|≥|>=)\s*[:：]?\s*(\d+(?:\.\d+)?)\s*%?(?:及以上|以上)?$/.exec(full);
    const line = t ? full.slice(0, t.index) : full;
    const m = /^(?:\d+[.、)）]\s*)?(.+?)[\s,，:：（(]*(\d+(?:\.\d+)?)\s*分?[)）]?$/.exec(line);
    if (!m || !m[1]!.trim()) return { ok: false, error: T.badKeyTaskLine(quote(full, 30)) };
    out.push({ name: m[1]!.trim(), points: Number(m[2]), ...(t ? { target: Number(t[1]) } : {}) });
  }
  if (!out.length) return { ok: false, error: T.badKeyTaskLine('') };
  return { ok: true, value: out, rest: '' };
}
