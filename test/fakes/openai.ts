/**
 * A fake OpenAI-compatible chat-completions server for tests, on real HTTP at 127.0.0.1 (nothing reaches
 * the internet): POST /v1/chat/completions answers from a script, one step per request, and records
 * every request's body. A step is a completion (text and usage), an HTTP status (500, 429), nonsense,
 * or a stall (no answer until the server closes).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOpenAiAssistant, type AssistantSetup } from '../../src/app/assistant';
import type { Logger } from '../../src/app/ports';

/** One scripted answer. */
export type FakeStep =
  | { kind: 'complete'; text: string; promptTokens?: number; completionTokens?: number }
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
