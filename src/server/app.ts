/**
 * The HTTP application, used by production and tests alike: health, the local channel, stored files,
 * the JSON API (evaluations here, imported frameworks in `frameworks-api.ts`), the console page and
 * the webhook slots of the platform channels.
 *
 * Messages of one chat are handled one at a time, in arrival order, so replies keep their order;
 * different chats run concurrently. Webhook handlers get the same per-chat queue (`runInChat`), so a
 * platform channel can answer the platform at once and process the message afterwards, in order.
 *
 * @example const app = createApp({ store, bot, config }); serve({ fetch: app.fetch, port: config.PORT })
 */
import { Hono, type Context } from 'hono';
import { setCookie } from 'hono/cookie';
import { serverText as T } from '../core/locale/zh-CN';
import { buildReport, reportFileName, type ReportInput } from '../core/report';
import type { Config } from '../config';
import { describeChannels } from '../config';
import type { Store } from '../store/port';
import { createKeyedQueue } from '../store/shared';
import { describeChatEvaluation, describeScore, scoreRecord, summariseEvaluation } from './api';
import type { Bot } from './bot';
import { createNonce, formatConsolePolicy, renderConsolePage } from './console';
import { createFrameworksApi } from './frameworks-api';
import { CONSOLE_COOKIE, checkAdminAccess, createAdminGuard, deriveConsoleCookie, readSocketAddress, type RemoteAddressResolver } from './guard';
import { compareSecrets, formatContentDisposition, readLimitedBody } from './http';
import { decodeLocalMessage, encodeLocalReplies } from './local';

/** Builds the .docx report from the scored state (default: `buildReport` of src/core/report). */
export type ReportBuilder = (input: ReportInput) => Promise<{ bytes: Uint8Array; missing: string[]; fileName?: string }>;

/** How many local-channel messages one chat may have waiting or in progress. */
export const MAX_PENDING_PER_CHAT = 100;

/** The MIME type of .docx files. */
export const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** Runs `task` after every earlier task of the same chat key has finished. */
export type ChatRunner = <T>(chatKey: string, task: () => Promise<T>) => Promise<T>;

/** A platform channel's webhook: answers the platform and schedules its work with `runInChat`. */
export type WebhookHandler = (c: Context, tools: { runInChat: ChatRunner }) => Response | Promise<Response>;

/** Where the app writes what happened (never secrets, never message text). */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Everything the app needs, injected. */
export interface AppDeps {
  store: Store;
  bot: Bot;
  config: Config;
  now?: () => Date;
  /** The report builder (default: the real one; tests may inject another). */
  buildReport?: ReportBuilder;
  /** The client's address (default: the Node socket's, see `readSocketAddress`). */
  remoteAddress?: RemoteAddressResolver;
  logger?: Logger;
  /** Platform webhooks, mounted at /webhook/feishu and /webhook/dingtalk when their credentials are set. */
  webhooks?: { feishu?: WebhookHandler; dingtalk?: WebhookHandler };
}

/** A logger writing one JSON line per event to the console. */
export function createConsoleLogger(): Logger {
  const write = (level: string, message: string, fields?: Record<string, unknown>) =>
    (level === 'error' ? console.error : console.log)(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }));
  return { info: (m, f) => write('info', m, f), error: (m, f) => write('error', m, f) };
}

/** What an error may say in a log: its type, message and stack, nothing attached to it. */
export function describeError(err: unknown): Record<string, unknown> {
  if (err instanceof Error) return { error: err.name, detail: err.message, stack: err.stack?.split('\n').slice(1, 6).join('\n') };
  return { error: typeof err };
}

/** Creates the Hono app. */
export function createApp(deps: AppDeps): Hono {
  const { store, bot, config } = deps;
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger ?? createConsoleLogger();
  const resolveRemote = deps.remoteAddress ?? readSocketAddress;
  const runInChat: ChatRunner = createKeyedQueue();
  // Messages waiting per chat: a flood to one chat is refused rather than queued without bound.
  const pending = new Map<string, number>();
  const guard = createAdminGuard(config.ADMIN_TOKEN, resolveRemote);
  const makeReport: ReportBuilder = deps.buildReport ?? buildReport;
  const app = new Hono();

  app.onError((err, c) => {
    logger.error('request failed', { method: c.req.method, path: c.req.path, ...describeError(err) });
    return c.json({ error: T.internalError }, 500);
  });
  app.notFound((c) => c.json({ error: T.notFound }, 404));

  app.get('/healthz', (c) => c.json({ ok: true }));

  // The local channel: guarded like the API, since it can create and change evaluations.
  app.post('/api/local/messages', guard, async (c) => {
    const started = performance.now();
    // JSON only: a cross-site form or text/plain post cannot send it without a CORS preflight.
    if (!/^application\/json\s*(;|$)/i.test(c.req.header('content-type')?.trim() ?? '')) return c.json({ error: T.notJson }, 415);
    const body = await readLimitedBody(c.req.raw);
    if (!body.ok) return c.json({ error: T.tooLarge }, 413);
    const decoded = decodeLocalMessage(body.bytes, now().getTime());
    if (!decoded.ok) return c.json({ error: decoded.error, ...(decoded.field ? { field: decoded.field } : {}) }, 400);
    const msg = decoded.message;
    const chatKey = `local:${msg.chatId}`;
    const waiting = pending.get(chatKey) ?? 0;
    if (waiting >= MAX_PENDING_PER_CHAT) return c.json({ error: T.chatBusy }, 429);
    pending.set(chatKey, waiting + 1);
    try {
      const replies = await runInChat(chatKey, async () => encodeLocalReplies(await bot.handle(msg), store, config.PUBLIC_BASE_URL));
      // The server's own time for this message (waiting for the chat's turn and the durable write
      // included), so a client can tell it apart from the network and its own load.
      c.header('Server-Timing', `app;dur=${(performance.now() - started).toFixed(2)}`);
      return c.json({ replies });
    } catch (err) {
      logger.error('bot failed', { channel: 'local', chatId: msg.chatId, userId: msg.userId, ...describeError(err) });
      return c.json({ error: T.internalError }, 500);
    } finally {
      const left = (pending.get(chatKey) ?? 1) - 1;
      if (left > 0) pending.set(chatKey, left);
      else pending.delete(chatKey);
    }
  });

  // Stored files: the id is a random 128-bit capability, so links work from any chat client.
  app.get('/files/:id', async (c) => {
    const file = await store.getFile(c.req.param('id'));
    if (!file) return c.json({ error: T.fileNotFound }, 404);
    return c.body(file.bytes as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': file.mime,
      'Content-Disposition': formatContentDisposition(file.name),
      'Content-Length': String(file.bytes.byteLength),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'private, no-store',
    });
  });

  app.use('/api/evaluations', guard);
  app.use('/api/evaluations/*', guard);
  app.use('/api/chats/*', guard);
  app.use('/api/frameworks', guard);
  app.use('/api/frameworks/*', guard);
  app.route('/api/frameworks', createFrameworksApi({ store, now }));

  app.get('/api/evaluations', async (c) => {
    const recs = await store.listEvaluations();
    recs.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    return c.json(recs.map((rec) => summariseEvaluation(rec, tryScore(rec.id, () => scoreRecord(rec).result))));
  });

  app.get('/api/evaluations/:id/score', async (c) => {
    const rec = await store.getEvaluation(c.req.param('id'));
    if (!rec) return c.json({ error: T.evaluationNotFound(c.req.param('id')) }, 404);
    const result = tryScore(rec.id, () => scoreRecord(rec).result);
    if (!result) return c.json({ error: T.scoreFailed }, 500);
    return c.json(describeScore(result));
  });

  app.get('/api/evaluations/:id/report.docx', async (c) => {
    const rec = await store.getEvaluation(c.req.param('id'));
    if (!rec) return c.json({ error: T.evaluationNotFound(c.req.param('id')) }, 404);
    const scored = tryScore(rec.id, () => scoreRecord(rec));
    if (!scored) return c.json({ error: T.scoreFailed }, 500);
    let report: Awaited<ReturnType<ReportBuilder>>;
    try {
      report = await makeReport({ framework: scored.framework, answers: rec.answers, result: scored.result, unit: rec.unit, year: rec.year, date: now() });
    } catch (err) {
      logger.error('report failed', { evaluationId: rec.id, ...describeError(err) });
      return c.json({ error: T.reportFailed }, 500);
    }
    return c.body(report.bytes as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': DOCX_MIME,
      'Content-Disposition': formatContentDisposition(report.fileName ?? reportFileName(rec.unit, rec.year)),
      'X-Report-Missing': String(report.missing.length),
      'Cache-Control': 'no-store',
    });
  });

  app.get('/api/chats/:chatId/evaluation', async (c) => {
    const chatId = c.req.param('chatId');
    const id = await store.evaluationIdForChat(chatId);
    const rec = id === undefined ? undefined : await store.getEvaluation(id);
    if (!rec) return c.json({ error: T.chatHasNoEvaluation(chatId) }, 404);
    return c.json(describeChatEvaluation(rec, tryScore(rec.id, () => scoreRecord(rec).result)));
  });

  // Platform webhooks: off (404) without credentials; 503 with a clear message while no handler is mounted.
  const channels = describeChannels(config);
  const vars = { feishu: 'FEISHU_APP_ID / FEISHU_APP_SECRET', dingtalk: 'DINGTALK_APP_KEY / DINGTALK_APP_SECRET' };
  for (const name of ['feishu', 'dingtalk'] as const) {
    app.post(`/webhook/${name}`, async (c) => {
      if (!channels[name]) return c.json({ error: T.channelOff(T.channelNames[name], vars[name]) }, 404);
      const handler = deps.webhooks?.[name];
      if (!handler) return c.json({ error: T.channelNotReady(T.channelNames[name]) }, 503);
      return handler(c, { runInChat });
    });
  }

  // The console. With ADMIN_TOKEN, `/?token=<token>` sets an HttpOnly cookie and redirects to `/`.
  app.get('/', async (c) => {
    const token = c.req.query('token');
    if (config.ADMIN_TOKEN && token !== undefined) {
      const probe = await checkAdminAccess(c, config.ADMIN_TOKEN, resolveRemote);
      const valid = probe.ok || (await compareSecrets(token, config.ADMIN_TOKEN));
      if (valid) {
        setCookie(c, CONSOLE_COOKIE, await deriveConsoleCookie(config.ADMIN_TOKEN), {
          httpOnly: true,
          sameSite: 'Strict',
          path: '/',
          secure: new URL(c.req.url).protocol === 'https:',
          maxAge: 7 * 24 * 3600,
        });
        return c.redirect('/', 303);
      }
    }
    const nonce = createNonce();
    c.header('Content-Security-Policy', formatConsolePolicy(nonce));
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cache-Control', 'no-store');
    const access = await checkAdminAccess(c, config.ADMIN_TOKEN, resolveRemote);
    if (!access.ok) return c.html(renderConsolePage({ denied: access.message }), access.status);
    return c.html(renderConsolePage({ nonce }));
  });

  return app;

  function tryScore<R>(id: string, score: () => R): R | undefined {
    try {
      return score();
    } catch (err) {
      logger.error('scoring failed', { evaluationId: id, ...describeError(err) });
      return undefined;
    }
  }
}
