/**
 * The bot service: loads the chat's state from the store, runs the dialog engine, persists what
 * changed (durably, before replying) and returns the replies. Shared by every channel.
 *
 * Besides the dialog it routes: a framework confirmation in progress goes first; a private chat with
 * no evaluation of its own reaches the evaluation of a group the sender takes part in (asking which
 * when there are several); a platform message handled again (its id is in the evaluation's `handled`,
 * after a crash between applying it and recording its replies) gets its first replies, unchanged.
 */
import type { HandleResult, InboundMessage, Reply } from '../core/messages';
import type { HandledMessage } from '../core/evaluation';
import { recogniseCommand, type CommandName } from '../core/dialog/commands';
import { commandButton, evaluationTitle } from '../core/dialog/replies';
import { cleanText, normaliseText } from '../core/dialog/parse';
import { isOverviewCommand } from '../core/dialog/overview';
import { buildOverviewXlsx, XLSX_MIME } from '../core/report/overview-xlsx';
import { overviewText } from '../core/locale/zh-CN';
import {
  continueConfirmation,
  parseConfirmCommand,
  startConfirmation,
  type ConfirmOutcome,
  type ConfirmState,
} from '../core/dialog/confirm-framework';
import { readChatDraft } from '../core/dialog/drafts';
import { handleMessage, type DialogOutcome, type Scored } from '../core/dialog/engine';
import { reportDateOf, type EvaluationRecord } from '../core/evaluation';
import { resolveFramework } from '../core/framework/resolve';
import { confirmChatText, dialogText } from '../core/locale/zh-CN';
import { belongsTo, mayConfirmFramework } from '../core/roles';
import { buildReport, DOCX_MIME } from '../core/report';
import { scoreEvaluation } from '../core/scoring/engine';
import { BrokenEvaluationError, type ChatDraft, type Store } from '../store/port';
import { describeDraft, loadFrameworkChoices } from './frameworks';
import type { WorkCalendar } from '../core/reminders';
import { chineseWorkCalendar } from './work-calendar';
import type { AssistantSetup } from './assistant';
import { interpretUnread } from './interpret';
import { assistantDrafting, draftForMessage, type DraftingDeps } from './drafting';
import { confirmOptionsOf, proposeRule } from './propose-rule';
import type { FrameworkRecord } from '../core/framework-record';

/** What channels call with each inbound message. */
export interface Bot {
  handle(msg: InboundMessage): Promise<HandleResult>;
}

export interface BotDeps {
  store: Store;
  now?: () => Date;
  newId?: () => string;
  /** Official working days (default: China's, from chinese-days), for 提醒. */
  calendar?: WorkCalendar;
  /** How long a question shown to someone stays theirs while they do nothing with it (ms; default 10 minutes). */
  holdIdleMs?: number;
  /** The optional language-model assistant (absent: none configured; each evaluation still enables it with 启用助手). */
  assistant?: AssistantSetup;
  /** Report drafting (issue #16); default: on the `assistant` when one is configured; absent both: 起草 says the assistant is off. */
  drafting?: DraftingDeps;
}

/** How many evaluations' scores the bot keeps between messages. */
const SCORED_CACHE_SIZE = 200;
/** How many handled platform messages an evaluation remembers (at most one is in flight per chat). */
const HANDLED_KEPT = 8;
/**
 * The largest evaluation record, as JSON characters. Answers and narrative sections have their own caps
 * (core/dialog/turn.ts); this one stops a record from growing past what is quick to read and write: a
 * change that would take it past the cap is refused, one that shrinks it (a shorter answer) is not.
 */
export const MAX_RECORD_CHARS = 2_000_000;
/** A chat draft (新建自评 step by step, a framework confirmation) untouched this long is dropped. */
export const CHAT_DRAFT_TTL_MS = 24 * 3600 * 1000;

/**
 * Deletes the chat drafts that expired (CHAT_DRAFT_TTL_MS) from the store, so drafts nobody comes back
 * to do not pile up; the scheduled job calls it (a draft read after it expired is dropped anyway).
 */
export function deleteExpiredChatDrafts(store: Pick<Store, 'deleteChatDraftsBefore'>, now: Date): Promise<number> {
  return store.deleteChatDraftsBefore(new Date(now.getTime() - CHAT_DRAFT_TTL_MS).toISOString());
}


/** The report of an evaluation as it stands, as a file reply plus a note on what is missing. */
export async function buildReportReplies(rec: EvaluationRecord, now: Date): Promise<Reply[]> {
  const framework = resolveFramework(rec.frameworkId, rec.framework);
  const result = scoreEvaluation(framework, rec.answers);
  const built = await buildReport({ framework, answers: rec.answers, result, unit: rec.unit, year: rec.year, date: reportDateOf(rec, now) });
  const replies: Reply[] = [{ kind: 'file', name: built.fileName, mime: DOCX_MIME, bytes: built.bytes }];
  if (built.missing.length) replies.push({ kind: 'text', text: reportMissingText(built.missing) });
  return replies;
}

function reportMissingText(missing: string[]): string {
  return dialogText.reportMissing(missing.length, missing.slice(0, 10).join('、'));
}

/**
 * Creates the bot. Messages of one evaluation are applied with optimistic concurrency: the engine runs
 * on the stored record, and if another message changed it meanwhile, it runs again on the newer one
 * inside the store's serialised update, so no answer is lost.
 */
export function createBot(deps: BotDeps): Bot {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const calendar = deps.calendar ?? chineseWorkCalendar;
  // Scores and plans of recently active evaluations, by the revision they belong to (most recent last).
  const scoredCache = new Map<string, Scored>();
  const remember = (id: string, revision: number, scored: DialogOutcome['scored']) => {
    if (!scored) return;
    scoredCache.delete(id);
    scoredCache.set(id, { revision, ...scored });
    if (scoredCache.size > SCORED_CACHE_SIZE) scoredCache.delete(scoredCache.keys().next().value!);
  };
  const newId = deps.newId ?? (() => globalThis.crypto.randomUUID());
  const draftingDeps = deps.drafting ?? (deps.assistant ? assistantDrafting(deps.assistant, store, now) : undefined);
  const hold = {
    ...(deps.holdIdleMs !== undefined ? { holdIdleMs: deps.holdIdleMs } : {}),
    ...(deps.assistant ? { assistant: deps.assistant.assistant.target } : {}),
  };

  async function withoutEvaluation(msg: InboundMessage, at: Date, draft: ChatDraft | undefined): Promise<DialogOutcome> {
    // Imported frameworks that are ready may be chosen in 新建自评 (the evaluation carries its copy);
    // read only when creating, not for every message in a chat without an evaluation.
    const creating = !!draft || /新建|创建/.test(msg.text ?? '') || (msg.action?.type === 'command' && msg.action.command === 'create');
    const frameworks = creating ? await loadFrameworkChoices(store) : [];
    // Last year's evaluation of the same unit may be carried over: the engine picks it from these.
    const others = creating ? await store.listEvaluations() : [];
    const out = handleMessage(msg, { ...(draft ? { chatDraft: draft.draft } : {}), frameworks, others }, { now: at, newId });
    if (out.created) {
      noteHandled(out.created, msg, out);
      await store.createEvaluation(out.created, out.audit);
    }
    if (out.chatDraft === null && draft) await store.setChatDraft({ chatId: msg.chatId, userId: msg.userId, draft: undefined });
    else if (out.chatDraft)
      await store.setChatDraft({ chatId: msg.chatId, userId: msg.userId, draft: out.chatDraft, updatedAt: at.toISOString() });
    return out;
  }

  /**
   * 确认指标体系 <id>, and the answers that follow it: handled before the evaluation's dialog while the
   * sender's chat draft says a confirmation is in progress. Undefined when the message is not about it.
   */
  async function confirmFramework(msg: InboundMessage, at: Date, chatDraft: ChatDraft | undefined): Promise<Reply[] | undefined> {
    const text = msg.action?.type === 'answer' && typeof msg.action.value === 'string' ? msg.action.value : (msg.text ?? '');
    const command = parseConfirmCommand(text);
    const state = !command && chatDraft?.draft.kind === 'confirmFramework' ? chatDraft.draft : undefined;
    if (!command && !state) return undefined;
    const keep = async (next: ConfirmState | null) => {
      if (next) await store.setChatDraft({ chatId: msg.chatId, userId: msg.userId, draft: { ...next }, updatedAt: at.toISOString() });
      else await store.setChatDraft({ chatId: msg.chatId, userId: msg.userId, draft: undefined });
    };
    let id = command?.id ?? state!.id;
    if (command && !id) {
      const open = (await store.listFrameworks()).filter((f) => f.status !== 'ready');
      if (open.length !== 1) {
        return [{ kind: 'text', text: open.length ? confirmChatText.which(open.map((f) => `${f.id}（${f.name}）`).join('、')) : confirmChatText.none }];
      }
      id = open[0]!.id;
    }
    const framework = await store.getFramework(id);
    if (!framework) {
      if (state) await keep(null);
      return [{ kind: 'text', text: confirmChatText.unknown(id) }];
    }
    // The roles policy decides who confirms, as the admin token does over HTTP.
    const chatEvaluationId = await store.evaluationIdForChat(msg.chatId);
    const chatEvaluation = chatEvaluationId ? await store.getEvaluation(chatEvaluationId) : undefined;
    const organisesAny = !chatEvaluation && framework.uploadedBy !== msg.userId && (await store.listEvaluations()).some((r) => r.organisers.includes(msg.userId));
    const decision = mayConfirmFramework({ userId: msg.userId, chatId: msg.chatId, chatType: msg.chatType }, chatEvaluation, framework.uploadedBy, organisesAny);
    if (!decision.ok) {
      if (state) await keep(null);
      return [{ kind: 'text', text: decision.reason }];
    }
    // Inside the store's serialised update: an answer given meanwhile in the console is not overwritten.
    const opts = confirmOptionsOf(deps.assistant);
    let out!: ConfirmOutcome;
    let asked: FrameworkRecord | undefined;
    await store.updateFramework(id, (current) => {
      out = command ? startConfirmation(current, opts) : continueConfirmation(current, state!, text, opts);
      asked = current;
      if (out.draft) return { ...current, draft: out.draft, status: describeDraft(out.draft).status, updatedAt: at.toISOString() };
      return undefined;
    });
    if (out.rejectedProposal) deps.assistant?.logger.info('assistant proposal rejected', { task: 'propose-rule', framework: id, row: out.rejectedProposal });
    // 请助手建议: the model is asked outside the store's update (its answer is awaited), then the compiler reads it.
    if (out.wantsProposal && deps.assistant && out.state && asked) {
      out = await proposeRule(deps.assistant, store, asked, out.state, out.wantsProposal, at, () => store.getFramework(id));
    }
    await keep(out.state);
    return out.replies;
  }

  /**
   * A private chat without an evaluation of its own (or 切换自评 in one): the evaluations of other chats
   * of this channel the sender takes part in. One is joined at once (the message then goes to it);
   * several are offered as buttons. Undefined when there is nothing to route (the chat stays without).
   */
  async function routePrivate(msg: InboundMessage, switching: boolean, currentId: string | undefined): Promise<{ joined: string; note: Reply } | HandleResult | undefined> {
    const chosen = msg.action?.type === 'command' && msg.action.command === 'switch' ? msg.action.arg : switching ? recogniseCommand(normaliseText(msg.text ?? ''))?.arg : undefined;
    const channel = channelOfChat(msg.chatId);
    const mine = (await store.listEvaluations())
      .filter((r) => r.id !== currentId && belongsTo(r, msg.userId) && r.chatIds.some((c) => c !== msg.chatId && channelOfChat(c) === channel))
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    const pick = (chosen && mine.find((r) => r.id === chosen || evaluationTitle(r) === chosen)) || (!switching && mine.length === 1 ? mine[0] : undefined);
    if (pick) {
      await store.bindChat(msg.chatId, pick.id);
      return { joined: pick.id, note: { kind: 'text', text: dialogText.privateJoined(evaluationTitle(pick)) } };
    }
    if (mine.length) {
      return {
        replies: [
          { kind: 'card', title: dialogText.privateWhichTitle, text: dialogText.privateWhich(mine.length), buttons: mine.slice(0, 10).map((r) => commandButton(evaluationTitle(r), 'switch', r.id)) },
        ],
      };
    }
    return switching ? { replies: [{ kind: 'text', text: dialogText.privateNoChoice }] } : undefined;
  }

  /**
   * 汇总 / 同意汇总 / 撤销汇总 (the bureau overview): loads the chat's binding, every chat's binding,
   * the evaluations and the chat's own evaluation (for consent), runs the engine, stores the bindings
   * it returns and builds the .xlsx it asks for. Never writes an evaluation.
   */
  async function overview(msg: InboundMessage, at: Date): Promise<HandleResult> {
    const [binding, all, evaluations, ownId] = await Promise.all([
      store.getOverviewBinding(msg.chatId),
      store.listOverviewBindings(),
      store.listEvaluations(),
      store.evaluationIdForChat(msg.chatId),
    ]);
    const own = ownId === undefined ? undefined : evaluations.find((r) => r.id === ownId);
    const out = handleMessage(msg, { ...(own ? { evaluation: own } : {}), overview: { ...(binding ? { binding } : {}), bindings: all, evaluations } }, { now: at, newId });
    for (const b of out.overviewBindings ?? []) await store.setOverviewBinding(b);
    const replies = [...out.replies];
    if (out.overviewExport) {
      const { rows, year } = out.overviewExport;
      replies.push({ kind: 'file', name: overviewText.fileName(year), mime: XLSX_MIME, bytes: await buildOverviewXlsx(rows, year) });
    }
    return { replies };
  }

  /**
   * The sender's chat draft, parsed: one that does not parse (garbage, an old shape) or was left
   * untouched for CHAT_DRAFT_TTL_MS is deleted and the chat goes on as if there were none (an expired
   * 新建自评 is announced in `expiredNote`).
   */
  async function readStoredChatDraft(msg: InboundMessage, at: Date, expiredNote: Reply[]): Promise<ChatDraft | undefined> {
    const stored = await store.getChatDraft(msg.chatId, msg.userId);
    if (!stored) return undefined;
    const draft = readChatDraft(stored.draft);
    const expired = at.getTime() - Date.parse(stored.updatedAt) > CHAT_DRAFT_TTL_MS;
    if (draft && !expired) return { ...stored, draft };
    await store.setChatDraft({ chatId: msg.chatId, userId: msg.userId, draft: undefined });
    if (draft?.kind === 'create') expiredNote.push({ kind: 'text', text: dialogText.createDraftExpired(CHAT_DRAFT_TTL_MS / 3600_000) });
    return undefined;
  }

  return {
    async handle(msg) {
      const at = now();
      // The bureau overview: read-only figures of other units, before any evaluation's dialog.
      if (isOverviewCommand(msg, cleanText(msg.text ?? ''))) return overview(msg, at);
      // The sender's chat draft, read once: a framework confirmation or a 新建自评 in progress.
      const notes: Reply[] = [];
      const chatDraft = await readStoredChatDraft(msg, at, notes);
      const confirming = await confirmFramework(msg, at, chatDraft);
      if (confirming) return { replies: [...notes, ...confirming] };
      let evaluationId = await store.evaluationIdForChat(msg.chatId);
      if (msg.chatType === 'p2p' && !chatDraft) {
        const switching = isSwitch(msg);
        if (!evaluationId || switching) {
          const routed = await routePrivate(msg, switching, evaluationId);
          if (routed && 'replies' in routed) return routed;
          if (routed) {
            evaluationId = routed.joined;
            notes.push(routed.note);
            // Choosing was the whole message; anything else goes on to the evaluation.
            if (switching) return { replies: notes };
          }
        }
      }
      let rec: EvaluationRecord | undefined;
      try {
        rec = evaluationId ? await store.getEvaluation(evaluationId) : undefined;
      } catch (err) {
        // A damaged evaluation file (logged by the store): this chat is told so; other chats go on.
        if (err instanceof BrokenEvaluationError) return { replies: [...notes, { kind: 'text', text: dialogText.evaluationDamaged }] };
        throw err;
      }
      if (!evaluationId || !rec) {
        const out = await withoutEvaluation(msg, at, chatDraft);
        const result = resultOf(out, []);
        if (notes.length) result.replies.unshift(...notes);
        return result;
      }

      // Already applied (a replay after a crash): the same replies, nothing changed.
      const seen = msg.messageId ? rec.handled?.find((h) => h.id === msg.messageId) : undefined;
      if (seen) {
        const replies: Reply[] = [...seen.replies];
        if (seen.report) replies.push(...(await buildReportReplies(rec, at)));
        return { replies, ...(seen.pressed ? { pressed: seen.pressed } : {}) };
      }

      // The store hands out copies, so the engine may change this one in place.
      const cached = scoredCache.get(evaluationId);
      // 对比 reads last year's evaluation of the same unit: the engine picks it from the others.
      const others = isCommand(msg, 'compare') ? (await store.listEvaluations()).filter((r) => r.id !== evaluationId && r.year === rec.year - 1) : undefined;
      // 起草: the section is drafted first (a model's reply is awaited; the engine does no I/O).
      const drafting = draftingDeps && draftingDeps.enabled(rec) ? { drafting: true } : {};
      const sectionDraft = draftingDeps && isCommand(msg, 'draftSection') ? await draftForMessage(msg, rec, cached, draftingDeps) : undefined;
      const extra = { ...(others ? { others } : {}), ...(sectionDraft ? { sectionDraft } : {}) };
      let out = handleMessage(msg, { evaluation: rec, ...(cached ? { scored: cached } : {}), ...extra }, { now: at, newId, inPlace: true, calendar, ...hold, ...drafting });
      let saved: EvaluationRecord = rec;
      let refused = false;
      if (out.evaluation && (await tooLarge(out.evaluation, () => store.getEvaluation(evaluationId!)))) return tooLargeResult();
      if (out.evaluation) {
        noteHandled(out.evaluation, msg, out);
        // Written only if nobody else wrote meanwhile (no second read of the record)...
        saved =
          (await store.replaceEvaluation(out.evaluation, out.audit)) ??
          // ...else someone else's message landed first: apply this one to the newer record instead.
          (await store.updateEvaluation(evaluationId, (current, audit) => {
            const before = recordChars(current);
            out = handleMessage(msg, { evaluation: current, ...extra }, { now: at, newId, inPlace: false, calendar, ...hold, ...drafting });
            if (out.evaluation && grewPastCap(before, recordChars(out.evaluation))) {
              refused = true;
              return undefined;
            }
            if (out.audit) audit.push(...out.audit);
            if (out.evaluation) noteHandled(out.evaluation, msg, out);
            return out.evaluation ?? current;
          }));
      }
      if (refused) return tooLargeResult();
      remember(evaluationId, saved.revision, out.scored);
      // A reply the reader could not read: the assistant, when enabled, may propose a reading to confirm.
      if (out.unread && deps.assistant) {
        const replies = await interpretUnread(deps.assistant, store, saved, msg, out.unread, out.replies, { now: at, newId, calendar, ...hold });
        out = { ...out, replies };
      }
      const result = resultOf(out, out.report ? await buildReportReplies(saved, at) : []);
      if (notes.length) result.replies.unshift(...notes);
      return result;
    },
  };
}

/** The result of a dialog outcome, with the report's replies (if it asked for one) after its own. */
function resultOf(out: DialogOutcome, report: Reply[]): HandleResult {
  return { replies: [...out.replies, ...report], ...(out.pressed ? { pressed: out.pressed } : {}) };
}

/** Remembers on the evaluation that a platform message was applied to it, and what it produced. */
function noteHandled(target: EvaluationRecord, msg: InboundMessage, out: DialogOutcome): void {
  if (!msg.messageId) return;
  const entry: HandledMessage = { id: msg.messageId, replies: out.replies.filter((r): r is HandledMessage['replies'][number] => r.kind !== 'file') };
  if (out.pressed) entry.pressed = out.pressed;
  if (out.report) entry.report = true;
  target.handled = [...(target.handled ?? []).filter((h) => h.id !== msg.messageId), entry].slice(-HANDLED_KEPT);
}

/** True when the message is 切换自评 (typed or pressed). */
function isSwitch(msg: InboundMessage): boolean {
  return isCommand(msg, 'switch');
}

/** True when the message is the command `name` (typed or pressed). */
function isCommand(msg: InboundMessage, name: CommandName): boolean {
  if (msg.action) return msg.action.type === 'command' && msg.action.command === name;
  return recogniseCommand(normaliseText(msg.text ?? ''))?.name === name;
}

/** The channel a chat id belongs to: its prefix for platform chats (`feishu:oc_…`), local otherwise. */
export function channelOfChat(chatId: string): string {
  const m = /^(feishu|dingtalk):/.exec(chatId);
  return m ? m[1]! : 'local';
}

/**
 * The size of a record as JSON characters (what MAX_RECORD_CHARS counts), without the copy of an
 * imported framework it carries: that is bounded by the import's limits, and nothing said in a chat grows it.
 */
function recordChars(rec: EvaluationRecord): number {
  const { framework: _carried, ...own } = rec;
  return JSON.stringify(own).length;
}

/** True when a change takes a record past MAX_RECORD_CHARS and makes it larger than it was. */
function grewPastCap(before: number, after: number): boolean {
  return after > MAX_RECORD_CHARS && after > before;
}

/**
 * True when `next` (the engine changed the stored copy in place) is past the cap and larger than the
 * stored record, read again only then.
 */
async function tooLarge(next: EvaluationRecord, stored: () => Promise<EvaluationRecord | undefined>): Promise<boolean> {
  const after = recordChars(next);
  if (after <= MAX_RECORD_CHARS) return false;
  const before = await stored();
  return grewPastCap(before ? recordChars(before) : 0, after);
}

/** The reply to a change refused by the record cap: nothing was stored. */
function tooLargeResult(): HandleResult {
  return { replies: [{ kind: 'text', text: dialogText.recordTooLarge(Math.round(MAX_RECORD_CHARS / 1_000_000)) }] };
}
