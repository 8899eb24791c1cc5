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

/** Words of the self-evaluation report (.docx) and its score table (.docx annex, .xlsx). Numbers arrive formatted. */
export const reportText = {
  /** "南京市数据局2024年度部门整体绩效自评价报告" */
  title: (unit: string, year: number) => `${unit}${year}年度部门整体绩效自评价报告`,
  titleYearLine: (year: number) => `${year}年度部门整体绩效自评价报告`,
  coverLines: (year: number) => [`${year}年度部门整体`, '绩效自评价报告'],
  /** "二〇二五年六月" */
  coverDate: (d: Date) => {
    const digits = '〇一二三四五六七八九';
    const y = String(d.getFullYear()).replace(/\d/g, (c) => digits[Number(c)]!);
    return `${y}年${reportText.ordinal(d.getMonth() + 1)}月`;
  },
  /** Chinese numerals 1–99: 一, 十, 十一, 二十三. */
  ordinal: (n: number) => {
    const d = ['', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    if (n < 10) return d[n]!;
    const tens = Math.floor(n / 10);
    return `${tens === 1 ? '' : d[tens]}十${d[n % 10]}`;
  },
  heading1: (n: number, text: string) => `${reportText.ordinal(n)}、${text}`,
  heading2: (n: number, text: string) => `（${reportText.ordinal(n)}）${text}`,
  heading3: (n: number, text: string) => `${n}.${text}`,
  sections: {
    overview: '部门概况',
    basicInfo: '部门基本情况',
    finances: '部门收支情况',
    goals: '部门绩效目标',
    conclusion: '评价结论',
    achievements: '部门履职成效',
    problems: '存在问题及原因分析',
    suggestions: '有关建议',
    process: '评价工作开展情况及其他需要说明的情况',
    processBasics: '评价基本情况',
    processOrganisation: '评价组织实施',
    other: '其他需要说明的情况',
  },
  /** Titles of the narratives the layout places, when the framework does not name them. */
  narrativeTitles: {
    basicInfo: '部门基本情况',
    finances: '部门收支情况',
    longTermGoals: '中长期规划',
    annualGoals: '年度绩效目标',
    achievements: '部门履职成效',
    overallGoals: '部门整体支出绩效目标',
    problems: '存在问题及原因分析',
    suggestions: '有关建议',
    process: '评价工作开展情况',
  } as Record<string, string>,
  /** The marker left in the text where an answer is missing. */
  pending: (what: string) => `【待填写：${what}】`,
  /** A score cell of the table whose score is not known yet. */
  pendingCell: '待填写',
  notApplicableCell: '不适用',
  /** "年初部门预算数5763.6万元" */
  figure: (label: string, value: string) => `${label}${value}`,
  financesLead: (unit: string, year: number) => `${unit}${year}年度`,
  /** "预算执行率为85.72%（本年实际支出数 ÷ (…) = 5959.46 ÷ (…)）" */
  metricWorked: (label: string, value: string, formula: string, workings: string) =>
    `${label}为${value}（${formula} = ${workings}）`,
  evidenceSource: (list: string) => `（依据：${list}）`,
  /** What an indicator still needs, for the marker and the missing list. */
  missing: {
    indicator: (name: string, what: string) => `${name}（${what}）`,
    judgement: '评价结论',
    score: '得分',
    decision: '得分及扣分理由',
    confirm: (label: string) => `确认${label}以直接填报值还是计算值为准`,
    keyTasks: '重点工作及分值',
    metricVia: (label: string, facts: string) => `${label}，或${facts}`,
    narrative: (title: string) => title,
    fact: (label: string) => label,
  },
  conclusionIntro: (
    unit: string,
    aspects: string[],
    basePoints: string,
    base: string,
    adjustments: string,
    total: string,
    grade: string,
  ) =>
    `围绕${unit}整体绩效评价指标体系开展自评价，从${aspects.join('、')}${aspects.length}个方面开展评价，基础分总分${basePoints}分，自评基础分${base}分；${adjustments ? `${adjustments}，` : ''}自评总分${total}分，评价等级为“${grade}”。具体评价情况如下：`,
  conclusionIncomplete: (n: number) => `尚有${n}项指标未评分，评价结论待全部指标填报后确定`,
  adjustmentsPhrase: (name: string, bonus: string, penalty: string) => {
    const b = bonus !== '0';
    const p = penalty !== '0';
    if (b && p) return `${name}加${bonus}分、减${penalty}分`;
    if (b) return `${name}加${bonus}分`;
    if (p) return `${name}减${penalty}分`;
    return `${name}不加分、不减分`;
  },
  rebasedNote: (note: string) => `${note}。`,
  level1Heading: (name: string, points: string, score: string) => `${name}（总分${points}分，自评价得分${score}分）`,
  level1HeadingNotApplicable: (name: string, points: string) => `${name}（总分${points}分，不适用）`,
  level2Lead: (n: number, name: string, points: string) => `${n}.${name}（${points}分）：`,
  deduction: (lost: string) => `扣${lost}分`,
  itemScore: (score: string) => `本项自评得${score}分。`,
  itemNotApplicable: '本项不适用，不计分。',
  adjustmentsHeading: (name: string, cap: string, net: string) => `${name}（≤${cap}分，自评得分${net}分）`,
  adjustmentsHeadingNoCap: (name: string, net: string) => `${name}（自评得分${net}分）`,
  noBonus: '本年度无加分事项',
  noPenalty: '无减分事项',
  adjustmentsScore: (bonus: string, penalty: string) => {
    const b = bonus !== '0';
    const p = penalty !== '0';
    if (b && p) return `本项自评加${bonus}分，减${penalty}分。`;
    if (b) return `本项自评加${bonus}分。`;
    if (p) return `本项自评减${penalty}分。`;
    return '本项自评不加分、不减分。';
  },
  processBasics: (framework: string, level1: number, level2: number, level3: number, adjustments?: string) =>
    `本次自评价依据《${framework}》，共设置一级指标${level1}个、二级指标${level2}个${level3 ? `、三级指标${level3}个` : ''}${adjustments ? `，另设${adjustments}` : ''}，各指标得分详见附件。`,
  annexReference: (title: string) => `附件：${title}`,
  annexLabel: '附件',
  /** "2024年度南京市数据局整体预算绩效自评价指标体系得分情况" */
  annexTitle: (unit: string, year: number) => `${year}年度${unit}整体预算绩效自评价指标体系得分情况`,
  annexTitleBlank: (framework: string) => `${framework}`,
  columns: ['一级指标', '二级指标', '三级指标', '指标说明', '评价要点', '分值', '自评分'] as readonly string[],
  /** "部门决策（15分）" */
  withPoints: (name: string, points: string) => `${name}（${points}分）`,
  /** "加减分项（≤5分）" */
  withCap: (name: string, cap: string) => `${name}（≤${cap}分）`,
  adjustmentsName: '加减分项',
  totalRow: '合计',
  sheetName: '指标体系得分情况',
  pageNumber: { before: '— ', after: ' —' },
} as const;
  /** `npm run report` */
  cli: {
    usage:
      '用法：npm run report -- --framework <指标体系编号或 .json 文件> --answers <答案文件.json 或文件夹> --out <报告.docx 或文件夹> [--xlsx <得分表.xlsx 或文件夹>] [--unit <单位>] [--year <年度>] [--date <YYYY-MM-DD>]',
    invalidAnswers: (file: string, n: number) => `${file} 有 ${n} 处问题，未生成报告：`,
    noFramework: (file: string) => `${file} 未注明指标体系（framework），请用 --framework 指定`,
    noUnit: (file: string) => `${file} 未注明单位（unit），请用 --unit 指定`,
    noYear: (file: string) => `${file} 未注明年度（year），请用 --year 指定`,
    badYear: (v: string) => `年度「${v}」不是有效的年份`,
    badDate: (v: string) => `日期「${v}」应为 YYYY-MM-DD`,
    emptyFolder: (dir: string) => `文件夹 ${dir} 中没有 .json 答案文件`,
    outNotFolder: (path: string) => `--answers 是文件夹时，--out 也应是文件夹：${path}`,
    written: (file: string) => `已生成 ${file}`,
    summary: (total: string, grade: string, missing: number) =>
      missing ? `总分 ${total} 分（${grade}），尚有 ${missing} 项待填写：` : `总分 ${total} 分（${grade}）`,
    pendingTotal: (missing: number) => `尚有 ${missing} 项待填写，总分未定：`,
    progress: (i: number, n: number, file: string, note: string) => `[${i}/${n}] ${file}：${note}`,
    failed: (i: number, n: number, file: string, problem: string) => `[${i}/${n}] ${file}：失败，${problem}`,
    batchDone: (ok: number, n: number, ms: number) => `完成 ${ok}/${n} 份报告，用时 ${(ms / 1000).toFixed(1)} 秒`,
  },

/** What the server, the console page and the terminal chat say. */
export const serverText = {
  badJson: '请求体不是有效的 JSON',
  badField: (field: string, expected: string) => `字段「${field}」缺失或无效：${expected}`,
  expected: {
    chatId: '应为非空字符串（不超过256字）',
    userId: '应为非空字符串（不超过256字）',
    userName: '应为字符串（不超过100字）',
    chatType: '应为 "group" 或 "p2p"',
    text: '应为字符串（不超过20000字）',
    action: '应为 JSON 对象',
    textOrAction: '需要 text 或 action 其中之一',
  },
  tooLarge: '请求体超过 1 MB',
  internalError: '服务器内部错误，请稍后再试',
  notFound: '未找到',
  fileNotFound: '文件不存在或已删除',
  evaluationNotFound: (id: string) => `未找到自评「${id}」`,
  chatHasNoEvaluation: (chatId: string) => `会话「${chatId}」还没有自评`,
  unauthorized: '需要管理令牌：请求头 Authorization: Bearer <令牌>，或在控制台地址后加 ?token=<令牌>',
  forbiddenRemote: '未设置 ADMIN_TOKEN 时，控制台和接口只允许本机访问',
  scoreFailed: '该自评的指标体系无法加载，暂时无法计分',
  reportUnavailable: '报告生成模块尚未就绪，暂时无法下载报告',
  reportFailed: '生成报告失败，请稍后再试',
  reportFileName: (unit: string, year: number) => `${unit}${year}年度部门整体绩效自评价报告.docx`,
  channelOff: (name: string, vars: string) => `${name}渠道未启用：未配置 ${vars}`,
  channelNotReady: (name: string) => `${name}渠道已配置，但本版本尚未实现该渠道`,
  channelNames: { feishu: '飞书', dingtalk: '钉钉' },
  console: {
    title: '绩效自评助手 · 控制台',
    chatId: '会话 ID',
    chatType: '会话类型',
    group: '群聊',
    p2p: '私聊',
    users: '当前发言人',
    addUser: '添加',
    addUserPlaceholder: '新用户姓名',
    defaultUsers: ['张三', '李四', '王五'],
    inputPlaceholder: '输入消息，回车发送（例如：新建自评 南京市数据局 2024 框架=nanjing-2021）',
    send: '发送',
    clear: '清空记录',
    bot: '自评助手',
    download: '下载',
    sending: '发送中…',
    sendFailed: '发送失败：',
    hint: '提示：',
    unitLabel: '单位',
    optionsLabel: '可选',
    scoreTitle: '当前得分',
    noEvaluation: '本会话还没有自评。发送「新建自评」开始。',
    total: '总分',
    grade: '等级',
    base: '基础分',
    bonus: '加分',
    penalty: '减分',
    completion: '已填',
    subtotals: '一级指标得分',
    missing: '待填写',
    missingMore: (n: number) => `……另有 ${n} 项`,
    nothingMissing: '全部已填写',
    report: '下载自评报告（.docx）',
    refresh: '刷新',
    help: '常用命令：开始 · 继续 · 跳过 · 上一题 · 修改 <名称> · 进度 · 得分 · 扣分 · 报告 · 帮助 · 取消',
  },
  terminal: {
    welcome: (chatId: string, user: string) => `绩效自评助手（终端）。会话：${chatId}，当前用户：${user}。输入 /help 查看命令。`,
    help: '命令：/user <姓名> 切换用户 · /chat <会话ID> 切换会话 · /1 /2 … 按卡片按钮 · /quit 退出',
    prompt: (user: string) => `${user}> `,
    switchedUser: (user: string) => `已切换到用户：${user}`,
    switchedChat: (chatId: string) => `已切换到会话：${chatId}`,
    noSuchButton: (n: number) => `没有第 ${n} 个按钮`,
    fileSaved: (name: string, path: string) => `[文件] ${name} 已保存到 ${path}`,
    error: (message: string) => `出错了：${message}`,
    bye: '再见。',
  },
} as const;

/** Words of the framework importer: rule renderings, open reasons, questions, sheet errors, CLI lines. */
export const importText = {
  localMetricQuestion: (label: string, unit: string) => `${label}是多少？（${unit}）`,
  judgementQuestion: (cond: string) => (cond.includes('是否') ? `${cond}？` : `是否做到：${cond}？`),
  judgementNo: (yes: string) => `未做到：${yes}`,
  judgementQuestionNegative: (neg: string) => `是否存在以下情况：${neg}？（回答“否”得满分）`,
  judgementYesNegative: (neg: string) => `不存在“${neg}”的情况`,
  checklistQuestion: (name: string) => `「${name}」以下各项做到了哪些？`,
  gradedQuestion: (name: string) => `「${name}」属于哪一档？`,
  perViolationQuestion: (counted: string) => `本年度${counted}共有几例？`,
  discretionaryQuestion: (name: string) => `「${name}」请评价人酌情确定得分并说明理由。`,
  defaultCounted: '不符合要求的情况',
  otherLevel: '其他情况',
  gapBetween: (a: string, b: string) => `${a}至${b}之间`,
  gapAt: (a: string) => `恰好${a}`,
  gapBelow: (a: string) => `低于${a}`,
  gapAbove: (a: string) => `高于${a}`,
  /** Readings the prose did not spell out, shown with the compiled rule. */
  assume: {
    target100: '目标值按100%计',
    stepCeil: (step: string) => `不足${step}个百分点的按${step}个百分点计`,
    boundaryLower: (at: string, unit: string, s: string) => `评价要点未规定恰好${at}${unit}的得分，未达到较高一档条件，按${s}分计`,
  },
  /** Why a row needs confirmation. */
  open: {
    empty: '评价要点为空，请补充评分标准',
    noScore: '评价要点未写明得分，请确认计分方法（如“达到得满分，否则不得分”）',
    noCondition: '评价要点只写了得分，未写明条件，请补充评分标准',
    noOtherwise: '评价要点只写了一档，且该档不是满分，请补充其余情况的得分',
    vague: (phrase: string) => `“${phrase}”未给出具体标准，请补充目标值`,
    noStandard: (what: string) => `提到了“${what}”，但未给出具体标准，请补充目标值`,
    pointsMismatch: (clause: string, got: string, points: string) => `评价要点“${clause}”写明${got}分，与分值${points}分不符，请确认`,
    checklistTotal: (total: string, points: string) => `各项分值合计${total}分，与分值${points}分不符，请确认`,
    gap: (where: string) => `评价要点未规定${where}的得分，请补充`,
    overlap: (where: string) => `评价要点的档次有重叠（${where}），请确认`,
    rangeEnds: (clause: string) => `“${clause}”的区间端点是否包含不明确，请注明“（含）”`,
    unknownMetric: (name: string) => `无法确定「${name}」按哪个数据计分，请说明`,
    unknownPhrase: (phrase: string) => `“${phrase}”不是已知的指标数据，请说明其含义或计算方法`,
    mixedMetrics: (a: string, b: string) => `评价要点同时涉及“${a}”和“${b}”，请确认按哪个计分`,
    unspecifiedDeduction: (clause: string) => `“${clause}”未写明扣多少分，请补充`,
    noTarget: '评价要点未给出目标值，请补充',
    bonusInIndicator: '评价要点为加分规则，但所在行不是加减分项，请确认',
    unrecognised: '未能识别评价要点的计分方法，请用一句话说明（如“达到90%得2分，否则不得分”）',
    bonusCumulative: '加分项未说明同一项工作能否累计加分，请确认（回答“累计”或“不累计”）',
    bonusCap: '加分项未写明上限，请补充（如“最多5分”）',
    bonusNoItems: '加分项未列出可加分的情形及分值，请补充',
  },
  /** A rule in plain Chinese. */
  describe: {
    judgement: (yes: string, points: string, noScore?: string) =>
      `${yes}得 ${points} 分，${noScore ? `否则得 ${noScore} 分` : '否则不得分'}`,
    band: (cond: string, s: string) => (s === '0' ? `${cond} 不得分` : `${cond} 得 ${s} 分`),
    otherwise: (s: string) => (s === '0' ? '，否则不得分' : `，否则得 ${s} 分`),
    otherwiseDiscretionary: '，否则由评价人酌情打分并说明理由',
    steps: (full: string, points: string, higher: boolean, step: string, deduct: string, partial: string, cutoff?: string) =>
      `${full} 得 ${points} 分；每${higher ? '低' : '高'} ${step} 个百分点扣 ${deduct} 分${
        partial === 'ceil' ? `（不足 ${step} 个百分点按 ${step} 个计）` : partial === 'floor' ? `（不足 ${step} 个百分点不扣）` : '（按比例扣）'
      }${cutoff ? `；${cutoff} 不得分` : ''}；扣完为止`,
    proportional: (label: string, target: string, points: string, higher: boolean) =>
      higher
        ? `得分 = ${label} ÷ ${target}% × ${points} 分，满分为止`
        : `得分 = ${target}% ÷ ${label} × ${points} 分，满分为止`,
    checklistItem: (n: number, label: string, s: string) => `${'①②③④⑤⑥⑦⑧⑨⑩'[n] ?? `(${n + 1})`}${label} ${s} 分`,
    perViolation: (counted: string, deduct: string) => `每出现一例${counted}扣 ${deduct} 分，扣完为止`,
    level: (label: string, s: string) => `「${label}」${s} 分`,
    levelShare: (label: string, lo: string, hi: string) => `「${label}」${lo}–${hi} 分（由评价人在档内打分）`,
    notExceeding: (actual: string, limit: string, points: string, over?: string) =>
      `${actual} ≤ ${limit} 得 ${points} 分；超支的${over === undefined ? '由评价人酌情扣分并说明理由' : over === '0' ? '不得分' : `得 ${over} 分`}`,
    discretionary: '由评价人酌情打分，并说明理由',
  },
  slotQuestion: (name: string, points: string) => `请列出本年度「${name}」的各项工作及分值（合计${points}分），每行一项，如：党建工作 4分`,
  slotText: '由单位填报具体工作及分值，每项按是否完成计分',
  /** The marker the export writes in the 三级指标 cell of a key-task slot. */
  slotMarker: '（由单位填报重点工作）',
  penaltyText: (cap?: number) => `由评价人酌情扣分并说明理由${cap !== undefined ? `，最多扣 ${cap} 分` : ''}`,
  bonusText: (items: string, cumulative: boolean, cap: number) =>
    `${items}；${cumulative ? '可累计加分' : '同一项工作不累计加分（取最高一项）'}；最多加 ${cap} 分`,
  defaultName: '导入的指标体系',
  sourceNote: '由指标体系表格导入；等级档次未在表格中列明的，参照财预〔2020〕10号（90/80/60分）。',
  defaultNarratives: [
    { key: 'basicInfo', title: '部门基本情况', question: '请介绍部门基本情况：部门背景、主要职能、机构设置、人员配置及资产情况。' },
    { key: 'finances', title: '部门收支情况', question: '收支情况的补充说明（收入构成、支出构成等）。' },
    { key: 'longTermGoals', title: '中长期规划', question: '请介绍部门中长期规划。' },
    { key: 'annualGoals', title: '年度绩效目标', question: '请介绍部门年度绩效目标。' },
    { key: 'achievements', title: '部门履职成效', question: '请总结本年度部门履职成效（主要工作及成效）。' },
    { key: 'problems', title: '存在问题及原因分析', question: '本次评价发现了哪些问题？原因是什么？' },
    { key: 'suggestions', title: '有关建议', question: '针对存在的问题，有哪些改进建议？' },
    { key: 'process', title: '评价工作开展情况', question: '请介绍评价工作开展情况（评价基本情况、组织实施）及其他需要说明的情况。' },
  ],
  /** Why a sheet is refused. */
  sheet: {
    refused: '表格不能导入为指标体系',
    rowPrefix: (row: number) => `第${row}行：`,
    noHeader: (rows: number) => `前${rows}行中没有表头（需要“一级指标”“二级指标/三级指标”“评价要点/评分标准”等列），这不像是指标体系表`,
    noRows: '表头下面没有指标行',
    noLevel1: '缺少一级指标名称',
    noLevel2: '缺少二级指标名称',
    noLevel3: '缺少三级指标名称（同一二级指标下其他行有三级指标）',
    badPoints: (text: string) => `分值“${text}”不是数字`,
    noPoints: (name: string) => `指标“${name}”没有分值（分值列为空，名称中也没有写明）`,
    pointsDisagree: (name: string, inName: number, inColumn: number) => `指标“${name}”名称中写${inName}分，分值列为${inColumn}分，不一致`,
    childrenDisagree: (name: string, points: number, total: string, from: number, to: number) =>
      `“${name}（${points}分）”下各项分值合计${total}分，与${points}分不符（第${from}至第${to}行）`,
    totalDisagree: (total: string, declared: number) => `合计行为${declared}分，但各一级指标分值合计${total}分`,
    baseNot100: (total: string) => `各一级指标分值合计${total}分，不是100分（表中也没有合计行说明总分）`,
    duplicateName: (name: string, firstRow: number) => `“${name}”与第${firstRow}行重名（同一上级指标下名称不能重复）`,
    leafHasChildren: (name: string, row: number) => `“${name}”在第${row}行已作为末级指标评分，不能再有下级指标`,
    codeParent: (code: string, parent: string) => `编码“${code}”与上级指标编码“${parent}”不一致`,
    duplicateCode: (code: string, firstRow: number) => `编码“${code}”与第${firstRow}行重复`,
    notReadable: (name: string) => `无法读取文件“${name}”：不是 .xlsx 或 .csv 表格`,
  },
  /** Confirmation of open rows and overrides. */
  confirm: {
    question: (row: number, code: string, where: string, points: number | undefined, criteria: string, reason: string, suggestion?: string) =>
      `第${row}行 ${code} ${where}${points !== undefined ? `（${points}分）` : ''}\n评价要点：${criteria || '（空）'}\n${reason}${
        suggestion ? `\n建议：${suggestion}。回复“确认”采用，或直接写出评分规则。` : '\n请用一句话写出评分规则，如“达到90%得2分，否则不得分”。'
      }`,
    unknownRow: (code: string) => `没有编码为“${code}”的指标行`,
    noSuggestion: '这一行没有可直接采用的建议，请写出评分规则',
    notUnderstood: (reason: string) => `没能理解这条规则：${reason}`,
    badRule: (problems: string) => `规则有误：${problems}`,
    unknownQuantity: (key: string) => `规则用到的数据“${key}”不存在`,
    penaltyFixed: '减分项由评价人酌情扣分，无需确认',
    slotFixed: '该行由单位填报具体工作，无需确认',
    notReady: (n: number, rows: string) => `还有${n}行评分规则待确认：${rows}`,
  },
  /** The import and export commands. */
  cli: {
    usageImport: '用法：npm run import -- <表格.xlsx|表格.csv> [--out 指标体系.json] [--id 编码] [--name 名称]\n      npm run import -- --seed-stats',
    usageExport: '用法：npm run export -- --framework <编码|指标体系.json> --out <表格.xlsx>',
    row: (row: number, code: string, name: string, points: string, what: string) => `${String(row).padStart(3)}  ${code.padEnd(6)} ${name}（${points}）  ${what}`,
    compiled: (text: string) => `✓ ${text}`,
    kept: (text: string) => `= ${text}`,
    confirmed: (text: string) => `✓ ${text}（已确认）`,
    open: (reason: string) => `？ 待确认：${reason}`,
    slot: (text: string) => `◇ ${text}`,
    counts: (rows: number, compiled: number, kept: number, open: number) =>
      `共${rows}行：自动识别${compiled}行，沿用${kept}行，待确认${open}行`,
    share: (done: number, total: number, pct: string) => `评价要点自动识别率：${done}/${total} = ${pct}%`,
    written: (path: string) => `已写入 ${path}`,
    notWritten: (open: number) => `有${open}行待确认，指标体系暂不可用；已写入草稿，确认后再导入或在对话中完成确认`,
    draftWritten: (path: string) => `草稿已写入 ${path}`,
    unknownFramework: (id: string, ids: string) => `没有编码为“${id}”的指标体系（可选：${ids}）`,
    exported: (path: string, rows: number) => `已导出 ${rows} 行到 ${path}`,
  },
} as const;
