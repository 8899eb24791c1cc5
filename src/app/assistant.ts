/**
 * The optional language-model assistant: a small port (`Assistant`: messages in, text and token counts
 * out), an OpenAI-compatible provider over plain fetch, and `runAssistantTask`, which every task goes
 * through: it renders the task's prompt (prompts/*.json), keeps the deployment's monthly token cap,
 * logs each call (task, prompt id and version, token counts, duration; never what was sent or said)
 * and turns any failure into `undefined`, so the caller goes on as if there were no model.
 *
 * The assistant never decides a score: its output is a proposal a person confirms, read by the same
 * deterministic reader as any reply (see core/dialog/interpret.ts).
 */
import { getPrompt, renderPrompt, type ChatMessage } from '../core/assistant/prompts';
import { assistantConfigOf, type AssistantConfig, type Config } from '../config';
import type { AssistantUsageStore } from '../store/port';
import { describeError, type Logger } from './ports';

export type { ChatMessage } from '../core/assistant/prompts';

/** Token counts of one call, as the API reports them (0 when it reports none). */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** One request to the model. */
export interface CompletionRequest {
  messages: ChatMessage[];
  /** The most tokens the answer may have. */
  maxTokens?: number;
  /** Cancels the call (besides the provider's own timeout). */
  signal?: AbortSignal;
  /** Streams: called with each piece of the answer as it arrives (the result still has the whole text). */
  onDelta?: (piece: string) => void;
}

/** The model's answer. */
export interface Completion {
  text: string;
  usage: TokenUsage;
}

/** Why a call failed: timed out, an HTTP status (after retries), the network, or an answer of the wrong shape. */
export class AssistantError extends Error {
  override name = 'AssistantError';
  constructor(
    readonly kind: 'timeout' | 'http' | 'network' | 'malformed',
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The port: a chat-completion model. */
export interface Assistant {
  /** Which model, and which host requests go to (what 启用助手 tells the organiser). */
  readonly target: { model: string; host: string };
  /** One completion; rejects with AssistantError. */
  complete(req: CompletionRequest): Promise<Completion>;
}

/** What the bot needs to use the assistant: the provider, where calls are logged, and the monthly cap. */
export interface AssistantSetup {
  assistant: Assistant;
  logger: Logger;
  /** Tokens per calendar month (China time) for the whole deployment. */
  monthlyTokenCap: number;
}

/** The options of the OpenAI-compatible provider. */
export interface OpenAiOptions {
  baseUrl: string;
  apiKey?: string;
  model: string;
  /** The whole call, retries included (ms). */
  timeoutMs: number;
  /** Retries after 429, 5xx or a network failure. */
  maxRetries: number;
  fetch?: typeof fetch;
  /** Waits between retries (tests may shorten it); default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

/** The first wait before a retry (doubled each time; a Retry-After in seconds is followed when shorter than the deadline). */
const RETRY_BASE_MS = 500;

/**
 * An OpenAI-compatible provider: POST `<baseUrl>/chat/completions` with `model`, `messages`,
 * `temperature: 0` (and `stream` when the request streams). The usage is read from the response's
 * `usage` (streaming: the last chunk, asked for with `stream_options.include_usage`).
 * API reference: https://platform.openai.com/docs/api-reference/chat/create
 */
export function createOpenAiAssistant(options: OpenAiOptions): Assistant {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const host = new URL(url).host;
  return {
    target: { model: options.model, host },
    async complete(req) {
      const deadline = AbortSignal.timeout(options.timeoutMs);
      const signal = req.signal ? AbortSignal.any([deadline, req.signal]) : deadline;
      const stream = !!req.onDelta;
      const body = JSON.stringify({
        model: options.model,
        messages: req.messages,
        temperature: 0,
        ...(req.maxTokens ? { max_tokens: req.maxTokens } : {}),
        ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
      });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
      for (let attempt = 0; ; attempt++) {
        let res: Response;
        try {
          res = await doFetch(url, { method: 'POST', headers, body, signal });
        } catch (err) {
          if (signal.aborted) throw new AssistantError('timeout', `no answer within ${options.timeoutMs} ms`);
          if (attempt < options.maxRetries) {
            await wait(sleep, RETRY_BASE_MS * 2 ** attempt, signal, options.timeoutMs);
            continue;
          }
          throw new AssistantError('network', err instanceof Error ? err.message : 'fetch failed');
        }
        if (res.ok) {
          try {
            return stream ? await readStream(res, req.onDelta!) : readBody(await res.json());
          } catch (err) {
            if (signal.aborted) throw new AssistantError('timeout', `no answer within ${options.timeoutMs} ms`);
            if (err instanceof AssistantError) throw err;
            throw new AssistantError('malformed', 'the answer is not a chat completion');
          }
        }
        // Read the body so the connection can be reused; its text is never logged (it may echo the request).
        await res.body?.cancel().catch(() => undefined);
        const retriable = res.status === 429 || res.status >= 500;
        if (!retriable || attempt >= options.maxRetries) throw new AssistantError('http', `HTTP ${res.status}`, res.status);
        const after = Number(res.headers.get('retry-after'));
        await wait(sleep, Number.isFinite(after) && after > 0 ? after * 1000 : RETRY_BASE_MS * 2 ** attempt, signal, options.timeoutMs);
      }
    },
  };
}

/** Waits before a retry, unless the deadline comes first (then it is a timeout). */
async function wait(sleep: (ms: number) => Promise<void>, ms: number, signal: AbortSignal, timeoutMs: number): Promise<void> {
  if (signal.aborted) throw new AssistantError('timeout', `no answer within ${timeoutMs} ms`);
  await Promise.race([
    sleep(ms),
    new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(new AssistantError('timeout', `no answer within ${timeoutMs} ms`)), { once: true })),
  ]);
}

function usageOf(u: unknown): TokenUsage {
  const o = (u ?? {}) as Record<string, unknown>;
  const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : 0);
  const promptTokens = n(o.prompt_tokens);
  const completionTokens = n(o.completion_tokens);
  return { promptTokens, completionTokens, totalTokens: n(o.total_tokens) || promptTokens + completionTokens };
}

/** A non-streamed chat completion's text and usage. */
function readBody(json: unknown): Completion {
  const o = json as { choices?: Array<{ message?: { content?: unknown } }>; usage?: unknown };
  const content = o?.choices?.[0]?.message?.content;
  if (typeof content !== 'string') throw new AssistantError('malformed', 'no choices[0].message.content');
  return { text: content, usage: usageOf(o.usage) };
}

/**
 * A streamed chat completion (server-sent events, `data: {…}` lines, ending with `data: [DONE]`). A
 * stream that ends before a `finish_reason` or `[DONE]` (the connection cut) is malformed, not a
 * shorter answer.
 */
async function readStream(res: Response, onDelta: (piece: string) => void): Promise<Completion> {
  if (!res.body) throw new AssistantError('malformed', 'no body');
  const decoder = new TextDecoder();
  let buffer = '';
  let text = '';
  let finished = false;
  let usage: TokenUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  const line = (l: string) => {
    const m = /^data:\s?(.*)$/.exec(l.trim());
    if (!m || !m[1]) return;
    if (m[1] === '[DONE]') {
      finished = true;
      return;
    }
    const chunk = JSON.parse(m[1]) as { choices?: Array<{ delta?: { content?: unknown }; finish_reason?: unknown }>; usage?: unknown };
    const piece = chunk.choices?.[0]?.delta?.content;
    if (typeof piece === 'string' && piece) {
      text += piece;
      onDelta(piece);
    }
    if (chunk.choices?.[0]?.finish_reason) finished = true;
    if (chunk.usage) usage = usageOf(chunk.usage);
  };
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      line(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
  }
  buffer += decoder.decode();
  if (buffer.trim()) line(buffer);
  if (!finished) throw new AssistantError('malformed', 'the stream ended before the answer');
  return { text, usage };
}

/** The provider the configuration describes, or undefined when no model is configured. */
export function assistantFromConfig(config: AssistantConfig | undefined, logger: Logger): AssistantSetup | undefined {
  if (!config) return undefined;
  const assistant = createOpenAiAssistant({
    baseUrl: config.baseUrl,
    model: config.model,
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
  });
  return { assistant, logger, monthlyTokenCap: config.monthlyTokenCap };
}

/** `BotDeps.assistant` from the configuration: `{ assistant }` when a model is configured, else nothing. */
export function assistantDeps(config: Config, logger: Logger): { assistant?: AssistantSetup } {
  const setup = assistantFromConfig(assistantConfigOf(config), logger);
  return setup ? { assistant: setup } : {};
}

/** The calendar month of a moment in China time (UTC+8), `YYYY-MM`: what the monthly cap counts. */
export function usageMonth(at: Date): string {
  return new Date(at.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 7);
}

/** A task's outcome: the model's text, or why there is none (the caller goes on as without a model). */
export type TaskOutcome = { ok: true; text: string } | { ok: false; reason: 'overCap' | 'failed' };

/**
 * Runs one task: its prompt filled with `vars`, unless this month's use has reached the cap. Every call
 * is logged with its token counts and counted against the cap; a failure is logged and returned as
 * `failed`. Nothing of the messages or of the answer is logged.
 */
export async function runAssistantTask(
  setup: AssistantSetup,
  usage: AssistantUsageStore,
  task: { name: string; promptId: string; vars: Record<string, string>; maxTokens?: number; at: Date; elapsed?: () => number },
): Promise<TaskOutcome> {
  const { assistant, logger } = setup;
  const prompt = getPrompt(task.promptId);
  const month = usageMonth(task.at);
  const used = await usage.getAssistantUsage(month);
  if (used.tokens >= setup.monthlyTokenCap) {
    logger.info('assistant over monthly cap', { task: task.name, month, tokens: used.tokens, cap: setup.monthlyTokenCap });
    return { ok: false, reason: 'overCap' };
  }
  const messages = renderPrompt(prompt, task.vars);
  const clock = task.elapsed ?? stopwatch();
  const fields = { task: task.name, prompt: prompt.id, promptVersion: prompt.version, model: assistant.target.model };
  try {
    const out = await assistant.complete({ messages, ...(task.maxTokens ? { maxTokens: task.maxTokens } : {}) });
    const total = await usage.addAssistantUsage(month, out.usage.totalTokens);
    logger.info('assistant call', { ...fields, ...out.usage, durationMs: clock(), monthTokens: total.tokens });
    return { ok: true, text: out.text };
  } catch (err) {
    const kind = err instanceof AssistantError ? { failure: err.kind, ...(err.status ? { status: err.status } : {}) } : describeError(err);
    logger.error('assistant call failed', { ...fields, ...kind, durationMs: clock() });
    return { ok: false, reason: 'failed' };
  }
}

/** Milliseconds since it was made. */
function stopwatch(): () => number {
  const start = Date.now();
  return () => Date.now() - start;
}
