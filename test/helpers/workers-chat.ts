/**
 * Talking to the Worker under `wrangler dev` (see workers-dev.ts) as the platforms do: Feishu events
 * encrypted and signed as Feishu sends them, posted to its webhook. The Worker answers at once and
 * processes the event later in its Queue consumer, so `act` waits (up to a deadline) until what the bot
 * posted to the fake Open Platform meets a condition.
 *
 * @example const chat = feishuOnWorkers(w, fake); await chat.act(envelope, (posted) => posted.length > 0)
 */
import { FAKE_ENCRYPT_KEY, signFeishuRequest, type FakeFeishu, type PostedMessage } from '../fakes/feishu';
import { readable } from './feishu-cards';
import type { WorkersDev } from './workers-dev';

/** How long an event may take to be answered on the fake before a test gives up (queue retries included). */
export const REPLY_DEADLINE_MS = 30_000;

/** Polls `check` until it returns something other than undefined/false; throws `what()` after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: () => string, timeoutMs = REPLY_DEADLINE_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check();
    if (found !== undefined && found !== false) return found;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The webhook's answer to an event, and what the bot posted from then until the condition held. */
export interface Acted {
  status: number;
  body: any;
  posted: PostedMessage[];
}

/** Feishu, as seen by a test, against a Worker. */
export interface FeishuOnWorkers {
  webhookUrl: string;
  /** Posts an envelope, encrypted and signed with the fake app's Encrypt Key. */
  post(envelope: unknown): Promise<Response>;
  /** Posts an envelope, then waits until what the bot posted since satisfies `until`. */
  act(envelope: unknown, until: (posted: PostedMessage[]) => boolean): Promise<Acted>;
}

/** Feishu's side of a Worker whose FEISHU_* point at `fake` (see `fakeFeishuVars`). */
export function feishuOnWorkers(w: WorkersDev, fake: FakeFeishu): FeishuOnWorkers {
  const webhookUrl = `${w.baseUrl}/webhook/feishu`;
  const post = (envelope: unknown) => {
    const req = signFeishuRequest(envelope, { encryptKey: FAKE_ENCRYPT_KEY });
    return fetch(webhookUrl, { method: 'POST', headers: req.headers, body: req.body });
  };
  return {
    webhookUrl,
    post,
    async act(envelope, until) {
      const before = fake.messages.length;
      const res = await post(envelope);
      const text = await res.text();
      if (res.status !== 200) throw new Error(`the webhook answered ${res.status}: ${text}`);
      const posted = await eventually(
        () => {
          const since = fake.messages.slice(before);
          return until(since) && since;
        },
        () => `the bot's reply; it posted:\n${fake.messages.slice(before).map(readable).join('\n---\n') || '(nothing)'}\nwrangler said:\n${w.output().slice(-3000)}`,
      );
      return { status: res.status, body: text ? JSON.parse(text) : undefined, posted };
    },
  };
}
