/**
 * Encodes the bot's replies as Feishu message content: plain replies as text (mentions as
 * `<at user_id="…">`), every reply that asks a question or has buttons as a card JSON 2.0 (the
 * question, its unit, a button per choice, an input form for values and text; mentions as `<at id=…>`),
 * score summaries as a card with a table, and the "answered" card a pressed card turns into.
 *
 * Vendor docs:
 * - content formats: https://open.feishu.cn/document/server-docs/im-v1/message-content-description/create_json
 * - card JSON 2.0: https://open.feishu.cn/document/feishu-cards/card-json-v2-structure
 * - components: https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/button,
 *   …/containers/form-container, …/interactive-components/input, …/content-components/table,
 *   …/content-components/rich-text
 *
 * @example const { msgType, content } = encodeFeishuReply(reply, target, names)
 */
import { formatScore } from '../../core/decimal';
import { comparisonLines } from '../../core/dialog/glance';
import { feishuText as T, glanceText as G } from '../../core/locale/zh-CN';
import type { Button, Mention, OutboundTarget, PressFeedback, QuestionMeta, Reply, ScoreComparison, ScoreSummary } from '../../core/messages';
import type { ButtonValue } from './decode';

/** Message content ready for `im.v1.message.create`: `content` is the JSON string (serialised once). */
export interface FeishuContent {
  msgType: 'text' | 'interactive';
  content: string;
}

/** A card JSON 2.0 object. */
export type FeishuCard = Record<string, unknown>;

/** Card and post bodies may be up to 30 KB (text 150 KB): https://open.feishu.cn/document/server-docs/im-v1/message/create */
export const MAX_CARD_BYTES = 30 * 1024;
/** A card input takes at most 1 000 characters: https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/input */
const INPUT_MAX_LENGTH = 1000;
/** Question types answered by a button alone; the others get an input form (multi: "1,3" or "全部" too). */
const BUTTON_ONLY: ReadonlySet<QuestionMeta['type']> = new Set(['boolean', 'choice']);
/** Types answered in several lines (key tasks, deductions, narratives). */
const MULTILINE: ReadonlySet<QuestionMeta['type']> = new Set(['text', 'list']);

/** Names of people by open_id (for a card's subtitle); undefined when unknown. */
export type NameLookup = (openId: string) => string | undefined;

type TextOrCard = Exclude<Reply, { kind: 'file' }>;

/** Encodes one reply for a target. A card over the size limit falls back to its text. */
export function encodeFeishuReply(reply: TextOrCard, target: OutboundTarget, nameOf: NameLookup = () => undefined): FeishuContent {
  const card = buildReplyCard(reply, target, nameOf);
  if (card) {
    const content = JSON.stringify(card);
    if (Buffer.byteLength(content, 'utf8') <= MAX_CARD_BYTES) return { msgType: 'interactive', content };
  }
  const text = reply.kind === 'card' ? `${reply.title}\n${reply.text}` : reply.text;
  return { msgType: 'text', content: JSON.stringify({ text: `${textMentions(reply.mentions, nameOf)}${text}` }) };
}

/** The card a reply becomes, or undefined when it is plain text. */
export function buildReplyCard(reply: TextOrCard, target: OutboundTarget, nameOf: NameLookup): FeishuCard | undefined {
  const buttons = reply.kind === 'card' ? (reply.buttons ?? []) : [];
  const q = reply.question;
  if (reply.kind === 'text' && !q) return scoreCard(reply.text, reply.mentions);
  if (reply.kind === 'card' && reply.scoreSummary) return scoreSummaryCard(reply, reply.scoreSummary, target);
  if (reply.kind === 'card' && reply.comparison) return comparisonCard(reply, reply.comparison, target);
  const title = reply.kind === 'card' ? reply.title : T.questionTitle;
  const elements: unknown[] = [{ tag: 'markdown', content: `${cardMentions(reply.mentions)}${escapeMarkdown(reply.text)}` }];
  if (q?.unit && !BUTTON_ONLY.has(q.type)) elements.push({ tag: 'markdown', content: escapeMarkdown(T.unit(q.unit)), text_size: 'notation' });
  for (const [i, b] of buttons.entries()) elements.push(button(b, target.chatType, i === 0 && buttons.length === 1 ? 'primary' : 'default'));
  if (q && !BUTTON_ONLY.has(q.type)) elements.push(answerForm(q, target.chatType));
  // In a group, whose question it is (a subtitle, not an @: no notification for every question).
  const who = target.chatType === 'group' && q && target.userId ? (target.userName ?? nameOf(target.userId)) : undefined;
  return card({ title, template: 'blue', subtitle: who ? T.askedOf(who) : undefined, summary: reply.text, elements });
}

/** The card a pressed card becomes: the question with what was recorded and by whom. */
export function buildAnsweredCard(feedback: NonNullable<PressFeedback['card']>): FeishuCard {
  return card({ title: feedback.title, template: 'green', summary: feedback.text, elements: [{ tag: 'markdown', content: escapeMarkdown(feedback.text) }] });
}

function card(o: { title: string; template: string; subtitle?: string | undefined; summary: string; elements: unknown[] }): FeishuCard {
  const header: Record<string, unknown> = { title: { tag: 'plain_text', content: o.title }, template: o.template };
  if (o.subtitle) header.subtitle = { tag: 'plain_text', content: o.subtitle };
  return {
    schema: '2.0',
    // Cards that change (a press updates them) must be shared cards; in 2.0 it can only be true.
    config: { update_multi: true, summary: { content: summaryOf(o.summary) } },
    header,
    body: { elements: o.elements },
  };
}

/** The chat list's preview of a card: its first line, shortened. */
function summaryOf(text: string): string {
  const first = text.split('\n').find((l) => l.trim()) ?? '';
  return [...first].length > 60 ? `${[...first].slice(0, 59).join('')}…` : first;
}

function button(b: Button, chatType: OutboundTarget['chatType'], type: 'primary' | 'default'): unknown {
  const value: ButtonValue = { a: b.action, c: chatType };
  return { tag: 'button', type, text: { tag: 'plain_text', content: b.label }, behaviors: [{ type: 'callback', value }] };
}

/**
 * An input and a submit button in a form; the submit's value is the answer without its value (the
 * callback's `form_value.answer` fills it). Every component in a form needs a name unique in the card
 * (client error 200530 otherwise), and `required` is enforced by the client.
 */
function answerForm(q: QuestionMeta, chatType: OutboundTarget['chatType']): unknown {
  const value: ButtonValue = { a: { type: 'answer', key: q.key, ...(q.stamp !== undefined ? { stamp: q.stamp } : {}) }, c: chatType };
  return {
    tag: 'form',
    name: 'answer_form',
    elements: [
      {
        tag: 'input',
        name: 'answer',
        required: true,
        max_length: INPUT_MAX_LENGTH,
        ...(MULTILINE.has(q.type) ? { input_type: 'multiline_text', rows: 4 } : {}),
        placeholder: { tag: 'plain_text', content: T.answerPlaceholder(q.unit) },
      },
      {
        tag: 'button',
        name: 'answer_submit',
        type: 'primary',
        form_action_type: 'submit',
        text: { tag: 'plain_text', content: T.submit },
        behaviors: [{ type: 'callback', value }],
      },
    ],
  };
}

/** A score line of the dialog: `· 部门决策 14/15` or `· 部门管理 18.5/20（未填完）`. */
const SCORE_LINE = /^· (.+) (-?\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)(（(.+)）)?$/;

/**
 * A score summary (two or more subtotal lines) as a card: the lines around them as markdown, the
 * subtotals as a table. Other texts stay text messages (undefined).
 */
function scoreCard(text: string, mentions: Mention[] | undefined): FeishuCard | undefined {
  const lines = text.split('\n');
  const first = lines.findIndex((l) => SCORE_LINE.test(l));
  if (first < 0) return undefined;
  let last = first;
  while (last + 1 < lines.length && SCORE_LINE.test(lines[last + 1]!)) last++;
  if (last - first < 1) return undefined;
  const rows = lines.slice(first, last + 1).map((l) => {
    const m = SCORE_LINE.exec(l)!;
    return { name: m[1]!, score: m[2]!, points: m[3]!, note: m[5] ?? '' };
  });
  const before = lines.slice(0, first).join('\n').trim();
  const after = lines.slice(last + 1).join('\n').trim();
  const elements: unknown[] = [];
  if (before || mentions?.length) elements.push({ tag: 'markdown', content: `${cardMentions(mentions)}${escapeMarkdown(before)}` });
  const columns: Array<Record<string, string>> = [
    { name: 'name', display_name: T.scoreColumns.name, data_type: 'text', width: 'auto' },
    { name: 'score', display_name: T.scoreColumns.score, data_type: 'text', width: 'auto' },
    { name: 'points', display_name: T.scoreColumns.points, data_type: 'text', width: 'auto' },
  ];
  if (rows.some((r) => r.note)) columns.push({ name: 'note', display_name: T.scoreColumns.note, data_type: 'text', width: 'auto' });
  // A table takes at most 10 rows a page: https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/table
  elements.push({ tag: 'table', page_size: Math.min(10, rows.length), row_height: 'low', header_style: { bold: true, background_style: 'grey' }, columns, rows });
  if (after) elements.push({ tag: 'markdown', content: escapeMarkdown(after) });
  return card({ title: T.scoreTitle, template: 'blue', summary: before || text, elements });
}

/**
 * Text message mentions: `<at user_id="ou_…">name</at>` before the text.
 * https://open.feishu.cn/document/server-docs/im-v1/message-content-description/create_json
 */
function textMentions(mentions: Mention[] | undefined, nameOf: NameLookup): string {
  if (!mentions?.length) return '';
  return `${mentions.map((m) => `<at user_id="${escapeAttr(m.userId)}">${escapeTagText(m.name ?? nameOf(m.userId) ?? '')}</at>`).join(' ')} `;
}

/**
 * Card markdown mentions: `<at id=ou_…></at>` (a different syntax from text messages).
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/rich-text
 */
function cardMentions(mentions: Mention[] | undefined): string {
  if (!mentions?.length) return '';
  return `${mentions.map((m) => `<at id=${escapeAttr(m.userId)}></at>`).join(' ')} `;
}

/** An id inside a tag: nothing that could end the attribute or the tag. */
const escapeAttr = (s: string): string => s.replace(/[^\w.@-]/g, '');
const escapeTagText = (s: string): string => s.replace(/[<>&]/g, '');

/**
 * The dialog's text in card markdown: `<`, `>` and `&` as HTML entities (the card's markdown takes
 * tags such as `<at>` and `<font>`; the dialog writes `修改 <名称>`), so the text shows as written.
 */
export function escapeMarkdown(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// ---------------------------------------------------------------------------------------------
// 得分 and 对比 (issue #13): a bar chart and a table, within the card 2.0 limits
// (https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/chart,
// …/content-components/table): a table only at the body's root, at most 10 rows a page, at most 5
// tables and 5 charts a card; the chart spec is data only (no JavaScript).

/** A table shows at most this many rows a page. */
export const TABLE_PAGE_ROWS = 10;
/** At most this many level-1 indicators are drawn in the chart (the table pages through all of them). */
export const CHART_MAX_BARS = 20;

type ScoreCardReply = Extract<Reply, { kind: 'card' }>;

const num = (x: number | null): string => (x === null ? '—' : formatScore(x));
const round = (x: number): number => Math.round(x * 10000) / 10000;

function textColumns(cols: Array<[string, string]>): Array<Record<string, string>> {
  return cols.map(([name, display_name]) => ({ name, display_name, data_type: 'text', width: 'auto' }));
}

function table(id: string, columns: Array<Record<string, string>>, rows: Array<Record<string, string>>): unknown {
  return {
    tag: 'table',
    element_id: id,
    page_size: Math.max(1, Math.min(TABLE_PAGE_ROWS, rows.length)),
    row_height: 'low',
    header_style: { bold: true, background_style: 'grey' },
    columns,
    rows,
  };
}

function barChart(id: string, title: string, values: Array<Record<string, string | number>>, stack: boolean): unknown {
  return {
    tag: 'chart',
    element_id: id,
    aspect_ratio: '4:3',
    color_theme: 'brand',
    chart_spec: {
      type: 'bar',
      title: { text: title },
      direction: 'horizontal',
      data: { values },
      xField: 'value',
      yField: 'name',
      seriesField: 'series',
      ...(stack ? { stack: true } : {}),
      legends: { visible: true, orient: 'bottom' },
      label: { visible: true },
    },
  };
}

/** 得分 as a card: the total and grade, a stacked bar per level-1 indicator (scored and lost or pending), a table. */
function scoreSummaryCard(reply: ScoreCardReply, s: ScoreSummary, target: OutboundTarget): FeishuCard {
  const grade = s.grade ?? G.notFinal;
  const head = [
    `**${escapeMarkdown(G.headline(formatScore(s.total), grade))}**`,
    escapeMarkdown(G.parts(formatScore(s.base), formatScore(s.bonus), formatScore(s.penalty))),
    escapeMarkdown(G.completion(s.items.scored, s.items.applicable)),
  ].join('\n');
  const values: Array<Record<string, string | number>> = [];
  for (const x of s.sections.slice(0, CHART_MAX_BARS)) {
    const got = x.score ?? 0;
    values.push({ name: x.name, series: G.scoreSeries, value: round(got) });
    const rest = round(Math.max(0, x.max - got));
    if (rest) values.push({ name: x.name, series: x.complete ? G.lostSeries : G.pendingSeries, value: rest });
  }
  // A note column only when some indicator is not complete (every row key needs its column).
  const withNote = s.sections.some((x) => !x.complete);
  const rows = s.sections.map((x) => ({
    name: x.name,
    score: num(x.score),
    points: formatScore(x.max),
    rate: x.score === null || !x.max ? '—' : `${formatScore(round((x.score / x.max) * 100))}%`,
    ...(withNote ? { note: x.complete ? '' : G.notFinal } : {}),
  }));
  const cols: Array<[string, string]> = [
    ['name', G.columns.name],
    ['score', G.columns.score],
    ['points', G.columns.max],
    ['rate', G.columns.rate],
  ];
  if (withNote) cols.push(['note', T.scoreColumns.note]);
  const elements: unknown[] = [
    { tag: 'markdown', content: `${cardMentions(reply.mentions)}${head}` },
    barChart('score_chart', G.chartTitle, values, true),
    table('score_table', textColumns(cols), rows),
  ];
  if (s.notes.length) elements.push({ tag: 'markdown', content: escapeMarkdown(s.notes.join('\n')), text_size: 'notation' });
  for (const b of reply.buttons ?? []) elements.push(button(b, target.chatType, 'default'));
  return card({ title: reply.title, template: s.final ? 'green' : 'blue', summary: G.headline(formatScore(s.total), grade), elements });
}

/** 对比 as a card: totals of both years, grouped bars per level-1 indicator, and a table with the change. */
function comparisonCard(reply: ScoreCardReply, c: ScoreComparison, target: OutboundTarget): FeishuCard {
  const py = G.previousSeries(c.previousYear);
  const cy = G.currentSeries(c.year);
  const values: Array<Record<string, string | number>> = [];
  for (const x of c.sections.slice(0, CHART_MAX_BARS)) {
    if (x.previous !== null) values.push({ name: x.name, series: py, value: round(x.previous) });
    if (x.current !== null) values.push({ name: x.name, series: cy, value: round(x.current) });
  }
  const cell = (v: number | null, max: number | null) => (max === null ? G.absent : `${num(v)}/${formatScore(max)}`);
  const rows = c.sections.map((x) => ({
    name: x.name,
    previous: cell(x.previous, x.previousMax),
    current: cell(x.current, x.currentMax),
    change: x.previous === null || x.current === null ? '—' : signed(round(x.current - x.previous)),
  }));
  const columns = textColumns([
    ['name', G.columns.name],
    ['previous', py],
    ['current', cy],
    ['change', G.columns.change],
  ]);
  const first = comparisonLines(c).totals;
  const elements: unknown[] = [
    { tag: 'markdown', content: `${cardMentions(reply.mentions)}**${escapeMarkdown(first)}**` },
    barChart('compare_chart', G.compareChartTitle, values, false),
    table('compare_table', columns, rows),
  ];
  if (!c.current.final || !c.previous.final) elements.push({ tag: 'markdown', content: escapeMarkdown(G.compareProvisional), text_size: 'notation' });
  for (const b of reply.buttons ?? []) elements.push(button(b, target.chatType, 'default'));
  return card({ title: reply.title, template: 'blue', summary: first, elements });
}

function signed(x: number): string {
  return x > 0 ? `+${formatScore(x)}` : formatScore(x);
}
