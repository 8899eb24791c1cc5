/**
 * The language-model assistant (issue #16) against a fake OpenAI-compatible server on real HTTP: the
 * organiser's switch, a reply the reader cannot read interpreted, confirmed and recorded (or declined,
 * or the model failing, stalling or talking nonsense: asked again as without a model), what is sent
 * (no names of people), retries, the monthly cap, streaming, the API key kept out of logs and errors,
 * and the prompts as validated data.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AssistantError, createOpenAiAssistant, runAssistantTask, type AssistantSetup } from '../src/app/assistant';
import { describeError, type Logger } from '../src/app/ports';
import { createMemoryStore } from '../src/store/memory';
import { getPrompt, loadPrompt, PROMPT_IDS, PromptError } from '../src/core/assistant/prompts';
import type { Reply } from '../src/core/messages';
import { readdirSync, readFileSync } from 'node:fs';
import { answer002 } from './helpers/answers-002';
import { createTranscript, replyText, type Transcript } from './helpers/transcript';
import { fakeAssistantSetup, startFakeOpenAi, type FakeOpenAi } from './fakes/openai';

let fake: FakeOpenAi;
let lines: Array<{ message: string; fields?: Record<string, unknown> }>;

beforeEach(async () => {
  fake = await startFakeOpenAi();
  lines = [];
});
afterEach(async () => {
  await fake.close();
});

const logger: Logger = {
  info: (message, fields) => void lines.push({ message, ...(fields ? { fields } : {}) }),
  error: (message, fields) => void lines.push({ message, ...(fields ? { fields } : {}) }),
};

function setup(opts: { timeoutMs?: number; cap?: number } = {}): AssistantSetup {
  return fakeAssistantSetup(fake, logger, opts);
}

function questionOf(replies: Reply[]) {
  for (let i = replies.length - 1; i >= 0; i--) {
    const r = replies[i]!;
    if (r.kind !== 'file' && r.question) return r.question;
  }
  return undefined;
}

/** 002's questionnaire answered up to its first yes/no question; returns the transcript and that question's last replies. */
async function untilFirstJudgement(t: Transcript): Promise<{ key: string; replies: Reply[] }> {
  await t.say('张三', '新建自评 南京市数据局 2024 框架=nanjing-2021 截止=2025-05-31');
  let replies = await t.say('张三', '开始');
  for (let i = 0; i < 40; i++) {
    const q = questionOf(replies)!;
    if (q.type === 'boolean') return { key: q.key, replies };
    replies = await t.say('张三', answer002(q));
  }
  throw new Error('no yes/no question');
}

const UNREADABLE = '去年三月印发的《预算绩效管理办法》就管这个';
const READING = JSON.stringify({ understood: true, answer: '是', basis: '《预算绩效管理办法》' });

async function judgementOf(t: Transcript, key: string): Promise<unknown> {
  const rec = (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;
  return rec.answers.judgements?.[key.split(':')[1]!];
}

describe('the assistant switch', () => {
  it('is off until an organiser enables it; enabling names the model and host; without a model it says so', async () => {
    const t = createTranscript({ assistant: setup() });
    const { key } = await untilFirstJudgement(t);
    // Off: an unreadable reply is asked again and nothing is sent.
    const off = await t.ask('张三', UNREADABLE);
    expect(off).toContain(UNREADABLE.slice(0, 10));
    expect(fake.requests).toHaveLength(0);
    expect(await t.ask('李四', '启用助手')).toContain('只有组织者');
    const on = await t.ask('张三', '启用助手');
    expect(on).toContain('qwen-fake');
    expect(on).toContain(new URL(fake.baseUrl).host);
    const rec = (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;
    expect(rec.assistant).toEqual({ enabled: true });
    expect(await t.ask('张三', '停用助手')).toContain('已停用助手');
    await t.say('张三', UNREADABLE);
    expect(fake.requests).toHaveLength(0);
    expect(await judgementOf(t, key)).toBeUndefined();

    const none = createTranscript();
    await none.say('张三', '新建自评 南京市数据局 2024 框架=nanjing-2021');
    expect(await none.ask('张三', '启用助手')).toContain('没有配置语言模型助手');
  });
});

describe('a reply the reader cannot read', () => {
  async function enabled(opts: Parameters<typeof setup>[0] = {}) {
    const t = createTranscript({ assistant: setup(opts) });
    const first = await untilFirstJudgement(t);
    await t.say('张三', '启用助手');
    return { t, key: first.key };
  }

  it('is interpreted, confirmed with one tap and recorded; the request carries no names of people', async () => {
    const { t, key } = await enabled();
    // A figure entered earlier (the first yes/no question comes before the figures in 002).
    await t.store.updateEvaluation((await t.store.evaluationIdForChat('group-1'))!, (r) => {
      r.answers.facts = { ...r.answers.facts, spending: 5959.46 };
    });
    fake.script({ kind: 'complete', text: READING, promptTokens: 321, completionTokens: 12 });
    const replies = await t.say('张三', UNREADABLE);
    const card = replies.find((r) => r.kind === 'card' && r.text.includes('您的意思是'));
    expect(card && replyText(card), replies.map(replyText).join('\n')).toContain('您的意思是：是，依据《预算绩效管理办法》？');
    // Nothing recorded before the confirmation.
    expect(await judgementOf(t, key)).toBeUndefined();
    // What was sent: the question, the reply and figures; no names of people.
    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0]!.raw;
    expect(sent).toContain(JSON.stringify(UNREADABLE).slice(1, -1));
    expect(sent).toContain('5959.46');
    for (const name of ['张三', '李四', 'u-zhangsan']) expect(sent).not.toContain(name);
    expect(fake.requests[0]!.authorization).toBe('Bearer sk-fake');
    // Logged with token counts, without the reply.
    const call = lines.find((l) => l.message === 'assistant call')!;
    expect(call.fields).toMatchObject({ task: 'interpret', prompt: 'interpret-reply', promptVersion: 1, promptTokens: 321, completionTokens: 12, totalTokens: 333 });
    expect(JSON.stringify(lines)).not.toContain('预算绩效管理办法');

    const button = (card as Extract<Reply, { kind: 'card' }>).buttons!.find((b) => b.label === '是')!;
    const after = await t.pressFull('张三', button.action);
    expect(after.pressed?.ok).toBe(true);
    expect(await judgementOf(t, key)).toBe(true);
    const rec = (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;
    expect(rec.answers.evidence?.[key.split(':')[1]!]).toBe('《预算绩效管理办法》');
    expect(await t.store.getAssistantUsage(new Date(Date.parse('2025-05-10T01:00:00Z') + 8 * 3600e3).toISOString().slice(0, 7))).toEqual({ tokens: 333, calls: 1 });
  });

  it('declined, is asked again as today and nothing is recorded', async () => {
    const { t, key } = await enabled();
    fake.script({ kind: 'complete', text: READING });
    await t.say('张三', UNREADABLE);
    const again = await t.say('张三', '不是');
    expect(questionOf(again)?.key).toBe(key);
    expect(again.map(replyText).join('\n')).toContain('没有记录');
    expect(await judgementOf(t, key)).toBeUndefined();
  });

  it('a model that stalls past the timeout: the question is asked again as without a model', async () => {
    const { t, key } = await enabled({ timeoutMs: 300 });
    fake.script({ kind: 'stall' });
    const replies = await t.say('张三', UNREADABLE);
    expect(questionOf(replies)?.key).toBe(key);
    expect(replies.map(replyText).join('\n')).not.toContain('您的意思是');
    expect(lines.find((l) => l.message === 'assistant call failed')?.fields).toMatchObject({ failure: 'timeout' });
    expect(await judgementOf(t, key)).toBeUndefined();
  });

  it('nonsense, or an answer not in the question’s terms, is discarded with a log line', async () => {
    const { t, key } = await enabled();
    fake.script(
      { kind: 'nonsense', body: '<html>bad gateway</html>' },
      { kind: 'complete', text: '我觉得应该算是吧' },
      { kind: 'complete', text: JSON.stringify({ understood: true, answer: '满分' }) },
      { kind: 'complete', text: JSON.stringify({ understood: true, answer: '是', basis: '上级批复文件' }) },
    );
    for (let i = 0; i < 4; i++) {
      const replies = await t.say('张三', `${UNREADABLE}${'。'.repeat(i)}`);
      expect(questionOf(replies)?.key).toBe(key);
      expect(replies.map(replyText).join('\n')).not.toContain('您的意思是');
    }
    expect(lines.filter((l) => l.message === 'assistant call failed')).toHaveLength(1);
    expect(lines.filter((l) => l.message === 'assistant output discarded')).toHaveLength(3);
    expect(await judgementOf(t, key)).toBeUndefined();
  });

  it('429 and 500 are retried, and the call then succeeds', async () => {
    const { t } = await enabled();
    fake.script({ kind: 'status', status: 429, retryAfter: 1 }, { kind: 'status', status: 503 }, { kind: 'complete', text: READING });
    const replies = await t.say('张三', UNREADABLE);
    expect(fake.requests).toHaveLength(3);
    expect(replies.map(replyText).join('\n')).toContain('您的意思是');
  });

  it('over the monthly cap: not called, and the organisers are told once', async () => {
    const { t, key } = await enabled({ cap: 100 });
    fake.script({ kind: 'complete', text: READING, promptTokens: 90, completionTokens: 20 });
    await t.say('张三', UNREADABLE);
    await t.say('张三', '不是');
    const over = await t.say('张三', UNREADABLE);
    expect(fake.requests).toHaveLength(1);
    expect(over.map(replyText).join('\n')).toContain('用量已达到上限');
    expect(questionOf(over)?.key).toBe(key);
    const again = await t.say('张三', `${UNREADABLE}。`);
    expect(again.map(replyText).join('\n')).not.toContain('用量已达到上限');
    expect(fake.requests).toHaveLength(1);
  });
});

describe('the reader stays first', () => {
  it('002 answered in full with the assistant enabled: no call, the published 98.5', async () => {
    const t = createTranscript({ assistant: setup() });
    await t.say('张三', '新建自评 南京市数据局 2024 框架=nanjing-2021 截止=2025-05-31');
    await t.say('张三', '启用助手');
    let replies = await t.say('张三', '开始');
    for (let i = 0; i < 150; i++) {
      const q = questionOf(replies);
      if (!q) break;
      replies = await t.say('张三', answer002(q));
    }
    expect(replies.map(replyText).join('\n'), t.log.join('\n')).toContain('总分 98.5 分，优秀');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('streaming', () => {
  const MESSAGES = [{ role: 'user' as const, content: '起草' }];
  const PIECES = ['本部门已', '建立预算', '绩效管理', '制度，', '执行率85.72%。'];

  it('hands each piece to onDelta in order as it comes, and the result has the whole text and the usage', async () => {
    const assistant = setup().assistant;
    let release!: () => void;
    const until = new Promise<void>((r) => (release = r));
    fake.script({ kind: 'complete', text: PIECES.join(''), pieces: PIECES, promptTokens: 210, completionTokens: 15, hold: { after: 2, until } });
    const got: string[] = [];
    const out = await assistant.complete({
      messages: MESSAGES,
      onDelta: (piece) => {
        got.push(piece);
        // The server holds the rest (mid-event, mid-character) until the first pieces are here.
        if (got.length === 2) release();
      },
    });
    expect(got).toEqual(PIECES);
    expect(out).toEqual({ text: PIECES.join(''), usage: { promptTokens: 210, completionTokens: 15, totalTokens: 225 } });
    expect(fake.requests[0]!.body).toMatchObject({ model: 'qwen-fake', stream: true, stream_options: { include_usage: true } });
  });

  it('a stream cut before its end is a failure, not a shorter answer', async () => {
    const assistant = setup().assistant;
    fake.script({ kind: 'complete', text: PIECES.join(''), pieces: PIECES, cutAfter: 2 });
    const got: string[] = [];
    const err = await assistant.complete({ messages: MESSAGES, onDelta: (p) => void got.push(p) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AssistantError);
    expect((err as AssistantError).kind).toBe('malformed');
    expect(got.join('')).not.toBe(PIECES.join(''));
  });

  it('without onDelta the answer is not streamed', async () => {
    fake.script({ kind: 'complete', text: READING });
    expect((await setup().assistant.complete({ messages: MESSAGES })).text).toBe(READING);
    expect(fake.requests[0]!.body.stream).toBeUndefined();
  });
});

describe('the API key', () => {
  const KEY = 'sk-LEAKCHECK-7f3a9c2e51d04b8e';
  const vars = JSON.parse(readFileSync('prompts/interpret-reply.json', 'utf8')).example.variables as Record<string, string>;

  it('is sent, and appears in no log line and no error, whatever the call comes to', async () => {
    const keyed = (baseUrl: string, timeoutMs = 5000): AssistantSetup => ({
      assistant: createOpenAiAssistant({ baseUrl, apiKey: KEY, model: 'qwen-fake', timeoutMs, maxRetries: 1, sleep: async () => {} }),
      logger,
      monthlyTokenCap: 1_000_000,
    });
    const usage = createMemoryStore();
    const task = () => ({ name: 'interpret', promptId: 'interpret-reply', vars, at: new Date('2025-05-10T01:00:00Z') });
    const errors: unknown[] = [];
    const both = async (s: AssistantSetup, ...steps: Parameters<FakeOpenAi['script']>) => {
      fake.script(...steps, ...steps);
      await runAssistantTask(s, usage, task());
      await s.assistant.complete({ messages: [{ role: 'user', content: '是' }] }).then(
        () => undefined,
        (err: unknown) => void errors.push(err),
      );
    };
    const ok = keyed(fake.baseUrl);
    await both(ok, { kind: 'complete', text: READING });
    await both(ok, { kind: 'status', status: 401 });
    await both(ok, { kind: 'status', status: 500 }, { kind: 'status', status: 503 });
    await both(ok, { kind: 'nonsense', body: `{"error":"invalid key"}` });
    await both(keyed(fake.baseUrl, 200), { kind: 'stall' });
    // Nobody listening: a network failure.
    const gone = await startFakeOpenAi();
    await gone.close();
    await both(keyed(gone.baseUrl));

    expect(fake.requests.length).toBeGreaterThan(0);
    for (const r of fake.requests) expect(r.authorization).toBe(`Bearer ${KEY}`);
    expect(lines.filter((l) => l.message === 'assistant call failed').map((l) => l.fields?.failure)).toEqual(['http', 'http', 'malformed', 'timeout', 'network']);
    expect(errors.map((e) => (e as AssistantError).kind)).toEqual(['http', 'http', 'malformed', 'timeout', 'network']);
    const seen = JSON.stringify(lines) + errors.map((e) => `${String(e)} ${(e as Error).stack} ${JSON.stringify(describeError(e))}`).join('\n');
    expect(seen).not.toContain(KEY);
    expect(seen).not.toContain('LEAKCHECK');
  });
});

describe('the prompts', () => {
  it('every file in prompts/ is bundled and valid', () => {
    const files = readdirSync('prompts').filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
    expect([...PROMPT_IDS].sort()).toEqual(files.sort());
    for (const id of PROMPT_IDS) expect(getPrompt(id).id).toBe(id);
  });

  it('a broken prompt file is rejected, naming the file and the field', () => {
    const good = JSON.parse(readFileSync('prompts/interpret-reply.json', 'utf8'));
    const undeclared = { ...good, user: `${good.user}\n{{unitName}}` };
    expect(() => loadPrompt(undeclared, 'prompts/interpret-reply.json')).toThrow(PromptError);
    expect(() => loadPrompt(undeclared, 'prompts/interpret-reply.json')).toThrow(/prompts\/interpret-reply\.json: user: uses \{\{unitName\}\}/);
    const noVersion = { ...good, version: 'one' };
    expect(() => loadPrompt(noVersion, 'prompts/interpret-reply.json')).toThrow(/prompts\/interpret-reply\.json: version/);
    const { example: _e, ...noExample } = good;
    expect(() => loadPrompt(noExample, 'prompts/interpret-reply.json')).toThrow(/prompts\/interpret-reply\.json: example/);
  });
});
