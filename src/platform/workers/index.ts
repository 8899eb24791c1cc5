/**
 * The Cloudflare Workers entry: the same `createApp` as Node, over the SQL store on D1, with three
 * handlers (wrangler.toml):
 *
 * - `fetch`: the Hono app. A platform webhook verifies, claims and records the event in D1, sends
 *   `{ channel, chatId }` to the inbox Queue and answers at once.
 * - `queue`: the inbox consumer. For each chat in a batch, `pipeline.drainChat` processes the chat's
 *   recorded events oldest first while this isolate holds the chat's lease in D1 (one row per chat,
 *   taken with a conditional upsert). Another isolate holding it means the message is retried a little
 *   later, so every event is processed, in order, by one isolate at a time.
 *   Why a lease row rather than a Durable Object per chat: the order only has to hold while an event is
 *   processed, and the events, answers and lease all live in D1 already; a Durable Object would add a
 *   second place for state, a second billing item and a class migration for the same guarantee.
 * - `scheduled`: the Cron Trigger (every minute). Each run has a pipeline of its own (nothing shared in
 *   memory with another invocation); `runDueReminders(now)` claims each reminder slot in D1 before
 *   recording its message, so two overlapping runs never send one twice; expired chat drafts
 *   are deleted; and `sweep` takes up events and replies left behind by an isolate that ended.
 *
 * Without the Queue binding the webhook drains the chat in `waitUntil` (fine for a few units). What
 * cannot work without configuration (no D1 binding, the schema not migrated, a platform half
 * configured) is named, without values, by `/healthz` (503), and webhooks answer 503 so the platform
 * delivers again once it is fixed; there is no crash loop. There is no loopback on Workers: the console
 * and JSON API need ADMIN_TOKEN, and say so when it is missing.
 */
import type { ExecutionContext, MessageBatch, ScheduledController } from '@cloudflare/workers-types';
import { Hono } from 'hono';
import { createBot, deleteExpiredChatDrafts } from '../../app/bot';
import { runImportJob } from '../../app/import-job';
import { DEFAULT_WORKBOOK_LIMITS, type WorkbookLimits } from '../../core/import/limits';
import type { Pipeline } from '../../app/pipeline';
import type { InboxEntry } from '../../core/messages';
import { createConsoleLogger, describeError, type Logger } from '../../app/ports';
import { createReminders, type Reminders } from '../../app/reminders';
import { createPlatformChannels } from '../../channels/registry';
import { serverText as T } from '../../core/locale/zh-CN';
import { createDefaultPipeline, createServedApp } from '../../server/app';
import { createStoredSessions } from '../../server/sessions';
import { createD1Executor } from '../../store/sql/d1';
import { schemaReady } from '../../store/sql/migrations';
import { createSqlStore } from '../../store/sql/store';
import { readWorkersConfig, type InboxMessage, type WorkersEnv } from './config';
import { assistantDeps } from '../../app/assistant';

export type { InboxMessage, WorkersEnv } from './config';

/** Replies not taken after this many attempts in one invocation wait for the next sweep (every minute). */
const SEND_ATTEMPTS_PER_INVOCATION = 3;
/** Events and replies older than this, still pending, are taken up by the Cron Trigger's sweep. */
const SWEEP_AFTER_MS = 60_000;
/** How long a queue message waits before it is tried again when another isolate has its chat. */
const BUSY_RETRY_SECONDS = 2;
/**
 * A framework upload is read in the request (no worker threads here) within an isolate's 128 MB: the
 * Node limits, but at most 16 MB inflated (a real annex sheet inflates to well under 1 MB).
 */
export const WORKERS_WORKBOOK_LIMITS: Readonly<WorkbookLimits> = Object.freeze({ ...DEFAULT_WORKBOOK_LIMITS, maxUnpackedBytes: 16 * 1024 * 1024 });

/** One isolate's running app for one environment. */
interface Runtime {
  app: Hono;
  pipeline: Pipeline;
  /**
   * A pipeline of its own, over the same store and channels, for one Cron Trigger run, and its reminders.
   * In workerd, work one invocation chains onto another's (the reminder runs queued one after another,
   * the isolate-wide idle()) is dropped when that other one ends, and the waiting run is cancelled as
   * hung (`wrangler dev` reports exceededCpu): overlapping runs in one isolate share nothing in memory,
   * and the reminder slots claimed in D1 keep them from sending twice.
   */
  forRun(): { pipeline: Pipeline; reminders: Reminders };
  /** ADMIN_TOKEN is not set: the console and API answer 503 saying so. */
  adminTokenMissing: boolean;
  deleteDrafts(now: Date): Promise<number>;
}

/** Why the app cannot run here, by name. */
interface Unready {
  problems: string[];
  /** The D1 schema is missing (migrations not applied). */
  schema: boolean;
}

// The env object is the same for every request of an isolate: the runtime is kept once built. A build
// in progress is not shared: its D1 reads belong to the invocation that started it, and if that one ended
// first (its client went away) a waiting invocation would hang, and every later one with it. Concurrent
// cold invocations each build their own; the first one done is kept. Not kept when unready: a migration
// applied or a secret set takes effect on the next request.
const runtimes = new WeakMap<object, Runtime>();

async function runtimeOf(env: WorkersEnv, logger: Logger): Promise<Runtime | Unready> {
  const kept = runtimes.get(env);
  if (kept) return kept;
  const built = await build(env, logger);
  if (!('app' in built)) return built;
  const first = runtimes.get(env);
  if (first) return first;
  runtimes.set(env, built);
  return built;
}

async function build(env: WorkersEnv, logger: Logger): Promise<Runtime | Unready> {
  const read = readWorkersConfig(env);
  if (!read.ok) return { problems: read.problems, schema: false };
  const exec = createD1Executor(env.DB!);
  if (!(await schemaReady(exec).catch(() => false))) return { problems: ['DB (schema: run `wrangler d1 migrations apply`)'], schema: true };
  const { config } = read;
  const store = createSqlStore(exec);
  const bot = createBot({ store, holdIdleMs: config.QUESTION_HOLD_SECONDS * 1000, ...assistantDeps(config, logger) });
  // Nothing may outlive the request that started it here: no fetches ahead of need.
  const channels = createPlatformChannels(config, { store, logger, backgroundWork: false });
  const inbox = env.INBOX;
  const pipelineOptions = {
    retry: { inProcessAttempts: SEND_ATTEMPTS_PER_INVOCATION },
    // The Queue when bound; else false: the chat is drained in this request's waitUntil.
    handOff: async (entry: InboxEntry) => {
      if (!inbox) return false;
      await inbox.send({ channel: entry.channel as InboxMessage['channel'], chatId: entry.message.chatId });
      return true;
    },
  };
  const { app, pipeline } = createServedApp({
    store,
    bot,
    config,
    logger,
    channels,
    pipelineOptions,
    // The client's address as Cloudflare saw it (for the limit on wrong tokens); never loopback here.
    remoteAddress: (c) => c.req.header('cf-connecting-ip') ?? undefined,
    sessions: createStoredSessions({ state: store, now: () => Date.now() }),
    runImport: (job) => runImportJob({ ...job, limits: WORKERS_WORKBOOK_LIMITS }),
  });
  const forRun = () => {
    const own = createDefaultPipeline({ store, bot, config, logger, channels, options: pipelineOptions });
    return { pipeline: own, reminders: createReminders({ store, pipeline: own, logger }) };
  };
  return { app, pipeline, forRun, adminTokenMissing: read.adminTokenMissing, deleteDrafts: (now) => deleteExpiredChatDrafts(store, now) };
}

/** The app of a deployment that cannot run: says what is missing, by name. */
function unreadyApp(unready: Unready): Hono {
  const app = new Hono();
  const names = unready.problems.join(', ');
  const message = unready.schema ? T.workers.schemaMissing : T.workers.misconfigured(names);
  app.get('/healthz', (c) => c.json({ ok: false, runtime: 'workers', missing: unready.problems }, 503));
  app.all('*', (c) => c.json({ error: message, missing: unready.problems }, 503));
  return app;
}

/** Paths of the console and JSON API, which need ADMIN_TOKEN on Workers. */
function isAdminPath(path: string): boolean {
  return path === '/' || path.startsWith('/api/');
}

const handler = {
  async fetch(request: Request, env: WorkersEnv, ctx: ExecutionContext): Promise<Response> {
    const logger = createConsoleLogger();
    const rt = await runtimeOf(env, logger);
    if (!('app' in rt)) return unreadyApp(rt).fetch(request);
    const url = new URL(request.url);
    const { adminTokenMissing } = rt;
    if (url.pathname === '/healthz') {
      const body = { ok: !adminTokenMissing, runtime: 'workers', store: 'd1', queue: Boolean(env.INBOX), missing: adminTokenMissing ? ['ADMIN_TOKEN'] : [] };
      return Response.json(body, { status: adminTokenMissing ? 503 : 200 });
    }
    if (adminTokenMissing && isAdminPath(url.pathname)) return Response.json({ error: T.workers.adminTokenRequired, missing: ['ADMIN_TOKEN'] }, { status: 503 });
    return rt.app.fetch(request, env, ctx);
  },

  async queue(batch: MessageBatch<InboxMessage>, env: WorkersEnv, _ctx: ExecutionContext): Promise<void> {
    const logger = createConsoleLogger();
    const rt = await runtimeOf(env, logger);
    if (!('app' in rt)) {
      logger.error('inbox waits: the deployment is not ready', { missing: rt.problems });
      batch.retryAll({ delaySeconds: 30 });
      return;
    }
    // One drain per chat, whatever number of messages name it.
    const byChat = new Map<string, { body: InboxMessage; messages: Array<(typeof batch.messages)[number]> }>();
    for (const m of batch.messages) {
      const body = m.body;
      if (!body || (body.channel !== 'feishu' && body.channel !== 'dingtalk') || typeof body.chatId !== 'string') {
        logger.error('inbox message dropped: not a chat', {});
        m.ack();
        continue;
      }
      const key = `${body.channel}\u0000${body.chatId}`;
      const entry = byChat.get(key) ?? { body, messages: [] };
      entry.messages.push(m);
      byChat.set(key, entry);
    }
    await Promise.all(
      [...byChat.values()].map(async ({ body, messages }) => {
        try {
          const outcome = await rt.pipeline.drainChat(body.channel, body.chatId);
          for (const m of messages) outcome === 'busy' ? m.retry({ delaySeconds: BUSY_RETRY_SECONDS }) : m.ack();
        } catch (err) {
          logger.error('draining a chat failed', { channel: body.channel, ...describeError(err) });
          for (const m of messages) m.retry({ delaySeconds: BUSY_RETRY_SECONDS });
        }
      }),
    );
    // drainChat waited for its replies to be sent; nothing else is awaited here: in workerd, waiting for
    // another invocation's work (the isolate-wide idle()) counts as hanging, and the invocation is cancelled.
  },

  async scheduled(controller: ScheduledController, env: WorkersEnv, _ctx: ExecutionContext): Promise<void> {
    const logger = createConsoleLogger();
    const rt = await runtimeOf(env, logger);
    if (!('app' in rt)) {
      logger.error('scheduled run skipped: the deployment is not ready', { missing: rt.problems });
      return;
    }
    const now = new Date(controller.scheduledTime);
    const run = rt.forRun();
    // Awaited (not waitUntil): the run is the invocation, and a local `/__scheduled` answers when it is done.
    try {
      await run.reminders.runDueReminders(now);
    } catch (err) {
      logger.error('reminder run failed', describeError(err));
    }
    try {
      await rt.deleteDrafts(now);
      await run.pipeline.sweep(SWEEP_AFTER_MS);
    } catch (err) {
      logger.error('housekeeping failed', describeError(err));
    }
    await run.pipeline.idle();
    run.pipeline.close();
  },
};

export default handler;
