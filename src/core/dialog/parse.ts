/**
 * Parsing answers the way people type them: full-width digits, thousands separators, 万元/元/亿元,
 * percentages, 是/否/有/没有, a choice by number or label, Chinese numerals, dates, and evidence
 * written after the answer. Every parser returns `{ ok, value, rest }` or `{ ok: false, error }`;
 * none throws. Parsers recognise on `normaliseText(text)` and slice `rest` from `cleanText(text)` at
 * the same index (`restAfter`), so a remark is stored as written (，；（）： stay Chinese).
 */
import { dialogText as T, readingText as R } from '../locale/zh-CN';
import { readQuantity } from './quantity';
import { ALL_WORDS, REMARK_LABELS } from './vocabulary';
import { readYesNo } from './yesno';

export type Parsed<V> = { ok: true; value: V; rest: string } | { ok: false; error: string };

/**
 * Characters that carry nothing a person meant to write: control characters (newlines kept), zero-width
 * space, direction marks and the byte-order mark. Zero-width joiners stay: they hold emoji sequences together.
 */
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u200B\u200E\u200F\uFEFF]/g;

/**
 * The verbatim form of typed text, the one that is stored and printed: line breaks unified to "\n",
 * invisible characters removed, outer whitespace trimmed. Chinese punctuation, full-width forms, inner
 * spaces and line breaks stay as written.
 */
export function cleanText(text: string): string {
  return text
    .replace(/\r\n?|[\u2028\u2029]/g, '\n')
    .replace(INVISIBLE, '')
    .trim();
}

/**
 * The recognising form of verbatim text, one UTF-16 unit for one (so an index into the result is an
 * index into the input): full-width ASCII to half-width (９７．８％ → 97.8%, ｙｅｓ → yes, ，→ ,),
 * ideographic, no-break and tab spaces to " ". Used only to recognise answers, never stored.
 */
export function foldText(text: string): string {
  return text.replace(/[\uFF01-\uFF5E\u3000\u00A0\t]/g, (c) => (c === '\u3000' || c === '\u00A0' || c === '\t' ? ' ' : String.fromCharCode(c.charCodeAt(0) - 0xfee0)));
}

/**
 * The recognising form of typed text: `foldText(cleanText(text))`. It has the length of
 * `cleanText(text)` and the same indexes, so what a parser recognises at an index of the one is sliced
 * verbatim from the other (see `restAfter`). Inner runs of spaces are no longer collapsed.
 */
export function normaliseText(text: string): string {
  return foldText(cleanText(text));
}

/** Whether text has any letter or digit (an emoji or punctuation alone has none). */
export function hasWords(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text);
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

const REMARK_LABEL = new RegExp(`^(?:${[...REMARK_LABELS].sort((a, b) => b.length - a.length).join('|')})[:：是为]?\\s*`);

/**
 * The evidence or remark that follows an answer, as written: "是，《党组工作规则》" → "《党组工作规则》",
 * "否；理由：尚在起草（预计6月）" → "尚在起草（预计6月）". `text` is the parser's input and `consumed` an
 * index into `normaliseText(text)` where the answer ends; the separator and a label (依据/理由/…) after it
 * are skipped and the rest is sliced from `cleanText(text)`. A rest without any letter or digit ("！",
 * "👍") is no remark: ''.
 */
export function restAfter(text: string, consumed: number): string {
  const verbatim = cleanText(text);
  const folded = foldText(verbatim);
  let i = Math.min(consumed, folded.length);
  i += /^[\s,，;；。.、:：]*/.exec(folded.slice(i))![0].length;
  i += REMARK_LABEL.exec(folded.slice(i))?.[0].length ?? 0;
  const rest = verbatim.slice(i).trim();
  return hasWords(rest) ? rest : '';
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
  if (i >= 0) return { ok: true, value: options[i]!, rest: restAfter(text, forms[i]!.length) };
  const num = /^(?:第)?(\d+|[一二三四五六七八九十])(?:项|个|档)?(?:[.、):：\s，,]|$)/.exec(t);
  if (num) {
    const i = /\d/.test(num[1]!) ? Number(num[1]) : parseChineseNumeral(num[1]!)!;
    if (i >= 1 && i <= options.length) return { ok: true, value: options[i - 1]!, rest: restAfter(text, num[0].length) };
    return { ok: false, error: T.choiceOutOfRange(i, options.length) };
  }
  const partial = forms.map((o, j) => ({ o, j })).filter(({ o }) => t.includes(o) || (t.length >= 2 && o.includes(t)));
  if (partial.length === 1) {
    const { o, j } = partial[0]!;
    return { ok: true, value: options[j]!, rest: t.includes(o) ? restAfter(text, t.indexOf(o) + o.length) : '' };
  }
  return { ok: false, error: T.notAChoice(quote(cleanText(text)), options) };
}

/** Parses several choices: "1,3", "1、3", labels, "全部", or "无" (none). */
export function parseChoices(text: string, options: string[]): Parsed<string[]> {
  const t = normaliseText(text);
  const all = ALL_WORDS.find((w) => t.startsWith(w));
  if (all) return { ok: true, value: [...options], rest: restAfter(text, all.length) };
  if (/^(无|没有|都没有|都不|均未|均无)$/.test(t)) return { ok: true, value: [], rest: '' };
  const parts = t.split(/[,，、;；\s]+/).filter(Boolean);
  const picked: string[] = [];
  for (const p of parts) {
    const c = parseChoice(p, options);
    if (!c.ok) return { ok: false, error: c.error };
    if (!picked.includes(c.value)) picked.push(c.value);
  }
  if (!picked.length) return { ok: false, error: T.notAChoice(quote(cleanText(text)), options) };
  return { ok: true, value: picked, rest: '' };
}

/**
 * The exact figure that opens a reply ("8分，满意度88%略低于90%": 8), read by `readQuantity` in `unit`;
 * the words after it (which may hold figures of their own) are the remark, as written.
 */
function leadingFigure(text: string, skip: number, unit: string): { value: number; rest: string } | undefined {
  const t = normaliseText(text);
  const token = /^\s*[^\s,，;；。:：]+/.exec(t.slice(skip));
  if (!token) return undefined;
  const end = skip + token[0].length;
  const r = readQuantity(cleanText(text).slice(skip, end), unit);
  if (!r.ok || r.value === undefined || r.approximate) return undefined;
  const glued = r.rest ? restAfter(text, end - r.rest.length) : '';
  return { value: r.value, rest: glued || restAfter(text, end) };
}

/** Parses a count of cases: "2", "两例", "无"/"没有" (0). */
export function parseCount(text: string): Parsed<number> {
  const t = normaliseText(text);
  if (/^(无|没有|零|0)(例|次|个|件|笔)?($|[\s,，。;；])/.test(t)) return { ok: true, value: 0, rest: restAfter(text, t.match(/^(无|没有|零|0)(例|次|个|件|笔)?/)![0].length) };
  const r = leadingFigure(text, 0, '例');
  if (!r || !Number.isInteger(r.value) || r.value < 0) return { ok: false, error: T.notACount(quote(cleanText(text))) };
  return { ok: true, value: r.value, rest: r.rest };
}

/** Parses a score with its reason: "8 满意度略低于目标", "8分，理由…". */
export function parseScore(text: string, points: number): Parsed<number> {
  const t = normaliseText(text);
  const skip = /^(得|给|打)/.exec(t)?.[0].length ?? 0;
  const r = leadingFigure(text, skip, '分');
  if (!r) return { ok: false, error: T.notAScore(quote(cleanText(text)), points) };
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
  else return { ok: false, error: T.notADate(quote(cleanText(text))) };
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return { ok: false, error: T.notADate(quote(cleanText(text))) };
  return { ok: true, value: `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`, rest: restAfter(text, m[0].length) };
}

/** A key task line: "党建工作 4分", "1. 党建工作，4", "公文处理完成率 6分 目标85%". */
export interface KeyTaskLine {
  name: string;
  points: number;
  /** A target rate in %, when the line gives one. */
  target?: number;
}

/** The longest line of a key task (its name, points and target). */
export const MAX_KEY_TASK_LINE_CHARS = 200;

/**
 * Parses key-task lines; every line ends in its points, optionally followed by a target ("目标90%").
 * Names are kept as written ("数据归集（一期）"); a name without any letter or digit is refused, and
 * a line longer than MAX_KEY_TASK_LINE_CHARS is refused before it is read.
 */
export function parseKeyTaskLines(text: string): Parsed<KeyTaskLine[]> {
  const verbatim = cleanText(text);
  const folded = foldText(verbatim);
  const out: KeyTaskLine[] = [];
  // Lines are found in the folded text and sliced from the verbatim one at the same indexes.
  for (const seg of folded.matchAll(/[^\n;；]+/g)) {
    const lead = /^\s*/.exec(seg[0])![0].length;
    const full = seg[0].trim();
    if (!full) continue;
    const from = seg.index! + lead;
    // A cap before the patterns below, which backtrack over a long line without its figures.
    if ([...full].length > MAX_KEY_TASK_LINE_CHARS) return { ok: false, error: T.keyTaskLineTooLong(MAX_KEY_TASK_LINE_CHARS) };
    const t = /[\s,，;；]*(?:目标值?|≥|>=)\s*[:：]?\s*(\d+(?:\.\d+)?)\s*%?(?:及以上|以上)?$/.exec(full);
    const line = t ? full.slice(0, t.index) : full;
    const m = /^(?:\d+[.、)）]\s*)?(.+?)[\s,，:：（(]*(\d+(?:\.\d+)?)\s*分?[)）]?$/d.exec(line);
    if (!m || !m[1]!.trim()) return { ok: false, error: T.badKeyTaskLine(quote(verbatim.slice(from, from + full.length), 30)) };
    const [a, b] = m.indices![1]!;
    const name = verbatim.slice(from + a, from + b).trim();
    if (!hasWords(name)) return { ok: false, error: T.keyTaskNameNoWords(quote(verbatim.slice(from, from + full.length), 30)) };
    // A task worth nothing, or with nothing to reach, is not one (the answers format requires both > 0).
    if (Number(m[2]) <= 0 || (t && Number(t[1]) <= 0)) return { ok: false, error: T.keyTaskZero(quote(verbatim.slice(from, from + full.length), 30)) };
    out.push({ name, points: Number(m[2]), ...(t ? { target: Number(t[1]) } : {}) });
  }
  if (!out.length) return { ok: false, error: T.badKeyTaskLine('') };
  return { ok: true, value: out, rest: '' };
}
