/**
 * Encoding the bot's replies as DingTalk robot messages, for the two ways they are sent: the session
 * webhook of a callback (with @) and the OpenAPI (`msgKey` + `msgParam`, without @).
 *
 * - Markdown within DingTalk's subset: headings, bold, lists, quotes, links; a line break is "  \n";
 *   no tables or code blocks. https://open.dingtalk.com/document/development/robot-message-type
 * - @ a person: their userId in `at.atUserIds` and "@userId" in the text (session webhook only; OpenAPI
 *   sends cannot @). https://open.dingtalk.com/document/dingstart/robot-reply-and-send-messages
 * - Buttons: an actionCard's buttons are links only. In one-to-one chats each button is a
 *   `dtmd://dingtalkclient/sendMessage?content=…` link, which makes the client send the words of the
 *   button as the user, the same as typing them. In groups a message only reaches the robot when it
 *   @-mentions it, which such a link may not do, so choices are numbered options to type there.
 *   https://open.dingtalk.com/document/orgapp/message-link-description
 * - Length: a session webhook body is at most 20 000 bytes ("460101 message too long"); an OpenAPI
 *   `msgParam` at most 15 000 bytes. https://open.dingtalk.com/document/development/the-robot-sends-a-group-message
 *   Long texts are split by UTF-8 bytes, at a line break where there is one.
 *
 * @example
 * const [msg] = encodeReply({ kind: 'text', text: '已记录' }, { chatType: 'group', via: 'session', mentions: [{ userId: 'u1' }] })
 * await fetch(sessionWebhook, { method: 'POST', body: JSON.stringify(toSessionBody(msg)) })
 */
import { actionAsText } from '../../core/dialog/commands';
import { formatScore } from '../../core/decimal';
import { comparisonLines } from '../../core/dialog/glance';
import type { Button, OutboundItem, ScoreComparison, ScoreSummary } from '../../core/messages';
import { dingtalkText as T, glanceText as G } from '../../core/locale/zh-CN';

/** A session webhook body may be this long (bytes). */
export const SESSION_BODY_MAX_BYTES = 20_000;
/** An OpenAPI `msgParam` may be this long (bytes). */
export const MSG_PARAM_MAX_BYTES = 15_000;
/** An actionCard has at most this many buttons (the OpenAPI's `sampleActionCard5`); more become numbered options. */
export const MAX_CARD_BUTTONS = 5;
/** Room kept free under a limit for the part numbers added to titles. */
const LIMIT_SLACK_BYTES = 64;
/** A markdown title (what the chat list and the notification show) is cut to this many characters. */
const TITLE_CHARS = 30;

/** One DingTalk robot message, before it is put on the wire. */
export type DingTalkMessage =
  | { type: 'markdown'; title: string; text: string; atUserIds: string[] }
  | { type: 'actionCard'; title: string; text: string; buttons: Array<{ title: string; url: string }>; atUserIds: string[] };

/** How a reply is to be encoded. */
export interface EncodeOptions {
  chatType: 'group' | 'p2p';
  /** Session webhook (may @) or OpenAPI (may not); also decides the size limit. */
  via: 'session' | 'openapi';
  /** People to @: staff ids, with names for OpenAPI sends (which can only name them). */
  mentions?: Array<{ userId: string; name?: string }>;
  /** Adds the group's "@ me when answering" hint. */
  hint?: boolean;
}

/** A text or card reply as one or more DingTalk messages (more when it is too long for one). */
export function encodeReply(item: Extract<OutboundItem, { kind: 'text' | 'card' }>, options: EncodeOptions): DingTalkMessage[] {
  const mentions = options.chatType === 'group' ? (options.mentions ?? []) : [];
  const atUserIds = options.via === 'session' ? [...new Set(mentions.map((m) => m.userId))] : [];
  // "@userId" in the text is what DingTalk turns into the highlighted name; OpenAPI messages can only name people.
  const atLine =
    options.via === 'session'
      ? atUserIds.map((id) => `@${id}`).join(' ')
      : mentions
          .filter((m) => m.name)
          .map((m) => `@${m.name}`)
          .join(' ');

  const title = item.kind === 'card' ? item.title : firstLine(item.text);
  const lines: string[] = [];
  if (item.kind === 'card') lines.push(`#### ${oneLine(item.title)}`, '');
  lines.push(...(glanceLines(item) ?? item.text.split('\n')));
  const buttons = item.kind === 'card' ? (item.buttons ?? []) : [];
  const asCard = options.chatType === 'p2p' && buttons.length > 0 && buttons.length <= MAX_CARD_BUTTONS;
  if (buttons.length && !asCard) lines.push('', ...optionLines(item.text, buttons, item.kind === 'card' ? item.question?.options : undefined));
  if (options.hint) lines.push('', T.atHint);
  const body = toMarkdown(lines.join('\n'));
  const tail = atLine ? `  \n${atLine}` : '';

  const limit = options.via === 'session' ? SESSION_BODY_MAX_BYTES : MSG_PARAM_MAX_BYTES;
  const cardButtons = asCard ? buttons.map((b) => ({ title: b.label, url: sendMessageLink(actionAsText(b.action)) })) : [];
  // What the message costs without its text: the room left for the text (JSON-escaped) in each part.
  const shell: DingTalkMessage = asCard
    ? { type: 'actionCard', title: cutTitle(title), text: tail, buttons: cardButtons, atUserIds }
    : { type: 'markdown', title: cutTitle(title), text: tail, atUserIds };
  const room = limit - wireBytes(shell, options.via) - LIMIT_SLACK_BYTES;
  const chunks = splitByBytes(body, room);
  return chunks.map((chunk, i): DingTalkMessage => {
    const last = i === chunks.length - 1;
    const partTitle = chunks.length > 1 ? `${cutTitle(title)}${T.part(i + 1, chunks.length)}` : cutTitle(title);
    // The @ goes with the last part, so the notification comes with the question.
    const text = last ? chunk + tail : chunk;
    if (last && asCard) return { type: 'actionCard', title: partTitle, text, buttons: cardButtons, atUserIds };
    return { type: 'markdown', title: partTitle, text, atUserIds: last ? atUserIds : [] };
  });
}

/** A short markdown note (e.g. after a file), with @ where the way of sending allows it. */
export function encodeNote(text: string, options: EncodeOptions): DingTalkMessage[] {
  return encodeReply({ kind: 'text', text }, options);
}

/** The JSON body of a session webhook post. */
export function toSessionBody(msg: DingTalkMessage): Record<string, unknown> {
  const at = { atUserIds: msg.atUserIds, isAtAll: false };
  if (msg.type === 'markdown') return { msgtype: 'markdown', markdown: { title: msg.title, text: msg.text }, at };
  const card: Record<string, unknown> = { title: msg.title, text: msg.text };
  if (msg.buttons.length === 1) Object.assign(card, { singleTitle: msg.buttons[0]!.title, singleURL: msg.buttons[0]!.url });
  else Object.assign(card, { btnOrientation: '0', btns: msg.buttons.map((b) => ({ title: b.title, actionURL: b.url })) });
  return { msgtype: 'actionCard', actionCard: card, at };
}

/**
 * The `msgKey` and `msgParam` (a JSON string) of an OpenAPI send: `sampleMarkdown`, `sampleActionCard`
 * (one button) or `sampleActionCard2`…`5` (vertical buttons). https://open.dingtalk.com/document/development/robot-message-type
 */
export function toOpenApiMessage(msg: DingTalkMessage): { msgKey: string; msgParam: string } {
  if (msg.type === 'markdown') return { msgKey: 'sampleMarkdown', msgParam: JSON.stringify({ title: msg.title, text: msg.text }) };
  if (msg.buttons.length === 1) {
    return { msgKey: 'sampleActionCard', msgParam: JSON.stringify({ title: msg.title, text: msg.text, singleTitle: msg.buttons[0]!.title, singleURL: msg.buttons[0]!.url }) };
  }
  const param: Record<string, string> = { title: msg.title, text: msg.text };
  msg.buttons.forEach((b, i) => {
    param[`actionTitle${i + 1}`] = b.title;
    param[`actionURL${i + 1}`] = b.url;
  });
  return { msgKey: `sampleActionCard${msg.buttons.length}`, msgParam: JSON.stringify(param) };
}

/** The `msgParam` of a file message (`sampleFile`): fileType is the extension without the dot. */
export function toFileMessage(mediaId: string, fileName: string): { msgKey: string; msgParam: string } {
  return { msgKey: 'sampleFile', msgParam: JSON.stringify({ mediaId, fileName, fileType: fileExtension(fileName) }) };
}

/** A file name's extension in lower case ("docx"), or "" when it has none. */
export function fileExtension(name: string): string {
  const m = /\.([A-Za-z0-9]{1,8})$/.exec(name);
  return m ? m[1]!.toLowerCase() : '';
}

/**
 * The link that makes the DingTalk client send `words` as the user into the conversation (a button that
 * answers). https://open.dingtalk.com/document/orgapp/message-link-description
 *
 * @example sendMessageLink('是') // 'dtmd://dingtalkclient/sendMessage?content=%E6%98%AF'
 */
export function sendMessageLink(words: string): string {
  return `dtmd://dingtalkclient/sendMessage?content=${encodeURIComponent(words)}`;
}

/**
 * The words a button sends back, from a `sendMessageLink` (tests use it to press a button); undefined
 * for other links.
 */
export function readSendMessageLink(url: string): string | undefined {
  const m = /^dtmd:\/\/dingtalkclient\/sendMessage\?content=(.*)$/.exec(url);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
}

/**
 * Buttons as lines to type: answers that are options of the question as numbered options (the number is
 * understood as that option), everything else as the words that do the same. Options the text already
 * lists with their numbers are not listed again.
 */
function optionLines(text: string, buttons: Button[], options: string[] | undefined): string[] {
  const numbered: string[] = [];
  const words: string[] = [];
  for (const b of buttons) {
    const i = b.action.type === 'answer' && options ? options.indexOf(b.action.value ?? '') : -1;
    if (i >= 0) numbered.push(`${i + 1}. ${b.label}`);
    else words.push(actionAsText(b.action) || b.label);
  }
  const out: string[] = [];
  const listed = numbered.every((line) => text.split('\n').some((l) => l.trim() === line));
  if (numbered.length && !listed) out.push(...numbered);
  if (numbered.length) out.push(T.replyNumber);
  if (words.length) out.push(T.replyWords(words));
  return out;
}

/** Plain lines as DingTalk markdown: each line break is "  \n". */
function toMarkdown(text: string): string {
  return text.replace(/\r\n?/g, '\n').split('\n').join('  \n');
}

function firstLine(text: string): string {
  return oneLine(text.split('\n').find((l) => l.trim()) ?? '');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function cutTitle(title: string): string {
  const chars = [...oneLine(title)];
  return chars.length > TITLE_CHARS ? `${chars.slice(0, TITLE_CHARS - 1).join('')}…` : chars.join('') || ' ';
}

/** The bytes a message takes where the limit applies: the whole body (session) or the msgParam (OpenAPI). */
function wireBytes(msg: DingTalkMessage, via: 'session' | 'openapi'): number {
  const wire = via === 'session' ? JSON.stringify(toSessionBody(msg)) : toOpenApiMessage(msg).msgParam;
  return Buffer.byteLength(wire, 'utf8');
}

/** What one character costs inside a JSON string, in UTF-8 bytes (escapes included). */
function escapedBytes(ch: string): number {
  const code = ch.codePointAt(0)!;
  if (code === 0x22 || code === 0x5c) return 2;
  if (code < 0x20) return ch === '\n' || ch === '\r' || ch === '\t' || ch === '\b' || ch === '\f' ? 2 : 6;
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  // Lone surrogates are escaped as \uXXXX by JSON.stringify.
  if (code >= 0xd800 && code <= 0xdfff) return 6;
  return code < 0x10000 ? 3 : 4;
}

/**
 * Splits a text into parts whose JSON-escaped UTF-8 size is at most `maxBytes` each, never inside a
 * character, at the last line break when one falls in the second half of a part.
 *
 * @example splitByBytes('一二三', 6) // ['一二', '三']
 */
export function splitByBytes(text: string, maxBytes: number): string[] {
  const budget = Math.max(8, maxBytes);
  const parts: string[] = [];
  let current: string[] = [];
  let size = 0;
  let lastBreak = -1;
  let sizeAtBreak = 0;
  for (const ch of text) {
    const cost = escapedBytes(ch);
    if (size + cost > budget && current.length) {
      if (lastBreak > current.length / 2) {
        // Cut after the line break; what follows it starts the next part.
        parts.push(current.slice(0, lastBreak + 1).join(''));
        current = current.slice(lastBreak + 1);
        size -= sizeAtBreak;
      }
      if (size + cost > budget && current.length) {
        parts.push(current.join(''));
        current = [];
        size = 0;
      }
      lastBreak = -1;
      sizeAtBreak = 0;
    }
    current.push(ch);
    size += cost;
    if (ch === '\n') {
      lastBreak = current.length - 1;
      sizeAtBreak = size;
    }
  }
  if (current.length || !parts.length) parts.push(current.join(''));
  return parts;
}

/** Cells of a text bar in 得分 (DingTalk markdown has no charts or tables that show on every client). */
export const BAR_CELLS = 10;

/** A share as a bar of BAR_CELLS cells: `▇▇▇▇▇▇▇▇░░`. */
export function textBar(value: number, max: number): string {
  const filled = max > 0 ? Math.max(0, Math.min(BAR_CELLS, Math.round((value / max) * BAR_CELLS))) : 0;
  return `${'▇'.repeat(filled)}${'░'.repeat(BAR_CELLS - filled)}`;
}

/** 得分 and 对比 as DingTalk markdown lines (bold headline, a bar per level-1 indicator); undefined for other replies. */
function glanceLines(item: Extract<OutboundItem, { kind: 'text' | 'card' }>): string[] | undefined {
  if (item.kind !== 'card') return undefined;
  if (item.scoreSummary) return scoreLines(item.scoreSummary);
  if (item.comparison) return comparisonMarkdown(item.comparison);
  return undefined;
}

function scoreLines(s: ScoreSummary): string[] {
  const lines = [
    `**${G.headline(formatScore(s.total), s.grade ?? G.notFinal)}**`,
    G.parts(formatScore(s.base), formatScore(s.bonus), formatScore(s.penalty)),
    G.completion(s.items.scored, s.items.applicable),
    '',
  ];
  for (const x of s.sections) {
    const score = x.score === null ? '—' : formatScore(x.score);
    lines.push(`- ${x.name} **${score}**/${formatScore(x.max)} ${textBar(x.score ?? 0, x.max)}${x.complete ? '' : `（${G.notFinal}）`}`);
  }
  if (s.notes.length) lines.push('', ...s.notes.map((n) => `> ${n}`));
  return lines;
}

function comparisonMarkdown(c: ScoreComparison): string[] {
  const l = comparisonLines(c);
  return [`**${l.totals}**`, l.header, '', ...l.sections.map((x) => `- ${x.replace(/^· /, '')}`), ...l.notes.map((n) => `> ${n}`)];
}
