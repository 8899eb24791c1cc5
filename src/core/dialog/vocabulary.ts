/**
 * Every word the bot understands, in one place beside the locale file (which holds what it writes).
 * Parsers, commands and flows read their words from here, so that "无" means the same everywhere and a
 * new synonym is added once. Lists are ordered longest-first where a parser matches prefixes.
 */

/** Words for each command; the first is the one help shows. */
export const COMMAND_WORDS = {
  start: ['开始', '继续', '开始填报', '继续填报', '下一题', '填报'],
  skip: ['跳过', '略过', '暂不回答', '先跳过'],
  back: ['上一题', '返回', '上一个', '返回上一题'],
  edit: ['修改', '更正', '改'],
  progress: ['进度', '完成情况', '还差什么', '缺什么'],
  score: ['得分', '分数', '查分', '总分', '多少分', '当前得分'],
  deductions: ['扣分', '扣分项', '扣分情况', '丢分'],
  report: ['报告', '生成报告', '导出报告', '下载报告'],
  help: ['帮助', '命令', '菜单', 'help', '?', '？'],
  cancel: ['取消', '退出', '停止', '暂停'],
  create: ['新建自评', '新建', '创建自评'],
  assign: ['分配'],
  deadline: ['截止', '截止日期'],
  keyTasks: ['重点工作'],
  notApplicable: ['不适用'],
  switch: ['切换自评', '切换', '选择自评'],
  // Issue #12 (edits and undo): undoes 不适用. "适用" alone needs a space, a colon or a code after it.
  applicable: ['适用', '撤销不适用', '取消不适用', '恢复适用'],
  // Issue #12 (edits and undo): withdraws a 确认无误 given to a failed balance check.
  unconfirm: ['撤销确认', '取消确认'],
  reportDate: ['落款', '落款日期'],
  // Issue #13 (leaders' views): this year against last year's evaluation of the same unit.
  compare: ['对比', '同比', '与上年对比', '对比上年', '和去年比'],
  // Issue #13 (bureau overview): a chat following several units; consent given in the unit's own chat.
  overview: ['汇总', '单位汇总', '汇总表'],
  overviewConsent: ['同意汇总'],
  overviewRevoke: ['撤销汇总', '拒绝汇总'],
  // Issue #13 (reminders): view and change the evaluation's reminders.
  reminders: ['提醒', '提醒设置', '催办'],
  // Issue #13 (roles): 设置 组织者/领导/成员 @某人, 设置 严格分配 / 自由分配 (words in ROLE_WORDS below).
  setRole: ['设置'],
  // Issue #16 (assistant): the organiser lets the evaluation use the language-model assistant, or not.
  assistantOn: ['启用助手', '开启助手', '打开助手'],
  assistantOff: ['停用助手', '关闭助手', '禁用助手'],
  // Issue #16 (report drafting): the assistant drafts a narrative section; the person accepts, edits or rejects the draft.
  draftSection: ['起草', '帮我起草', '起草一下'],
  draftAccept: ['采用草稿'],
  draftEdit: ['修改草稿'],
  draftReject: ['不用草稿', '放弃草稿'],
} as const;

/**
 * Negation prefixes, longest first: "尚未建立", "还没有开展", "不超支". A reply that starts with one of
 * these says the opposite of the predicate that follows it.
 */
export const NEGATIONS = ['还没有', '尚没有', '并没有', '从没有', '从未', '尚未', '还未', '暂未', '并未', '均未', '没有', '没', '未', '不', '无', '非'] as const;

/** A bare "yes" to a yes/no question (the whole reply, or its first word before evidence). */
export const YES_WORDS = ['是的', '是', '有', '对', '已', '√', '✓', '✔', 'yes', 'y'] as const;

/** A bare "no" to a yes/no question. */
export const NO_WORDS = ['没有', '不是', '否', '无', '没', '不', 'no', 'n', '×', '✗', '✘'] as const;

/**
 * Affirmative verbs that answer "是否建立/制定/开展…" when used alone ("已建立", "已完成"): yes, but only
 * with a verb or object that belongs to the question (see yes/no reading), never alone.
 */
export const DONE_MARKERS = ['已经', '已', '均已', '都已', '全部', '均', '都'] as const;

/**
 * Replies that acknowledge without answering: "好的" to "是否建立…?" is not a yes. Compared with the
 * whole reply (trailing punctuation removed).
 */
export const NON_ANSWERS = ['好的', '好', '收到', '嗯', '嗯嗯', '哦', '行', '可以', 'ok', 'okay', '知道了', '明白', '了解', '完成', '好的收到', '👌', '👍', '1'] as const;

/** Ends a multi-message answer (narratives, key tasks). */
export const DONE_WORDS = ['完成', '结束', '好了', '写完了'] as const;

/** "None" to a list question (bonus awards, penalties, violations). */
export const NONE_WORDS = ['无', '没有', '否', '都没有', '均无', '均未', '未获得', '没有发生', '零'] as const;

/** Partial credit: "部分，0.5 理由" to a yes/no question whose rule allows it. */
export const PARTIAL_WORDS = ['部分做到', '部分达到', '部分完成', '部分落实', '部分', '基本做到', '基本', '大部分', '绝大部分', '大多数', '多数'] as const;

/** "I have no figure for this": leads to a conclusion in words instead of a number. */
export const NO_FIGURE_WORDS = [
  '没有具体数字',
  '没有具体数据',
  '没有具体数',
  '没有数字',
  '没有数据',
  '无具体数字',
  '无具体数据',
  '无数据',
  '暂无数据',
  '没统计',
  '没有统计',
  '未统计',
  '无统计',
  '不清楚具体',
  '没有做',
  '没做',
  '未做',
  '没有开展',
  '未开展',
  '没有进行',
  '未进行',
  '没有组织',
  '未组织',
  '不知道具体',
  '不知道',
  '不清楚',
  '说不准',
] as const;

/** Qualifiers a figure may carry; the bound they mean relative to the number. */
export const QUALIFIERS = {
  /** The number is a lower bound, included: "90%以上", "不低于90%", "90%及以上", "≥90%". */
  atLeast: { before: ['不低于', '不少于', '至少', '≥', '>='], after: ['及以上', '以上', '或以上', '(含)以上', '（含）以上'] },
  /** A strict lower bound: "超过90%", "高于90%", "大于90%". */
  above: { before: ['超过', '高于', '大于', '多于', '>'], after: ['多', '有余'] },
  /** An upper bound, included: "不超过90%", "90%以下", "90%以内". */
  atMost: { before: ['不超过', '不高于', '不多于', '最多', '≤', '<='], after: ['及以下', '以下', '以内', '或以下'] },
  /** A strict upper bound: "低于90%", "不到90%", "不足90%". */
  below: { before: ['低于', '小于', '少于', '不到', '不足', '不满', '<'], after: [] as string[] },
  /** Approximately: "约90%", "90%左右". */
  about: { before: ['大约', '大概', '约', '近', '将近', '接近'], after: ['左右', '上下', '前后'] },
} as const;

/** Money units, with their factor to 万元. */
export const MONEY_UNITS: Record<string, number> = { 亿元: 1e4, 亿: 1e4, 万元: 1, 万: 1, 千元: 0.1, 元: 1e-4 };

/** Percentage spellings after a number ("90%", "90％", "90个百分点"), and before it ("百分之九十"). */
export const PERCENT_AFTER = ['个百分点', '%', '％', '‰'] as const;
export const PERCENT_BEFORE = '百分之';

/** Words that introduce evidence or a remark after an answer ("是，依据：《…》"). */
export const REMARK_LABELS = ['佐证材料', '证明材料', '佐证', '依据', '备注', '说明', '理由', '原因'] as const;

/** Words before a figure that add nothing ("共5959.46万元", "为85%"). */
export const FILLER_BEFORE_NUMBER = ['合计', '共计', '总计', '一共', '共', '为', '是', '达', '达到'] as const;

/** A conclusion in words that the figure meets the standard the rules set ("满意度达标"). */
export const CONCLUSION_MET = ['达标', '达到要求', '符合要求', '满足要求', '达到目标', '完成目标', '达到标准', '达到考核要求', '未超支', '没有超支', '无超支'] as const;

/** A conclusion in words that it does not (checked before CONCLUSION_MET: "未达标" contains "达标"). */
export const CONCLUSION_NOT_MET = ['未达标', '不达标', '没达标', '没有达标', '未达到要求', '不符合要求', '未满足要求', '未达到目标', '未完成目标', '没完成目标', '未达到标准', '超支了'] as const;

/** Count units after a figure ("两例", "3次", "两笔"). */
export const COUNT_UNITS = ['个', '次', '人', '件', '例', '项', '起', '家', '篇', '条', '台', '套', '户', '场', '期', '天', '名', '所', '批', '份', '本', '张', '笔', '万人次', '人次'] as const;

/** Units that belong to no question of ours: a figure in them is asked back ("6091.91美元"). */
export const OTHER_UNITS = ['美元', '欧元', '港元', '港币', '日元', '英镑', '卢布', '韩元', '公里', '千米', '米', '吨', '公斤', '千克', '平方米', '亩', '公顷', '小时', '分钟', '秒'] as const;

/** Before a percentage change: a decrease is negative ("减少98.44%"), an increase positive. */
export const DECREASE_WORDS = ['减少了', '减少', '下降了', '下降', '降低了', '降低', '减少约'] as const;
export const INCREASE_WORDS = ['增加了', '增加', '增长了', '增长', '上升了', '上升', '提高了', '提高'] as const;

// ---------------------------------------------------------------------------------------------
// Text as written: naming a document. Evidence is printed as written; title marks are added only
// where the reply names a document without them ("南京市数据局预算管理办法" → 《南京市数据局预算管理办法》).

/** Words a document's title ends with (办法, 通知, 方案…): a short phrase ending in one names a document. */
export const DOCUMENT_WORDS = [
  '办法',
  '规定',
  '规则',
  '制度',
  '方案',
  '细则',
  '手册',
  '通知',
  '通报',
  '意见',
  '计划',
  '规划',
  '报告',
  '纪要',
  '决定',
  '决议',
  '条例',
  '章程',
  '清单',
  '台账',
  '指引',
  '指南',
  '要点',
  '批复',
  '预案',
  '规范',
] as const;

/**
 * Words a phrase starts with when it says something about a document rather than naming one
 * ("已制定预算管理办法", "按照采购管理办法", "见附件"): such a phrase is never given title marks.
 */
export const NOT_A_TITLE_START = [
  '已经',
  '已',
  '尚未',
  '未',
  '没有',
  '无',
  '均',
  '都',
  '正在',
  '将',
  '在',
  '按照',
  '按',
  '依照',
  '依据',
  '根据',
  '参照',
  '详见',
  '参见',
  '见',
  '通过',
  '制定',
  '印发',
  '出台',
  '建立',
  '完善',
  '修订',
  '报送',
  '上报',
  '完成',
  '执行',
  '落实',
  '开展',
] as const;

/** A parenthesis after a title that belongs to it: （试行）, （暂行）, （2024年修订）. */
export const TITLE_VERSION_NOTES = ['试行', '暂行', '修订', '修订稿', '修订版', '草案', '征求意见稿'] as const;

/** Not yet done, before a verb of making (NOT_YET_VERBS): read as a negation ("正在制定" to "是否制定…" is no). */
export const NOT_YET = ['正在', '准备', '拟', '即将'] as const;
export const NOT_YET_VERBS = ['制定', '建立', '编制', '起草', '出台', '印发', '成立', '开展', '设置'] as const;

/** A reservation after an answer ("公开了，但晚了一周"): the reply is asked back. */
export const BUT_WORDS = ['但是', '但', '不过', '只是', '然而', '可是', '可惜'] as const;

/**
 * Words of one meaning, in pairs of opposites: group 2k and 2k+1 mean the opposite of each other.
 * "没有超出预算" restates "控制在预算以内".
 */
export const MEANING_GROUPS: ReadonlyArray<readonly string[]> = [
  ['超支', '超出', '超过', '突破', '超'],
  ['控制在', '以内', '之内', '预算内'],
  ['挤占', '挪用', '截留'],
  ['专款专用'],
  ['滞后', '延迟', '推迟', '逾期'],
  ['按时', '及时', '按期', '如期'],
];

/** The indicator does not concern the unit ("本单位无需批复下属单位预算"): asked back with how to mark it 不适用. */
export const NOT_APPLICABLE_WORDS = ['无需', '不需要', '不涉及', '没有涉及', '未涉及', '不适用', '无此项', '没有此项', '没有下属单位', '无下属单位', '统一反映在'] as const;

/** "All of them" to a checklist ("都做到了"). */
export const ALL_WORDS = ['全部做到', '都做到了', '都做到', '均已做到', '均做到', '全部', '都有', '都是', '所有', '全都', '均已'] as const;

// ---------------------------------------------------------------------------------------------
// The report's 落款日期 (issue #12, the report)

/** Arguments of 落款 that clear the set date, so the report is dated the day it is generated again. */
export const REPORT_DATE_RESET_WORDS = ['恢复默认', '默认', '清除', '生成日期', '当天'] as const;

// ---------------------------------------------------------------------------------------------
// 新建自评 carrying last year's key tasks and unit profile over (issue #13, leaders' views)

/** Replies that take last year's key-task structure and unit profile into a new evaluation. */
export const CARRY_OVER_YES = ['沿用上年', '沿用', '沿用去年', '用上年的', '是', '是的', '好', '可以', '同意'] as const;
/** Replies that start the new evaluation empty. */
export const CARRY_OVER_NO = ['不沿用', '不用', '重新填写', '重新填', '不要', '否', '不'] as const;

// The bureau overview (issue #13): arguments of 汇总

/** 汇总 导出: the table as an .xlsx file. */
export const OVERVIEW_EXPORT_WORDS = ['导出表格', '导出', '表格', 'excel', 'xlsx'] as const;
/** 汇总 取消 <unit>…: stop following those units (all, without names). */
export const OVERVIEW_STOP_WORDS = ['取消关注', '不再关注', '取消', '移除', '删除'] as const;
/** 汇总 最新: back to each unit's latest year. */
export const OVERVIEW_LATEST_WORDS = ['最新年度', '最新'] as const;
// Reminders (issue #13, point 3): the words of 提醒 <设置>

/** Words of the 提醒 command's settings. */
export const REMINDER_WORDS = {
  /** China's official working days (statutory holidays off, 调休 weekend workdays on). */
  workdays: ['工作日', '每个工作日'],
  daily: ['每天', '每日', '天天'],
  /** ISO weekday (1 = Monday) by its names. */
  weekdays: [
    ['周一', '星期一', '礼拜一'],
    ['周二', '星期二', '礼拜二'],
    ['周三', '星期三', '礼拜三'],
    ['周四', '星期四', '礼拜四'],
    ['周五', '星期五', '礼拜五'],
    ['周六', '星期六', '礼拜六'],
    ['周日', '星期日', '星期天', '周天', '礼拜日', '礼拜天'],
  ],
  /** Deadline-relative nudges: 截止前 7,3,1,0. */
  beforeDeadline: ['截止前', '截止日前', '到期前'],
  pause: ['暂停', '关闭', '停止', '停'],
  resume: ['恢复', '开启', '继续', '打开'],
  /** Feishu's urgent (加急) last-day reminder: 加急 开 / 加急 关. */
  urgent: ['加急'],
  on: ['开', '开启', '打开', '启用', '是'],
  off: ['关', '关闭', '停用', '取消', '否'],
} as const;

// Roles (issue #13): what follows 设置

/** The role words after 设置: 「设置 组织者 @某人」, 「设置 领导 @某人」, 「设置 成员 @某人」 (back to contributor). */
export const ROLE_WORDS = {
  organiser: ['组织者', '协同组织者', '联合组织者'],
  leader: ['领导', '局领导', '分管领导'],
  contributor: ['成员', '填报人', '普通成员'],
} as const;

/** After 设置: contributors answer only their assigned sections (on), or any section (off). */
export const STRICT_ASSIGNMENT_WORDS = {
  on: ['严格分配', '仅填分配', '只填分配部分'],
  off: ['自由分配', '不限分配', '取消严格分配'],
} as const;

// Report drafting (issue #16): the assistant drafts a narrative section; what follows 起草

/**
 * Names people use for the narrative sections besides the framework's own titles (「起草 存在的问题」
 * reaches the framework's 「存在问题及原因分析」), by narrative key.
 */
export const DRAFT_SECTION_ALIASES: Readonly<Record<string, readonly string[]>> = {
  basicInfo: ['部门基本情况', '基本情况', '部门概况', '单位基本情况', '单位概况', '概况'],
  finances: ['收支情况', '部门收支情况', '资金情况', '预决算情况'],
  longTermGoals: ['中长期规划', '规划'],
  annualGoals: ['年度绩效目标', '绩效目标', '年度目标'],
  overallGoals: ['整体支出绩效目标'],
  achievements: ['绩效目标完成情况', '履职成效', '部门履职成效', '绩效目标实现情况', '完成情况', '工作成效'],
  conclusion: ['评价结论'],
  problems: ['存在的问题', '存在问题', '问题', '主要问题', '存在问题及原因分析'],
  suggestions: ['改进措施', '有关建议', '建议', '改进建议', '整改措施'],
  process: ['评价工作开展情况', '自评工作开展情况', '工作开展情况'],
  other: ['其他需要说明的情况', '其他情况'],
};

/**
 * What a model says about itself or its answer rather than drafting (a refusal, a preface, a
 * placeholder left to fill): a draft containing one is not what the prompt asked for.
 */
export const DRAFT_META_PHRASES = [
  '作为AI', '作为一个AI', '作为人工智能', '作为一个人工智能', '作为语言模型', '我无法', '我不能', '抱歉', '对不起',
  '以下是', '草稿如下', '正文如下', '希望对您有帮助', '如需修改', '请提供', '请补充', '【待填写', '待补充', 'XX', 'xx', '××', '＿＿', '__', '{{',
] as const;

/**
 * Set phrases of official prose with a numeral in them that is no figure (四个意识, 三重一大): the
 * draft's figure check skips them.
 */
export const NUMERAL_SET_PHRASES = [
  '两个确立', '两个维护', '四个意识', '四个自信', '四个全面', '五位一体', '三位一体', '三重一大', '三会一课', '一岗双责',
  '两学一做', '三严三实', '一网通办', '一网统管', '一件事', '十分', '万分', '百分百', '千方百计', '一把手',
] as const;

/**
 * Measure words and units after which a Chinese numeral counts something (三项制度, 五个处室, 两次会议):
 * the draft's figure check reads such numerals as figures and leaves the others (一是, 二、, 进一步) alone.
 */
export const NUMERAL_MEASURE_WORDS = '个项人名家次件条元年月日天台辆套所批类级层部处支场期届倍户篇份轮座间位分%';

/** Words that turn a following numeral into an ordinal (第三, 其二): not a figure. */
export const ORDINAL_PREFIXES = ['第', '其'] as const;

/** Words after a numeral that make it an enumeration (一是, 二要, 三、, 一方面): not a figure. */
export const ENUMERATION_SUFFIXES = ['是', '要', '方面', '来', '则', '、', '）', ')', '.', '．'] as const;
