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
  reportDate: ['落款', '落款日期'],
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
export const PARTIAL_WORDS = ['部分做到', '部分达到', '部分完成', '部分落实', '部分', '基本做到', '基本'] as const;

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

// ---------------------------------------------------------------------------------------------
// The report's 落款日期 (issue #12, the report)

/** Arguments of 落款 that clear the set date, so the report is dated the day it is generated again. */
export const REPORT_DATE_RESET_WORDS = ['恢复默认', '默认', '清除', '生成日期', '当天'] as const;
