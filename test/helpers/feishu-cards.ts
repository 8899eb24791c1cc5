/**
 * Reading what the bot posted to the fake Feishu Open Platform as a person would: a message's visible
 * text, and the question a card asks (its answer buttons, its input form).
 */
import type { PostedMessage } from '../fakes/feishu';

/** What a person reads in a posted message: a text's text; a card's title, markdown and table rows. */
export function readable(m: PostedMessage): string {
  if (m.msgType === 'text') return String(m.content.text);
  if (m.msgType === 'file') return `[文件] ${m.content.file_key}`;
  const parts: string[] = [m.content.header?.title?.content ?? ''];
  const walk = (elements: any[]) => {
    for (const e of elements ?? []) {
      if (e.tag === 'markdown') parts.push(e.content);
      if (e.tag === 'table') parts.push(...e.rows.map((r: any) => `${r.name} ${r.score}/${r.points}`));
      if (e.tag === 'button') parts.push(`[${e.text.content}]`);
      if (e.tag === 'form') walk(e.elements);
    }
  };
  walk(m.content.body?.elements);
  return parts.join('\n');
}

/** A question card among posted messages: its key and message, its buttons, its form. */
export interface AskedQuestion {
  key: string;
  messageId: string;
  buttons: Array<{ label: string; value: any }>;
  form?: { value: any };
}

/** The first question card among `posted`, if any. */
export function questionIn(posted: PostedMessage[]): AskedQuestion | undefined {
  for (const m of posted) {
    if (m.msgType !== 'interactive') continue;
    const elements: any[] = m.content.body.elements;
    const buttons = elements.filter((e) => e.tag === 'button').map((e) => ({ label: e.text.content, value: e.behaviors[0].value }));
    const form = elements.find((e) => e.tag === 'form');
    const submit = form?.elements.find((e: any) => e.tag === 'button');
    const answer = buttons.find((b) => b.value.a.type === 'answer')?.value ?? submit?.behaviors[0].value;
    if (!answer) continue;
    return { key: answer.a.key, messageId: m.messageId, buttons, ...(submit ? { form: { value: submit.behaviors[0].value } } : {}) };
  }
  return undefined;
}
