/**
 * Every sentence a user reads, in simplified Chinese. One section per area of the core; code elsewhere
 * takes its words from here rather than writing literals.
 */

/** Words used by scoring: reasons for scores, deductions, missing inputs. Numbers arrive formatted. */
/** What a file message is called in a reply (both channels label an unsupported file so). */
const FILE_KIND = '文件';

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
  /** After a figure: which of two was used and why ("（采用直接填报数，按基础数据计算为85.72%；理由：…）"). */
  figureChoice: (direct: boolean, other: string, reason?: string) =>
    `（${direct ? `采用直接填报数，按基础数据计算为${other}` : `采用按基础数据计算的数，直接填报为${other}`}${reason ? `；理由：${reason}` : ''}）`,
  figureApproximate: '（约数）',
  /** A conclusion in place of a figure: "满意度无具体数据，根据第三方测评结论，高于90%". */
  conclusion: (label: string, where: string, basis?: string) => `${label}无具体数据，${basis ? `根据${basis}，` : '经单位评估，'}${where}`,
  checklistMet: (items: string) => `已满足：${items}`,
  checklistUnmet: (items: string) => `未满足：${items}`,
  perViolation: (counted: string, count: number, deduct: string) =>
    count === 0 ? `无${counted}` : `${counted}${count}例，每例扣${deduct}分`,
  /** A graded finding as prose: the level's report wording, or "经评价，<label>"; the reason in brackets. */
  graded: (level: string, reason?: string, wording?: string) => `${wording ?? `经评价，${level}`}${reason ? `（${reason}）` : ''}`,
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
  defaultMeasure: '完成率',
  keyTaskTargetCriteria: (measure: string, target: string) => `${measure}达到${target}及以上得满分，未达到的按实际完成比例计分`,
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
  unknownCheck: (key: string) => `未知的数据核对项「${key}」`,
} as const;

/** The score command (`npm run score`). */
export const scoreCliText = {
  usage: '用法：npm run score -- --framework <指标体系编号或 .json 文件> --answers <答案文件.json> [--json]',
  invalidAnswers: (file: string, n: number) => `${file} 有 ${n} 处问题，未计算得分：`,
  header: ['编码', '指标', '分值', '得分', '说明'] as const,
  status: { complete: '', missing: '待填', not_applicable: '不适用' } as const,
  adjustments: (name: string) => name,
  totalLine: (base: string, bonus: string, penalty: string, total: string, grade: string | null) =>
    `基础分 ${base} ＋ 加分 ${bonus} － 减分 ${penalty} ＝ 总分 ${total}，等级：${grade ?? '待全部指标评分后评定'}`,
  counts: (answered: number, total: number, na: number) => `已评分指标 ${answered}/${total} 项${na ? `（另有 ${na} 项不适用）` : ''}`,
  incomplete: (n: number) => `尚有 ${n} 项指标待评分：以上为部分得分，不是最终结果。`,
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
    overallGoals: '部门整体支出绩效目标',
    achievements: '部门履职成效',
    problems: '存在问题及原因分析',
    suggestions: '有关建议',
    process: '评价工作开展情况',
  } as Record<string, string>,
  /** The marker left in the text where an answer is missing. */
  pending: (what: string) => `【待填写：${what}】`,
  /** The marker of a subtotal that waits on markers elsewhere. */
  pendingSubtotal: () => '【待填写】',
  /** Joiners between sentences of one paragraph. */
  punctuation: { comma: '，', semicolon: '；', period: '。', enumeration: '、' },
  /** The marker for figures that do not reconcile. */
  toCheck: (what: string) => `【待核对：${what}】`,
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
    judgementQuestion: (question: string) => `评价结论：${question}`,
    score: '得分',
    decision: '得分及扣分理由',
    confirm: (label: string) => `确认${label}以直接填报值还是计算值为准`,
    keyTasks: '重点工作及分值',
    metricVia: (label: string, facts: string) => `${label}，或${facts}`,
    narrative: (title: string) => title,
    fact: (label: string) => label,
    conclusion: (label: string) => `${label}所在区间及依据（无具体数字）`,
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
  /** The opening sentence while scores are missing: no base, total or grade is stated; the marker follows it. */
  conclusionIntroIncomplete: (unit: string, aspects: string[], basePoints: string) =>
    `围绕${unit}整体绩效评价指标体系开展自评价，从${aspects.join('、')}${aspects.length}个方面开展评价，基础分总分${basePoints}分。`,
  conclusionIncomplete: (n: number) => `尚有${n}项指标未评分，自评得分和评价等级待全部指标填报后确定`,
  conclusionFollows: '具体评价情况如下：',
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
  /** The heading of the table of contents. */
  tocTitle: '目  录',
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
  /** The documents' author (core properties). */
  creator: '绩效自评助手',
  pageNumber: { before: '— ', after: ' —' },
  /** `npm run report` */
  cli: {
    usage:
      '用法：npm run report -- --framework <指标体系编号或 .json 文件> --answers <答案文件.json 或文件夹> --out <报告.docx 或文件夹> [--xlsx <得分表.xlsx 或文件夹>] [--unit <单位>] [--year <年度>] [--date <封面落款日期 YYYY-MM-DD，默认当天>]',
    invalidAnswers: (file: string, n: number) => `${file} 有 ${n} 处问题，未生成报告：`,
    noFramework: (file: string) => `${file} 未注明指标体系（framework），请用 --framework 指定`,
    noUnit: (file: string) => `${file} 未注明单位（unit），请用 --unit 指定`,
    noYear: (file: string) => `${file} 未注明年度（year），请用 --year 指定`,
    badYear: (v: string) => `年度「${v}」不是有效的年份`,
    badDate: (v: string) => `落款日期「${v}」应为有效日期 YYYY-MM-DD`,
    emptyFolder: (dir: string) => `文件夹 ${dir} 中没有 .json 答案文件`,
    outNotFolder: (path: string) => `--answers 是文件夹时，--out 也应是文件夹：${path}`,
    written: (file: string) => `已生成 ${file}`,
    cannotWrite: (file: string, why: string) => `无法写入 ${file}：${why}`,
    summary: (total: string, grade: string, missing: number) =>
      missing ? `总分 ${total} 分（${grade}），尚有 ${missing} 项待填写：` : `总分 ${total} 分（${grade}）`,
    pendingTotal: (missing: number) => `尚有 ${missing} 项待填写，总分未定：`,
    progress: (i: number, n: number, file: string, note: string) => `[${i}/${n}] ${file}：${note}`,
    failed: (i: number, n: number, file: string, problem: string) => `[${i}/${n}] ${file}：失败，${problem}`,
    batchDone: (ok: number, n: number, ms: number) => `完成 ${ok}/${n} 份报告，用时 ${(ms / 1000).toFixed(1)} 秒`,
  },
} as const;

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
    action: '应为按钮的 action 对象（原样发回收到的按钮 action）',
    textOrAction: '需要 text 或 action 其中之一',
  },
  tooLarge: '请求体超过 1 MB',
  notJson: '请求体须为 JSON（Content-Type: application/json）',
  chatBusy: '该会话待处理的消息过多，请稍后再试',
  internalError: '服务器内部错误，请稍后再试',
  processingFailed: '处理这条消息时出错了，已记录下来。请稍后再发一次，或发送「进度」查看已保存的内容。',
  storeUnavailable: '暂时无法保存消息，请稍后重试',
  /** A chat message whose change could not be written (a full disk): nothing of it was kept. */
  answerNotSaved: '抱歉，这条消息没有保存成功（服务器存储写入失败，可能是磁盘已满），本次回答未记录。请稍后重新发送；之前已保存的回答不受影响。',
  /** Any other request whose change could not be written (HTTP 507). */
  storeWriteFailed: '服务器存储写入失败（可能是磁盘已满），本次修改没有保存，请稍后重试。之前保存的数据不受影响。',
  evaluationBroken: (id: string) => `自评「${id}」的数据文件已损坏，无法读取（详见服务器日志）。其他自评不受影响。`,
  notFound: '未找到',
  fileNotFound: '文件不存在或已删除',
  evaluationNotFound: (id: string) => `未找到自评「${id}」`,
  chatHasNoEvaluation: (chatId: string) => `会话「${chatId}」还没有自评`,
  unauthorized: '需要管理令牌：请求头 Authorization: Bearer <令牌>，或在控制台输入令牌登录（也可在地址后加 ?token=<令牌>）',
  forbiddenRemote: '未设置 ADMIN_TOKEN 时，控制台和接口只允许本机访问（地址须为 localhost 或 127.0.0.1，且不经代理）',
  forbiddenOrigin: (origin: string) => `拒绝了来自其他网站或其他端口的请求：只接受 ${origin} 本身的页面发出的请求`,
  tooManyFailures: (scope: 'address' | 'global', limit: number, windowMinutes: number, waitSeconds: number) =>
    `管理令牌错误次数过多（${scope === 'address' ? '同一地址' : '所有地址合计'} ${windowMinutes} 分钟内最多 ${limit} 次），请 ${waitSeconds < 60 ? `${waitSeconds} 秒` : `${Math.ceil(waitSeconds / 60)} 分钟`}后再试${scope === 'global' ? '；已登录的控制台不受影响' : ''}`,
  missingToken: '请填写管理令牌',
  signInTooLarge: (kb: number) => `登录请求过大（最多 ${kb} KB）`,
  scoreFailed: '该自评的指标体系无法加载，暂时无法计分',
  reportFailed: '生成报告失败，请稍后再试',
  channelOff: (name: string, vars: string) => `${name}渠道未启用：未配置 ${vars}`,
  channelNotReady: (name: string) => `${name}渠道已配置，但没有启动（见启动日志）`,
  channelByConnection: (name: string) => `${name}渠道使用长连接（FEISHU_MODE=ws / DINGTALK_MODE=stream）接收消息，没有开放回调地址`,
  channelNames: { feishu: '飞书', dingtalk: '钉钉' },
  /** The Workers deployment (src/platform/workers). */
  workers: {
    misconfigured: (names: string) => `部署配置不完整，暂时无法处理请求：缺少或无效的配置 ${names}（详见 README「部署到 Cloudflare Workers」）`,
    adminTokenRequired: 'Cloudflare Workers 上没有“本机访问”：控制台和接口必须设置管理令牌。请运行 npx wrangler secret put ADMIN_TOKEN 后再访问。',
    schemaMissing: 'D1 数据库尚未初始化：请运行 npx wrangler d1 migrations apply（见 README）',
  },
  console: {
    title: '绩效自评助手 · 控制台',
    chatId: '会话 ID',
    chatType: '会话类型',
    evaluations: '已有自评',
    pickEvaluation: '— 选择后切换到其会话 —',
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
    gradePending: '未填完',
    deductions: '扣分项',
    lost: (points: string) => `扣 ${points} 分`,
    report: '下载自评报告（.docx）',
    refresh: '刷新',
    help: '常用命令：开始 · 继续 · 跳过 · 上一题 · 修改 <名称> · 进度 · 得分 · 扣分 · 报告 · 帮助 · 取消',
    tokenLabel: '管理令牌',
    signIn: '登录',
    signOut: '退出登录',
    signOutFailed: '退出失败：',
  },
  started: (url: string) => `绩效自评助手已启动，控制台：${url}`,
  signInHint: '已设置 ADMIN_TOKEN：打开控制台后输入令牌登录（也可在地址后加 ?token=<令牌>），登录 12 小时不用或满 7 天后须重新登录，重启服务也须重新登录',
  dataDirBusy: (dir: string, pid: number) => `数据目录 ${dir} 正被进程 ${pid} 使用（例如正在运行的 npm start）。请先停止它，或用 DATA_DIR 指定另一个目录。`,
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
  qualitativeQuestion: (cond: string) => `「${cond}」做到了什么程度？`,
  qualitativePartly: '部分达成，有一定效果',
  qualitativeNot: '未达成，效果较差',
  gapBetween: (a: string, b: string) => `${a}至${b}之间`,
  gapAt: (a: string) => `恰好${a}`,
  gapBelow: (a: string) => `低于${a}`,
  gapAbove: (a: string) => `高于${a}`,
  overlapAt: (a: string) => `${a}处重叠`,
  /** Readings the prose did not spell out, shown with the compiled rule. */
  assume: {
    target100: '目标值按100%计',
    qualitativeLevels: '评价要点未写明得分，按财预〔2020〕10号定性指标三档计分，由评价人在档内打分并说明理由',
    otherwiseZero: '评价要点未写明未达到时的得分，按不得分计',
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
    noBoundary: (clause: string) => `“${clause}”未写明是“以上”“以下”还是“达到”，请确认`,
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
  /** Default grade names, with 财预〔2020〕10号's 90/80/60 bands. */
  grades: ['优秀', '良好', '一般', '较差'] as const,
  seedTitle: (seed: string) => `样本${seed}指标体系得分情况表`,
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
  /** An uploaded table past a limit (checked while it is read, before anything is built from it). */
  limits: {
    unpacked: (mb: number) => `表格解压后超过 ${mb} MB，请删去多余的工作表或图片后再上传`,
    dimension: (sheet: string, ref: string, rows: number, columns: number, lastColumn: string) =>
      `工作表“${sheet}”的范围到了${/^第/.test(ref) ? '' : ' '}${ref}，超出上限：每个工作表最多 ${rows} 行、${columns} 列（到 ${lastColumn} 列）。请删去多余的行和列（或清除远处单元格的内容和格式）后再上传`,
    /** A row named in a dimension message ("范围到了第 1048576 行"). */
    rowRef: (row: number) => `第 ${row} 行`,
    csvDimension: (rows: number, columns: number) => `CSV 表格超出上限：最多 ${rows} 行、每行最多 ${columns} 列。请删去多余的行和列后再上传`,
    cells: (max: number) => `表格的单元格超过上限 ${max} 个（各工作表已用范围的行数×列数合计）。请删去多余的工作表、行或列后再上传`,
    memory: (mb: number) => `读取表格时超出内存上限 ${mb} MB，未导入。请删去多余的工作表、行或列后再上传`,
    timeout: (seconds: number) => `读取表格超过 ${seconds} 秒仍未完成，未导入。请删去多余的工作表、行或列后再上传`,
    failed: '读取表格时出错，未导入。请检查表格后重新上传，或联系管理员查看日志',
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
    rowRef: (code: string, row: number) => `${code}（第${row}行）`,
    badMeta: (problems: string) => `指标体系信息有误：${problems}`,
    badGrades: (where: string) => `等级档次未覆盖全部分数或有重叠：${where}`,
  },
  /** The import and export commands. */
  cli: {
    usageImport: '用法：npm run import -- <表格.xlsx|表格.csv> [--out 指标体系.json] [--id 编码] [--name 名称]\n      npm run import -- --seed-stats',
    usageExport: '用法：npm run export -- --framework <编码|指标体系.json> --out <表格.xlsx>',
    seedCheck: (wrong: number, missed: number) => `与人工核对结果比较：识别错误 ${wrong} 条；本可识别却待确认 ${missed} 条`,
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
    exported: (path: string, rows: number) => `已导出 ${rows} 行到 ${path}（不含合计行）`,
    points: (n: string) => `${n}分`,
    cap: (n: string) => `≤${n}分`,
    cannotRead: (path: string, why: string) => `无法读取文件 ${path}：${why}`,
    grades: (bands: string, from: string) =>
      `等级：${bands}（${{ sheet: '取自表格中的说明', data: '沿用导出文件', options: '按参数指定', default: '表格未列明，参照财预〔2020〕10号' }[from] ?? from}）`,
  },
} as const;

/** The conversation: questions, confirmations, commands, help. */
export const dialogText = {
  yes: '是',
  no: '否',
  none: '无',
  adjustments: '加减分项',
  reportSection: '报告',
  questionTitle: '[填报]',
  evaluationTitle: (unit: string, year: number) => `${unit}${year}年度部门整体绩效自评价`,

  // Parsing
  notANumber: (text: string, unit: string) => `没能从「${text}」中识别出数字${unit ? `（单位：${unit}）` : ''}，请直接回复数字，如：6091.91${unit === '万元' ? '万元' : unit}`,
  notYesNo: (text: string) => `「${text}」不是是/否的回答，请回复「是」或「否」（可在后面写上依据或理由）`,
  notAChoice: (text: string, options: string[]) => `「${text}」不在选项中，请回复序号或选项：${options.map((o, i) => `${i + 1}. ${o}`).join('；')}`,
  choiceOutOfRange: (n: number, count: number) => `没有第${n}项，请回复1到${count}之间的序号`,
  notACount: (text: string) => `「${text}」不是例数，请回复0或正整数（如「2」，没有请回复「无」）`,
  notAScore: (text: string, points: number) => `没能从「${text}」中识别出得分，请回复0到${points}之间的分数，后面写上理由，如：8 满意度略低于目标`,
  scoreOutOfRange: (v: number, points: number) => `${v}分超出范围，得分应在0到${points}分之间`,
  notADate: (text: string) => `「${text}」不是有效日期，请按 2025-05-31 或 2025年5月31日 的格式回复`,
  badKeyTaskLine: (line: string) => `没能识别「${line}」，每行写一项重点工作和分值，如：党建工作 4分`,
  tooLong: (max: number) => `消息太长（超过${max}字），请分几条发送。`,
  keyTaskLineTooLong: (max: number) => `每项重点工作一行，每行不超过${max}字（含分值），请缩短后再发。`,
  narrativeTooLong: (max: number, sofar: number) => `这一部分最多${max}字，已收到${sofar}字，这一段没有记录。请精简后再发，或发送「完成」保存已收到的内容。`,
  repeatIgnored: '刚才已收到同样的内容并已记录，这条重复的消息没有再记一次。',
  recordTooLarge: (maxMb: number) => `本次自评的数据已接近上限（约${maxMb}MB），这条消息没有记录。请精简较长的文字回答后再试，或联系管理员。`,
  evaluationDamaged: '本群自评的数据文件已损坏，暂时无法读取或修改（详情已记入服务器日志）。请联系管理员从备份恢复；其他群的自评不受影响。',
  createDraftExpired: (hours: number) => `之前未完成的「新建自评」已超过${hours}小时没有继续，已作废，请重新发送「新建自评」。`,
  unsupportedContent: (kind: string) => `暂时无法识别${kind}。请用文字回复（数字、是/否、选项序号或一段文字），发送「帮助」查看命令。`,
  /** A file sent in a chat: frameworks are uploaded in the console, within its limits. */
  unsupportedFile: (rows: number, columns: number) =>
    `对话中暂时无法接收文件。指标体系表格请在控制台的「指标体系」页上传（.xlsx 或 .csv，不超过 5 MB，每个工作表最多 ${rows} 行、${columns} 列）；填报请用文字回复，发送「帮助」查看命令。`,
  /** The label channels give a file message (`InboundMessage.unsupported`). */
  fileKind: FILE_KIND,
  emptyMessage: '收到一条空消息。发送「继续」接着填报，「帮助」查看命令。',
  staleButton: '这个问题已不存在（可能已被处理），请发送「继续」。',
  pressedStale: (label: string, current: string | undefined) =>
    current === undefined ? `「${label}」已有变动，请发送「继续」重新获取问题。` : `「${label}」已经有人回答：${current}。如需修改，请发送「修改 ${label}」。`,
  pressedRecorded: '已记录',
  pressedCard: (prompt: string, summary: string, by: string) => `${prompt}\n\n✅ ${summary}（${by}）`,
  notAskable: '这一项由数据自动计分，不需要回答。',

  // Questions
  askQuantity: (question: string, unit: string) => (unit && !question.includes(`（${unit}）`) ? `${question}（${unit}）` : question),
  askJudgement: (question: string) => `${question}\n请回复「是」或「否」，可在后面写上依据，如：是，《××管理办法》`,
  askGraded: (question: string, levels: string[]) => `${question}\n${levels.map((l, i) => `${i + 1}. ${l}`).join('\n')}\n请回复序号或选项，可在后面写上理由`,
  askChecklist: (question: string, items: string[]) => `${question}\n${items.map((l, i) => `${i + 1}. ${l}`).join('\n')}\n请回复已满足的序号（如「1,3」），都满足回复「全部」，都不满足回复「无」`,
  askCount: (question: string) => `${question}\n请回复例数（没有请回复「无」），可在后面写上情况说明`,
  askScore: (question: string, points: string) => `${question}\n请回复得分（0–${points}分）和理由，如：${points} 理由`,
  askMeasure: (name: string, measure: string, target: string, unit: string) =>
    `「${name}」实际${name.endsWith(measure) ? '' : measure}是多少？（目标${target}${unit === '%' ? '及以上' : ''}）`,
  negativeMeasure: '实际完成值不能为负数。',
  askDecision: (name: string, situation: string, points: string, criteria: string) =>
    `「${name}」${situation ? `：${situation}。` : ''}评价要点${criteria ? `「${criteria}」` : ''}未规定这种情况的得分，请确定得分（0–${points}分）并说明理由，如：8 满意度略低于目标`,
  askConfirm: (message: string) => `${message}\n1. 以直接填报为准\n2. 以计算结果为准（如填报有误，也可发送「修改 <项目名称>」更正基础数据）`,
  useDirect: '以直接填报为准',
  useComputed: '以计算结果为准',
  askCheck: (message: string) => `${message}\n如数据无误，请回复「确认无误」；如有误，请发送「修改 <项目名称>」更正。`,
  checkConfirmed: '确认无误',
  checkHowToFix: '请回复「确认无误」，或发送「修改 <项目名称>」更正有误的数据。',
  checkConfirmedText: (label: string) => `已确认${label}数据无误（发送「撤销确认」可撤销）。`,
  askKeyTasks: (question: string, points: string) => `${question}\n分值合计应为${points}分，可一次发送多行，也可分几条发送；发送「重新」清空重填。`,
  askBonus: (items: string[], cap: string) =>
    `本年度是否获得以下嘉奖或考核奖励？\n${items.map((l, i) => `${i + 1}. ${l}`).join('\n')}\n有则回复序号和事项（每行一项，如：3 市级部门绩效考核位列第一等次），没有请回复「无」。同一项工作不累计加分，加分上限${cap}分。`,
  askPenalty: (description: string) => `本年度是否存在「${description}」等减分情形？没有请回复「无」；有则每行写扣分和理由，如：1 某处室人员违反中央八项规定精神`,
  askNarrative: (question: string) => `${question}\n可分多条发送，写完后单独发送「完成」。`,
  criteria: (criteria: string) => `评价要点：${criteria}`,
  currentValue: (value: string) => `当前：${value}（回复新内容即可修改，发送「跳过」保留不变）`,
  tooManyFailures: `已连续${3}次未能识别。可以发送「跳过」先答别的题，或「帮助」查看填写说明。`,

  // Recorded
  recordedQuantity: (label: string, value: string, unit: string, evidence?: string) =>
    `已记录 ${label} ${value}${unit === '%' ? '%' : ` ${unit}`.trimEnd()}。${evidence ? `（佐证：${evidence}）` : ''}`,
  recordedJudgement: (label: string, value: string, note?: string) => `已记录「${label}」：${value}${note ? `（${note}）` : ''}。`,
  recordedCount: (label: string, count: number, note?: string) => `已记录「${label}」：${count}例${note ? `（${note}）` : ''}。`,
  recordedScore: (label: string, score: string, reason?: string) => `已记录「${label}」得${score}分${reason ? `，理由：${reason}` : ''}。`,
  recordedChoice: (label: string, choice: string) => `已记录：${label}${choice}。`,
  reasonNeeded: '未得满分时请写明理由，如：8 满意度略低于目标',
  scoreOutsideLevel: (level: string, min: string, max: string) => `评为「${level}」时得分应在${min}至${max}分之间`,
  keyTasksSoFar: (n: number, total: string, left: string) => `已记下${n}项，合计${total}分，还差${left}分，请继续发送（或发送「重新」清空重填）。`,
  keyTasksOver: (total: string, points: string) => `合计${total}分，超过了应有的${points}分，本条未记录，请调整后重发（或发送「重新」清空重填）。`,
  keyTasksShort: (total: string, points: string) => `目前合计${total}分，应为${points}分，请继续补充。`,
  keyTasksTooMany: (max: number) => `重点工作最多${max}项。`,
  keyTasksCleared: '已清空，请重新发送重点工作及分值。',
  keyTasksSaved: (slot: string, items: string[]) => `已记录「${slot}」${items.length}项：${items.join('；')}。`,
  bonusRecorded: (reasons: string[], score: string) => `已记录加分事项：${reasons.join('；')}。加分合计${score}分。`,
  bonusNone: '已记录：无加分事项。',
  penaltyLine: (line: string) => `没能识别「${line}」，每行写扣分和理由，如：1 某处室人员违反中央八项规定精神`,
  penaltyRecorded: (reasons: string[], score: string) => `已记录减分事项：${reasons.join('；')}。减分合计${score}分。`,
  penaltyNone: '已记录：无减分事项。',
  narrativeCollecting: (parts: number, chars: number) => `已收到第${parts}段（共${chars}字），继续发送，写完后发送「完成」。`,
  narrativeEmpty: '还没有收到内容，请先发送正文，再发送「完成」。',
  narrativeSaved: (label: string, chars: number) => `已保存「${label}」（${chars}字）。`,
  // Text must contain words (an emoji or punctuation alone is not a section, a reason or a name)
  narrativeNoWords: '这一段没有文字（只有表情或符号），未保存。请发送正文，写完后发送「完成」。',
  keyTaskNameNoWords: (line: string) => `「${line}」中的重点工作名称没有文字，请写明名称和分值，如：党建工作 4分`,
  keyTaskZero: (line: string) => `「${line}」的分值或目标为0，每项重点工作的分值和目标都应大于0，如：党建工作 4分 目标90%`,

  // Scores
  metricLine: (label: string, workings: string, value: string) => `${label} = ${workings} = ${value}`,
  indicatorLine: (name: string, score: string, points: string, why: string) => `「${name}」得 ${score}/${points} 分${why ? `：${why}` : ''}`,
  warning: (message: string) => `⚠ ${message}`,
  nowComplete: (total: string, grade: string) => `全部指标已评分：总分 ${total} 分，${grade}。`,
  scoreSummary: (base: string, bonus: string, penalty: string, total: string, grade: string | undefined) =>
    `当前 ${base} 分（基础分）＋${bonus} 分（加分）${penalty !== '0' ? `－${penalty} 分（减分）` : ''}＝ ${total} 分，${grade ?? '尚未填完，暂不评定等级'}。`,
  answeredCount: (answered: number, total: number, deductions: number) => `已评分指标 ${answered}/${total} 项；扣分 ${deductions} 项。`,
  subtotalLine: (name: string, score: string, points: string, partial: boolean) => `· ${name} ${score}/${points}${partial ? '（未填完）' : ''}`,
  deductionsHeader: '扣分情况：',
  deductionLine: (name: string, lost: string, why: string) => `· 「${name}」扣 ${lost} 分：${why}`,
  noDeductions: '目前没有扣分项。',
  scoreProvisional: (missing: number) => `尚有 ${missing} 项指标待评分，得分还不是最终结果，暂不评定等级。`,
  progressSummary: (scored: number, items: number, na: number, answered: number, questions: number) =>
    `进度：已评分指标 ${scored}/${items} 项${na ? `（另有 ${na} 项不适用）` : ''}；已回答问题 ${answered}/${questions} 个。`,
  sectionProgress: (name: string, scored: number, items: number, answered: number, questions: number, who?: string) =>
    `· ${name}：指标 ${scored}/${items} 项，问题 ${answered}/${questions} 个${who ? `（${who}负责）` : ''}`,
  sectionQuestions: (name: string, answered: number, questions: number, who?: string) => `· ${name}：问题 ${answered}/${questions} 个${who ? `（${who}负责）` : ''}`,
  itemsOpen: (items: string[], total: number) => `待评分指标（${total}项）：${items.join('、')}${total > items.length ? ' 等' : ''}`,
  otherQuestionsOpen: (labels: string[], total: number) => `另有 ${total} 个问题待回答：${labels.join('、')}${total > labels.length ? ' 等' : ''}`,
  deadlineIs: (date: string) => `截止日期：${date}`,

  // Commands
  /** @deprecated Refusals come from the roles policy (core/roles.ts, roleText below). */
  organiserOnly: (names: string) => `这个操作只有组织者（${names}）可以进行。`,
  switchOnlyInPrivate: '群里只有本群的自评。在与我的私聊中发送「切换自评」可以选择要填报的自评。',
  privateWhichTitle: '请选择要填报的自评',
  privateWhich: (n: number) => `你参与了 ${n} 个自评，请选择要在私聊中填报的一个（之后发送「切换自评」可以换）：`,
  privateJoined: (title: string) => `已进入「${title}」，在私聊中回答的内容会记入该自评。`,
  privateNoChoice: '没有找到你参与的其他自评。可以发送「新建自评」创建。',
  nothingToCancel: '当前没有进行中的填报。发送「继续」开始填报。',
  cancelledTitle: '已暂停',
  cancelled: '已暂停填报，已记录的内容都已保存。发送「继续」可接着填。',
  nothingToSkip: '当前没有正在回答的问题。发送「继续」开始填报。',
  skipped: (label: string) => `已跳过「${label}」，稍后会再回到这一题（发送「上一题」可马上回到这一题）。`,
  editLeft: (label: string, current: string | undefined) => `「${label}」未作修改${current ? `，仍为：${current}` : ''}。`,
  noPrevious: '没有上一题了。',
  editWhat: '请告诉我要修改哪一项，如：修改 本年实际支出数，或 修改 A11',
  editNotFound: (name: string) => `没有找到「${name}」。可以用指标编码（如 A11）、指标名称或数据名称，如：修改 本年实际支出数`,
  editWhichTitle: '请选择要修改的项目',
  editWhich: (name: string) => `「${name}」对应多项，请选择：`,
  editWhichMore: (name: string, total: number, shown: number) => `「${name}」对应 ${total} 项，下面是前 ${shown} 项；其余可用指标编码或名称直接修改：`,
  editInputs: (name: string) => `「${name}」的得分由以下数据计算，请选择要修改的一项：`,
  editNothingToAsk: (name: string) => `「${name}」目前没有可以填写的问题。`,
  assignUsage: '用法：分配 <部分名称或编码> @某人，如：分配 部门管理 @李四',
  unknownSection: (name: string, names: string) => `没有「${name}」这一部分。可分配：${names}，或二级指标名称/编码。`,
  assigned: (section: string, who: string, owed: number) => `已将「${section}」分配给 ${who}，该部分尚有 ${owed} 项待填写。`,
  deadlineUsage: '。用法：截止 2025-05-31',
  deadlineSet: (date: string) => `截止日期已设为 ${date}。`,
  reportDateUsage: '。用法：落款 2025-03-31（报告封面的落款日期；发送「落款 默认」恢复为生成报告当天）',
  reportDateSet: (date: string) => `报告落款日期已设为 ${date}，之后生成的报告都使用这一日期。`,
  reportDateCleared: '已恢复默认：报告落款日期为生成报告当天。',
  reportDateIs: (date: string | undefined) =>
    date ? `报告落款日期：${date}。修改请发送如「落款 2025-03-31」，发送「落款 默认」恢复为生成报告当天。` : '报告落款日期未设置，默认为生成报告当天。设置请发送如「落款 2025-03-31」。',
  reportDateBeforeYear: (date: string, year: number) => `${date} 早于评价年度 ${year} 年，不能作为报告落款日期`,
  noKeyTaskSlot: '当前指标体系没有需要填写的重点工作。',
  notApplicableUsage: '用法：不适用 <指标编码或名称> <理由>，如：不适用 B4 本单位无政府采购业务',
  notApplicableReason: (name: string) => `请写明「${name}」不适用的理由，如：不适用 B4 本单位无政府采购业务`,
  requiredIndicator: (name: string) => `「${name}」是必评指标，不能标记为不适用。`,
  markedNotApplicable: (name: string, reason: string) => `已将「${name}」标记为不适用（${reason}），其余指标将折算为百分制。发送「适用 ${name}」可恢复。`,
  restoredApplicable: (names: string[], applicable: string, base: string) =>
    `已恢复「${names.join('」「')}」，重新计入评分（参评指标满分 ${applicable} 分${applicable === base ? '，不再折算' : `，折算为 ${base} 分制`}）。`,
  alreadyApplicable: (name: string) => `「${name}」没有标记为不适用，无需恢复。`,
  applicableUsage: '用法：适用 <指标编码或名称>，撤销「不适用」标记，如：适用 B4',
  nothingConfirmed: '目前没有已确认的数据核对，无需撤销。',
  unconfirmWhich: '请选择要撤销确认的核对项：',
  unconfirmed: (label: string) => `已撤销对「${label}」数据无误的确认。`,
  checkNowHolds: (label: string) => `「${label}」目前核对一致，无需确认。`,
  reportMissing: (n: number, shown: string) => `报告中尚有 ${n} 处【待填写】：${shown}${n > 10 ? ' 等' : ''}。补充后再发送「报告」即可更新。`,
  reportBuilding: (missing?: number) => (missing ? `正在生成报告（尚有 ${missing} 项指标待评分，报告中会标注【待填写】）…` : '正在生成报告…'),
  alreadyBound: (title: string) => `本群已有自评任务「${title}」。发送「进度」查看进展，「继续」接着填报。`,
  onlySkippedLeft: (n: number) => `除了您跳过的 ${n} 项，其余都已填完。发送「继续」回到跳过的题目。`,
  othersAnswering: '其余题目正由其他同事填写中。发送「进度」查看进展，「得分」查看当前得分。',
  allDoneTitle: '全部填写完毕',
  allDone: (total: string, grade: string | null) => `所有问题都已回答：总分 ${total} 分${grade ? `，${grade}` : ''}。发送「报告」生成自评价报告。`,
  shortHelpTitle: '需要帮忙吗？',
  shortHelp: '没听懂这条消息。发送「继续」接着填报，「得分」查看当前得分，「帮助」查看全部命令。',
  helpTitle: '可以这样对我说',
  helpLines: (w: (name: 'start' | 'skip' | 'back' | 'edit' | 'progress' | 'score' | 'deductions' | 'report' | 'cancel' | 'help' | 'unconfirm' | 'compare') => string) => [
    `${w('start')} / 继续：下一道未填的题`,
    `${w('skip')}：先跳过当前题`,
    `${w('back')}：回到上一题`,
    `${w('edit')} <名称或编码>：修改已填内容，如「修改 本年实际支出数」「修改 A11」`,
    `${w('unconfirm')}：撤销对数据核对的「确认无误」`,
    `${w('progress')}：查看填报进度`,
    `${w('score')}：查看当前得分`,
    `${w('deductions')}：查看扣分项及原因`,
    `${w('compare')}：与本单位上年的自评对比各一级指标得分`,
    `${w('report')}：生成自评价报告（.docx）`,
    `${w('cancel')}：暂停当前填报（已填内容不会丢失）`,
    `${w('help')}：显示本说明`,
    '回答数字时可带单位，如「6091.91万元」「60919100元」「97.8%」；是非题可在答案后写依据，如「是，《××办法》」。',
  ],
  organiserHelpLines: (w: (name: 'assign' | 'deadline' | 'keyTasks' | 'notApplicable' | 'applicable' | 'reportDate' | 'reminders') => string) => [
    '组织者还可以：',
    `${w('assign')} <部分> @某人：分配填报任务，如「分配 部门管理 @李四」`,
    `${w('deadline')} <日期>：设置截止日期，如「截止 2025-05-31」`,
    `${w('reportDate')} <日期>：设置报告封面的落款日期，如「落款 2025-03-31」（默认为生成报告当天）`,
    `${w('reminders')}：查看或设置提醒，如「提醒 工作日 09:30」「提醒 截止前 7,3,1,0」「提醒 暂停」`,
    `${w('keyTasks')}：填写本单位的重点工作及分值`,
    `${w('notApplicable')} <编码> <理由>：标记不适用的指标`,
    `${w('applicable')} <编码>：撤销不适用标记，恢复该指标`,
    '确认指标体系 <编号>：逐行确认导入的指标表中待确认的评分规则',
  ],
  continueButton: '继续',
  skipButton: '跳过',
  helpButton: '帮助',
  scoreButton: '得分',
  reportButton: '生成报告',
  startButton: '开始填报',
  createButton: '新建自评',

  // Creating
  noEvaluationTitle: '本群还没有自评任务',
  noEvaluation: '发送「新建自评 单位名称 年度」创建，例如：\n新建自评 南京市数据局 2024 框架=nanjing-2021 截止=2025-05-31\n也可以只发送「新建自评」，我会一步步询问。\n要汇总查看多个单位的完成度、得分和等级（如财政局的群），发送「汇总 单位名称…」。',
  createTitle: '新建自评',
  askUnit: '请回复被评价的单位（部门）名称，如：南京市数据局',
  badUnit: '单位名称不能为空，也不要超过60个字。',
  askYear: '评价哪一年度？请回复年份，如：2024',
  badYear: (text: string) => `「${text}」不是年份，请回复如 2024`,
  askFramework: '使用哪个指标体系？请回复序号：',
  unknownFramework: (text: string, ids: string) => `没有「${text}」这个指标体系，可选：${ids}`,
  askDeadline: '截止日期是哪天？如 2025-05-31；暂不设置请回复「跳过」。',
  createCancelled: '已取消新建。',
  createdTitle: '已创建自评任务',
  created: (title: string, framework: string, items: number, questions: number, deadline?: string, slots?: boolean) =>
    `已创建「${title}」（${framework}），共 ${items} 项评分指标${slots ? '（重点工作填报后按所填项数计）' : ''}，需回答 ${questions} 个问题（数据、判断、加减分和报告正文）${deadline ? `，截止日期 ${deadline}` : ''}。发送「开始」填报，「帮助」查看命令。`,
} as const;

/** Imported frameworks: the frameworks API's messages and the console's 指标体系 panel. */
export const frameworksText = {
  noFile: '请上传指标体系表格：multipart/form-data 的 file 字段，或请求体为 .xlsx / .csv（Content-Type 为 xlsx 类型或 text/csv）',
  unsupportedType: (what: string) => `不支持的文件类型「${what}」：请上传 .xlsx 或 .csv 表格（.xls 请先在 Excel 中另存为 .xlsx）`,
  tooLarge: (mb: number) => `文件超过 ${mb} MB`,
  emptyFile: '上传的文件是空的',
  unpackedTooLarge: (mb: number) => importText.limits.unpacked(mb),
  badId: (id: string) => `编码「${id}」无效：只能用小写字母、数字和“-”，且不能与内置指标体系重名`,
  idTaken: (id: string) => `已有编码为「${id}」的指标体系`,
  badName: '名称不能为空，也不要超过100字',
  notFound: (id: string) => `没有编码为「${id}」的指标体系`,
  builtinFixed: (id: string) => `「${id}」是内置指标体系，不能修改；可导出后修改再导入`,
  notReady: (open: number) => `该指标体系还有 ${open} 行评分规则待确认，确认后才能使用和导出`,
  notUsable: (problems: string) => `该指标体系尚不可用：${problems}`,
  badConfirm: '请求体应为 JSON：{ "code": "指标编码", "answer": "评分规则或“确认”" }',
  badMeta: '请求体应为 JSON，只可包含 name、description、grades（编码不能修改）',
  console: {
    tabChat: '对话',
    tabFrameworks: '指标体系',
    uploadTitle: '导入指标体系',
    uploadHint: (rows: number, columns: number) =>
      `上传附件格式的指标体系表格（.xlsx 或 .csv，不超过 5 MB，每个工作表最多 ${rows} 行、${columns} 列）：一级指标、二级指标、三级指标、指标说明、评价要点、分值。`,
    file: '表格文件',
    name: '名称（可选）',
    namePlaceholder: '默认取表格标题',
    upload: '上传',
    uploading: '正在导入…',
    listTitle: '指标体系',
    builtin: '内置',
    ready: '可用',
    open: (n: number) => `待确认 ${n} 项`,
    notUsable: '尚不可用',
    rowsTitle: '评分规则',
    openTitle: '待确认',
    answerPlaceholder: '写出评分规则，如“达到90%得2分，否则不得分”；有建议时可回复“确认”',
    confirm: '确认',
    acceptSuggestion: '采用建议',
    override: '修改',
    overridePlaceholder: '新的评分规则',
    readyNote: (id: string) => `可以在对话中使用：新建自评 <单位> <年度> 框架=${id}`,
    idLabel: '框架 ID',
    export: '导出为 Excel（.xlsx）',
    failed: '失败：',
    problems: '问题',
    columns: { row: '行', code: '编码', name: '指标', points: '分值', rule: '评分规则' },
    pick: '选择一个指标体系查看评分规则',
  },
} as const;

/** Confirming an imported framework in the chat (确认指标体系 <id>). */
export const confirmChatText = {
  title: (left: number) => `确认评分规则（还有 ${left} 行）`,
  intro: (name: string, done: number, open: number) =>
    `「${name}」已自动识别 ${done} 行评分规则，还有 ${open} 行需要您确认。我会逐行询问：请用一句话写出评分规则，有建议时回复「确认」采用；「跳过」先答下一行，「取消」稍后再来。`,
  acceptButton: '采用建议',
  skipButton: '跳过',
  cancelButton: '取消',
  taken: (code: string, name: string, rule: string) => `已确认 ${code} ${name}：${rule}`,
  notTaken: (reason: string) => `没有采用：${reason}`,
  cancelled: (id: string) => `已暂停确认，已确认的内容都已保存。发送「确认指标体系 ${id}」可继续。`,
  ready: (name: string, id: string) => `「${name}」的评分规则已全部确认，可以使用了：发送「新建自评 单位名称 年度 框架=${id}」创建自评。`,
  notUsable: (name: string, problems: string) => `「${name}」已没有待确认的行，但还不能使用：${problems}。请在控制台的「指标体系」页修改。`,
  unknown: (id: string) => `没有找到编号为「${id}」的导入指标体系。在控制台的「指标体系」页上传表格后会得到编号。`,
  which: (list: string) => `请告诉我要确认哪个指标体系：${list}，如：确认指标体系 import-1a2b3c`,
  none: '还没有导入的指标体系。请在控制台的「指标体系」页上传单位的指标表（.xlsx 或 .csv）。',

  // Import help by the language-model assistant (issue #16, item 5): offered only when a model is configured.
  /** The button, and the words it sends (typing them works too). */
  assistButton: '请助手建议',
  assistCommand: '请助手建议',
  /** Under each open row's question: what the button sends, and where. */
  assistHint: (model: string, host: string) =>
    `点「请助手建议」会把这一行的指标名称、分值、指标说明、评价要点和读不懂的原因（不含任何人名）发送到 ${host} 的模型 ${model}，由它建议一条规则；经您确认后才采用。`,
  proposalTitle: '助手建议的规则',
  /** 「助手建议的规则：…，是否采用？」 */
  proposal: (rule: string) => `助手建议的规则：${rule}，是否采用？`,
  proposalHint: '（已由程序读懂；采用后与您亲自写出这条规则相同。不对请点「不采用」，或直接写出规则。）',
  acceptProposalButton: '采用',
  acceptProposalCommand: '采用助手建议',
  rejectProposalButton: '不采用',
  rejectProposalCommand: '不采用助手建议',
  proposalRejected: '好的，没有采用。请写出这一行的评分规则：',
  proposalUnavailable: '助手这次没能给出建议，请直接写出这一行的评分规则：',
  proposalUnusable: '助手给出的规则程序读不懂或与本行不符，已作废。请直接写出这一行的评分规则：',
  proposalStale: '这条建议已经过时（这一行已确认或正在询问别的行），没有采用。',
  assistOff: '本系统没有配置语言模型助手（需管理员设置 LLM_BASE_URL 和 LLM_MODEL）。请直接写出这一行的评分规则：',
  assistNotForRow: '这一行不是普通指标（加减分或重点工作），助手不提供建议。请按提示回答：',
} as const;

/** The Feishu channel: card parts, toasts, what a message type is called, why a webhook request was refused. */
export const feishuText = {
  /** Message types the bot cannot read, as the dialog names them (暂时无法识别图片…). */
  unsupported: {
    image: '图片',
    sticker: '表情',
    file: FILE_KIND,
    audio: '语音',
    media: '视频',
    folder: '文件夹',
    interactive: '卡片消息',
    share_chat: '群名片',
    share_user: '个人名片',
    share_calendar_event: '日程',
    merge_forward: '合并转发的消息',
    location: '位置',
    todo: '任务',
    vote: '投票',
    video_chat: '视频会议',
    hongbao: '红包',
    system: '系统消息',
  } as Record<string, string>,
  unsupportedOther: '这类消息',
  /** The header of a question card whose reply had no title of its own. */
  questionTitle: '请回答',
  unit: (unit: string) => `单位：${unit}`,
  answerPlaceholder: (unit?: string) => (unit ? `在此输入回答（${unit}）` : '在此输入回答'),
  answerLabel: '回答',
  submit: '提交',
  /** For whom a question card in a group is (card subtitle). */
  askedOf: (name: string) => `${name} 填写`,
  scoreTitle: '当前得分',
  scoreColumns: { name: '指标', score: '得分', points: '分值', note: '备注' },
  partial: '未填完',
  /** Toasts of a card callback answered before its result was ready, or that failed. */
  pending: '已收到，正在处理…',
  failed: '处理出错了，请稍后再试',
  badButton: '这个按钮已失效，请发送「继续」获取最新的问题。',
  /** Answers of POST /webhook/feishu that refuse a request (for whoever debugs the webhook). */
  rejected: {
    notConfigured: '飞书渠道未配置 FEISHU_VERIFICATION_TOKEN 或 FEISHU_ENCRYPT_KEY，拒绝接收事件',
    wsMode: '飞书渠道为长连接模式（FEISHU_MODE=ws），不接收 Webhook 请求',
    tooLarge: '请求体过大',
    badBody: '请求体不是有效的飞书事件',
    badSignature: '签名校验失败',
    badToken: 'Verification Token 不匹配',
    wrongApp: '事件不属于本应用（app_id 不符）',
    stale: '请求时间戳缺失或超出允许范围',
  },
} as const;

/** The DingTalk channel (钉钉): what it adds to the bot's replies there, and its answers to DingTalk. */
export const dingtalkText = {
  /** A line of 进度 for organisers. */
  quotaLine: (calls: number, quota: number) => `本月钉钉开放接口已调用 ${calls} 次（标准版企业每月共 ${quota} 次，所有内部应用合计）。`,
  /** What a message without text was, for "暂时无法识别…". */
  kinds: { picture: '图片', richText: '图片', audio: '语音', video: '视频', file: FILE_KIND, other: '这类消息' },
  /** Said once per group chat, with the first question there. */
  atHint: '提示：钉钉群里只有 @我 的消息我才能收到，回答时请先 @我 再写答案。也可以单聊我继续填写本群的自评，单聊时直接回复即可。',
  /** After numbered options. */
  replyNumber: '请回复序号或选项文字',
  /** Buttons shown as words to type. */
  replyWords: (words: string[]) => `也可回复：${words.map((w) => `「${w}」`).join(' ')}`,
  /** One of several parts of a long message. */
  part: (i: number, n: number) => `（${i}/${n}）`,
  /** The note after a report file in a group. */
  fileSent: (name: string) => `报告已发送到本群：${name}，请查收。`,
  /** Answers to requests that are not accepted (DingTalk reads them, people do not). */
  rejected: {
    signature: '签名校验失败（timestamp/sign）',
    stale: '请求时间戳缺失或超出允许范围',
    invalid: '不是钉钉机器人消息回调',
    tooLarge: '请求体过大',
  },
} as const;

/** Reading replies: figures, yes/no, conclusions (src/core/dialog/quantity.ts, yesno.ts). */
export const readingText = {
  /** An example reply that fits a question in this unit. */
  example: (unit: string) =>
    unit === '万元' ? '5959.46万元' : unit === '元' ? '59594600元' : unit === '亿元' ? '0.6亿元' : unit === '%' ? '85.72%' : unit === '分' ? '8分' : unit ? `3${unit}` : '12',
  empty: (example: string) => `没有收到内容，请回复一个数字，如：${example}`,
  noFigure: (text: string, example: string) => `没能从「${text}」中找到数字，请回复一个数字，如：${example}；没有具体数字的，请回复「没有具体数字」并说明情况`,
  garbled: (text: string, example: string) => `「${text}」不是一个能读懂的数字，请重新回复，如：${example}`,
  twoFigures: (text: string, example: string) => `「${text}」里有不止一个数字，不知道以哪个为准，请只回复本题的一个数字，如：${example}`,
  unclearLabel: (text: string, example: string) => `没能确定「${text}」说的是本题的数字，请直接回复数字，如：${example}`,
  percentNotWanted: (text: string, unit: string, example: string) => `「${text}」是百分比，本题要的是${unit === '万元' || unit === '元' || unit === '亿元' ? '金额' : '数量'}（${unit}），请回复如：${example}`,
  moneyNotWanted: (text: string, unit: string, example: string) => `「${text}」是金额，本题要的是${unit === '%' ? '百分比' : '数量'}（${unit}），请回复如：${example}`,
  wrongUnit: (text: string, unit: string, example: string) => `「${text}」的单位与本题（${unit}）不符，请回复如：${example}`,
  figureAfterNoFigure: (text: string) => `「${text}」既说没有具体数字又给了数字：有数字请直接回复数字，没有请回复「没有具体数字」`,
  /** A bound on a raw figure: facts need the figure itself. */
  boundOnFact: (text: string, example: string) => `「${text}」是一个范围，基础数据需要具体数字，请回复如：${example}；没有具体数字的，请回复「没有具体数字」`,
  approximateFact: (text: string, example: string) => `基础数据需要准确数字，「${text}」是约数，请回复决算或账面上的数字，如：${example}`,
  /** A range or an approximate figure that would change a score: which side of the line? */
  rangeChangesScore: (text: string, indicator: string, line: string) =>
    `「${text}」不能确定「${indicator}」的得分（评分标准以${line}为界），请回复具体数字；没有具体数字的，请回复「没有具体数字」后选择所在区间`,
  rangeRecorded: (label: string, where: string) => `已记录：${label}${where}。`,
  noFigureRecorded: (label: string) => `已记录：${label}没有具体数字。`,
  conclusionRecorded: (label: string, where: string, basis?: string) => `已记录：${label}没有具体数字，按「${where}」评分${basis ? `（依据：${basis}）` : ''}。`,
  approximateRecorded: (label: string, value: string, unit: string) => `已记录 ${label} 约${value}${unit}（约数，不影响得分档次）。`,
  /** The conclusion question: where the figure lies, with the basis. */
  askConclusion: (label: string, options: string[]) =>
    `${label}没有具体数字也可以评分：请选择${label}所在的区间，并写明依据（如 问卷或测评结论、财政反馈），例如「1，第三方测评结论为满意」：\n${options.map((o, i) => `${i + 1}. ${o}`).join('\n')}`,
  conclusionLabel: (label: string) => `${label}（无具体数字）`,
  notAConclusion: (text: string, options: string[]) => `「${text}」没能对应到所列区间，请回复序号并写明依据，如「1，测评结论为满意」。可选：${options.map((o, i) => `${i + 1}. ${o}`).join('；')}`,
  /** Yes/no reading. */
  notAnAnswer: (text: string) => `「${text}」不是对本题的回答。请回复「是」或「否」，可在后面写上依据或理由，如：是，《内部控制手册》`,
  notYesNo: (text: string) => `没能从「${text}」看出是「是」还是「否」，请回复「是」或「否」（可在后面写上依据或理由），如：是，《内部控制手册》`,
  unclearYesNo: (text: string) => `「${text}」的意思不够明确，为避免记错，请回复「是」或「否」，可在后面写上依据或理由`,
  contradictoryYesNo: (text: string) => `「${text}」前后意思相反（既像「是」又像「否」），请只回复「是」或「否」，再写依据或理由`,
  ambiguousWithNegativeQuestion: (text: string) => `本题问的是「没有……」，「${text}」可能是「是」也可能是「否」，请回复「是」或「否」`,
  seemsNotApplicable: (text: string) => `「${text}」听起来本项不涉及本单位：如确不适用，请组织者发送「不适用 <指标代码> 原因」；否则请回复「是」或「否」`,
  /** In the report and the reasons: a conclusion in place of a figure. */
  conclusionReason: (label: string, where: string, basis?: string) => `${label}无具体数据，${basis ? `根据${basis}，` : '经单位评估，'}${where}`,
  reportedFigureQuestion: (label: string, source?: string) => `${source ?? '决算报表或财政系统'}中报告的${label}是多少？（没有单独报告的回复「没有」）`,
  reportedNone: (label: string) => `已记录：没有单独报告的${label}，按基础数据计算。`,
  choiceReasonAsk: (choice: string) => `已选择「${choice}」，请再发一条消息写明理由（如：决算报表为准，计算口径含…），报告会写明采用哪个数及理由`,
  choiceReason: (choice: string, reason: string) => `${choice}（理由：${reason}）`,
};

/**
 * Partial credit on a yes/no judgement ("…的得1分，部分做到的酌情打分"): the score's range, the reason
 * sentence in the reports' style, the chat's question and answers, the answers file's problems and the
 * importer's description. Scores and ranges arrive formatted ("0.5").
 */
export const partialCreditText = {
  /** The option and the word the report and chat use for the outcome. */
  option: '部分做到',
  /** A range in words: "大于0分、小于1分", "在0.2至0.8分之间", "不低于0.2分、小于1分". */
  range: (min: string, minIncluded: boolean, max: string, maxIncluded: boolean) =>
    minIncluded && maxIncluded ? `在${min}至${max}分之间` : `${minIncluded ? '不低于' : '大于'}${min}分、${maxIncluded ? '不高于' : '小于'}${max}分`,
  /** The reason sentence of a partial score, as the reports write it: "建立预算绩效管理制度，但事前评估充分性不足". */
  reason: (yes: string, reason?: string) => (reason ? `${yes}，但${reason.replace(/^(?:但是|但)[，,\s]*/, '')}` : `${yes}（部分做到）`),
  /** The rule in plain Chinese, after the judgement's own sentence. */
  describe: (range: string) => `；部分做到的由评价人酌情打分（${range}）并说明理由`,
  /** A clause with neither a score nor a way of scoring that the compiler could read. */
  looseClause: (clause: string) => `“${clause}”未能识别计分方法，请补充或改写（如“部分做到的酌情打分”“部分完成的得0.5分”）`,
  /** Answers-file problems. */
  notAllowed: (code: string) => `指标「${code}」的评分标准没有“部分做到”的情形，请回答是或否`,
  withValue: (code: string) => `指标「${code}」填写了部分做到，不应同时填写是或否`,
  noScore: (code: string, name: string) => `指标「${code} ${name}」部分做到时应填写得分及理由`,
  outOfRange: (code: string, range: string) => `指标「${code}」部分做到时得分应${range}`,
  noReason: (code: string) => `指标「${code}」部分做到，请说明扣分理由`,
  /** The chat. */
  ask: (question: string, range: string, example: string) =>
    `${question}\n请回复「是」「否」或「部分做到」；部分做到时写明得分（${range}）和理由，如：${example}`,
  example: (score: string) => `部分做到，${score}分，制度未覆盖下属单位`,
  chatNotAllowed: (text: string) => `「${text}」：本项评分标准没有“部分做到”的情形，只能回复「是」或「否」（可在后面写上依据或理由）`,
  chatNeedsScore: (range: string, example: string) => `部分做到时请写明得分（${range}）和理由，如：${example}`,
  chatNeedsReason: (example: string) => `部分做到时请写明扣分理由，如：${example}`,
  chatOutOfRange: (score: string, range: string, example: string) =>
    `部分做到的得分应${range}，${score}分不在此范围（全部做到请回复「是」，未做到请回复「否」），如：${example}`,
  recorded: (label: string, score: string, reason: string) => `已记录「${label}」：部分做到，得${score}分（${reason}）。`,
} as const;

/** Leaders' views (issue #13): 得分 and 对比 cards, 扣分 grouped, 进度 per assignee, carrying last year over. */
export const glanceText = {
  notFinal: '未填完',
  scoreTitle: (grade: string) => `得分 · ${grade}`,
  deductionsButton: '扣分原因',
  progressButton: '进度',
  compareButton: '与上年对比',
  seeDeductions: (n: number) => `共 ${n} 处扣分，发送「扣分」查看原因，「对比」与上年比较。`,
  deductionsTotal: (n: number, lost: string) => `扣分 ${n} 处，共扣 ${lost} 分：`,
  deductionSection: (name: string) => `【${name}】`,
  penaltySection: (points: string) => `【减分项】共减 ${points} 分`,
  byAssignee: '按负责人：',
  assigneeLine: (who: string, sections: string[], answered: number, questions: number) =>
    `· ${who}（${sections.join('、')}）：问题 ${answered}/${questions} 个${questions > answered ? `，还差 ${questions - answered} 个` : '，已完成'}`,
  unassignedLine: (answered: number, questions: number) => `· 未分配（由组织者填写）：问题 ${answered}/${questions} 个`,
  noPreviousYear: (unit: string, year: number) => `没有找到「${unit}」${year}年度的自评，无法对比。只有在本机器人中填报过、单位名称相同、且本自评的组织者参与过的上年自评才能对比。`,
  previousUnreadable: (year: number) => `${year}年度的自评所用指标体系已无法读取，无法对比。`,
  compareTitle: (previous: number, year: number) => `${year}年度与${previous}年度对比`,
  compareTotals: (py: number, pt: string, pg: string, y: number, t: string, g: string) => `总分：${py}年度 ${pt} 分（${pg}）→ ${y}年度 ${t} 分（${g}）`,
  compareHeader: (py: number, y: number) => `各一级指标（${py} → ${y}）：`,
  compareLine: (name: string, previous: string, current: string, delta: string) => `· ${name}：${previous} → ${current}${delta}`,
  delta: (d: string, sign: number) => (sign > 0 ? `，升 ${d}` : sign < 0 ? `，降 ${d.replace(/^-/, '')}` : '，持平'),
  absent: '无此项',
  compareProvisional: '注：未填完的年度按已评分部分计，不是最终结果。',
  /** Chart and table labels (Feishu card, console). */
  previousSeries: (year: number) => `${year}年度`,
  currentSeries: (year: number) => `${year}年度`,
  scoreSeries: '得分',
  lostSeries: '失分',
  pendingSeries: '未评分',
  columns: { name: '一级指标', score: '得分', max: '满分', rate: '得分率', previous: '上年', current: '本年', change: '变化' },
  completion: (scored: number, applicable: number) => `已评分 ${scored}/${applicable} 项`,
  headline: (total: string, grade: string) => `总分 ${total}（${grade}）`,
  parts: (base: string, bonus: string, penalty: string) => `基础分 ${base} ＋ 加分 ${bonus}${penalty !== '0' ? ` － 减分 ${penalty}` : ''}`,
  chartTitle: '各一级指标得分',
  compareChartTitle: '各一级指标得分对比',
  /** 新建自评: carrying last year over. */
  carryTitle: '沿用上年内容？',
  carryQuestion: (year: number, parts: string[]) =>
    `找到本单位${year}年度的自评。是否沿用上年的以下内容（只需再填今年的数据和完成情况，之后仍可修改）？\n${parts.map((p) => `· ${p}`).join('\n')}`,
  carryKeyTasks: (slot: string, tasks: string[]) => `${slot}：${tasks.length} 项重点工作（${tasks.slice(0, 5).join('、')}${tasks.length > 5 ? ' 等' : ''}）`,
  carryNarratives: (titles: string[]) => `单位概况：${titles.join('、')}`,
  carryYes: '沿用上年',
  /** The choice as a 是否 question, to read replies such as 「沿用」「不沿用了」. */
  carryYesNoQuestion: '是否沿用上年的重点工作和单位概况？',
  carryNo: '不沿用',
  carryBad: (text: string) => `「${text}」不是对本题的回答，请回复「沿用上年」或「不沿用」。`,
  carried: (year: number) => `已沿用${year}年度的重点工作结构和单位概况，发送「修改 重点工作」可调整。`,
} as const;

/** The bureau overview (汇总, issue #13): a chat following several units' completion, score and grade. */
export const overviewText = {
  title: (year?: number) => (year ? `${year}年度自评汇总` : '自评汇总（各单位最新年度）'),
  /** One unit's line: rank, unit, year, completion, total and grade (or 未填完). */
  row: (rank: number, unit: string, year: number, scored: number, applicable: number, percent: string, total: string, grade: string | null) =>
    `${rank}. ${unit}（${year}年度）：完成 ${scored}/${applicable} 项（${percent}%），${grade ? `${total} 分，${grade}` : `当前 ${total} 分，未填完`}`,
  rowNone: (rank: number, unit: string, year?: number) => `${rank}. ${unit}：尚无${year ? `${year}年度` : ''}自评`,
  rowError: (rank: number, unit: string, year: number) => `${rank}. ${unit}（${year}年度）：无法计分（指标体系无法加载）`,
  sortNote: '已完成的按总分从高到低排列，未填完的按完成度排列。',
  pendingTitle: '待单位同意（同意前不显示其数据）：',
  pending: (unit: string, code: string) => `· ${unit}：请该单位组织者在本单位自评群发送「同意汇总 ${code}」`,
  exportButton: '导出表格',
  empty:
    '本群尚未关注任何单位。发送「汇总 <单位名称>…」关注多个单位的自评完成度、得分和等级，如「汇总 南京市数据局 南京市财政局」；指定年度如「汇总 2024 南京市数据局」。须经各单位组织者同意（或由管理员在控制台绑定）。',
  notFound: (units: string) => `未找到以下单位的自评：${units}。单位名称须与其自评的单位名称一致。`,
  added: (units: string) => `已关注：${units}`,
  askConsent: (units: string) => `已向以下单位申请查看（只读：完成度、得分和等级）：${units}`,
  removed: (units: string) => `已取消关注：${units}`,
  removedAll: '本群已不再关注任何单位。',
  notFollowing: (units: string) => `本群并未关注：${units}`,
  yearSet: (year: number) => `汇总改为显示${year}年度的自评。`,
  yearLatest: '汇总改为显示各单位最新年度的自评。',
  nothingToExport: '本群还没有已同意的单位，没有可导出的数据。发送「汇总」查看状态。',
  exported: (n: number) => `汇总表（${n} 个单位）见附件。`,
  consentNeedsCode: '请写上申请汇总的群收到的编码，如「同意汇总 AB12CD」。',
  consentNoEvaluation: '请在本单位的自评群里发送「同意汇总 <编码>」。',
  consentUnknown: (code: string, unit: string) => `没有「${unit}」待同意的汇总申请「${code}」，请核对编码。`,
  consented: (unit: string, who: string) => `已同意${who}所在的群查看「${unit}」的完成度、得分和等级（只读，不能查看或修改任何答案）。`,
  someone: '申请人',
  revokeNoEvaluation: '请在本单位的自评群里发送「撤销汇总」。',
  revoked: (unit: string, n: number, byAdmin: number) =>
    `${n ? `已撤销 ${n} 个群对「${unit}」的汇总查看（含待同意的申请）。` : `没有群经本单位同意查看「${unit}」。`}${byAdmin ? `另有 ${byAdmin} 个群由管理员绑定，须由管理员在控制台解除。` : ''}`,
  /** The .xlsx export. */
  sheetName: '自评汇总',
  fileName: (year?: number) => `自评汇总${year ? `${year}年度` : ''}.xlsx`,
  columns: ['序号', '单位', '年度', '已评分项', '应评分项', '完成度', '总分', '等级'] as readonly string[],
  statusNotFinal: '未填完',
  statusNone: '尚无自评',
  statusError: '无法计分',
  /** The console tab. */
  console: {
    tab: '汇总',
    units: '单位',
    unitsPlaceholder: '单位名称，空格或顿号分隔',
    year: '年度',
    yearPlaceholder: '最新',
    chatId: '或按群',
    chatIdPlaceholder: '关注这些单位的群号',
    show: '查询',
    exportLink: '导出 .xlsx',
    empty: '填写单位名称或群号后查询。',
    none: '没有可显示的单位。',
    pending: '待同意：',
    failed: '查询失败：',
  },
  /** The JSON API (/api/overview). */
  api: {
    needUnits: '需要 units（单位名称，逗号或顿号分隔）或 chatId',
    badYear: '应为四位年度，如 2024',
    badUnits: '应为单位名称的数组（至少一个，每个不超过100字）',
    noBinding: (chatId: string) => `会话「${chatId}」没有关注任何单位`,
  },
} as const;

/** Reminders (issue #13): what the group is sent, and the 提醒 command. */
export const reminderText = {
  weekdayNames: ['周一', '周二', '周三', '周四', '周五', '周六', '周日'] as readonly string[],
  days: (days: 'workdays' | 'daily' | number[]) =>
    days === 'workdays' ? '工作日' : days === 'daily' ? '每天' : days.map((d) => reminderText.weekdayNames[d - 1]).join('、'),
  nudge: (n: number) => (n === 0 ? '截止当天' : `截止前${n}天`),
  /** The first line of a reminder. */
  headline: (o: { title: string; kind: 'daily' | 'deadline'; deadline?: string; daysLeft?: number; owed: number }) => {
    const d = o.deadline;
    const left = o.daysLeft;
    if (d && left !== undefined && left === 0) return `【今日截止】${o.title}今天（${d}）截止，还有 ${o.owed} 题未填写：`;
    if (d && left !== undefined && left < 0) return `【已逾期】${o.title}已超过截止日期（${d}）${-left} 天，还有 ${o.owed} 题未填写：`;
    if (d && left !== undefined && o.kind === 'deadline') return `【截止提醒】${o.title}距截止日期（${d}）还有 ${left} 天，还有 ${o.owed} 题未填写：`;
    return `【填报提醒】${o.title}还有 ${o.owed} 题未填写${d && left !== undefined ? `（截止日期 ${d}，还有 ${left} 天）` : ''}：`;
  },
  /** One person's part: what they still owe. */
  owes: (name: string, count: number, labels: string[], organiser: boolean) =>
    `· ${name}${organiser ? '（组织者，含未分配的题目）' : ''}：${count} 题——${labels.join('、')}${count > labels.length ? ' 等' : ''}`,
  footer: '请发送「继续」接着填写，发送「进度」查看详情。',
  calendarMissing: (year: number) => `（请组织者留意：${year} 年的法定节假日和调休安排尚未收录，本年的“工作日”暂按周一至周五计算。）`,
  /** 提醒 alone: the settings in force. */
  view: (o: { days: string; time: string; nudges: string; deadline?: string; paused: boolean; urgent: boolean; calendarMissing?: number }) =>
    [
      `提醒设置${o.paused ? '（已暂停）' : ''}：`,
      `· 定时提醒：${o.days} ${o.time}（北京时间），@ 每位还有题目未填的同事，未分配的题目 @ 组织者`,
      `· 截止提醒：${o.nudges}${o.deadline ? `（截止日期 ${o.deadline}；遇节假日提前到前一个工作日）` : '（尚未设置截止日期，可发送「截止 2025-05-31」设置）'}`,
      `· 最后一天飞书加急：${o.urgent ? '开' : '关'}`,
      ...(o.calendarMissing ? [reminderText.calendarMissing(o.calendarMissing)] : []),
      reminderText.usage,
    ].join('\n'),
  usage: '修改示例：「提醒 工作日 09:30」「提醒 每天 10:00」「提醒 周一 周四 09:00」「提醒 截止前 7,3,1,0」「提醒 暂停」「提醒 恢复」「提醒 加急 开」',
  notUnderstood: (arg: string) => `无法识别提醒设置「${arg}」。`,
  badTime: (t: string) => `「${t}」不是有效的时间，请写成 24 小时制的 时:分，如 09:30。`,
  badNudges: (arg: string) => `「${arg}」不是有效的截止前天数，请写 0 到 60 之间的天数，用逗号分隔（0 表示截止当天）。`,
  badUrgent: '加急请写「提醒 加急 开」或「提醒 加急 关」。',
  scheduleSet: (days: string, time: string) => `好的，今后${days} ${time}（北京时间）提醒还有题目未填的同事。`,
  nudgesSet: (nudges: string) => `好的，截止提醒改为：${nudges}。`,
  paused: '提醒已暂停。发送「提醒 恢复」重新开启。',
  resumed: '提醒已恢复。',
  alreadyPaused: '提醒已经是暂停状态。发送「提醒 恢复」重新开启。',
  alreadyOn: '提醒已经开启。',
  urgentSet: (on: boolean) => (on ? '好的，截止当天的提醒将在飞书上以“加急”方式发送给还有题目未填的同事。' : '已关闭截止当天的加急提醒。'),
  /** To the organiser when a reminder could not be delivered. */
  sendFailed: (title: string, chat: string) =>
    `提醒未能送达：${title}发往${chat}的提醒多次重试后仍发送失败。请检查机器人是否仍在群内、是否有发消息的权限；可在群里发送「进度」查看各人还差哪些题目。`,
  groupChat: '群聊',
} as const;

/** Roles (issue #13): who may do what, and the refusals naming who may. */
export const roleText = {
  roleNames: { organiser: '组织者', leader: '领导', contributor: '成员' } as Record<'organiser' | 'leader' | 'contributor', string>,
  actions: {
    view: '查看',
    answer: '填写',
    assign: '分配填报任务',
    setDeadline: '设置截止日期',
    setReportDate: '设置报告落款日期',
    enterKeyTasks: '填写重点工作',
    markApplicability: '标记指标适用或不适用',
    setRoles: '设置组织者、领导和分配方式',
    confirmFramework: '确认指标体系',
    setReminders: '修改提醒设置',
    shareOverview: '同意或撤销汇总查看',
    setAssistant: '启用或停用助手',
  },
  organiserOnly: (what: string, names: string) => `${what}只有组织者（${names}）可以进行。`,
  leaderQueriesOnly: (names: string) =>
    `您是本次自评的领导，可以查询「进度」「得分」「扣分」「报告」；填写由组织者（${names}）和参与填报的同事完成。`,
  organiserEnters: (names: string) => `这一项只有组织者（${names}）可以填写。`,
  assignedToOthers: (who: string, names: string) => `这一部分已分配给 ${who}。本次自评实行严格分配，只能由被分配的同事或组织者（${names}）填写。`,
  unassignedStrict: (names: string) => `这一部分尚未分配。本次自评实行严格分配，未分配的部分由组织者（${names}）填写，或请组织者分配给您。`,
  otherChat: '这份自评不属于本会话，不能在这里查看或修改。请在自评所在的群里操作。',
  notMember: (names: string) => `您尚未参与这份自评，不能在私聊中查看或修改。请在自评所在的群里发言，或请组织者（${names}）把您设为成员。`,
  confirmFrameworkWho: '确认指标体系只有自评的组织者或该指标体系的上传者可以进行；也可由管理员在控制台确认。',

  // 设置
  setUsage:
    '用法：设置 组织者 @某人（增加组织者）；设置 领导 @某人（领导只查询不填写）；设置 成员 @某人（恢复为普通成员）；设置 严格分配（同事只填分配给自己的部分）/ 设置 自由分配',
  rolesSet: (role: string, who: string) => `已将 ${who} 设为${role}。`,
  rolesNow: (organisers: string, leaders: string | undefined) => `现在的组织者：${organisers}${leaders ? `；领导：${leaders}` : ''}。`,
  lastOrganiser: (who: string) => `${who} 是唯一的组织者，不能改为其他身份。请先设置另一位组织者。`,
  strictOn: '已改为严格分配：同事只能填写分配给自己的部分，未分配的部分由组织者填写。',
  strictOff: '已改为自由分配：所有同事都可以填写任何部分（分配给自己的部分优先提问）。',
  strictAlready: (on: boolean) => (on ? '已经是严格分配。' : '已经是自由分配。'),

  // Nobody blocked
  heldBy: (label: string, who: string, since: string, freeAt: string) => `「${label}」由 ${who} 填写中（${since} 起，${freeAt} 前无操作将自动释放）`,
  restHeldHeader: '其余题目正由其他同事填写中：',
  restHeldFooter: '到时发送「继续」即可接手；也可以直接点他们题目卡片上的按钮作答。发送「进度」查看进展。',
  waitingForOrganiser: (labels: string[], names: string) => `等待组织者填写：${labels.map((l) => `「${l}」`).join('')}（只有组织者 ${names} 可以填写）。`,
  organiserCalled: (labels: string[]) => `请组织者填写${labels.map((l) => `「${l}」`).join('')}：发送「继续」或「重点工作」开始。`,
  assignedElsewhere: (labels: string[], total: number, who: string) => `${labels.map((l) => `「${l}」`).join('')}${total > labels.length ? ` 等 ${total} 项` : ''}由 ${who} 负责。`,
  takenMeanwhile: (label: string, current: string | undefined) => `「${label}」已由其他同事填写${current ? `：${current}` : ''}。您的回复未记录；如需修改请发送「修改 ${label}」。`,
  leaderHelpLines: ['您是本次自评的领导，可以：', '进度：查看填报进度和各部分负责人', '得分：查看当前得分', '扣分：查看扣分项及原因', '报告：生成自评价报告（.docx）'],
  organiserRoleHelpLines: (w: (name: 'setRole') => string) => [
    `${w('setRole')} 组织者 @某人：增加组织者；${w('setRole')} 领导 @某人：领导只查询不填写；${w('setRole')} 成员 @某人：恢复为普通成员`,
    `${w('setRole')} 严格分配：同事只填分配给自己的部分（${w('setRole')} 自由分配 恢复）`,
  ],
} as const;

/** The optional language-model assistant (启用助手 / 停用助手, and its reading of replies). */
export const assistantText = {
  notConfigured: '本系统没有配置语言模型助手（需管理员设置 LLM_BASE_URL 和 LLM_MODEL），填报照常进行，不受影响。',
  enabled: (model: string, host: string) =>
    `已启用助手。今后遇到读不懂的回复时，会把这道题的题目、这条回复和本次自评已填的数据（不含任何人名）发送到 ${host} 的模型 ${model}，由它给出理解，经您确认后才记录；助手不决定任何得分。如本单位不允许数据出内网，请发送「停用助手」。`,
  alreadyEnabled: (model: string, host: string) => `助手已经是启用状态（模型 ${model}，地址 ${host}）。发送「停用助手」可关闭。`,
  disabled: '已停用助手，不再向语言模型发送任何内容；读不懂的回复会像以前一样请填报人重新回答。',
  alreadyDisabled: '助手本来就没有启用。发送「启用助手」可开启（数据将发送到配置的语言模型）。',
  /** 「您的意思是：是，依据…？」 */
  proposal: (answer: string, basis: string | undefined) => `您的意思是：${answer}${basis ? `，依据${basis}` : ''}？`,
  proposalHint: '（这是助手对您回复的理解，确认后才记录；不对请点「不是」，或直接重新回答。）',
  confirmButton: '是',
  rejectButton: '不是',
  rejected: '好的，没有记录。请按题目要求重新回答：',
  stale: '这条理解已经过时（题目已变化或已作答），没有记录。',
  overCap: (month: string) => `本月（${month}）语言模型助手的用量已达到上限，本月其余时间助手暂停使用，填报照常进行。如需调整请联系管理员（LLM_MONTHLY_TOKEN_CAP）。`,
  helpLine: (on: string, off: string) => `${on} / ${off}：启用或停用语言模型助手（帮助理解读不懂的回复、起草报告文字，都经人确认才记录；启用时会说明数据发往何处）`,
} as const;

/**
 * Report drafting by the assistant (issue #16): the facts a section is drafted from as the prompt shows
 * them, the draft card and its buttons, and what the dialog says around it.
 */
export const draftingText = {
  // The facts, as the prompt's variables hold them
  none: '无',
  figure: (label: string, value: string) => `${label}：${value}`,
  figureWorked: (label: string, value: string, workings: string) => `${label}：${value}（${workings}）`,
  totalFinal: (total: string, base: string, bonus: string, penalty: string, grade: string) =>
    `总分：${total}分（基础分${base}分，加分${bonus}分，减分${penalty}分）；等级：${grade}`,
  totalPending: (missing: number) => `尚有${missing}项未评分：总分和等级尚未确定，不写总分和等级`,
  score: (name: string, points: string, score: string) => `${name}：满分${points}分，得${score}分`,
  scorePending: (name: string, points: string) => `${name}：满分${points}分，尚未评完`,
  notApplicable: (name: string, reason: string) => `${name}：不适用（${reason}）`,
  deduction: (name: string, lost: string, reasons: string) => `${name}：扣${lost}分。${reasons}`,
  answer: (name: string, reasons: string) => `${name}：${reasons}`,
  evidence: (list: string) => `（依据：${list}）`,
  adjustment: (name: string, score: string, reasons: string) => `${name}：${score}分。${reasons}`,
  narrative: (title: string, text: string) => `【${title}】${text}`,
  current: (text: string) => `【本部分现有内容】${text}`,
  /** Told to the model on a retry: what was wrong with the last draft. */
  feedbackFigures: (figures: string) => `上一稿写了数据中没有的数字（${figures}），已作废。只能使用上面给出的数字，没有的数字不写。`,
  feedbackForm: '上一稿不符合要求（只输出本部分正文，不写标题、说明或占位符），已作废。',

  // The dialog
  draftButton: '起草',
  helpLine: (word: string) => `${word} <部分名称>：助手启用后，请它根据已填数据起草报告的文字部分（如「${word} 存在的问题」）；草稿经您采用才写入`,
  acceptButton: '采用',
  editButton: '修改',
  rejectButton: '不用',
  off: '本次自评未启用助手，不能起草。组织者可发送「启用助手」开启；也可以直接填写这一部分。',
  usage: (sections: string) => `用法：起草 <部分名称>，例如「起草 部门基本情况」。可起草的部分：${sections}。`,
  unknownSection: (name: string, sections: string) => `没有找到「${name}」这一部分。可起草的部分：${sections}。`,
  draftTitle: (title: string) => `草稿：${title}`,
  draftCard: (text: string) => `${text}\n\n——以上是助手根据已填数据起草的草稿，尚未写入报告。请选择：采用（按原文记录为这一部分）、修改（改后发回）或不用。`,
  failed: (title: string) => `助手这次没能起草出可用的「${title}」（草稿里的数字与已填数据不符或格式不对，已作废）。请直接填写：`,
  unavailable: (title: string) => `助手暂时无法起草「${title}」，请直接填写：`,
  noDraft: '没有待处理的草稿。发送「起草 <部分名称>」请助手起草。',
  staleDraft: '这份草稿已经不是最新的（已被采用、放弃或重新起草），没有记录。',
  changedMeanwhile: (title: string) => `「${title}」在起草之后已被修改，草稿没有采用。如仍需要，请重新起草。`,
  editHint: (title: string) => `请复制下面的草稿，修改后发回作为「${title}」的内容，写完后发送「完成」：`,
  rejected: (title: string) => `已放弃草稿，「${title}」没有改动。`,
  acceptedToast: '已采用草稿',
  accepted: (title: string, by: string) => `「${title}」已采用草稿（${by}）。`,
} as const;
