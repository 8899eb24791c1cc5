/** Plausible answers to the bot's questions by their type, for tests and the bench that drive the real bot. */
import type { QuestionMeta } from '../../src/core/messages';
import type { LocalReply } from '../../src/channels/local';

/** An answer a person might type to `question`. */
export function answerFor(question: QuestionMeta): string {
  switch (question.type) {
    case 'boolean':
      return '是';
    case 'number':
      return question.unit === '万元' ? '100' : '10';
    case 'percent':
      return '95%';
    case 'choice':
    case 'multi':
      return question.options?.[0] ?? '1';
    case 'count':
      return '0';
    case 'score':
      return '满分';
    case 'date':
      return '2025-01-01';
    case 'text':
    case 'list':
      return '无';
  }
}

/** The question the replies ask, if any (the last reply that carries one). */
export function findQuestion(replies: LocalReply[]): QuestionMeta | undefined {
  for (let i = replies.length - 1; i >= 0; i--) {
    const r = replies[i]!;
    if (r.kind !== 'file' && r.question) return r.question;
  }
  return undefined;
}
