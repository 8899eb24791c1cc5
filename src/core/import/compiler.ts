/**
 * The rule compiler: 评价要点 prose → one of the scoring core's rule kinds, or "needs confirmation"
 * with the reason. Deterministic: a small grammar over the shapes and boundary words of
 * docs/domain.md, no model, no guessing. A wrong rule is worse than a question, so anything the
 * grammar does not pin down (a vague standard, a gap between bands, a score that does not match the
 * row's points, a range whose ends are not marked) comes back open.
 *
 * Boundary words: 以上/以下/以内/不低于/不超过/及以上/达到 include the number; 低于/超过/大于/小于/不满
 * exclude it; "（含）" marks an inclusive end, and a range end without it is exclusive (a range with
 * neither end marked is open: "80%-90%").
 *
 * Readings it does make, each shown with the rule so the organiser sees it:
 * - one tier only ("预算执行率在90%以上，得2分"): the rest scores 0, as shape 1 (all or nothing) reads;
 * - two tiers that leave exactly one value uncovered ("大于90%得2分，小于90%得1分"): that value does not
 *   meet the higher tier's condition, so it takes the lower tier's score;
 * - "每降低5%扣2分": a started step counts (the steps rule's default), shown as "不足5个百分点按5个计";
 * - a single qualitative condition with no score ("…全覆盖"): 财预〔2020〕10号's three levels of the
 *   row's points, the evaluator scoring inside a level with a reason;
 * - "“三公”经费…超支扣分" without an amount: a person decides the deduction (not_exceeding, over
 *   'discretionary'); a judgement row whose deduction has no amount stays open.
 * Anything else missing (a standard, a score, a band, the row's points) makes the row open.
 *
 * @example
 * compileCriteria('年度预算执行率大于90%的得2分，小于90%得1分', { code: 'A41', name: '预算编制科学规范', points: 2 })
 * // { ok: true, rule: { kind: 'bands', metric: 'budgetExecutionRate', … }, text: '预算执行率 > 90% 得 2 分；预算执行率 ≤ 90% 得 1 分', … }
 */
import { dec, sum } from '../decimal';
import { coverageProblems } from '../framework/load';
import type { Band, Bounds, Fact, Metric, Rule } from '../framework/schema';
import { importText as T, partialCreditText as PT } from '../locale/zh-CN';
import { describeGaps, describeRule } from './describe';
import {
  bindLibraryMetric,
  findLibraryFact,
  findLocalRateWord,
  namesThreePublic,
  THREE_PUBLIC,
  type LibraryMetric,
} from './metric-library';
import { normaliseText } from './numerals';

/** The row a criteria text belongs to. */
export interface CompileContext {
  /** Indicator code (local metrics are keyed by it). */
  code: string;
  /** Indicator name without code and points. */
  name: string;
  /** The row's points (分值). */
  points: number;
  description?: string;
}

/** Why a row needs confirmation. */
export type OpenKind =
  | 'empty'
  | 'no_score'
  | 'vague_standard'
  | 'points_mismatch'
  | 'gap'
  | 'overlap'
  | 'range_ends'
  | 'unknown_metric'
  | 'mixed_metrics'
  | 'unspecified_deduction'
  | 'no_target'
  | 'no_boundary'
  | 'unrecognised';

/** A quantity a compiled rule reads, to be added to the framework. */
export interface RuleQuantities {
  metrics: Metric[];
  facts: Fact[];
}

/** A compiled row. */
export interface Compiled {
  ok: true;
  rule: Rule;
  /** The rule in plain Chinese, shown back to the organiser. */
  text: string;
  /** Readings the prose did not spell out, shown with the rule (e.g. who gets exactly 90%). */
  assumptions: string[];
  quantities: RuleQuantities;
}

/** A row the compiler could not pin down. */
export interface Open {
  ok: false;
  kind: OpenKind;
  /** Why, in Chinese, quoting the prose where it helps. */
  reason: string;
  /** A rule that would fit if the organiser agrees (e.g. all-or-nothing for a row without a score). */
  suggestion?: { rule: Rule; text: string; quantities: RuleQuantities };
}

/** What the compiler makes of one row: a rule, or a question. */
export type CompileResult = Compiled | Open;

// ---------------------------------------------------------------------------------------------
// Outcomes: what a clause awards.

type Outcome =
  | { t: 'score'; n: number }
  | { t: 'full' }
  | { t: 'zero' }
  | { t: 'deduct'; n?: number }
  | { t: 'add'; n: number }
  | { t: 'step'; step: number; deduct: number; worse: 'lower' | 'higher' };

interface Statement {
  cond: string;
  outcome: Outcome;
  /** The clause as written, for messages. */
  text: string;
}

const N = '(\\d+(?:\\.\\d+)?)';
const LEAD = '(?:的|者|时|则|，|,)*';

const OUTCOME_PATTERNS: Array<[RegExp, (m: RegExpExecArray) => Outcome]> = [
  [new RegExp(`每(降低|下降|减少|低于|少|减|降|不足|低|超过|超出|增加|上升|提高|高出|多|高于|超|增长|高)${N}(?:%|个百分点|百分点|个点)${LEAD}(?:扣|减|扣除)${N}分$`), (m) => ({
    t: 'step',
    step: Number(m[2]),
    deduct: Number(m[3]),
    worse: /降|减|低|少|不足/.test(m[1]!) ? 'lower' : 'higher',
  })],
  [new RegExp(`${LEAD}(?:得|计|记|给)?满分$`), () => ({ t: 'full' })],
  [new RegExp(`${LEAD}(?:不得分|不计分|不给分|(?<![\\d.])(?:得|计|记|给)?0(?:\\.0+)?分)$`), () => ({ t: 'zero' })],
  [new RegExp(`${LEAD}不扣分$`), () => ({ t: 'full' })],
  [new RegExp(`${LEAD}(?:得|计|记|给|可得)${N}分$`), (m) => ({ t: 'score', n: Number(m[1]) })],
  [new RegExp(`[:：]${N}分$`), (m) => ({ t: 'score', n: Number(m[1]) })],
  [new RegExp(`\\((?:得|计)?${N}分\\)$`), (m) => ({ t: 'score', n: Number(m[1]) })],
  [new RegExp(`^${N}分$`), (m) => ({ t: 'score', n: Number(m[1]) })],
  [new RegExp(`${LEAD}(?:扣|减|扣除)${N}分$`), (m) => ({ t: 'deduct', n: Number(m[1]) })],
  // A person decides the amount ("部分做到的酌情打分", "否则视情况扣分"): a deduction without an amount.
  [new RegExp(`${LEAD}(?:酌情|视情况|根据情况|视具体情况|根据实际情况|按实际情况)(?:扣分|减分|打分|评分|计分|给分|扣减|确定得分)$`), () => ({ t: 'deduct' })],
  [new RegExp(`${LEAD}(?:酌情)?(?:扣分|减分)$`), () => ({ t: 'deduct' })],
  [new RegExp(`${LEAD}加${N}分$`), (m) => ({ t: 'add', n: Number(m[1]) })],
];

function splitOutcome(token: string): { cond: string; outcome?: Outcome } {
  for (const [re, make] of OUTCOME_PATTERNS) {
    const m = re.exec(token);
    if (m) return { cond: token.slice(0, m.index), outcome: make(m) };
  }
  return { cond: token };
}

const MODIFIERS = {
  floor: /^(?:分值)?扣完(?:为止|即止)$|^最低(?:为|得)?0分$|^最多扣至0分$/,
  cap: /^(?:最高)?(?:得)?满分为止$|^(?:最高|最多)(?:得|不超过)?(?:该项)?满分$/,
  /** "无需批复下属单位预算的不适用": shape 15, which any indicator has; nothing for the rule. */
  notApplicable: /^[^\d%]*(?:的)?(?:不适用|不参与评价|不纳入评价)$/,
};

interface Parsed {
  statements: Statement[];
  floor: boolean;
  cap: boolean;
  /** Clauses with neither an outcome nor a following outcome. */
  loose: string[];
}

/** Splits normalised prose into statements (conditions with what they award). */
function parseStatements(text: string): Parsed {
  const tokens = text
    .split(/[；;。\n]+/)
    .flatMap((part) => part.split(/[，,]/))
    .map((t) => t.trim())
    .filter(Boolean);
  const statements: Statement[] = [];
  let pending: string[] = [];
  let floor = false;
  let cap = false;
  for (const tok of tokens) {
    if (MODIFIERS.floor.test(tok)) {
      floor = true;
      continue;
    }
    if (MODIFIERS.cap.test(tok)) {
      cap = true;
      continue;
    }
    if (MODIFIERS.notApplicable.test(tok)) continue;
    let body = tok;
    // "…，扣完为止" written without a comma.
    if (/扣完(为止|即止)$/.test(body)) {
      floor = true;
      body = body.replace(/[，,]?(?:分值)?扣完(为止|即止)$/, '');
    }
    if (/满分为止$/.test(body)) {
      cap = true;
      body = body.replace(/[，,]?满分为止$/, '');
    }
    const split = splitOutcome(body);
    const outcome = split.outcome;
    const cond = split.cond.replace(/[:：]$/, '');
    if (!outcome) {
      pending.push(cond);
      continue;
    }
    statements.push({ cond: [...pending, cond].filter(Boolean).join('，'), outcome, text: [...pending, tok].join('，') });
    pending = [];
  }
  return { statements, floor, cap, loose: pending };
}

// ---------------------------------------------------------------------------------------------
// Conditions: comparisons with a number.

interface Comparison {
  /** Words before the comparison, naming the quantity ('' when it is implied). */
  phrase: string;
  bounds: Bounds;
  unit: string;
  /** Range ends that were not marked (含) on either side of a shared boundary. */
  unmarkedRange?: boolean;
}

const OP_WORDS: Array<[RegExp, keyof Bounds]> = [
  [/(?:≥|大于等于|大于或等于|不低于|不少于|不小于)$/, 'gte'],
  [/(?:≤|小于等于|小于或等于|不高于|不超过|不大于|不多于|未超过)$/, 'lte'],
  [/(?:>|大于|高于|超过|超出|多于)$/, 'gt'],
  [/(?:<|小于|低于|不满|不足|少于|未达到|未满)$/, 'lt'],
  [/(?:=|等于)$/, 'eq'],
];

const UNIT = '(%|个百分点|次|个|件|项|天|人|万元|家|篇|期)?';

/** Parses a condition such as "年度预算执行率大于90%", "80%(含)-90%", "≤0", "在99%以上". */
export function parseComparison(condition: string): Comparison | undefined {
  let c = condition.replace(/^(?:若|如|如果|凡|当|对)/, '').replace(/以\d+(?:\.\d+)?%?为(?:标准|基准|目标)[，,]?/, '');
  c = c.replace(/的$/, '').trim();
  // Double comparison: 80%≤X<90%
  let m = new RegExp(`^(.*?)${N}%?(≤|<)(.+?)(≤|<)${N}(%)?$`).exec(c);
  if (m && !/\d/.test(m[4]!)) {
    const lo = Number(m[2]);
    const hi = Number(m[6]);
    return {
      phrase: m[4]!,
      bounds: { [m[3] === '≤' ? 'gte' : 'gt']: lo, [m[5] === '≤' ? 'lte' : 'lt']: hi },
      unit: m[7] ?? '',
    };
  }
  // Range: A%(含)-B%(含), A至B%, 在A%-B%之间
  m = new RegExp(`^(.*?)(?:在|介于|为|处于)?${N}(%)?(\\(含\\)|\\(含${N}%?\\))?(?:-|至|到)${N}(%)?(\\(含\\)|\\(含${N}%?\\))?(?:之间|区间|以内)?(?:\\(含\\))?$`).exec(c);
  if (m) {
    const lo = Number(m[2]);
    const hi = Number(m[6]);
    const loIncl = m[4] !== undefined && (m[5] === undefined || Number(m[5]) === lo);
    const hiIncl = (m[8] !== undefined && (m[9] === undefined || Number(m[9]) === hi)) || (m[4] !== undefined && m[5] !== undefined && Number(m[5]) === hi);
    const [a, b] = lo <= hi ? [lo, hi] : [hi, lo];
    const aIncl = lo <= hi ? loIncl : hiIncl;
    const bIncl = lo <= hi ? hiIncl : loIncl;
    return {
      phrase: cleanPhrase(m[1]!),
      bounds: { [aIncl ? 'gte' : 'gt']: a, [bIncl ? 'lte' : 'lt']: b },
      unit: m[3] ?? m[7] ?? '',
      unmarkedRange: !aIncl && !bIncl,
    };
  }
  // Number with a suffix word: 90%以上, 90%(含)以上, 90%及以上, 5%以内, 90%以下(不含)
  m = new RegExp(`^(.*?)${N}${UNIT}(\\(含\\)|\\(不含\\))?(及以上|以上|及以下|以下|以内|及以内|或以上|或以下)(\\(含\\)|\\(不含\\)|\\(含${N}%?\\)|\\(不含${N}%?\\))?$`).exec(c);
  if (m) {
    const excl = (m[4] ?? m[6] ?? '').includes('不含');
    const up = /上/.test(m[5]!);
    const before = m[1]!;
    // "超过90%以上" / "低于60%以下": the operator word decides strictness.
    const op = OP_WORDS.find(([re]) => re.test(before))?.[1];
    let key: keyof Bounds = up ? (excl ? 'gt' : 'gte') : excl ? 'lt' : 'lte';
    let phraseEnd = before;
    if (op === 'gt' || op === 'lt') {
      key = op;
      phraseEnd = before.replace(OP_WORDS.find(([, k]) => k === op)![0], '');
    } else if (op) phraseEnd = before.replace(OP_WORDS.find(([, k]) => k === op)![0], '');
    return { phrase: cleanPhrase(phraseEnd), bounds: { [key]: Number(m[2]) }, unit: m[3] ?? '' };
  }
  // Operator then number: 大于90%, ≤0, 达到95%, 为0, =0
  m = new RegExp(`^(.*?)(≥|≤|>|<|=|大于等于|小于等于|大于或等于|小于或等于|不低于|不少于|不小于|不高于|不超过|不大于|不多于|未超过|大于|高于|超过|超出|多于|小于|低于|不满|不足|少于|未达到|未满|等于|达到|达|为)${N}${UNIT}(\\(含\\))?$`).exec(c);
  if (m) {
    const word = m[2]!;
    let key: keyof Bounds;
    if (word === '达到' || word === '达') key = 'gte';
    else if (word === '为') key = 'eq';
    else key = OP_WORDS.find(([re]) => re.test(word))![1];
    if (m[5] && key === 'gt') key = 'gte';
    if (m[5] && key === 'lt') key = 'lte';
    return { phrase: cleanPhrase(m[1]!), bounds: { [key]: Number(m[3]) }, unit: m[4] ?? '' };
  }
  return undefined;
}

function cleanPhrase(p: string): string {
  return p
    .replace(/[，,]/g, '')
    .replace(/(?:在|为|达到|达|处于|介于|的|是)+$/, '')
    .replace(/^(?:年度|年末|本年|全年)(?=.*率)/, (s) => s)
    .replace(QUOTES, '')
    .trim();
}

const QUOTES = /["“”'‘’「」『』]/g;

// ---------------------------------------------------------------------------------------------
// Binding quantities.

interface Bound {
  key: string;
  label: string;
  lowerIsBetter: boolean;
  quantities: RuleQuantities;
}

function quantitiesOf(entry: LibraryMetric): RuleQuantities {
  return {
    metrics: [{ ...entry.metric }],
    facts: entry.facts.map((k) => ({ ...findLibraryFact(k)! })),
  };
}

/** A metric keyed by the indicator's code, entered directly (办理率 of one indicator). */
function localMetric(ctx: CompileContext, label: string, unit: string): Bound {
  const key = `rate${ctx.code.replace(/[^A-Za-z0-9]/g, '_')}`;
  const metric: Metric = {
    key,
    label,
    unit: unit === '个百分点' ? '%' : unit || '%',
    question: T.localMetricQuestion(label, unit === '' || unit === '个百分点' ? '%' : unit),
    decimals: 2,
    ...(unit === '%' || unit === '' ? { min: 0 } : { min: 0 }),
  };
  return { key, label, lowerIsBetter: false, quantities: { metrics: [metric], facts: [] } };
}

const GENERIC_SATISFACTION = /^(?:服务对象|管理对象|、|和|及|与|对部门工作的|对部门工作|的|部门|单位|社会|群众|公众)*(?:满意度|满意率)(?:比率)?$/;

/**
 * Binds the phrase of a comparison to a quantity: the shared library first (预算执行率 and its
 * synonyms), else a rate of this indicator alone (its own 完成率, 办理率, 满意度).
 */
export function bindQuantity(phrase: string, ctx: CompileContext, unit: string): Bound | undefined {
  const p = phrase.replace(QUOTES, '');
  const name = ctx.name.replace(QUOTES, '');
  // "项目按期完成且预算执行率": two conditions in one, which one rule cannot hold.
  if (/且|同时|并/.test(p)) return undefined;
  const lib = bindLibraryMetric(p, { whole: true }) ?? (p === '' ? bindLibraryMetric(name, { whole: true }) : undefined);
  if (lib) {
    const satisfaction = lib.metric.key === 'satisfactionRate';
    // 满意度 is the unit's own only when nothing narrows it ("会议保障工作满意度" is a different figure).
    const generic = GENERIC_SATISFACTION.test(p || '满意度') && (GENERIC_SATISFACTION.test(name) || /服务对象|管理对象/.test(name) || !/满意/.test(name));
    if (!satisfaction || generic) {
      return { key: lib.metric.key, label: lib.metric.label, lowerIsBetter: lib.lowerIsBetter ?? false, quantities: quantitiesOf(lib) };
    }
  }
  // A rate word from the list, or any phrase that ends like a quantity ("项目支出占比", "公开及时率").
  const word = findLocalRateWord(p) ?? (/(?:率|度|占比|比重|比例)$/.test(p) ? p : undefined) ?? (p === '' ? findLocalRateWord(name) : undefined);
  if (!word) return undefined;
  // The label: the indicator's name when it names the rate, else the phrase.
  const label = findLocalRateWord(name) && (p === '' || p.length <= word.length + 2) ? name : p || name;
  return localMetric(ctx, label, unit);
}

// ---------------------------------------------------------------------------------------------
// Helpers.

const open = (kind: OpenKind, reason: string, suggestion?: Open['suggestion']): Open => ({
  ok: false,
  kind,
  reason,
  ...(suggestion ? { suggestion } : {}),
});

const NO_QUANTITIES: RuleQuantities = { metrics: [], facts: [] };

function done(rule: Rule, ctx: CompileContext, quantities: RuleQuantities, assumptions: string[] = []): Compiled {
  const labels = new Map<string, string>();
  for (const m of quantities.metrics) labels.set(m.key, m.label);
  for (const f of quantities.facts) labels.set(f.key, f.label);
  return { ok: true, rule, text: describeRule(rule, ctx.points, (k) => labels.get(k) ?? k, assumptions), assumptions, quantities };
}

function scoreOf(o: Outcome, points: number): number | undefined {
  switch (o.t) {
    case 'score':
      return o.n;
    case 'full':
      return points;
    case 'zero':
      return 0;
    case 'deduct':
      return o.n === undefined ? undefined : Math.max(0, Number(dec(points).minus(o.n).toString()));
    default:
      return undefined;
  }
}

const fmt = (n: number) => String(n);

const OTHERWISE = /^(?:否则|否|其他|其它|其余|反之|未达到|达不到|不符合|不满足|未做到|没有做到|不能|未能|若未|如未|未按要求|不是|没有)?(?:的|情况|情形)?$/;
const NEGATIVE_PREFIX = /^(?:否则|反之|不|未|没有|无)/;
/** Conditions of partly meeting a requirement: 部分做到, 基本达到, 不完善, 未完全落实, 存在不足. */
const PARTIAL_CONDITION = /^(?:若|如|对)?(?:部分|基本|大部分|少部分|个别|未完全|没有完全|不完全|未全部|未能全部|存在不足|有欠缺|有不足)|(?:不完善|不完整|不健全|不齐全|不充分|不到位|不规范|不及时|不全面|欠缺|有待完善|存在不足|存在问题)$/;

/** Phrases that promise a standard without giving one. */
const VAGUE = /(达到(?:市|省)?财政(?:部门)?(?:考核)?要求|达到(?:序时)?进度要求|达到(?:预定|预期|规定|考核|既定|年初)?(?:目标|标准|要求)|符合(?:市|省)?财政(?:部门)?(?:考核)?要求|较高|较好|合理水平|合理区间|基本达到)/;

// ---------------------------------------------------------------------------------------------
// The shapes.

/** Shape 9: ①…1分；②…1分. */
function compileChecklist(text: string, ctx: CompileContext): CompileResult | undefined {
  const parts = text.split(/[①②③④⑤⑥⑦⑧⑨⑩]|(?:^|[；;。，,\s])\(?\d{1,2}[)）、.](?!\d)/).map((s) => s.trim()).filter(Boolean);
  if (parts.length < 2 || !/[①②③]|(?:^|[；;。，,\s])\(?[12][)）、.](?!\d)/.test(text)) return undefined;
  const items: Array<{ key: string; label: string; points: number }> = [];
  for (const [i, part] of parts.entries()) {
    const p = part.replace(/[；;。，,]+$/, '');
    const m = new RegExp(`^(.*?)[，,:：]?(?:的)?(?:得|计|加)?${N}分$`).exec(p);
    if (!m || !m[1]) return undefined;
    items.push({ key: `item${i + 1}`, label: m[1].replace(/[，,:：]$/, '').replace(/的$/, ''), points: Number(m[2]) });
  }
  const total = sum(items.map((i) => i.points));
  if (!total.eq(dec(ctx.points)))
    return open('points_mismatch', T.open.checklistTotal(total.toString(), fmt(ctx.points)));
  return done({ kind: 'checklist', question: T.checklistQuestion(ctx.name), items }, ctx, NO_QUANTITIES);
}

/** Shape 11 with share ranges: 好：100%-80%；中：80%-60%；差：60%-0. */
function compileShareLevels(text: string, ctx: CompileContext): CompileResult | undefined {
  if (/\d分/.test(text)) return undefined;
  const re = new RegExp(`([^;；,，:：]+)[:：]${N}%?(?:\\(含\\))?(?:-|至)${N}%?(?:\\(含\\))?`, 'g');
  const levels: Array<{ label: string; minShare: number; maxShare: number }> = [];
  for (const m of text.matchAll(re)) {
    const a = Number(m[2]) / 100;
    const b = Number(m[3]) / 100;
    levels.push({ label: m[1]!.trim(), minShare: Math.min(a, b), maxShare: Math.max(a, b) });
  }
  if (levels.length < 2 || levels.some((l) => l.maxShare > 1)) return undefined;
  return done({ kind: 'graded', question: T.gradedQuestion(ctx.name), levels }, ctx, NO_QUANTITIES);
}

/** Shape 8: 按完成比例计分，满分为止. */
function compileProportional(text: string, ctx: CompileContext): CompileResult | undefined {
  if (!/按(?:实际)?(?:完成)?(?:比例|比率|比重)(?:计算)?(?:得分|计分|给分|计算得分)|按比例(?:计|得)分|得分\s*=|实际值\/目标值|目标值\/实际值/.test(text)) return undefined;
  const lower = /目标值\/实际值/.test(text);
  const targetMatch = /以(\d+(?:\.\d+)?)%为(?:目标|标准|基准)|目标值(?:为)?(\d+(?:\.\d+)?)%/.exec(text);
  const target = targetMatch ? Number(targetMatch[1] ?? targetMatch[2]) : undefined;
  const phrase = /^(.*?(?:率|度))/.exec(text.replace(/^按/, ''))?.[1] ?? '';
  const q = bindQuantity(bindLibraryMetric(phrase) ? phrase : '', ctx, '%') ?? bindQuantity('完成率', { ...ctx, name: findLocalRateWord(ctx.name) ? ctx.name : `${ctx.name}完成率` }, '%');
  if (!q) return open('unknown_metric', T.open.unknownMetric(ctx.name));
  if (lower && target === undefined) return open('no_target', T.open.noTarget);
  const rule: Rule = { kind: 'proportional', metric: q.key, direction: lower ? 'lower' : 'higher', ...(target !== undefined && target !== 100 ? { target } : {}) };
  return done(rule, ctx, q.quantities, target === undefined ? [T.assume.target100] : []);
}

/** Shape 10: 每出现一例…扣1分，扣完为止. */
function compilePerViolation(text: string, ctx: CompileContext): CompileResult | undefined {
  const m = new RegExp(`每(?:出现|发现|有|存在|发生)?(?:1)?(例|次|项|处|个|件|起)(.*?)(?:的)?(?:扣|减)${N}分`).exec(text);
  if (!m) return undefined;
  // What is counted: between 每例 and 扣 ("每出现一例不符合要求的"), or the condition before 每 ("未按规定公开的，每项扣0.5分").
  const before = text.slice(0, m.index).replace(/[，,；;：:]+$/, '').replace(/的$/, '');
  const counted = (m[2] || before || T.defaultCounted).replace(/^的/, '').replace(/的$/, '') || T.defaultCounted;
  return done({ kind: 'per_violation', question: T.perViolationQuestion(counted), deduct: Number(m[3]), counted }, ctx, NO_QUANTITIES);
}

/** Shape 14: 酌情扣分 / 酌情打分. */
function compileDiscretionary(text: string, ctx: CompileContext): CompileResult | undefined {
  // Only when the decision is the whole rule: "…，酌情扣分" with no scores, numbers or other outcomes.
  if (!/酌情(?:扣分|打分|评分|计分|给分|扣减|减分|确定得分)[。.]?$/.test(text) || /\d/.test(text)) return undefined;
  if (/得满分|不得分|扣完|每/.test(text)) return undefined;
  return done({ kind: 'discretionary', question: T.discretionaryQuestion(ctx.name) }, ctx, NO_QUANTITIES);
}

/** Shape 12: “三公”经费不超支得2分，超支扣分. */
function compileNotExceeding(p: Parsed, text: string, ctx: CompileContext): CompileResult | undefined {
  if (!namesThreePublic(text) || !/超支|超预算|超出预算|超标/.test(text)) return undefined;
  // Each condition must be about the spending itself; "不超支且按规定公开" says more than this rule can hold.
  const onlySpending = (cond: string) =>
    (cond.replace(/["“”'‘’]|三公|经费|使用|支出|实际|预算|控制|在|内|以内|若|如|则|的|情况|不|未|无|没有|超支|超出|超|，|,/g, '').match(/[\u3400-\u9fff]/g) ?? []).length === 0;
  let over: number | 'discretionary' | undefined;
  let fullSeen = false;
  for (const s of p.statements) {
    if (!onlySpending(s.cond)) return undefined;
    const within = /不超支|未超支|无超支|没有超支|不超预算|未超预算|不超出/.test(s.cond);
    const score = scoreOf(s.outcome, ctx.points);
    if (within || (s.outcome.t === 'full' && !/超/.test(s.cond))) {
      if (score === undefined) return undefined;
      if (score !== ctx.points) return open('points_mismatch', T.open.pointsMismatch(s.text, fmt(score), fmt(ctx.points)));
      fullSeen = true;
    } else if (/超/.test(s.cond)) {
      // "超支扣分" without an amount: a person decides how much, with a reason.
      over = s.outcome.t === 'deduct' && s.outcome.n === undefined ? 'discretionary' : scoreOf(s.outcome, ctx.points);
      if (over === undefined) return undefined;
    } else return undefined;
  }
  if (!fullSeen && over === undefined) return undefined;
  const q: RuleQuantities = {
    metrics: [],
    facts: [{ ...findLibraryFact(THREE_PUBLIC.actual)! }, { ...findLibraryFact(THREE_PUBLIC.limit)! }],
  };
  // Not exceeding keeps the points; exceeding without a stated score earns nothing (all or nothing).
  return done({ kind: 'not_exceeding', actual: THREE_PUBLIC.actual, limit: THREE_PUBLIC.limit, over: over ?? 0 }, ctx, q);
}

/** Shapes 2–7: bands and steps over a quantity. */
function compileQuantitative(p: Parsed, ctx: CompileContext): CompileResult | undefined {
  const comparisons = p.statements.map((s) => ({ s, c: parseComparison(s.cond) }));
  if (!comparisons.some((x) => x.c)) return undefined;

  // The quantity: named by the first comparison that names one; the others must agree.
  let bound: Bound | undefined;
  for (const { c } of comparisons) {
    if (!c || !c.phrase) continue;
    const b = bindQuantity(c.phrase, ctx, c.unit);
    if (!b) return open('unknown_metric', T.open.unknownPhrase(c.phrase));
    if (bound && bound.key !== b.key) return open('mixed_metrics', T.open.mixedMetrics(bound.label, b.label));
    bound ??= b;
  }
  if (!bound) {
    const unit = comparisons.find((x) => x.c)?.c?.unit ?? '%';
    bound = bindQuantity('', ctx, unit);
    if (!bound) return open('unknown_metric', T.open.unknownMetric(ctx.name));
  }
  if (comparisons.some((x) => x.c?.unmarkedRange)) {
    const bad = comparisons.find((x) => x.c?.unmarkedRange)!;
    return open('range_ends', T.open.rangeEnds(bad.s.text));
  }

  const stepSt = p.statements.find((s) => s.outcome.t === 'step');
  if (stepSt) {
    const step = stepSt.outcome as Extract<Outcome, { t: 'step' }>;
    const direction = step.worse === 'lower' ? 'higher' : 'lower';
    const full = comparisons.find((x) => x.c && x.s !== stepSt && scoreOf(x.s.outcome, ctx.points) === ctx.points);
    const fullAny = comparisons.find((x) => x.c && x.s !== stepSt && x.s.outcome.t === 'score');
    if (!full) {
      if (fullAny) return open('points_mismatch', T.open.pointsMismatch(fullAny.s.text, fmt(scoreOf(fullAny.s.outcome, ctx.points)!), fmt(ctx.points)));
      return open('unrecognised', T.open.unrecognised);
    }
    const fb = full.c!.bounds;
    const okSide = direction === 'higher' ? fb.gte !== undefined || fb.gt !== undefined : fb.lte !== undefined || fb.lt !== undefined;
    if (!okSide || fb.eq !== undefined) return open('unrecognised', T.open.unrecognised);
    const cut = comparisons.find((x) => x.c && x.s !== full.s && x.s !== stepSt && x.s.outcome.t === 'zero');
    const others = comparisons.filter((x) => x.s !== full.s && x.s !== stepSt && x !== cut);
    if (others.length) return open('unrecognised', T.open.unrecognised);
    // The step's own condition (">0") must be the complement of the full side, if given.
    const sc = parseComparison(stepSt.cond);
    if (sc && !sc.phrase.length && Object.keys(sc.bounds).length !== 1) return open('unrecognised', T.open.unrecognised);
    const rule: Rule = {
      kind: 'steps',
      metric: bound.key,
      direction,
      full: fb,
      step: step.step,
      deduct: step.deduct,
      ...(cut ? { cutoff: cut.c!.bounds } : {}),
    };
    return done(rule, ctx, bound.quantities);
  }

  // Bands.
  const bands: Band[] = [];
  let otherwise: number | undefined;
  for (const { s, c } of comparisons) {
    const score = scoreOf(s.outcome, ctx.points);
    if (score === undefined) {
      if (s.outcome.t === 'deduct') return open('unspecified_deduction', T.open.unspecifiedDeduction(s.text));
      return open('unrecognised', T.open.unrecognised);
    }
    if (score > ctx.points) return open('points_mismatch', T.open.pointsMismatch(s.text, fmt(score), fmt(ctx.points)));
    if (c) bands.push({ ...c.bounds, score });
    else if (OTHERWISE.test(s.cond.replace(/^[，,]/, ''))) {
      if (otherwise !== undefined) return open('unrecognised', T.open.unrecognised);
      otherwise = score;
    } else return open('unrecognised', T.open.unrecognised);
  }
  const max = Math.max(...bands.map((b) => b.score), otherwise ?? 0);
  if (max !== ctx.points) {
    const top = comparisons.find((x) => scoreOf(x.s.outcome, ctx.points) === max)!;
    return open('points_mismatch', T.open.pointsMismatch(top.s.text, fmt(max), fmt(ctx.points)));
  }
  const assumptions: string[] = [];
  const cov = coverageProblems(bands.map(({ score: _s, ...b }) => b));
  if (cov.overlaps.length) return open('overlap', T.open.overlap(cov.overlaps.join('；')));
  if (otherwise === undefined && cov.gaps.length) {
    const points = cov.gaps.map((g) => /nothing covers exactly (-?[\d.]+)/.exec(g)?.[1]).filter((x): x is string => !!x);
    if (bands.length === 1) {
      // All or nothing (shape 1 over a quantity): "在90%以上，得2分" says nothing of the rest, which earns nothing.
      if (bands[0]!.score !== ctx.points) return open('no_score', T.open.noOtherwise);
      otherwise = 0;
      assumptions.push(T.assume.otherwiseZero);
    } else if (points.length === cov.gaps.length && points.length === 1) {
      // "大于90%的得2分，小于90%得1分": exactly 90 meets neither; it does not meet the higher tier's
      // condition, so it takes the lower tier's score.
      const at = Number(points[0]);
      const touching = bands.filter((b) => b.gt === at || b.lt === at);
      const lowerTier = touching.reduce((a, b) => (b.score < a.score ? b : a));
      if (touching.length !== 2 || touching[0]!.score === touching[1]!.score) return open('gap', T.open.gap(cov.gaps.join('；')));
      const { score: tierScore, ...tierBounds } = lowerTier;
      const widened: Band =
        lowerTier.gt === at
          ? { ...(({ gt: _gt, ...b }) => b)(tierBounds), gte: at, score: tierScore }
          : { ...(({ lt: _lt, ...b }) => b)(tierBounds), lte: at, score: tierScore };
      bands[bands.indexOf(lowerTier)] = widened;
      assumptions.push(T.assume.boundaryLower(fmt(at), bound.quantities.metrics[0]?.unit === '%' || bound.key.startsWith('rate') ? '%' : '', fmt(lowerTier.score)));
    } else {
      return open('gap', T.open.gap(describeGaps(cov.gaps)));
    }
  }
  const rule: Rule = {
    kind: 'bands',
    metric: bound.key,
    direction: bound.lowerIsBetter ? 'lower' : 'higher',
    bands,
    ...(otherwise !== undefined ? { otherwise } : {}),
  };
  return done(rule, ctx, bound.quantities, assumptions);
}

/**
 * Prose without any score ("各项工作完成率达到90%及以上"): open, with the
 * all-or-nothing reading as a suggestion (a threshold on the quantity when the prose gives one).
 */
function compileNoScore(p: Parsed, ctx: CompileContext): CompileResult {
  const cond = p.loose.join('，');
  const comparison = parseComparison(cond);
  const bound = comparison ? bindQuantity(comparison.phrase, ctx, comparison.unit) : undefined;
  if (comparison && bound && !comparison.unmarkedRange) {
    const rule: Rule = { kind: 'bands', metric: bound.key, direction: bound.lowerIsBetter ? 'lower' : 'higher', bands: [{ ...comparison.bounds, score: ctx.points }], otherwise: 0 };
    const labels = (k: string) => bound.quantities.metrics.find((m) => m.key === k)?.label ?? k;
    return open('no_score', T.open.noScore, { rule, text: describeRule(rule, ctx.points, labels), quantities: bound.quantities });
  }
  const qualitative = compileQualitative(cond, ctx);
  if (qualitative) return qualitative;
  const rule: Rule = judgementRule(cond, ctx, 0);
  return open('no_score', T.open.noScore, { rule, text: describeRule(rule, ctx.points, (k) => k), quantities: NO_QUANTITIES });
}

/**
 * A qualitative criterion with no score at all ("办公流程和业务开展网上综合办公平台全覆盖"): one
 * condition, no number, no quantity, no vague standard. 财预〔2020〕10号 scores such indicators in
 * three levels of the row's points (达成 100–80%, 部分达成 80–60%, 未达成 60–0%, the evaluator
 * scoring inside the level with a reason; domain.md shape 11). Anything more (several clauses, a
 * rate, a number) stays a question.
 */
function compileQualitative(cond: string, ctx: CompileContext): Compiled | undefined {
  const c = stripDe(cond);
  if (/[\d%；;，,、]/.test(c) || VAGUE.test(c) || bindLibraryMetric(c) || findLocalRateWord(c) || /标杆|标准|要求|目标值|指标值/.test(c)) return undefined;
  if ((c.match(/[\u3400-\u9fff]/g) ?? []).length < 4) return undefined;
  const yes = c.replace(/是否/g, '');
  const rule: Rule = {
    kind: 'graded',
    question: T.qualitativeQuestion(yes),
    levels: [
      { label: yes, minShare: 0.8, maxShare: 1 },
      { label: T.qualitativePartly, minShare: 0.6, maxShare: 0.8 },
      { label: T.qualitativeNot, minShare: 0, maxShare: 0.6 },
    ],
  };
  return done(rule, ctx, NO_QUANTITIES, [T.assume.qualitativeLevels]);
}

/** Shapes 1 and 11: judgements and graded judgements. */
function compileJudgement(p: Parsed, text: string, ctx: CompileContext): CompileResult {
  const vague = VAGUE.exec(text);
  // A quantity named by the prose, or, with a vague standard, by the indicator itself
  // ("部门预算执行率" + "达到财政考核要求的得1分": the standard needs a number).
  const rateWord =
    bindLibraryMetric(text)?.metric.label ??
    findLocalRateWord(text) ??
    (vague ? (bindLibraryMetric(ctx.name)?.metric.label ?? findLocalRateWord(ctx.name)) : undefined);
  if (!p.statements.length && !(rateWord && vague)) return compileNoScore(p, ctx);
  const bare = new RegExp(`(${rateWord ?? '率'}|度)[^，,；;]*?${N}%`).exec(text);
  if (rateWord && !vague && bare) {
    // "完成率100%得10分": a number without 以上/以下/达到, so the boundary is not known.
    return open('no_boundary', T.open.noBoundary(bare[0]));
  }
  if (rateWord && (vague || p.statements.length > 0)) {
    // A quantity is named but no number: the standard is missing.
    return open('vague_standard', vague ? T.open.vague(vague[1]!) : T.open.noStandard(rateWord));
  }
  const positive: Statement[] = [];
  let noScore: number | undefined;
  let negativeText: string | undefined;
  // Clauses whose amount a person decides ("部分做到的酌情打分"): partial credit, once the full-score clause is known.
  const decided: Statement[] = [];
  for (const s of p.statements) {
    if (s.outcome.t === 'add' || s.outcome.t === 'step') return open('unrecognised', T.open.unrecognised);
    const c = s.cond.replace(/^[，,]/, '');
    if (!c) return open('no_score', T.open.noCondition);
    if (s.outcome.t === 'deduct' && s.outcome.n === undefined) {
      decided.push(s);
      continue;
    }
    const isOtherwise = OTHERWISE.test(c) || (positive.length > 0 && NEGATIVE_PREFIX.test(c) && isNegationOf(c, positive[0]!.cond));
    // A condition with a percentage or a score in it is a comparison the grammar did not read; one
    // without words is not a condition.
    if (!isOtherwise && (/\d+(?:\.\d+)?[%分]/.test(c) || !/[\u3400-\u9fff]/.test(c))) return open('unrecognised', T.open.unrecognised);
    const score = scoreOf(s.outcome, ctx.points);
    if (score === undefined) return open('unspecified_deduction', T.open.unspecifiedDeduction(s.text));
    if (score > ctx.points) return open('points_mismatch', T.open.pointsMismatch(s.text, fmt(score), fmt(ctx.points)));
    if (isOtherwise) {
      if (noScore !== undefined) return open('unrecognised', T.open.unrecognised);
      noScore = score;
      negativeText = c;
    } else if (s.outcome.t === 'deduct' && positive.length === 0) {
      // Several failures with their own deductions ("未公开的扣1分，公开不及时的扣0.5分") are not one judgement.
      if (noScore !== undefined) return open('unrecognised', T.open.unrecognised);
      // "未按规定…的扣1分" alone: a failure costs the stated points.
      noScore = score;
      negativeText = c;
    } else positive.push(s);
  }
  if (decided.length) {
    // One full-score condition and one clause for "partly / not fully" (部分做到, 不完善, 否则视情况扣分):
    // a judgement with partial credit. Anything else leaves the amount unknown.
    const d = decided[0]!;
    const c = stripDe(d.cond);
    // The full-score clause, and at most one failure clause with its own score ("未建立的不得分").
    const fulls = positive.filter((s) => scoreOf(s.outcome, ctx.points) === ctx.points);
    const full = fulls.length === 1 ? fulls[0]! : undefined;
    const failures = positive.filter((s) => s !== full);
    const failure = failures.length === 1 && noScore === undefined && NEGATIVE_PREFIX.test(stripDe(failures[0]!.cond)) ? failures[0] : undefined;
    const partly = full && (PARTIAL_CONDITION.test(c) || OTHERWISE.test(c) || negates(c, full.cond));
    if (decided.length > 1 || !full || !partly || (failures.length && !failure) || (stripDe(full.cond).match(/[\u3400-\u9fff]/g) ?? []).length < 2)
      return open('unspecified_deduction', T.open.unspecifiedDeduction(d.text));
    const base = failure
      ? judgementRule(full.cond, ctx, scoreOf(failure.outcome, ctx.points)!, failure.cond)
      : judgementRule(full.cond, ctx, noScore ?? 0, negativeText);
    if (base.kind !== 'judgement' || (base.noScore ?? 0) >= ctx.points) return open('unspecified_deduction', T.open.unspecifiedDeduction(d.text));
    return done({ ...base, partial: true }, ctx, NO_QUANTITIES);
  }
  if (positive.length === 0) {
    if (noScore === undefined) return open('unrecognised', T.open.unrecognised);
    // Only the failure is described ("未…的扣1分"): meeting the requirement keeps the points.
    const rule: Rule = {
      kind: 'judgement',
      question: T.judgementQuestionNegative(negativeText!),
      yes: T.judgementYesNegative(negativeText!),
      no: stripDe(negativeText!),
      ...(noScore ? { noScore } : {}),
    };
    return done(rule, ctx, NO_QUANTITIES);
  }
  if (positive.length === 1) {
    const s = positive[0]!;
    const score = scoreOf(s.outcome, ctx.points)!;
    if ((stripDe(s.cond).match(/[\u3400-\u9fff]/g) ?? []).length < 2) return open('no_score', T.open.noCondition);
    if (score !== ctx.points) {
      // The organiser may accept the row's own points ("得4分" in a 5-point row is usually a slip).
      const rule = judgementRule(s.cond, ctx, Math.min(noScore ?? 0, ctx.points));
      return open('points_mismatch', T.open.pointsMismatch(s.text, fmt(score), fmt(ctx.points)), {
        rule,
        text: describeRule(rule, ctx.points, (k) => k),
        quantities: NO_QUANTITIES,
      });
    }
    return done(judgementRule(s.cond, ctx, noScore ?? 0, negativeText), ctx, NO_QUANTITIES);
  }
  // Several conditions with their own scores: a graded judgement (充分：3分；一般：1.5分；没有：0分).
  const levels = positive.map((s) => ({ label: stripDe(s.cond), score: scoreOf(s.outcome, ctx.points)! }));
  if (noScore !== undefined) levels.push({ label: negativeText && stripDe(negativeText) ? stripDe(negativeText) : T.otherLevel, score: noScore });
  const max = Math.max(...levels.map((l) => l.score));
  if (max !== ctx.points) {
    const top = positive.find((s) => scoreOf(s.outcome, ctx.points) === max)!;
    return open('points_mismatch', T.open.pointsMismatch(top.text, fmt(max), fmt(ctx.points)));
  }
  if (new Set(levels.map((l) => l.label)).size !== levels.length || levels.some((l) => !l.label))
    return open('unrecognised', T.open.unrecognised);
  if (noScore === undefined && !levels.some((l) => l.score === 0)) levels.push({ label: T.otherLevel, score: 0 });
  return done({ kind: 'graded', question: T.gradedQuestion(ctx.name), levels }, ctx, NO_QUANTITIES);
}

/** Whether a condition says the positive one is not (fully) met: "不完善" of "制度完善", "资料不齐全" of "档案资料齐全". */
function negates(neg: string, pos: string): boolean {
  if (NEGATIVE_PREFIX.test(neg) && isNegationOf(neg, pos)) return true;
  const m = /(?:不|未|没有)([\u3400-\u9fff]{2,})$/.exec(stripDe(neg));
  return !!m && stripDe(pos).includes(m[1]!.slice(0, 2));
}

function isNegationOf(neg: string, pos: string): boolean {
  const core = stripDe(neg).replace(NEGATIVE_PREFIX, '').replace(/^(?:能|按|达到)/, '');
  return core.length > 0 && stripDe(pos).includes(core.slice(0, Math.min(core.length, 4)));
}

function stripDe(s: string): string {
  return s.replace(/^[，,]/, '').replace(/(?:的|者)$/, '').replace(/^(?:若|如|凡)/, '').trim();
}

function judgementRule(cond: string, ctx: CompileContext, noScore: number, negative?: string): Rule {
  const c = stripDe(cond) || ctx.name;
  const yes = c.replace(/是否/g, '');
  return {
    kind: 'judgement',
    question: T.judgementQuestion(c),
    yes,
    no: negative && stripDe(negative) && !OTHERWISE.test(stripDe(negative)) ? stripDe(negative) : T.judgementNo(yes),
    ...(noScore ? { noScore } : {}),
  };
}

/**
 * Compiles one row's 评价要点 into a rule, or says why it needs confirmation. `ctx.points` is the
 * row's 分值: a score in the prose that does not fit it ("得4分" in a 5-point row) leaves the row open.
 */
export function compileCriteria(criteria: string, ctx: CompileContext): CompileResult {
  const text = normaliseText(criteria ?? '').replace(/[。.]+$/, '');
  if (!text) return open('empty', T.open.empty);
  const flat = text.replace(/\n/g, '；');
  const special =
    compileDiscretionary(flat, ctx) ??
    compileChecklist(flat, ctx) ??
    compileShareLevels(flat, ctx) ??
    compilePerViolation(flat, ctx) ??
    compileProportional(flat, ctx);
  if (special) return special;
  const parsed = parseStatements(flat);
  if (parsed.statements.some((s) => s.outcome.t === 'add')) return open('unrecognised', T.open.bonusInIndicator);
  const result = compileNotExceeding(parsed, flat, ctx) ?? compileQuantitative(parsed, ctx) ?? compileJudgement(parsed, flat, ctx);
  // A trailing clause with no score and no way of scoring is asked about, never dropped from a rule.
  if (result.ok && parsed.statements.length && parsed.loose.length) return open('unrecognised', PT.looseClause(parsed.loose.join('，')));
  return result;
}

/** Bonus table (shape 13): "受到国务院嘉奖加3分，…；同一项工作不累计加分". */
export interface BonusTable {
  items: Array<{ key: string; label: string; points: number }>;
  /** undefined when the prose does not say whether awards for the same work add up. */
  cumulative: boolean | undefined;
}

/** Parses a bonus table from prose; undefined when no "加N分" item is found. */
export function parseBonusTable(criteria: string): BonusTable | undefined {
  const text = normaliseText(criteria);
  const items: BonusTable['items'] = [];
  for (const part of text.split(/[，,；;。\n]/)) {
    const m = new RegExp(`^(.*?)(?:的)?(?:加|得|计)${N}分$`).exec(part.trim());
    if (m && m[1]) items.push({ key: `bonus${items.length + 1}`, label: m[1].replace(/的$/, ''), points: Number(m[2]) });
  }
  if (!items.length) return undefined;
  const cumulative = /不(?:累计|累加|重复)(?:加分)?|不可累计|取最高|按最高/.test(text)
    ? false
    : /可(?:累计|累加)|累计加分/.test(text)
      ? true
      : undefined;
  return { items, cumulative };
}
