/**
 * Text as it goes into the report: evidence printed as written, with title marks added only where a
 * document is named without them; emoji left out of the .docx (the official fonts have no glyphs for
 * them, so they would print as boxes), while the record keeps them.
 */
import { DOCUMENT_WORDS, NOT_A_TITLE_START, TITLE_VERSION_NOTES } from '../dialog/vocabulary';

/** Longest phrase taken as a document's name (titles such as 关于印发…（试行）的通知 fit). */
const MAX_TITLE_CHARS = 50;
/** Punctuation that makes a phrase a sentence or a list rather than a title. */
const SENTENCE_PUNCTUATION = /[，,。；;！!？?：:\s]/;
/** Title marks, Chinese and the ASCII stand-ins people type. */
const TITLE_MARKS = /[《》〈〉<>]/;
const TRAILING_STOP = /[。．.，,；;]+$/;
const VERSION = new RegExp(`^(?:${TITLE_VERSION_NOTES.join('|')}|\\d{4}年?(?:${TITLE_VERSION_NOTES.join('|')}|版)?)$`);

const PAREN_AT_END = /[（(]([^（）()]*)[）)]$/;
/** A 文号 in a parenthesis: （宁数发〔2024〕3号）. */
const DOC_NO = /[号〔[]/;

/**
 * The title `text` names, with the 文号 that follows it, or undefined when it does not name a document:
 * a short phrase without sentence punctuation, ending in a document word (before an optional （试行）),
 * and not starting like a statement about a document (已…, 按照…, 见…).
 */
function asTitle(text: string): { title: string; after: string } | undefined {
  let title = text;
  let after = '';
  let paren = PAREN_AT_END.exec(title);
  if (paren && DOC_NO.test(paren[1]!)) {
    after = paren[0];
    title = title.slice(0, paren.index);
    paren = PAREN_AT_END.exec(title);
  }
  let core = title;
  if (paren) {
    // （试行） belongs to the title; any other parenthesis makes it not a bare title.
    if (!VERSION.test(paren[1]!.trim())) return undefined;
    core = title.slice(0, paren.index);
  }
  if ([...title].length > MAX_TITLE_CHARS || SENTENCE_PUNCTUATION.test(title)) return undefined;
  const word = DOCUMENT_WORDS.find((w) => core.endsWith(w));
  if (!word || core.length <= word.length) return undefined;
  if (NOT_A_TITLE_START.some((w) => core.startsWith(w))) return undefined;
  return { title, after };
}

/**
 * Evidence as it is printed: as written, except that a short phrase naming a document without title
 * marks gets them. Several documents joined by 、 are marked one by one when every one is a title.
 *
 * @example markDocumentTitle('南京市数据局预算管理办法') // '《南京市数据局预算管理办法》'
 * @example markDocumentTitle('预算管理办法（试行）（宁数发〔2024〕3号）。') // '《预算管理办法（试行）》（宁数发〔2024〕3号）'
 * @example markDocumentTitle('已在双平台公开') // '已在双平台公开'
 * @example markDocumentTitle('《党组工作规则》宁数党发〔2024〕1号') // as written
 */
export function markDocumentTitle(text: string): string {
  const written = text.trim();
  if (!written || TITLE_MARKS.test(written)) return written;
  const stripped = written.replace(TRAILING_STOP, '');
  const parts = stripped.split('、').map((p) => p.trim());
  const titles = parts.map(asTitle);
  if (!titles.every((t) => t)) return written;
  return titles.map((t) => `《${t!.title}》${t!.after}`).join('、');
}

/**
 * An emoji: a pictograph shown as emoji by default, or one asked for with VS16, with its skin tone
 * and the rest of a ZWJ sequence; a flag; a keycap.
 */
const EMOJI_UNIT =
  '(?:\\p{Regional_Indicator}{2}|[#*0-9]\\uFE0F?\\u20E3|(?:\\p{Emoji_Presentation}|\\p{Extended_Pictographic}\\uFE0F)\\p{Emoji_Modifier}?(?:\\u200D(?:\\p{Emoji_Presentation}|\\p{Extended_Pictographic})\\uFE0F?\\p{Emoji_Modifier}?)*)';
const EMOJI_RUN = new RegExp(`[ \\t]*(?:${EMOJI_UNIT})+[ \\t]*`, 'gu');

/** Whether text has an emoji. */
export function hasEmoji(text: string): boolean {
  return new RegExp(EMOJI_UNIT, 'u').test(text);
}

/**
 * Text for the .docx: emoji left out (they print as boxes in the official fonts), with the spaces
 * around them closed up; everything else as written. "完成 👍 任务" → "完成 任务", "很好👍" → "很好".
 */
export function printableText(text: string): string {
  if (!hasEmoji(text)) return text;
  return text
    .replace(EMOJI_RUN, (m: string, at: number, whole: string) => {
      const end = at + m.length;
      const edge = at === 0 || end === whole.length || whole[at - 1] === '\n' || whole[end] === '\n';
      return !edge && /^[ \t]/.test(m) && /[ \t]$/.test(m) ? ' ' : '';
    })
    .replace(/\uFE0F/g, '');
}
