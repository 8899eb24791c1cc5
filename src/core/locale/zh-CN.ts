/**
 * Every sentence a user reads, in simplified Chinese. One section per area of the core; code elsewhere
 * takes its words from here rather than writing literals.
 */

/** Words used by scoring: reasons for scores, deductions, missing inputs. Numbers arrive formatted. */
export const scoringText = {
  got: (score: string, points: string) => (score === '0' ? `不得分（满分${points}分）` : `得${score}分（满分${points}分）`),
  judgementYes: (yes: string) => yes,
  judgementNo: (no: string, reason?: string) => (reason ? `${no}（${reason}）` : no),
  metricIs: (label: string, value: string, unit: string) => `${label}${value}${unit}`,
  /** Where a value sits against a band: "低于90%", "在80%（含）至90%之间". */
  band: {
    eq: (v: string) => `为${v}`,
    gt: (v: string) => `高于${v}`,
    gte: (v: string) => `达到${v}（含）以上`,
    lt: (v: string) => `低于${v}`,
    lte: (v: string) => `不超过${v}`,
    between: (lo: string, loClosed: boolean, hi: string, hiClosed: boolean) =>
      `在${lo}${loClosed ? '（含）' : ''}至${hi}${hiClosed ? '（含）' : ''}之间`,
    outside: '不在评分标准列明的档次内',
  },
  stepsFull: (cond: string) => `${cond}`,
  stepsCut: (cond: string) => `${cond}`,
  stepsDeduct: (distance: string, step: string, deduct: string, lost: string) =>
    `距满分标准${distance}个百分点，每${step}个百分点扣${deduct}分，扣${lost}分`,
  proportional: (target: string) => `目标值${target}，按比例计分`,
  checklistMet: (items: string) => `已满足：${items}`,
  checklistUnmet: (items: string) => `未满足：${items}`,
  perViolation: (counted: string, count: number, deduct: string) =>
    count === 0 ? `无${counted}` : `${counted}${count}例，每例扣${deduct}分`,
  graded: (level: string, reason?: string) => `评价为「${level}」${reason ? `：${reason}` : ''}`,
  notExceeding: (actual: string, limit: string) => `${actual}，未超过${limit}`,
  exceeding: (actual: string, limit: string) => `${actual}，超过${limit}`,
  discretionary: (reason?: string) => (reason ? `酌情评分：${reason}` : '酌情评分'),
  notApplicable: (reason: string) => `不适用：${reason}`,
  missing: (what: string) => `待填写：${what}`,
  missingDecision: '需人工确定得分并说明理由',
  divisionByZero: (label: string) => `${label}的分母为0，无法计算`,
  deduction: (lost: string) => `扣${lost}分`,
  bonusAward: (label: string, points: string, work?: string) => `${work ? `${work}：` : ''}${label}，加${points}分`,
  bonusSameWork: (work: string, label: string) => `${work}：${label}（同一项工作不累计加分，取最高一项）`,
  bonusCapped: (raw: string, cap: string) => `加分合计${raw}分，超过上限${cap}分，按${cap}分计`,
  penalty: (reason: string, points: string) => `${reason}，扣${points}分`,
  penaltyCapped: (raw: string, cap: string) => `减分合计${raw}分，超过上限${cap}分，按${cap}分计`,
  rebased: (applicable: string, base: string) => `部分指标不适用，按适用指标满分${applicable}分折算为百分制：${base}分`,
  metricConflict: (label: string, direct: string, computed: string, formula: string) =>
    `${label}直接填报为${direct}，按基础数据计算为${computed}（${formula}），两者不一致，请确认以哪个为准`,
  checkFailed: (label: string, left: string, leftValue: string, right: string, rightValue: string, diff: string) =>
    `${label}核对不符：${left} = ${leftValue}，${right}为${rightValue}，相差${diff}`,
  defaultKeyTask: {
    question: (name: string) => `「${name}」是否按年初目标完成并取得良好质效？`,
    yes: (name: string) => `${name}按年初目标完成并取得良好质效`,
    no: (name: string) => `${name}未完成年初目标`,
  },
} as const;

/** Problems with an answers file or a framework's use of it. */
export const answersText = {
  unknownFact: (key: string) => `未知的基础数据「${key}」`,
  unknownMetric: (key: string) => `未知的指标数据「${key}」`,
  notDirect: (label: string) => `「${label}」由基础数据计算得出，不能直接填报`,
  unknownIndicator: (code: string) => `未知的指标编码「${code}」`,
  notJudged: (code: string, name: string) => `指标「${code} ${name}」按数据计分，不需要判断`,
  wrongAnswer: (code: string, name: string, expected: string) => `指标「${code} ${name}」的答案应为${expected}`,
  outOfRange: (label: string, value: string, min?: string, max?: string) =>
    `「${label}」的值${value}超出范围${min !== undefined ? `（不小于${min}` : '（'}${min !== undefined && max !== undefined ? '，' : ''}${max !== undefined ? `不大于${max}` : ''}）`,
  notInteger: (label: string) => `「${label}」应为整数`,
  unknownLevel: (code: string, level: string, levels: string) => `指标「${code}」没有「${level}」这一档（可选：${levels}）`,
  scoreOutsideLevel: (code: string, level: string, min: string, max: string) =>
    `指标「${code}」评为「${level}」时得分应在${min}至${max}分之间`,
  scoreOutOfRange: (code: string, points: string) => `指标「${code}」的得分应在0至${points}分之间`,
  reasonRequired: (code: string) => `指标「${code}」未得满分，请说明扣分理由`,
  unknownChecklistItem: (code: string, item: string) => `指标「${code}」没有「${item}」这一项`,
  notSlot: (code: string) => `指标「${code}」不接受重点工作填报`,
  keyTaskPoints: (code: string, total: string, points: string) => `「${code}」下重点工作分值合计${total}分，应为${points}分`,
  keyTaskCount: (code: string, min: number, max: number) => `「${code}」下重点工作应为${min}至${max}项`,
  keyTaskKind: (code: string, kind: string) => `重点工作「${code}」不能使用「${kind}」评分方式`,
  duplicateCode: (code: string) => `指标编码「${code}」重复`,
  unknownBonusItem: (item: string, items: string) => `加分项中没有「${item}」（可选：${items}）`,
  noBonusSection: '该指标体系没有加分项',
  noPenaltySection: '该指标体系没有减分项',
  notApplicableRequired: (code: string) => `指标「${code}」为必评指标，不能标记为不适用`,
  unknownNarrative: (key: string) => `未知的报告段落「${key}」`,
  unknownChoice: (key: string) => `「${key}」不是需要确认的指标数据`,
} as const;

/** The score command (`npm run score`). */
export const scoreCliText = {
  usage: '用法：npm run score -- --framework <指标体系编号或 .json 文件> --answers <答案文件.json> [--json]',
  invalidAnswers: (file: string, n: number) => `${file} 有 ${n} 处问题，未计算得分：`,
  header: ['编码', '指标', '分值', '得分', '说明'] as const,
  status: { complete: '', missing: '待填', not_applicable: '不适用' } as const,
  adjustments: (name: string) => name,
  totalLine: (base: string, bonus: string, penalty: string, total: string, grade: string) =>
    `基础分 ${base} ＋ 加分 ${bonus} － 减分 ${penalty} ＝ 总分 ${total}，等级：${grade}`,
  counts: (answered: number, total: number, na: number) => `已填 ${answered}/${total} 项${na ? `（另有 ${na} 项不适用）` : ''}`,
  incomplete: (n: number) => `尚有 ${n} 项待填写：以上为部分得分，不是最终结果。`,
  deductions: '扣分情况：',
  inconsistencies: '数据核对：',
  metrics: '指标数据：',
} as const;
