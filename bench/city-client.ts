/**
 * The load generator and the fake Feishu Open Platform of the city bench, run as their own process
 * (as Feishu's servers and the people's phones are): one group chat per unit, an evaluation created in
 * each first, then every person says 开始 and answers the question the bot asked them, through
 * encrypted, signed `im.message.receive_v1` events. A person answers the next question once the bot's
 * reply to the previous answer (a reply quoting it, posted to the fake) has arrived, up to a deadline.
 *
 * Talks to the bench over IPC: sends `{ type: 'ready', fakeUrl }`, then for each `{ type: 'run', … }`
 * answers `{ type: 'result', … }` (or `{ type: 'error', message }`).
 */
import { Pool } from 'undici';
import { BOT_NAME, BOT_OPEN_ID, FAKE_ENCRYPT_KEY, feishuEvents, signFeishuRequest, startFakeFeishu, type PostedMessage } from '../test/fakes/feishu';

/** One run against one target. */
export interface CityRun {
  type: 'run';
  /** A tag that keeps this run's chats apart from earlier runs' (the fake is shared). */
  tag: string;
  /** The webhook URL (`…/webhook/feishu`). */
  url: string;
  units: number;
  people: number;
  /** Answers each person sends at most. */
  answers: number;
  /** How long each phase (creating, starting, answering) may take before the run gives up waiting. */
  phaseSeconds: number;
}

/** What a run measured. */
export interface CityResult {
  type: 'result';
  /** Acknowledgement times (ms) of the answer events. */
  acks: number[];
  /** Evaluations created (a reply came) of `units`, and the seconds it took. */
  created: number;
  createSeconds: number;
  /** People who got a question after 开始, of `units × people`. */
  started: number;
  startSeconds: number;
  /** Answer events sent, and those the bot replied to (before the deadline). */
  answersSent: number;
  answersReplied: number;
  /** Of those, replies that asked no further question (the person stopped there), and one of them. */
  endedWithoutQuestion: number;
  endedSample?: string;
  /** Replies re-asking the same question (an answer the bot did not take; the person then said 跳过). */
  reasked: number;
  /** From the first answer sent to the last answer's reply received. */
  answerSeconds: number;
  /** Webhook deliveries answered with anything but 200, or not at all (each delivered again, up to 3 times). */
  httpErrors: number;
  /** Time from sending an answer to the first reply to it (ms). */
  replyTimes: number[];
}

/** A question the bot asked, as far as a card shows it, and an answer a person might give. */
interface Asked {
  key: string;
  answer: string;
}

const AT_BOT = { openId: BOT_OPEN_ID, name: BOT_NAME };
const KEY_TASKS = '党建工作 20分\n业务工作 20分';

/** The question a reply card asks (its answer buttons or its answer form), with a plausible answer. */
export function askedIn(m: PostedMessage): Asked | undefined {
  if (m.msgType !== 'interactive') return undefined;
  const elements = (m.content?.body?.elements ?? []) as any[];
  const buttons = elements.filter((e) => e.tag === 'button' && e.behaviors?.[0]?.value?.a?.type === 'answer');
  if (buttons.length) {
    const key = String(buttons[0].behaviors[0].value.a.key);
    // A figure given directly and computed: the computed one (the direct one asks for a reason first).
    const chosen = key.startsWith('confirm:') ? buttons.at(-1) : buttons[0];
    return { key, answer: String(chosen.text?.content ?? '是') };
  }
  const form = elements.find((e) => e.tag === 'form');
  if (!form) return undefined;
  const key = String(form.elements?.find((e: any) => e.tag === 'button')?.behaviors?.[0]?.value?.a?.key ?? '');
  const unitLine = elements.find((e) => e.tag === 'markdown' && e.text_size === 'notation')?.content as string | undefined;
  const unit = unitLine?.replace(/^单位：/, '') ?? '';
  if (key.startsWith('keyTasks:')) return { key, answer: KEY_TASKS };
  if (key === 'penalty' || key.startsWith('narrative:')) return { key, answer: '无' };
  if (key === 'bonus') return { key, answer: '1' };
  if (unit === '%') return { key, answer: '95%' };
  if (unit === '万元') return { key, answer: '100' };
  if (unit === '例') return { key, answer: '0' };
  if (unit.startsWith('分')) return { key, answer: '满分' };
  return { key, answer: '10' };
}

const fake = await startFakeFeishu();
/** Replies by the message they quote, and who waits for them. */
const repliesTo = new Map<string, PostedMessage[]>();
/** When the first reply to a message arrived (ms since the epoch). */
const firstReplyAt = new Map<string, number>();
const waiting = new Map<string, () => void>();
const push = fake.messages.push.bind(fake.messages);
fake.messages.push = (...items: PostedMessage[]) => {
  for (const m of items) {
    if (!m.replyTo) continue;
    if (!firstReplyAt.has(m.replyTo)) firstReplyAt.set(m.replyTo, Date.now());
    const list = repliesTo.get(m.replyTo) ?? [];
    list.push(m);
    repliesTo.set(m.replyTo, list);
    waiting.get(m.replyTo)?.();
  }
  return push(...items);
};

/** Resolves when `messageId` has a reply for which `done` holds, or at `deadline` (then undefined). */
function replyTo(messageId: string, deadline: number, done: (m: PostedMessage) => boolean): Promise<PostedMessage | undefined> {
  return new Promise((resolve) => {
    const check = () => {
      const found = repliesTo.get(messageId)?.find(done);
      if (found) finish(found);
      return found;
    };
    const timer = setTimeout(() => finish(undefined), Math.max(0, deadline - Date.now()));
    const finish = (m: PostedMessage | undefined) => {
      clearTimeout(timer);
      waiting.delete(messageId);
      resolve(m);
    };
    if (!check()) waiting.set(messageId, () => void check());
  });
}

async function run(job: CityRun): Promise<CityResult> {
  const { origin, pathname } = new URL(job.url);
  const pool = new Pool(origin, { connections: job.units * job.people, pipelining: 1 });
  let httpErrors = 0;
  let seq = 0;
  const chatOf = (u: number) => `oc_city_${job.tag}_${u}`;
  const personOf = (u: number, p: number) => `ou_city_${job.tag}_${u}_${p}`;
  for (let u = 0; u < job.units; u++) for (let p = 0; p < job.people; p++) fake.users.set(personOf(u, p), `城市${u}单位${p}号`);

  /** Posts a message from a person; resolves with its id and the acknowledgement time. */
  async function say(u: number, p: number, text: string): Promise<{ messageId: string; ackMs: number; sentAt: number }> {
    const messageId = `om_city_${job.tag}_${u}_${p}_${++seq}`;
    const envelope = feishuEvents.text({ chatId: chatOf(u), sender: personOf(u, p), text: `@_user_1 ${text}`, mentions: [AT_BOT], messageId });
    const req = signFeishuRequest(envelope, { encryptKey: FAKE_ENCRYPT_KEY });
    const sentAt = Date.now();
    // As Feishu does: delivered again (the same event) when the answer is not a 200 or none came.
    for (let attempt = 0; ; attempt++) {
      const t = performance.now();
      try {
        const res = await pool.request({ path: pathname, method: 'POST', headers: req.headers, body: req.body });
        await res.body.dump();
        if (res.statusCode === 200) return { messageId, ackMs: performance.now() - t, sentAt };
      } catch {
        // Connection refused or reset: counted below, then delivered again.
      }
      httpErrors++;
      if (attempt >= 3) return { messageId, ackMs: performance.now() - t, sentAt };
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  const units = Array.from({ length: job.units }, (_, u) => u);
  const everyone = units.flatMap((u) => Array.from({ length: job.people }, (_, p) => [u, p] as const));
  const hasQuestion = (m: PostedMessage) => askedIn(m) !== undefined;
  const asksReason = (m: PostedMessage) => JSON.stringify(m.content).includes('写明理由');

  // 1. Each unit's organiser creates the unit's evaluation in its group chat.
  let t0 = Date.now();
  let deadline = t0 + job.phaseSeconds * 1000;
  const created = await Promise.all(
    units.map(async (u) => {
      const { messageId } = await say(u, 0, `新建自评 城市单位${u}号 2024 框架=nanjing-2021 截止=2025-05-31`);
      return (await replyTo(messageId, deadline, () => true)) !== undefined;
    }),
  );
  const createSeconds = (Date.now() - t0) / 1000;

  // 2. Everyone says 开始 and gets a question of their own.
  t0 = Date.now();
  deadline = t0 + job.phaseSeconds * 1000;
  const first = await Promise.all(
    everyone.map(async ([u, p]) => {
      const { messageId } = await say(u, p, '开始');
      const m = await replyTo(messageId, deadline, hasQuestion);
      return m ? askedIn(m) : undefined;
    }),
  );
  const startSeconds = (Date.now() - t0) / 1000;

  // 3. Everyone answers, each the next question once the bot replied to the previous answer.
  const acks: number[] = [];
  const replyTimes: number[] = [];
  const answerIds: Array<{ id: string; sentAt: number }> = [];
  let reasked = 0;
  const answerStart = Date.now();
  deadline = answerStart + job.phaseSeconds * 1000;
  await Promise.all(
    everyone.map(async ([u, p], i) => {
      let q = first[i];
      for (let n = 0; q && n < job.answers && Date.now() < deadline; n++) {
        const sent = await say(u, p, q.answer);
        answerIds.push({ id: sent.messageId, sentAt: sent.sentAt });
        acks.push(sent.ackMs);
        let m = await replyTo(sent.messageId, deadline, (r) => hasQuestion(r) || asksReason(r));
        if (m && !hasQuestion(m)) {
          // A figure chosen between two: the bot asks why, and the person says.
          const why = await say(u, p, '决算报表为准');
          m = await replyTo(why.messageId, deadline, hasQuestion);
        }
        if (!m) break;
        let next = askedIn(m);
        if (next?.key === q.key) {
          // Not taken (the card guessed wrong): skip it, as a person would after a second try.
          reasked++;
          const skip = await say(u, p, '跳过');
          const s = await replyTo(skip.messageId, deadline, hasQuestion);
          next = s ? askedIn(s) : undefined;
        }
        q = next;
      }
    }),
  );
  await pool.close();
  // An answer is processed when the fake received a reply to it (with a further question or not).
  let lastReply = answerStart;
  let answersReplied = 0;
  let endedWithoutQuestion = 0;
  let endedSample: string | undefined;
  for (const a of answerIds) {
    const at = firstReplyAt.get(a.id);
    if (at === undefined || at > deadline) continue;
    answersReplied++;
    replyTimes.push(at - a.sentAt);
    lastReply = Math.max(lastReply, at);
    const replies = repliesTo.get(a.id)!;
    if (!replies.some(hasQuestion)) {
      endedWithoutQuestion++;
      endedSample ??= JSON.stringify(replies.map((r) => r.content)).slice(0, 300);
    }
  }
  return {
    type: 'result',
    acks,
    created: created.filter(Boolean).length,
    createSeconds,
    started: first.filter(Boolean).length,
    startSeconds,
    answersSent: answerIds.length,
    answersReplied,
    endedWithoutQuestion,
    ...(endedSample ? { endedSample } : {}),
    reasked,
    answerSeconds: (lastReply - answerStart) / 1000,
    httpErrors,
    replyTimes,
  };
}

process.send!({ type: 'ready', fakeUrl: fake.url });
process.on('message', (job: CityRun) => {
  if (job.type !== 'run') return;
  run(job).then(
    (result) => process.send!(result),
    (err: unknown) => process.send!({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) }),
  );
});
process.on('disconnect', () => void fake.close().then(() => process.exit(0)));
