/**
 * The shared library of quantities that scoring prose names (预算执行率, “三公”经费, 满意度…): each
 * with its synonyms, the facts it derives from and its formula. The compiler binds a phrase to an
 * entry; the importer copies the entries a framework uses (and their facts) into it.
 *
 * Fact keys follow templates/frameworks/nanjing-2021.json where the quantity exists there
 * (adjustedBudget, carryoverStart, spending…), so imported Nanjing frameworks share answers with it.
 *
 * @example bindMetric('年度预算执行率') // { entry: budgetExecutionRate, ... }
 */
import type { Fact, Metric } from '../framework/schema';

/** A fact a library metric is computed from. */
export type LibraryFact = Omit<Fact, 'section'>;

/** One entry of the library. */
export interface LibraryMetric {
  metric: Omit<Metric, 'section'>;
  /** Phrases that name it in prose, longest first when matching. */
  synonyms: string[];
  /** Facts its formula (or a not-exceeding rule) reads. */
  facts: string[];
  /** Lower values are better (变动率, 调整率, 控制率 against 100%). */
  lowerIsBetter?: boolean;
}

const money = (key: string, label: string, question?: string): LibraryFact => ({
  key,
  label,
  unit: '万元',
  question: question ?? `${label}是多少？（万元）`,
  min: 0,
});

/** Facts the library's formulas read. */
export const LIBRARY_FACTS: readonly LibraryFact[] = [
  money('initialBudget', '年初部门预算数'),
  money('adjustedBudget', '调整后部门预算数'),
  money('carryoverStart', '年初结转和结余'),
  money('spending', '本年实际支出数'),
  money('carryoverEnd', '年末结转和结余'),
  money('projectSpending', '项目支出'),
  money('projectBudget', '项目支出预算数（调整后）'),
  money('projectSpendingActual', '项目支出实际执行数'),
  money('keyProjectSpending', '重点项目支出'),
  money('threePublicSpending', '“三公”经费实际支出'),
  money('threePublicBudget', '“三公”经费预算数'),
  money('threePublicLastYear', '上年“三公”经费支出'),
  money('revenueBudget', '财政拨款收入预算数'),
  money('revenueFinal', '财政拨款收入决算数'),
  money('idleFundsEnd', '本年末国库集中支付结转结余存量资金'),
  money('idleFundsStart', '上年末国库集中支付结转结余存量资金'),
  money('procurementActual', '实际政府采购金额'),
  money('procurementBudget', '政府采购预算'),
  money('publicExpenseActual', '实际公用经费支出'),
  money('publicExpenseBudget', '预算安排的公用经费'),
  { key: 'staffActual', label: '实有在职人数', unit: '人', question: '年末实有在职人数是多少？', min: 0, integer: true },
  { key: 'staffAuthorised', label: '编制人数', unit: '人', question: '核定编制人数是多少？', min: 0, integer: true },
];

const rate = (
  key: string,
  label: string,
  synonyms: string[],
  formula: string | undefined,
  facts: string[],
  extra: Partial<LibraryMetric['metric']> = {},
  lowerIsBetter = false,
): LibraryMetric => ({
  metric: {
    key,
    label,
    unit: '%',
    ...(formula ? { formula, direct: true } : {}),
    question: `${label}是多少？（%）`,
    decimals: 2,
    ...extra,
    synonyms: synonyms.filter((s) => s !== label),
  },
  synonyms: [label, ...synonyms].sort((a, b) => b.length - a.length),
  facts,
  ...(lowerIsBetter ? { lowerIsBetter } : {}),
});

/** Every library metric. */
export const LIBRARY_METRICS: readonly LibraryMetric[] = [
  rate(
    'budgetExecutionRate',
    '预算执行率',
    ['年末预算执行率', '年度预算执行率', '部门预算执行率', '整体预算执行率', '预算执行比率'],
    'spending / (adjustedBudget + carryoverStart) * 100',
    ['spending', 'adjustedBudget', 'carryoverStart'],
    { min: 0, max: 200 },
  ),
  rate(
    'projectExecutionRate',
    '项目预算执行率',
    ['专项资金执行率', '项目支出执行率', '项目资金执行率'],
    'projectSpendingActual / projectBudget * 100',
    ['projectSpendingActual', 'projectBudget'],
    { min: 0, max: 200 },
  ),
  rate(
    'budgetAdjustmentRate',
    '预算调整率',
    ['预算调整比率'],
    '(adjustedBudget - initialBudget) / initialBudget * 100',
    ['adjustedBudget', 'initialBudget'],
    {},
    true,
  ),
  rate(
    'keySpendingRate',
    '重点支出安排率',
    ['重点项目支出安排率'],
    'keyProjectSpending / projectSpending * 100',
    ['keyProjectSpending', 'projectSpending'],
    { min: 0, max: 100 },
  ),
  rate(
    'threePublicChangeRate',
    '“三公”经费变动率',
    ['三公经费变动率', '"三公"经费变动率', '"三公经费"变动率'],
    '(threePublicSpending - threePublicLastYear) / threePublicLastYear * 100',
    ['threePublicSpending', 'threePublicLastYear'],
    {},
    true,
  ),
  rate(
    'staffControlRate',
    '在职人员控制率',
    ['人员控制率'],
    'staffActual / staffAuthorised * 100',
    ['staffActual', 'staffAuthorised'],
    { min: 0 },
    true,
  ),
  rate(
    'revenueVarianceRate',
    '财政拨款收入预决算差异率',
    ['预决算差异率', '收入预决算差异率'],
    '(revenueFinal - revenueBudget) / revenueBudget * 100',
    ['revenueFinal', 'revenueBudget'],
    {},
    true,
  ),
  rate(
    'spendingCompletionRate',
    '支出完成率',
    ['预算支出完成率'],
    'spending / (revenueFinal + carryoverStart) * 100',
    ['spending', 'revenueFinal', 'carryoverStart'],
    { min: 0, max: 200 },
  ),
  rate(
    'carryoverRate',
    '结转结余率',
    ['结余结转率'],
    'carryoverEnd / (carryoverStart + revenueFinal) * 100',
    ['carryoverEnd', 'carryoverStart', 'revenueFinal'],
    { min: 0 },
    true,
  ),
  rate(
    'idleFundsChangeRate',
    '存量资金变动率',
    ['结转结余存量资金变动率', '国库集中支付结转结余存量资金变动率'],
    '(idleFundsEnd / idleFundsStart - 1) * 100',
    ['idleFundsEnd', 'idleFundsStart'],
    {},
    true,
  ),
  rate(
    'procurementExecutionRate',
    '政府采购执行率',
    ['采购执行率'],
    'procurementActual / procurementBudget * 100',
    ['procurementActual', 'procurementBudget'],
    { min: 0, max: 200 },
  ),
  rate(
    'publicExpenseControlRate',
    '公用经费控制率',
    [],
    'publicExpenseActual / publicExpenseBudget * 100',
    ['publicExpenseActual', 'publicExpenseBudget'],
    { min: 0 },
    true,
  ),
  rate('satisfactionRate', '满意度', ['服务对象满意度', '满意率', '社会满意度', '群众满意度'], undefined, [], {
    question: '服务对象、管理对象对部门工作的满意度是多少？（%）',
    min: 0,
    max: 100,
  }),
];

/** "三公" spending for not-exceeding rules: the phrases, and the actual/limit facts. */
export const THREE_PUBLIC = {
  phrases: ['"三公"经费', '三公经费', '"三公经费"'],
  actual: 'threePublicSpending',
  limit: 'threePublicBudget',
} as const;

/**
 * Words that name a rate specific to one indicator (办理率, 完成率…). Such a rate gets its own directly
 * entered metric, keyed by the indicator's code, because two indicators' 完成率 are different figures.
 */
export const LOCAL_RATE_WORDS = [
  '完成率', '办理率', '办理比率', '办结率', '达标率', '及时率', '覆盖率', '满意度', '满意率', '好评率', '处置率', '测评率',
  '执行率', '落实率', '整改率', '反馈率', '利用率', '到位率', '合格率', '知晓率', '参与率', '响应率', '准确率', '应诉率',
  '控制率', '比率', '比例',
];

/** The library entry a key names. */
export function findLibraryMetric(key: string): LibraryMetric | undefined {
  return LIBRARY_METRICS.find((m) => m.metric.key === key);
}

/** The library fact a key names. */
export function findLibraryFact(key: string): LibraryFact | undefined {
  return LIBRARY_FACTS.find((f) => f.key === key);
}

const strip = (s: string) => s.replace(/["“”'‘’\s]/g, '');

/**
 * Binds a phrase (the words before a comparison: "年度预算执行率", "满意度比率") to a library metric.
 * Returns the entry whose synonym the phrase contains, preferring the longest synonym; undefined when
 * none matches (or, with `whole`, when the phrase says more than the synonym and its qualifiers).
 */
export function bindLibraryMetric(phrase: string, options: { whole?: boolean } = {}): LibraryMetric | undefined {
  const p = strip(phrase);
  let best: { entry: LibraryMetric; len: number; rest: string } | undefined;
  for (const entry of LIBRARY_METRICS) {
    for (const syn of entry.synonyms) {
      const s = strip(syn);
      if (p.includes(s) && (!best || s.length > best.len)) best = { entry, len: s.length, rest: p.replace(s, '') };
    }
  }
  // With `whole`, the phrase may add only qualifiers ("年度", "部门"): "项目资金预算执行率" is another figure.
  if (best && options.whole && !QUALIFIERS.test(best.rest)) return undefined;
  return best?.entry;
}

/** Words that qualify a library quantity without changing it. */
const QUALIFIERS = /^(?:年度|年末|本年度|本年|全年|当年|部门|单位|本单位|本部门|整体|的|、|和|及|与|服务对象|管理对象|对部门工作|群众|社会|公众)*$/;

/** Whether the phrase names “三公”经费 spending itself (not its 变动率). */
export function namesThreePublic(phrase: string): boolean {
  const p = strip(phrase);
  return p.includes('三公') && !/变动率|控制率/.test(p.replace(/三公经费/, ''));
}

/** The local rate word a phrase ends with or contains, if any ("办理比率" → "办理比率"). */
export function findLocalRateWord(phrase: string): string | undefined {
  const p = strip(phrase);
  return [...LOCAL_RATE_WORDS].sort((a, b) => b.length - a.length).find((w) => p.includes(w));
}
