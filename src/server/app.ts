/**
 * The HTTP application, used by production and tests alike: health, the local channel, stored files,
 * the JSON API (evaluations here, imported frameworks in `frameworks-api.ts`), the console page and
 * one webhook route per platform channel. Hono only: every message goes through the pipeline
 * (`src/app/pipeline.ts`), which handles the messages of one chat one at a time, in arrival order.
 *
 * @example const app = createApp({ store, bot, config }); serve({ fetch: app.fetch, port: config.PORT })
 */
import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { serverText as T } from '../core/locale/zh-CN';
import { reportDateOf } from '../core/evaluation';
import { buildReport, DOCX_MIME, reportFileName, type ReportInput } from '../core/report';
import type { Config } from '../config';
import { describeChannels } from '../config';
import type { Store } from '../store/port';
import { describeChatEvaluation, describeScore, scoreRecord, summariseEvaluation } from './api';
import type { Bot } from '../app/bot';
import { createPipeline, type Pipeline } from '../app/pipeline';
import { createConsoleLogger, describeError, type Logger } from '../app/ports';
import type { ChannelAdapter } from '../channels/adapter';
import { createLocalChannel, type LocalChannel } from '../channels/local';
import { createNonce, formatConsolePolicy, renderConsolePage } from './console';
import type { ImportRunner } from '../app/ports';
import { createFrameworksApi } from './frameworks-api';
import { createOverviewApi } from './overview-api';
import { CONSOLE_COOKIE, checkAdminAccess, createAdminGuard, deriveConsoleCookie, readSocketAddress, type RemoteAddressResolver } from './guard';
import { compareSecrets, formatContentDisposition } from '../lib/http';

/** Builds the .docx report from the scored state (default: `buildReport` of src/core/report). */
export type ReportBuilder = (input: ReportInput) => Promise<{ bytes: Uint8Array; missing: string[]; fileName?: string }>;

export { MAX_PENDING_PER_CHAT } from '../app/pipeline';
export { createConsoleLogger, describeError, type Logger } from '../app/ports';


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
  /**
   * The pipeline every message goes through, with its channels (`createChannels` builds them from the
   * configuration). Default: a pipeline with the local channel only.
   */
  pipeline?: Pipeline;
  /** Where framework uploads are read and compiled (default inline; `startNodeServer` passes a worker-thread runner). */
  runImport?: ImportRunner;
}

/** The local channel and a pipeline over it and the given platform channels. */
export function createDefaultPipeline(deps: { store: Store; bot: Bot; config: Config; logger: Logger; now?: () => Date; channels?: ChannelAdapter[] }): Pipeline {
  const local = createLocalChannel({ store: deps.store, ...(deps.now ? { now: deps.now } : {}), ...(deps.config.PUBLIC_BASE_URL ? { publicBaseUrl: deps.config.PUBLIC_BASE_URL } : {}) });
  return createPipeline({ store: deps.store, bot: deps.bot, logger: deps.logger, channels: [local, ...(deps.channels ?? [])], ...(deps.now ? { now: deps.now } : {}) });
}

/** Creates the Hono app. */
export function createApp(deps: AppDeps): Hono {
  const { store, bot, config } = deps;
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger ?? createConsoleLogger();
  const resolveRemote = deps.remoteAddress ?? readSocketAddress;
  const guard = createAdminGuard(config.ADMIN_TOKEN, resolveRemote);
  const makeReport: ReportBuilder = deps.buildReport ?? buildReport;
  const app = new Hono();

  app.onError((err, c) => {
    logger.error('request failed', { method: c.req.method, path: c.req.path, ...describeError(err) });
    return c.json({ error: T.internalError }, 500);
  });
  app.notFound((c) => c.json({ error: T.notFound }, 404));

  app.get('/healthz', (c) => c.json({ ok: true }));

  const pipeline = deps.pipeline ?? createDefaultPipeline({ store, bot, config, logger, now });
  let noExecutionContext = false;
  const local = pipeline.channel('local') as LocalChannel | undefined;

  // The local channel: guarded like the API, since it can create and change evaluations.
  app.post('/api/local/messages', guard, async (c) => {
    const started = performance.now();
    const res = await pipeline.receive('local', c.req.raw);
    // The server's own time for this message (waiting for the chat's turn and the durable write
    // included), so a client can tell it apart from the network and its own load.
    res.headers.set('Server-Timing', `app;dur=${(performance.now() - started).toFixed(2)}`);
    return res;
  });
  // Messages nobody asked for (reminders) waiting for a local chat; reading empties the mailbox.
  app.get('/api/local/messages', guard, async (c) => {
    const chatId = c.req.query('chatId');
    if (!chatId) return c.json({ error: T.badField('chatId', T.expected.chatId), field: 'chatId' }, 400);
    return c.json({ replies: local ? await local.takeMailbox(chatId) : [] });
  });
  // A local chat's recent conversation (kept in memory), for a console opening a chat it has not seen.
  app.get('/api/local/history', guard, (c) => {
    const chatId = c.req.query('chatId');
    if (!chatId) return c.json({ error: T.badField('chatId', T.expected.chatId), field: 'chatId' }, 400);
    return c.json({ entries: local ? local.history(chatId) : [] });
  });
  app.delete('/api/local/history', guard, (c) => {
    const chatId = c.req.query('chatId');
    if (!chatId) return c.json({ error: T.badField('chatId', T.expected.chatId), field: 'chatId' }, 400);
    local?.clearHistory(chatId);
    return c.body(null, 204);
  });
  // The console names its icon inline; a browser asking for /favicon.ico anyway gets nothing, not a 404.
  app.get('/favicon.ico', (c) => c.body(null, 204));

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
  app.route('/api/frameworks', createFrameworksApi({ store, now, logger, ...(deps.runImport ? { runImport: deps.runImport } : {}) }));
  // The bureau overview (汇总): any unit's figures, and binding units to a chat without their consent.
  app.use('/api/overview', guard);
  app.use('/api/overview/*', guard);
  app.route('/api/overview', createOverviewApi({ store, now }));

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
      report = await makeReport({ framework: scored.framework, answers: rec.answers, result: scored.result, unit: rec.unit, year: rec.year, date: reportDateOf(rec, now()) });
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

  // Platform webhooks: off (404) without credentials; 503 when configured for another receiver (long
  // connection, Stream) or not running; else through the pipeline.
  const channels = describeChannels(config);
  for (const name of ['feishu', 'dingtalk'] as const) {
    app.post(`/webhook/${name}`, async (c) => {
      const status = channels[name];
      if (!status.on) return c.json({ error: T.channelOff(T.channelNames[name], status.missing.join(' / ')) }, 404);
      if (status.receiver !== 'webhook') return c.json({ error: T.channelByConnection(T.channelNames[name]) }, 404);
      if (!pipeline.channel(name)) return c.json({ error: T.channelNotReady(T.channelNames[name]) }, 503);
      return pipeline.receive(name, c.req.raw, waitUntilOf(c));
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

  /**
   * Workers' waitUntil for this request. Node has no execution context and needs none: Hono's getter
   * throws there, so after the first request finds none it is not asked again (a throw per request
   * cost about 7% of a webhook's acknowledgement).
   */
  function waitUntilOf(c: { executionCtx: { waitUntil(p: Promise<unknown>): void } }): ((p: Promise<unknown>) => void) | undefined {
    if (noExecutionContext) return undefined;
    try {
      const ctx = c.executionCtx;
      return (p) => ctx.waitUntil(p);
    } catch {
      noExecutionContext = true;
      return undefined;
    }
  }

  function tryScore<R>(id: string, score: () => R): R | undefined {
    try {
      return score();
    } catch (err) {
      logger.error('scoring failed', { evaluationId: id, ...describeError(err) });
      return undefined;
    }
  }
}
