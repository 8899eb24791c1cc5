/**
 * Reading a yes/no reply against the question's own wording, as a careful clerk would.
 *
 * 「是」/「否」 answer any 是否 question. A reply may instead restate one of the question's predicates,
 * with or without a negation: to "“三公”经费是否控制在预算内、没有超支？", 「未超支」 restates 没有超支 (yes)
 * and 「超支了」 denies it (no); to "决策机制是否合理清晰？", 「合理清晰」 is yes; to "是否建立…制度？",
 * 「尚未建立」 and 「还没有」 are no. Acknowledgements (好的, 收到, 完成) are not answers; hedges (应该是,
 * 不一定) and replies that say both (是，没有建立) are asked back. Nothing is guessed.
 */
import { partialCreditText as PT, readingText as R } from '../locale/zh-CN';
import { NOT_APPLICABLE_WORDS, BUT_WORDS, DONE_MARKERS, MEANING_GROUPS, NEGATIONS, NON_ANSWERS, NOT_YET, NOT_YET_VERBS, PARTIAL_WORDS, REMARK_LABELS } from './vocabulary';

export type YesNoResult = { ok: true; value: boolean; rest: string } | { ok: false; error: string; partial?: boolean };

/** Whole-reply words for yes and no ("有" and "没有" are left out where the question itself says 没有). */
const BARE_YES = new Set(['是', '是的', '对', '对的', '有', '有的', 'yes', 'y', '√', '✓', '✔', '已', '已经', '是滴', '嗯是的']);
const BARE_NO = new Set(['否', '不是', '没有', '无', '没', '不', 'no', 'n', '×', '✗', '✘', '不对', '并没有', '还没有', '还没', '尚未', '暂无', '未', '没呢', '还没呢', '木有']);
/** Bare words that mean "has"/"has not": unclear when a predicate of the question is itself negative. */
const EXISTENTIAL = new Set(['有', '有的', '没有', '无', '没', '并没有', '还没有', '还没', '暂无', '木有']);
const HEDGES = /是也不是|不一定|应该|可能|也许|大概|好像|似乎|差不多|不确定|不清楚|不知道|说不准|待定|待查|不好说|不太|不怎么|一般般|还行|还可以|马马虎虎|吧$|吗|[?？]/;
const SEPARATORS = /[，,；;。！!：:\s（(《【\n、]/;
const QUOTES = /[“”"'‘’「」『』]/g;
const EXTRA_NEGATIONS = ['还没', '尚无', '暂无', '没能', '未能', '不能', '没法'];
/** "正在制定": not done yet, so a negation of the verb that follows. */
const NOT_YET_RE = new RegExp(`^(?:${NOT_YET.join('|')})(?=${NOT_YET_VERBS.join('|')})`);
const ALL_NEGATIONS = [...NEGATIONS, ...EXTRA_NEGATIONS].sort((a, b) => b.length - a.length);
const MARKERS = [...DONE_MARKERS].sort((a, b) => b.length - a.length);

interface Clause {
  negative: boolean;
  core: string;
}

/** The predicates a 是否 question asks about: "控制在预算内、没有超支" → two clauses, the second negative. */
export function questionClauses(question: string): { subject: string; clauses: Clause[] } {
  const q = question.replace(QUOTES, '').replace(/[?？。]+$/, '');
  const at = q.indexOf('是否');
  const subject = at >= 0 ? q.slice(0, at) : '';
  const pred = at >= 0 ? q.slice(at + 2) : q;
  const clauses: Clause[] = [];
  for (const raw of pred.split(/[，,、；;]|并且|并|和|且|及/)) {
    let c = raw.trim().replace(/了/g, '');
    if (!c) continue;
    const neg = ALL_NEGATIONS.find((n) => c.startsWith(n));
    if (neg) c = c.slice(neg.length);
    if (c.length >= 2) clauses.push({ negative: !!neg, core: c });
  }
  return { subject, clauses };
}

/** The length of the longest run of characters two texts share. */
export function longestCommon(a: string, b: string): number {
  let best = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < b.length; j++) {
      let k = 0;
      while (i + k < a.length && j + k < b.length && a[i + k] === b[j + k]) k++;
      if (k > best) best = k;
    }
  }
  return best;
}

type Reading = { value: boolean; matched: boolean } | 'unclear' | 'none';

/** Reads one clause of a reply ("尚未建立", "三公经费未超支", "合理清晰") against the question. */
function readClause(head: string, question: { subject: string; clauses: Clause[]; text: string }): Reading {
  let h = head.replace(QUOTES, '').replace(/[了的啦呢呀哈]+$/, '');
  if (!h) return 'none';
  // A leading part that names the question's subject ("三公经费未超支", "决策制度已建立").
  let p = -1;
  for (let i = 0; i < h.length && p < 0; i++) {
    if (ALL_NEGATIONS.some((n) => h.startsWith(n, i)) || MARKERS.some((m) => h.startsWith(m, i)) || NOT_YET_RE.test(h.slice(i))) p = i;
  }
  if (p > 0) {
    const prefix = h.slice(0, p);
    if (longestCommon(prefix, question.text) < Math.min(2, prefix.length)) return 'none';
    h = h.slice(p);
  } else if (p < 0) {
    // "决策程序科学规范": the words the question already names may come off the front, when the
    // rest alone is what matches a predicate (the whole reply is tried first).
    const whole = readCore(h, head, question);
    if (whole !== 'none') return whole;
    for (let k = h.length - 2; k >= 2; k--) {
      if (question.text.includes(h.slice(0, k))) return readCore(h.slice(k), head, question);
    }
    return 'none';
  }
  return readCore(h, head, question);
}

/** Reads what is left of a reply's clause once a leading subject is gone: markers, a negation, the predicate. */
function readCore(text: string, head: string, question: { clauses: Clause[] }): Reading {
  let h = text;
  const marker = MARKERS.find((m) => h.startsWith(m));
  if (marker) h = h.slice(marker.length);
  const notYet = NOT_YET_RE.exec(h)?.[0];
  const neg = notYet ?? ALL_NEGATIONS.find((n) => h.startsWith(n));
  if (neg) h = h.slice(neg.length);
  const core = h.replace(/^(有|是)(?=.)/, '');
  const readings: boolean[] = [];
  for (const c of question.clauses) {
    // The same predicate: the same words, or a short reply sharing the clause's first or last two
    // characters ("科学规范" ~ "科学合理", "被报道" ~ "被官方媒体报道"), or a one-character verb
    // that begins it ("建了" ~ "建立").
    const common = longestCommon(core, c.core);
    const same =
      (common >= 2 && (common >= Math.min(core.length, c.core.length) || common >= 3)) ||
      (core.length >= 2 && (core.slice(0, 2) === c.core.slice(0, 2) || core.slice(-2) === c.core.slice(-2))) ||
      (core.length === 1 && /了$/.test(head) && c.core.startsWith(core));
    if (same) readings.push(!!neg === c.negative);
    // Words of opposite meaning ("超出预算" against "控制在预算以内").
    const groupOf = (text: string) => MEANING_GROUPS.findIndex((g) => g.some((w) => text.includes(w)));
    const [rg, cg] = [groupOf(core), groupOf(c.core)];
    if (!same && rg >= 0 && cg >= 0 && (rg ^ 1) === cg) readings.push(!!neg !== c.negative);
    else if (!same && rg >= 0 && rg === cg) readings.push(!!neg === c.negative);
  }
  if (readings.length) {
    return readings.every((r) => r === readings[0]) ? { value: readings[0]!, matched: true } : 'unclear';
  }
  // No predicate of the question matched: a plain negation is a no ("尚未建立" to "是否有…手册"),
  // unless the question itself asks about a negative ("没有超支"), where it could mean either.
  if (neg) return question.clauses.some((c) => c.negative) ? 'unclear' : { value: false, matched: false };
  if (marker && core.length >= 1 && !question.clauses.some((c) => c.negative)) return { value: true, matched: false };
  return 'none';
}

function stripEnd(s: string): string {
  return s.replace(/[\s。.!！~～…]+$/u, '').replace(/\p{Extended_Pictographic}+$/u, '').replace(/[\s。.!！~～…]+$/u, '');
}

/** Removes separators and a remark label from the start of what follows the answer. */
function remarkOf(text: string): string {
  let r = text.replace(/^[\s,，;；。.、:：!！]+/, '').trim();
  const label = REMARK_LABELS.find((w) => r.startsWith(w));
  if (label) r = r.slice(label.length).replace(/^[\s:：是为]+/, '').trim();
  // Punctuation or emoji alone ("是！👍") is no remark.
  return /[\p{L}\p{N}]/u.test(r) ? r : '';
}

/**
 * Reads a yes/no reply to `question` (its wording, e.g. the rule's 是否 question).
 *
 * @example readYesNo('未超支', '“三公”经费是否控制在预算内、没有超支？') // { ok: true, value: true, rest: '' }
 * @example readYesNo('好的', '是否建立了决策制度？') // { ok: false, error: '「好的」不是对本题的回答…' }
 */
export function readYesNo(reply: string, question = ''): YesNoResult {
  const original = reply.trim();
  const t = original.replace(/[\uFF21-\uFF3A\uFF41-\uFF5A]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
  const bare = stripEnd(t).toLowerCase();
  const shown = original.length > 20 ? `${[...original].slice(0, 20).join('')}…` : original;
  if (!bare) return { ok: false, error: R.notAnAnswer(shown) };
  if ((NON_ANSWERS as readonly string[]).includes(bare)) return { ok: false, error: R.notAnAnswer(shown) };
  const q = { ...questionClauses(question), text: question.replace(QUOTES, '') };
  const negativeQuestion = q.clauses.some((c) => c.negative);

  // The answer is the first clause; what follows is evidence or a reason.
  const cut = t.search(SEPARATORS);
  const head = stripEnd(cut < 0 ? t : t.slice(0, cut)).toLowerCase();
  const restRaw = cut < 0 ? '' : original.slice(cut);
  if (!head) return { ok: false, error: R.notYesNo(shown) };
  if (HEDGES.test(head) || /[?？]/.test(t)) return { ok: false, error: R.unclearYesNo(shown) };

  // "本单位无需批复下属单位预算": not a no but an indicator that does not apply (the organiser marks it).
  if (NOT_APPLICABLE_WORDS.some((w) => t.includes(w))) return { ok: false, error: R.seemsNotApplicable(shown) };
  // "公开了，但晚了一周": a yes with a reservation is for the person to settle, not the clerk.
  if (BUT_WORDS.some((w) => remarkOf(restRaw).startsWith(w))) return { ok: false, error: R.unclearYesNo(shown) };
  // "部分未完成" to a question about all of them ("是否都按计划完成"): not all, so no.
  const all = /都|全部|均|所有|全面/.test(question);
  if (PARTIAL_WORDS.some((w) => head.startsWith(w))) {
    if (all && ALL_NEGATIONS.some((n) => head.includes(n))) return { ok: true, value: false, rest: remarkOf(restRaw) };
    return { ok: false, error: PT.chatNotAllowed(shown), partial: true };
  }

  let value: boolean | undefined;
  let restFrom = restRaw;
  if (BARE_YES.has(head) || BARE_NO.has(head)) {
    if (negativeQuestion && EXISTENTIAL.has(head)) return { ok: false, error: R.ambiguousWithNegativeQuestion(shown) };
    value = BARE_YES.has(head);
  } else {
    let r = readClause(head, q);
    // The first clause says nothing about the question ("严格控制三公经费，使用无超支"): the next may.
    if (r === 'none' && restRaw) {
      const clauses = restRaw.split(SEPARATORS).map((c) => stripEnd(c).toLowerCase()).filter(Boolean).slice(0, 3);
      for (const c of clauses) {
        const next = readClause(c, q);
        if (next !== 'none') {
          r = next;
          restFrom = '';
          break;
        }
      }
    }
    if (r === 'unclear') return { ok: false, error: negativeQuestion ? R.ambiguousWithNegativeQuestion(shown) : R.unclearYesNo(shown) };
    if (r === 'none') return { ok: false, error: R.notYesNo(shown) };
    value = r.value;
  }

  // The next clause must not say the opposite ("是，没有建立", "否，未超支").
  const rest = remarkOf(restFrom);
  const nextCut = rest.search(SEPARATORS);
  const next = stripEnd(nextCut < 0 ? rest : rest.slice(0, nextCut)).toLowerCase();
  if (next && !rest.startsWith('《')) {
    if (HEDGES.test(next)) return { ok: false, error: R.unclearYesNo(shown) };
    const again = BARE_YES.has(next) || BARE_NO.has(next) ? (negativeQuestion && EXISTENTIAL.has(next) ? undefined : BARE_YES.has(next)) : undefined;
    const r = again === undefined ? readClause(next, q) : { value: again, matched: true };
    if (typeof r === 'object' && r.value !== value) return { ok: false, error: R.contradictoryYesNo(shown) };
  }
  return { ok: true, value, rest };
}
