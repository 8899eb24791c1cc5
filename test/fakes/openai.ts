/**
 * A fake OpenAI-compatible chat-completions server for tests, on real HTTP at 127.0.0.1 (nothing reaches
 * the internet): POST /v1/chat/completions answers from a script, one step per request, and records
 * every request's body. A step is a completion (text and usage), an HTTP status (500, 429), nonsense,
 * or a stall (no answer until the server closes). A completion asked for with `stream: true` is streamed
 * as the API does it: server-sent events, one `chat.completion.chunk` per piece, the usage in a last
 * chunk with no choices when `stream_options.include_usage` is set, then `data: [DONE]`.
 * Streaming reference: https://platform.openai.com/docs/api-reference/chat-streaming
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOpenAiAssistant, type AssistantSetup } from '../../src/app/assistant';
import type { Logger } from '../../src/app/ports';

/** One scripted answer. */
export type FakeStep =
  | {
      kind: 'complete';
      text: string;
      promptTokens?: number;
      completionTokens?: number;
      /** Streamed: the pieces, in order (joined they must be `text`); default pieces of 4 characters. */
      pieces?: string[];
      /**
       * Streamed: sends the first `after` pieces and half the bytes of the next event (cut inside a
       * character), then waits for `until` before the rest, so a client that does not read as it comes
       * never gets there.
       */
      hold?: { after: number; until: Promise<void> };
      /** Streamed: the response ends after this many pieces, with no finish and no [DONE]. */
      cutAfter?: number;
    }
  | { kind: 'status'; status: number; retryAfter?: number }
  | { kind: 'nonsense'; body: string }
  | { kind: 'stall' };

export interface FakeOpenAi {
  /** The base URL to configure (LLM_BASE_URL), ending in /v1. */
  baseUrl: string;
  /** Every request body received, in order. */
  requests: Array<{ body: Record<string, unknown>; authorization?: string; raw: string }>;
  /** Adds steps to the script; when it runs out, requests get a 500. */
  script(...steps: FakeStep[]): void;
  close(): Promise<void>;
}

export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const steps: FakeStep[] = [];
  const requests: FakeOpenAi['requests'] = [];
  const stalled: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      requests.push({ body: JSON.parse(raw), raw, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      const step = steps.shift() ?? { kind: 'status', status: 500 };
      switch (step.kind) {
        case 'complete': {
          const prompt = step.promptTokens ?? 100;
          const completion = step.completionTokens ?? 20;
          const body = requests.at(-1)!.body;
          if (body.stream === true) {
            const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
            void streamCompletion(res, step, includeUsage ? { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } : undefined);
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              id: 'chatcmpl-fake',
              object: 'chat.completion',
              choices: [{ index: 0, message: { role: 'assistant', content: step.text }, finish_reason: 'stop' }],
              usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
            }),
          );
          return;
        }
        case 'status':
          res.writeHead(step.status, { 'content-type': 'application/json', ...(step.retryAfter !== undefined ? { 'retry-after': String(step.retryAfter) } : {}) }).end('{"error":{"message":"fake"}}');
          return;
        case 'nonsense':
          res.writeHead(200, { 'content-type': 'application/json' }).end(step.body);
          return;
        case 'stall':
          stalled.push(res);
          return;
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (...s) => void steps.push(...s),
    close: async () => {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * An `AssistantSetup` on the real OpenAI-compatible provider pointed at `fake` (model qwen-fake, key
 * sk-fake, retries without waiting), logging to `logger`.
 */
export function fakeAssistantSetup(fake: FakeOpenAi, logger: Logger, opts: { timeoutMs?: number; cap?: number; maxRetries?: number } = {}): AssistantSetup {
  const assistant = createOpenAiAssistant({ baseUrl: fake.baseUrl, apiKey: 'sk-fake', model: 'qwen-fake', timeoutMs: opts.timeoutMs ?? 5000, maxRetries: opts.maxRetries ?? 2, sleep: async () => {} });
  return { assistant, logger, monthlyTokenCap: opts.cap ?? 1_000_000 };
}

/** A logger that keeps its lines, for tests that check what was logged. */
export function recordingLogger(): { logger: Logger; lines: Array<{ message: string; fields?: Record<string, unknown> }> } {
  const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  const keep = (message: string, fields?: Record<string, unknown>) => void lines.push({ message, ...(fields ? { fields } : {}) });
  return { logger: { info: keep, error: keep }, lines };
}

/** The pieces of a streamed completion: as scripted, or the text in pieces of 4 characters. */
function piecesOf(step: Extract<FakeStep, { kind: 'complete' }>): string[] {
  if (step.pieces) {
    if (step.pieces.join('') !== step.text) throw new Error('fake openai: the pieces do not make the text');
    return step.pieces;
  }
  const chars = [...step.text];
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += 4) pieces.push(chars.slice(i, i + 4).join(''));
  return pieces;
}

/** Writes a completion as server-sent events (`data: <chunk>` and a blank line each). */
async function streamCompletion(res: ServerResponse, step: Extract<FakeStep, { kind: 'complete' }>, usage: Record<string, number> | undefined): Promise<void> {
  const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'fake' };
  const event = (chunk: unknown) => Buffer.from(`data: ${JSON.stringify(chunk)}\n\n`, 'utf8');
  const write = (bytes: Buffer) => new Promise<void>((r, reject) => res.write(bytes, (err) => (err ? reject(err) : r())));
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const pieces = piecesOf(step);
  const events = [
    event({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }),
    ...pieces.map((content) => event({ ...base, choices: [{ index: 0, delta: { content }, finish_reason: null }] })),
  ];
  if (step.cutAfter !== undefined) {
    // Ended cleanly (as a proxy closing the stream would), only without a finish or [DONE].
    for (const e of events.slice(0, 1 + step.cutAfter)) await write(e);
    res.end();
    return;
  }
  events.push(event({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
  if (usage) events.push(event({ ...base, choices: [], usage }));
  events.push(Buffer.from('data: [DONE]\n\n', 'utf8'));
  try {
    for (let i = 0; i < events.length; i++) {
      // The role chunk comes first, so piece n is event n + 1.
      if (step.hold && i === step.hold.after + 1) {
        const e = events[i]!;
        // Half the event's bytes, cut inside a character (odd offset into UTF-8 text).
        const cut = e.indexOf('"content":"') + '"content":"'.length + 1;
        await write(e.subarray(0, cut));
        await step.hold.until;
        await write(e.subarray(cut));
      } else await write(events[i]!);
    }
    res.end();
  } catch {
    res.destroy();
  }
}
