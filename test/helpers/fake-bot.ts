/**
 * A small stand-in for the real bot, for server tests: it understands a few words and records
 * numeric answers as facts in the store, so the HTTP layer can be tested on its own.
 */
import type { InboundMessage, Reply } from '../../src/core/messages';
import { createAnswers } from '../../src/core/scoring/answers';
import type { Bot } from '../../src/app/bot';
import type { Store } from '../../src/store/port';

/** A bot whose replies a test controls. */
export interface FakeBot extends Bot {
  /** Every message handled, in the order handling started. */
  seen: InboundMessage[];
  /** Resolves the pending `wait` message of a chat. */
  release(chatId: string): void;
}

/**
 * Words: `新建自评` (creates an evaluation for the chat), `file` (a .docx reply), `card` (a card with
 * two buttons that answer judgement A11), `wait` (blocks until `release(chatId)`), `boom` (throws), `fact <key> <number>` (records a
 * fact with an audit entry); anything else is echoed. A button press answers `pressed <value>`.
 */
export function createFakeBot(store: Store): FakeBot {
  const seen: InboundMessage[] = [];
  const gates = new Map<string, () => void>();
  return {
    seen,
    release(chatId) {
      gates.get(chatId)?.();
      gates.delete(chatId);
    },
    async handle(msg) {
      return { replies: await reply(msg) };
    },
  };

  async function reply(msg: InboundMessage): Promise<Reply[]> {
    seen.push(msg);
    if (msg.action) {
      const code = msg.action.type === 'answer' ? msg.action.key : undefined;
      const value = msg.action.type === 'answer' ? msg.action.value : msg.action.command;
      const id = await store.evaluationIdForChat(msg.chatId);
      if (code && id) {
        await store.updateEvaluation(id, (r) => {
          r.answers.judgements = { ...r.answers.judgements, [code]: value === 'yes' };
        });
      }
      return [{ kind: 'text', text: `pressed ${String(value)}` }];
    }
    const text = msg.text ?? '';
    if (text === 'boom') throw new Error('exploded while reading secret-answer-text');
    if (text === 'wait') {
      await new Promise<void>((resolve) => gates.set(msg.chatId, resolve));
      return [{ kind: 'text', text: 'waited' }];
    }
    if (text === 'file') {
      return [{ kind: 'file', name: '南京市数据局2024年度报告.docx', mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', bytes: new Uint8Array([80, 75, 3, 4]) }];
    }
    if (text === 'card') {
      return [{ kind: 'card', title: '是否建立制度？', text: '请选择', buttons: [{ label: '是', action: { type: 'answer', key: 'A11', value: 'yes' } }, { label: '否', action: { type: 'answer', key: 'A11', value: 'no' } }], question: { key: 'judgements.A11', type: 'boolean' } }];
    }
    if (text.startsWith('新建自评')) {
      const id = `ev-${msg.chatId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
      const at = new Date(msg.receivedAt).toISOString();
      await store.createEvaluation({
        id, unit: '南京市数据局', year: 2024, frameworkId: 'nanjing-2021', chatIds: [msg.chatId], organisers: [msg.userId],
        assignments: {}, members: { [msg.userId]: { name: msg.userName } }, answers: createAnswers(), sessions: {},
        createdAt: at, updatedAt: at, revision: 0,
      });
      return [{ kind: 'text', text: `已创建 ${id}` }];
    }
    const fact = /^fact (\S+) (-?[\d.]+)$/.exec(text);
    if (fact) {
      const id = await store.evaluationIdForChat(msg.chatId);
      if (!id) return [{ kind: 'text', text: '请先新建自评' }];
      await store.updateEvaluation(id, (r, audit) => {
        const old = r.answers.facts?.[fact[1]!];
        r.answers.facts = { ...r.answers.facts, [fact[1]!]: Number(fact[2]) };
        audit.push({ at: new Date(msg.receivedAt).toISOString(), userId: msg.userId, path: `facts.${fact[1]}`, old, new: Number(fact[2]) });
        r.sessions[msg.userId] = { version: 1, userId: msg.userId, current: `after.${fact[1]}`, skipped: [], history: [], failures: 0, updatedAt: 'x' };
      });
      return [{ kind: 'text', text: `已记录 ${fact[1]}`, question: { key: 'next', type: 'number', unit: '万元' } }];
    }
    const replies: Reply[] = [{ kind: 'text', text: `echo ${text}` }];
    return replies;
  }
}
