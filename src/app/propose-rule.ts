/**
 * Import help by the assistant (issue #16, item 5): for an open row of an imported framework, after the
 * organiser pressed 「请助手建议」, the model is sent the row's own text (name, points, 指标说明, 评价要点
 * and why the compiler left it open; no names of people) with the `propose-rule` prompt, which asks for
 * one rule in the compiler's phrase language. The phrase is then parsed by the compiler itself
 * (core/dialog/confirm-framework.ts `offerProposal`): only one it accepts is shown, and the organiser
 * confirms it as if they had typed it. Anything else is logged and the row is asked as without a model.
 *
 * Why the organiser asks rather than a switch: a framework is confirmed before any evaluation exists,
 * so the evaluation's 启用助手 cannot apply. The button is shown only when a model is configured, and
 * its hint says what is sent where; nothing is sent unless it is pressed.
 */
import { askWithoutProposal, offerProposal, proposalVars, readRuleProposal, type ConfirmOptions, type ConfirmOutcome } from '../core/dialog/confirm-framework';
import type { ConfirmState } from '../core/dialog/drafts';
import { listOpenRows, type OpenQuestion } from '../core/import/confirm';
import { confirmChatText as T } from '../core/locale/zh-CN';
import type { FrameworkRecord } from '../core/framework-record';
import type { AssistantUsageStore } from '../store/port';
import { runAssistantTask, type AssistantSetup } from './assistant';

/** What 请助手建议 shows the organiser of an assistant configured as `setup`: the model and its host. */
export function confirmOptionsOf(setup: AssistantSetup | undefined): ConfirmOptions {
  return setup ? { assistant: { model: setup.assistant.target.model, host: setup.assistant.target.host } } : {};
}

/**
 * Asks the assistant for a rule for `question` (a row of `rec`, the framework as it was when the
 * organiser asked) and returns the outcome to show: the proposal card, or the row asked again with a
 * note when the call failed, timed out, was over the month's cap, or gave nothing the compiler accepts.
 * `reload` reads the framework again after the call (it may have changed meanwhile).
 */
export async function proposeRule(
  setup: AssistantSetup,
  usage: AssistantUsageStore,
  rec: FrameworkRecord,
  state: ConfirmState,
  question: OpenQuestion,
  at: Date,
  reload: () => Promise<FrameworkRecord | undefined>,
): Promise<ConfirmOutcome> {
  const opts = confirmOptionsOf(setup);
  const fields = { task: 'propose-rule', framework: rec.id, row: question.code };
  const out = await runAssistantTask(setup, usage, { name: 'propose-rule', promptId: 'propose-rule', vars: proposalVars(question, rec.draft), maxTokens: 400, at });
  const current = (await reload()) ?? rec;
  const asked = { ...state, current: question.code };
  if (!listOpenRows(current.draft).some((q) => q.code === question.code)) {
    // Answered meanwhile (in the console, or another chat): the proposal is not shown; the next row is asked.
    setup.logger.info('assistant output discarded', { ...fields, reason: 'the row is no longer open' });
    return askWithoutProposal(current, asked, T.proposalStale, opts);
  }
  if (!out.ok) {
    // runAssistantTask has logged the failure (or the cap).
    setup.logger.info('assistant proposal unavailable', { ...fields, reason: out.reason });
    return askWithoutProposal(current, asked, T.proposalUnavailable, opts);
  }
  const phrase = readRuleProposal(out.text);
  if (phrase === null || phrase === 'invalid') {
    setup.logger.info('assistant output discarded', { ...fields, reason: phrase === null ? 'no rule proposed' : 'not what the prompt asked for' });
    return askWithoutProposal(current, asked, T.proposalUnusable, opts);
  }
  const offered = offerProposal(current, asked, question.code, phrase);
  if (!offered) {
    // The phrase itself is not logged: it may quote the row's prose.
    setup.logger.info('assistant output discarded', { ...fields, reason: 'the compiler does not accept the proposed rule' });
    return askWithoutProposal(current, asked, T.proposalUnusable, opts);
  }
  return offered;
}
