/**
 * Serving the app on Node: @hono/node-server with the socket's address for the loopback guard, the
 * actual port (PORT=0 picks a free one), framework uploads imported in a worker thread, and a graceful
 * close. Used by `npm start`, the bench and tests.
 *
 * @example const server = await startNodeServer({ config, store, bot }); console.log(server.url)
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { ConfigError, loadConfig, type Config } from '../config';
import { serverText } from '../core/locale/zh-CN';
import { DataDirLockedError, openLowdbStore, type LowdbStore } from '../store/lowdb';
import { createServedApp, type AppDeps } from '../server/app';
import { createWorkerImportRunner } from './import-runner';
import type { Bot } from '../app/bot';
import type { Pipeline } from '../app/pipeline';
import { createConsoleLogger } from '../app/ports';
import type { ChannelAdapter } from '../channels/adapter';
import type { Store } from '../store/port';

/** A running server. */
export interface RunningServer {
  server: ServerType;
  port: number;
  /** The console's URL, e.g. http://localhost:3000/ */
  url: string;
  /** The pipeline every message goes through. */
  pipeline: Pipeline;
  /**
   * Stops the receivers that are not webhooks, stops accepting connections, lets requests in flight
   * finish (at most `timeoutMs`), then resolves. What was recorded but not yet sent stays recorded.
   */
  close(timeoutMs?: number): Promise<void>;
}

/** What `startNodeServer` needs. */
export interface StartOptions extends Partial<Omit<AppDeps, 'store' | 'bot' | 'config' | 'pipeline'>> {
  config: Config;
  store: Store;
  bot: Bot;
  /** The platform channels that are on (see `createPlatformChannels`); the local channel is always on. */
  channels?: ChannelAdapter[];
  /** The interface to listen on (default: all). */
  hostname?: string;
}

/**
 * Starts the server: the pipeline first takes up what an earlier run recorded but did not finish
 * (events not processed, replies not sent), then the HTTP server listens on `config.PORT`, then the
 * receivers that are not webhooks (Feishu's long connection, DingTalk Stream) connect.
 */
export async function startNodeServer(options: StartOptions): Promise<RunningServer> {
  const { config, store, bot, hostname, channels = [], ...rest } = options;
  const logger = rest.logger ?? createConsoleLogger();
  const { app, pipeline } = createServedApp({
    store,
    bot,
    config,
    channels,
    remoteAddress: (c) => {
      try {
        return getConnInfo(c).remote.address;
      } catch {
        return undefined;
      }
    },
    ...rest,
    logger,
    // Framework uploads are read and compiled in a worker thread with its own heap and time limit.
    runImport: rest.runImport ?? createWorkerImportRunner(),
  });
  await pipeline.recover();
  const running = await new Promise<RunningServer>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: config.PORT, ...(hostname ? { hostname } : {}) }, () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        server,
        port,
        url: `http://localhost:${port}/`,
        pipeline,
        close: async (timeoutMs = 10_000) => {
          for (const c of channels) await c.stop?.().catch(() => {});
          await closeServer(server, timeoutMs);
          pipeline.close();
        },
      });
    });
    server.once('error', reject);
  });
  for (const c of channels) if (c.start) await c.start(pipeline.sink(c.id));
  return running;
}

function closeServer(server: ServerType, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if ('closeAllConnections' in server) server.closeAllConnections();
      resolve();
    }, timeoutMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    if ('closeIdleConnections' in server) server.closeIdleConnections();
  });
}

/**
 * The configuration from the environment and the lowdb store on its DATA_DIR, for the Node entries
 * (damaged files it sets aside are logged as JSON lines). Exits with a readable message: 2 for a bad
 * environment, 3 when another process has the directory. Close the store when stopping (it removes
 * the lock).
 */
export async function openConfiguredStore(): Promise<{ config: Config; store: LowdbStore }> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const store = await openLowdbStore(config.DATA_DIR, { logger: createConsoleLogger() }).catch((err: unknown) => {
    if (!(err instanceof DataDirLockedError)) throw err;
    console.error(serverText.dataDirBusy(err.dataDir, err.pid));
    process.exit(3);
  });
  return { config, store };
}
