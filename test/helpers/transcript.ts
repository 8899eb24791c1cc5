/**
 * A transcript client for dialog tests: people say things in a chat, the real bot (memory store,
 * fixed clock) answers, and the test reads the replies as text.
 */
import type { ButtonAction, HandleResult, InboundMessage, Reply } from '../../src/core/messages';
import type { AssistantSetup } from '../../src/app/assistant';
import { createBot, type Bot, type BotDeps } from '../../src/app/bot';
import { createMemoryStore } from '../../src/store/memory';
import type { Store } from '../../src/store/port';

/** People in the transcripts (neutral names). */
export const PEOPLE: Record<string, string> = { 张三: 'u-zhangsan', 李四: 'u-lisi', 王五: 'u-wangwu', 赵六: 'u-zhaoliu' };

/** The text of a reply, as a person would read it (cards: title, text and button labels). */
export function replyText(r: Reply): string {
  if (r.kind === 'text') return r.text;
  if (r.kind === 'card') return [r.title, r.text, ...(r.buttons ?? []).map((b) => `[${b.label}]`)].join('\n');
  return `[文件] ${r.name}`;
}

export interface Transcript {
  store: Store;
  bot: Bot;
  /** Everything said so far, for failure messages. */
  log: string[];
  say(person: string, text: string, opts?: SayOptions & { mentions?: InboundMessage['mentions'] }): Promise<Reply[]>;
  press(person: string, action: ButtonAction, opts?: SayOptions): Promise<Reply[]>;
  /** Presses a button and returns the whole result (replies and the feedback on the card). */
  pressFull(person: string, action: ButtonAction, opts?: SayOptions): Promise<HandleResult>;
  /** Says something and returns all reply texts joined. */
  ask(person: string, text: string, opts?: SayOptions): Promise<string>;
  /** Advances the fixed clock. */
  tick(ms: number): void;
}

/** Where a message is said: another chat than the transcript's, a private chat (default: a group). */
export interface SayOptions {
  chatId?: string;
  chatType?: 'group' | 'p2p';
}

export function createTranscript(options: { chatId?: string; store?: Store; start?: string; holdIdleMs?: number; assistant?: AssistantSetup; drafting?: BotDeps['drafting'] } = {}): Transcript {
  const store = options.store ?? createMemoryStore();
  let now = new Date(options.start ?? '2025-05-10T01:00:00Z');
  let ids = 0;
  const bot = createBot({
    store,
    now: () => now,
    newId: () => `ev${++ids}`,
    ...(options.holdIdleMs !== undefined ? { holdIdleMs: options.holdIdleMs } : {}),
    ...(options.assistant ? { assistant: options.assistant } : {}),
    ...(options.drafting ? { drafting: options.drafting } : {}),
  });
  const log: string[] = [];
  const chatId = options.chatId ?? 'group-1';
  const send = async (person: string, m: Partial<InboundMessage>, opts?: SayOptions) => {
    const msg: InboundMessage = {
      channel: 'local',
      chatId: opts?.chatId ?? chatId,
      chatType: opts?.chatType ?? 'group',
      userId: (Object.hasOwn(PEOPLE, person) ? PEOPLE[person] : undefined) ?? person,
      userName: person,
      receivedAt: now.getTime(),
      ...m,
    };
    const result = await bot.handle(msg);
    log.push(`${person}: ${m.text ?? JSON.stringify(m.action)}`, ...result.replies.map((r) => `bot: ${replyText(r)}`));
    if (result.pressed) log.push(`card: ${result.pressed.toast}`);
    now = new Date(now.getTime() + 1000);
    return result;
  };
  return {
    store,
    bot,
    log,
    say: async (person, text, opts) => (await send(person, { text, ...(opts?.mentions ? { mentions: opts.mentions } : {}) }, opts)).replies,
    press: async (person, action, opts) => (await send(person, { action }, opts)).replies,
    pressFull: (person, action, opts) => send(person, { action }, opts),
    ask: async (person, text, opts) => (await send(person, { text }, opts)).replies.map(replyText).join('\n'),
    tick: (ms) => {
      now = new Date(now.getTime() + ms);
    },
  };
}
