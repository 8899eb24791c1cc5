/**
 * Drafting a section with a language model, kept honest: the model is any `SectionDrafter` (the
 * assistant port adapted to it), each reply is read as the prompt asked (the section's body text and
 * nothing else) and checked against the scored state's figures, and a reply that fails is discarded
 * with a log line and drafted again, up to `attempts` times. What comes out is only ever a draft
 * for a person to accept, edit or reject; it never reaches a score.
 *
 * Pure apart from the injected drafter and log (no I/O of its own).
 *
 * @example const out = await produceDraft(facts, drafter, { attempts: 3, log })
 */
import { DRAFT_META_PHRASES } from '../dialog/vocabulary';
import { draftingText as T } from '../locale/zh-CN';
import { draftPromptVariables, type DraftFacts } from './facts';
import { checkFigures, type FoundFigure } from './figures';

/** What a drafter is asked for: the facts, the prompt's variables filled from them, and the attempt. */
export interface DraftRequest {
  facts: DraftFacts;
  /** The variables of prompts/draft-section.json (`feedback` says what was wrong with the last try). */
  variables: Record<string, string>;
  /** 1 for the first attempt. */
  attempt: number;
}

/**
 * Drafts one section: the model's reply text, or null when there is no model to ask or it gave
 * nothing. A rejection (network, quota) counts as no draft, not as an error of the dialog.
 */
export type SectionDrafter = (request: DraftRequest) => Promise<{ text: string } | null>;

/** Why a reply was discarded. */
export type DiscardReason = 'empty' | 'too_short' | 'too_long' | 'not_prose' | 'meta' | 'invented_figure';

/** The outcome: a draft whose every figure is the state's, or why there is none. */
export type DraftOutcome =
  | { ok: true; text: string; attempts: number }
  | { ok: false; reason: 'rejected' | 'unavailable' | 'timeout'; attempts: number };

/** A log line: an event name and fields (never the draft's text). */
export type DraftLog = (event: string, fields: Record<string, unknown>) => void;

export interface DraftOptions {
  /** Replies asked for at most (default DRAFT_ATTEMPTS). */
  attempts?: number;
  /** Gives up on a reply after this long (ms); no limit when absent (the port has its own). */
  timeoutMs?: number;
  log?: DraftLog;
  /** The longest draft taken, in characters (the dialog's cap on a section). */
  maxChars?: number;
}

/** Replies asked for before giving up. */
export const DRAFT_ATTEMPTS = 3;
/** The shortest reply taken as a section (in Han characters). */
export const MIN_DRAFT_HAN = 10;
/** Default cap on a draft's length (the dialog's MAX_NARRATIVE_CHARS). */
const DEFAULT_MAX_CHARS = 20_000;

const HAN = /\p{Script=Han}/gu;

/**
 * A reply read as the prompt asks: the section's body, paragraphs separated by line breaks, without a
 * title, notes or placeholders. Harmless wrapping is removed (a first line that only repeats the
 * title, ** bold marks, blank lines); anything else that is not body text discards the reply.
 */
export function readDraftReply(reply: string, title: string, maxChars = DEFAULT_MAX_CHARS): { ok: true; text: string } | { ok: false; reason: Exclude<DiscardReason, 'invented_figure'> } {
  let lines = reply
    .replace(/\r\n?/g, '\n')
    .replace(/\*\*/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const bare = (s: string) => s.replace(/^[#\s]*((第?[一二三四五六七八九十]+[、.．章节])|[(（][一二三四五六七八九十]+[)）]|\d+[.、．])?\s*/, '').replace(/[：:。\s【】]/g, '');
  if (lines.length && bare(lines[0]!) === title.replace(/[：:。\s【】]/g, '')) lines = lines.slice(1);
  const text = lines.join('\n');
  if (!text) return { ok: false, reason: 'empty' };
  if ([...text].length > maxChars) return { ok: false, reason: 'too_long' };
  if (/```|^\s*[{[]|^#|\n#/.test(text)) return { ok: false, reason: 'not_prose' };
  if (DRAFT_META_PHRASES.some((p) => text.includes(p))) return { ok: false, reason: 'meta' };
  const han = text.match(HAN)?.length ?? 0;
  if (han < MIN_DRAFT_HAN) return { ok: false, reason: 'too_short' };
  // Mostly Han characters, as the report's prose is (a reply in English, or a table of numbers, is not).
  const letters = text.match(/[\p{L}]/gu)?.length ?? 0;
  if (han < letters * 0.8) return { ok: false, reason: 'not_prose' };
  return { ok: true, text };
}

const TIMED_OUT = Symbol('timeout');

function withTimeout<T>(p: Promise<T>, ms: number | undefined): Promise<T | typeof TIMED_OUT> {
  if (ms === undefined) return p;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** The figures as the retry's feedback lists them. */
function listed(unknown: FoundFigure[]): string {
  return unknown
    .slice(0, 10)
    .map((f) => f.text)
    .join('、');
}

/**
 * Asks the drafter until a reply passes (read as body text, every figure the state's), at most
 * `attempts` times. A reply that fails is discarded with a log line and asked again with feedback;
 * no reply (null, an error) or a timeout ends at once: asking again would only make the person wait.
 */
export async function produceDraft(facts: DraftFacts, drafter: SectionDrafter, options: DraftOptions = {}): Promise<DraftOutcome> {
  const attempts = Math.max(1, options.attempts ?? DRAFT_ATTEMPTS);
  const log = options.log ?? (() => {});
  let feedback = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let reply: { text: string } | null | typeof TIMED_OUT;
    try {
      reply = await withTimeout(drafter({ facts, variables: draftPromptVariables(facts, feedback), attempt }), options.timeoutMs);
    } catch (err) {
      log('draft_unavailable', { section: facts.key, attempt, error: err instanceof Error ? err.name : typeof err });
      return { ok: false, reason: 'unavailable', attempts: attempt };
    }
    if (reply === TIMED_OUT) {
      log('draft_timeout', { section: facts.key, attempt, timeoutMs: options.timeoutMs });
      return { ok: false, reason: 'timeout', attempts: attempt };
    }
    if (!reply || typeof reply.text !== 'string') {
      log('draft_unavailable', { section: facts.key, attempt });
      return { ok: false, reason: 'unavailable', attempts: attempt };
    }
    const read = readDraftReply(reply.text, facts.title, options.maxChars);
    if (!read.ok) {
      log('draft_discarded', { section: facts.key, attempt, reason: read.reason, chars: [...reply.text].length });
      feedback = T.feedbackForm;
      continue;
    }
    const check = checkFigures(read.text, facts.allowed);
    if (!check.ok) {
      // The figures are numbers, not the person's words: they may be logged.
      log('draft_discarded', { section: facts.key, attempt, reason: 'invented_figure' satisfies DiscardReason, figures: check.unknown.map((f) => f.text).slice(0, 10) });
      feedback = T.feedbackFigures(listed(check.unknown));
      continue;
    }
    return { ok: true, text: read.text, attempts: attempt };
  }
  return { ok: false, reason: 'rejected', attempts };
}
