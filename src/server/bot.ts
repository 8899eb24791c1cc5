/**
 * The bot service: loads the chat's state from the store, runs the dialog engine, persists what
 * changed (durably, before replying) and returns the replies. Shared by every channel.
 */
import type { InboundMessage, Reply } from '../channels/types';
import { handleMessage, type DialogOutcome } from '../core/dialog/engine';
import type { EvaluationRecord } from '../core/evaluation';
import { resolveFramework } from '../core/framework/resolve';
import { dialogText } from '../core/locale/zh-CN';
import { buildReport } from '../core/report';
import { scoreEvaluation } from '../core/scoring/engine';
import type { Store } from '../store/port';
import { loadFrameworkChoices } from './frameworks';

/** What channels call with each inbound message. */
export interface Bot {
  handle(msg: InboundMessage): Promise<Reply[]>;
}

export interface BotDeps {
  store: Store;
  now?: () => Date;
  newId?: () => string;
}

const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** The report of an evaluation as it stands, as a file reply plus a note on what is missing. */
export async function buildReportReplies(rec: EvaluationRecord, now: Date): Promise<Reply[]> {
  const framework = resolveFramework(rec.frameworkId, rec.framework);
  const result = scoreEvaluation(framework, rec.answers);
  const built = await buildReport({ framework, answers: rec.answers, result, unit: rec.unit, year: rec.year, date: now });
  const replies: Reply[] = [{ kind: 'file', name: built.fileName, mime: DOCX_MIME, bytes: built.bytes }];
  if (built.missing.length) replies.push({ kind: 'text', text: reportMissingText(built.missing) });
  return replies;
}

function reportMissingText(missing: string[]): string {
  const shown = missing.slice(0, 10).join('、');
  return `${dialogText.reportMissing(missing.length, shown)}`;
}

/**
 * Creates the bot. Messages of one evaluation are applied with optimistic concurrency: the engine runs
 * on the stored record, and if another message changed it meanwhile, it runs again on the newer one
 * inside the store's serialised update, so no answer is lost.
 */
export function createBot(deps: BotDeps): Bot {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? (() => globalThis.crypto.randomUUID());

  async function withoutEvaluation(msg: InboundMessage, at: Date): Promise<DialogOutcome> {
    const draft = await store.getChatDraft(msg.chatId, msg.userId);
    // Imported frameworks that are ready may be chosen in 新建自评 (the evaluation carries its copy).
    const frameworks = await loadFrameworkChoices(store);
    const out = handleMessage(msg, { ...(draft ? { chatDraft: draft.draft } : {}), frameworks }, { now: at, newId });
    if (out.created) await store.createEvaluation(out.created);
    if (out.chatDraft === null && draft) await store.setChatDraft({ chatId: msg.chatId, userId: msg.userId, draft: undefined });
    else if (out.chatDraft)
      await store.setChatDraft({ chatId: msg.chatId, userId: msg.userId, draft: out.chatDraft, updatedAt: at.toISOString() });
    return out;
  }

  return {
    async handle(msg) {
      const at = now();
      const evaluationId = await store.evaluationIdForChat(msg.chatId);
      const rec = evaluationId ? await store.getEvaluation(evaluationId) : undefined;
      if (!evaluationId || !rec) return (await withoutEvaluation(msg, at)).replies;

      // The store hands out copies, so the engine may change this one in place.
      const revision = rec.revision;
      let out = handleMessage(msg, { evaluation: rec }, { now: at, newId, inPlace: true });
      let saved: EvaluationRecord = rec;
      if (out.evaluation) {
        saved = await store.updateEvaluation(evaluationId, (current) => {
          if (current.revision === revision) return out.evaluation!;
          // Someone else's message landed first: apply this one to the newer record instead.
          out = handleMessage(msg, { evaluation: current }, { now: at, newId, inPlace: true });
          return out.evaluation ?? current;
        });
      }
      const replies = [...out.replies];
      if (out.report) replies.push(...(await buildReportReplies(saved, at)));
      return replies;
    },
  };
}
