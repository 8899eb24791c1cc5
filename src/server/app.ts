/**
 * The HTTP application, used by production and tests alike: health, the local channel, stored files,
 * the JSON API (evaluations here, imported frameworks in `frameworks-api.ts`), the console page and
 * one webhook route per platform channel. Hono only: every message goes through the pipeline
 * (`src/app/pipeline.ts`), which handles the messages of one chat one at a time, in arrival order.
 *
 * @example const app = createApp({ store, bot, config }); serve({ fetch: app.fetch, port: config.PORT })
 */
import { Hono, type Context } from 'hono';
import { serverText as T } from '../core/locale/zh-CN';
import { reportDateOf } from '../core/evaluation';
import { buildReport, DOCX_MIME, reportFileName, type ReportInput } from '../core/report';
import type { Config } from '../config';
import { describeChannels } from '../config';
import { BrokenEvaluationError, isStoreWriteError, type Store } from '../store/port';
import { describeChatEvaluation, describeScore, scoreRecord, summariseEvaluation } from './api';
import type { Bot } from '../app/bot';
import { createPipeline, type Pipeline, type PipelineOptions } from '../app/pipeline';
import { createConsoleLogger, describeError, type Logger } from '../app/ports';
import type { ChannelAdapter } from '../channels/adapter';
import { createLocalChannel, type LocalChannel } from '../channels/local';
import { createNonce, formatConsolePolicy, renderConsolePage } from './console';
import type { ImportRunner } from '../app/ports';
import { createFrameworksApi } from './frameworks-api';
import { createOverviewApi } from './overview-api';
import { createAdminAccess, readSocketAddress, type AccessResult, type RemoteAddressResolver } from './guard';
import type { ConsoleSessions } from './sessions';
import { formatContentDisposition, readLimitedBody } from '../lib/http';

/** The largest sign-in form accepted (a token, not a file). */
const MAX_SIGN_IN_BYTES = 4096;

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
  /** Where console sessions live (default: in memory, see `sessions.ts`; the clock is `now`). */
  sessions?: ConsoleSessions;
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
export function createDefaultPipeline(deps: {
  store: Store;
  bot: Bot;
  config: Config;
  logger: Logger;
  now?: () => Date;
  channels?: ChannelAdapter[];
  /** Further pipeline options (Workers: the hand-off to a Queue, in-process send attempts). */
  options?: Pick<PipelineOptions, 'handOff' | 'retry'>;
}): Pipeline {
  const local = createLocalChannel({ store: deps.store, ...(deps.now ? { now: deps.now } : {}), ...(deps.config.PUBLIC_BASE_URL ? { publicBaseUrl: deps.config.PUBLIC_BASE_URL } : {}) });
  return createPipeline({ store: deps.store, bot: deps.bot, logger: deps.logger, channels: [local, ...(deps.channels ?? [])], ...(deps.now ? { now: deps.now } : {}), ...deps.options });
}

/** What `createServedApp` needs: the app's dependencies but the pipeline, which it builds. */
export interface ServedAppDeps extends Omit<AppDeps, 'pipeline' | 'logger'> {
  logger: Logger;
  /** The platform channels that are on (see `createPlatformChannels`); the local channel is always on. */
  channels?: ChannelAdapter[];
  /** Further pipeline options (Workers: the hand-off to a Queue, in-process send attempts). */
  pipelineOptions?: Pick<PipelineOptions, 'handOff' | 'retry'>;
}

/**
 * The pipeline over the local channel and the given platform channels, and the app over that
 * pipeline: what a runtime serves (Node: `startNodeServer`; Workers: `src/platform/workers`). The
 * runtime passes what differs: how to read the client's address, where sessions live, how framework
 * uploads are read.
 */
export function createServedApp(deps: ServedAppDeps): { app: Hono; pipeline: Pipeline } {
  const { channels, pipelineOptions, ...appDeps } = deps;
  const pipeline = createDefaultPipeline({
    store: deps.store,
    bot: deps.bot,
    config: deps.config,
    logger: deps.logger,
    ...(deps.now ? { now: deps.now } : {}),
    ...(channels ? { channels } : {}),
    ...(pipelineOptions ? { options: pipelineOptions } : {}),
  });
  return { app: createApp({ ...appDeps, pipeline }), pipeline };
}

/** Creates the Hono app. */
export function createApp(deps: AppDeps): Hono {
  const { store, bot, config } = deps;
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger ?? createConsoleLogger();
  const resolveRemote = deps.remoteAddress ?? readSocketAddress;
  const access = createAdminAccess({
    adminToken: config.ADMIN_TOKEN,
    resolveAddress: resolveRemote,
    now: () => now().getTime(),
    ...(config.PUBLIC_BASE_URL ? { publicBaseUrl: config.PUBLIC_BASE_URL } : {}),
    ...(deps.sessions ? { sessions: deps.sessions } : {}),
  });
  const guard = access.guard;
  const makeReport: ReportBuilder = deps.buildReport ?? buildReport;
  const app = new Hono();

  app.onError((err, c) => {
    logger.error('request failed', { method: c.req.method, path: c.req.path, ...describeError(err) });
    // Nothing of a change the store could not write was kept: 507 Insufficient Storage, and say so.
    if (isStoreWriteError(err)) return c.json({ error: T.storeWriteFailed, notSaved: true }, 507);
    if (err instanceof BrokenEvaluationError) return c.json({ error: T.evaluationBroken(err.evaluationId) }, 500);
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
    // Damaged evaluation files are left out of the list (the store logged them); their ids go in a header.
    const broken = (await store.listBrokenEvaluations?.()) ?? [];
    if (broken.length) c.header('X-Broken-Evaluations', broken.map((b) => b.id).join(','));
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

  // Console sessions (with ADMIN_TOKEN): signing in with the form of the sign-in page (or by opening
  // `/?token=<token>`, below) sets an HttpOnly cookie naming a server-side session; signing out ends it.
  app.post('/api/session/login', async (c) => {
    consolePageHeaders(c);
    const origin = access.checkOrigin(c);
    if (!origin.ok) return deniedPage(c, origin);
    const read = await readLimitedBody(c.req.raw, MAX_SIGN_IN_BYTES);
    if (!read.ok) return deniedPage(c, { status: 413, message: T.signInTooLarge(MAX_SIGN_IN_BYTES / 1024) });
    const text = new TextDecoder().decode(read.bytes);
    let token = '';
    if (/^application\/json\s*(;|$)/i.test(c.req.header('content-type')?.trim() ?? '')) {
      try {
        const body = JSON.parse(text) as { token?: unknown };
        if (typeof body?.token === 'string') token = body.token;
      } catch {
        return deniedPage(c, { status: 400, message: T.badJson });
      }
    } else token = new URLSearchParams(text).get('token') ?? '';
    const signed = await access.signIn(c, token);
    return signed.ok ? c.redirect('/', 303) : deniedPage(c, signed);
  });
  app.post('/api/session/logout', async (c) => {
    const origin = access.checkOrigin(c);
    if (!origin.ok) return c.json({ error: origin.message }, origin.status);
    await access.signOut(c);
    return c.body(null, 204);
  });

  // The console. With ADMIN_TOKEN, `/?token=<token>` signs in too and redirects to `/`.
  app.get('/', async (c) => {
    consolePageHeaders(c);
    const token = c.req.query('token');
    if (access.tokenRequired && token !== undefined) {
      const signed = await access.signIn(c, token, { navigation: true });
      return signed.ok ? c.redirect('/', 303) : deniedPage(c, signed);
    }
    const allowed = await access.check(c, { navigation: true });
    if (!allowed.ok) return deniedPage(c, allowed);
    const nonce = createNonce();
    c.header('Content-Security-Policy', formatConsolePolicy(nonce));
    return c.html(renderConsolePage({ nonce, signOut: access.tokenRequired }));
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

  function consolePageHeaders(c: Context): void {
    c.header('Content-Security-Policy', formatConsolePolicy(createNonce()));
    c.header('X-Content-Type-Options', 'nosniff');
    // Not `no-referrer`: under it browsers send `Origin: null` with the page's own POSTs, which the
    // same-origin check refuses. Other sites still get no Referer.
    c.header('Referrer-Policy', 'same-origin');
    c.header('Cache-Control', 'no-store');
  }

  /** The console's access page: the refusal, with the sign-in form where a token would help. */
  function deniedPage(c: Context, refused: { status: Exclude<AccessResult, { ok: true }>['status'] | 413; message: string; retryAfterSeconds?: number }): Response {
    if (refused.retryAfterSeconds !== undefined) c.header('Retry-After', String(refused.retryAfterSeconds));
    const signIn = access.tokenRequired && refused.status !== 403;
    return c.html(renderConsolePage({ denied: refused.message, signIn }), refused.status);
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
