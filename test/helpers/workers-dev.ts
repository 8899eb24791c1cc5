/**
 * `wrangler dev` for tests and the bench: the Worker in local workerd with a local D1 (migrations
 * applied) and the local Queue, on a free port, with the given variables (pointing the channels at the
 * fake platforms). `scheduled(time)` fires the Cron Trigger for that time through Miniflare's
 * `/cdn-cgi/handler/scheduled` (wrangler's `/__scheduled` ignores `time` and runs at the current time).
 * `changes` runs it with a copy of wrangler.toml changed for the test (written to a temp dir): the
 * inbox Queue's batching, or no D1 binding at all.
 * See https://developers.cloudflare.com/workers/configuration/cron-triggers/#test-cron-triggers-locally
 *
 * @example const w = await startWorkersDev({ vars: { ADMIN_TOKEN: 't' } }); await fetch(`${w.baseUrl}/healthz`); await w.stop()
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const WRANGLER = join(ROOT, 'node_modules/wrangler/bin/wrangler.js');

/** A running `wrangler dev`. */
export interface WorkersDev {
  baseUrl: string;
  /** Where its local D1 lives (kept across a restart with the same `persistDir`). */
  persistDir: string;
  child: ChildProcess;
  output(): string;
  /** Fires the Cron Trigger once for `time` (default now); resolves when the handler has finished (200 "ok"; 500 if it threw). */
  scheduled(time?: Date): Promise<Response>;
  /** Stops workerd; removes the local D1 unless it was passed in. */
  stop(): Promise<void>;
}

/** Options of `startWorkersDev`. */
export interface WorkersDevOptions {
  /** Variables and secrets, as `wrangler secret put` would set them. */
  vars?: Record<string, string>;
  /** Keep the local D1 here (default a new temp dir, removed by `stop`). */
  persistDir?: string;
  /** Apply the D1 migrations first (default true). */
  migrate?: boolean;
  /** Another config (default the repository's wrangler.toml). */
  config?: string;
  /** Run with a copy of the config changed thus. */
  changes?: WranglerChanges;
  timeoutMs?: number;
}

/** Changes to wrangler.toml for a test. */
export interface WranglerChanges {
  /**
   * The inbox consumer's `max_batch_timeout` (seconds; 0: a message is delivered at once) and
   * `max_batch_size`. Local Miniflare honours both; the repository's 1 s makes every answer of a
   * questionnaire wait a second for its batch.
   */
  queueBatchTimeout?: number;
  queueBatchSize?: number;
  /** Leave out `[[d1_databases]]`: a deployment whose D1 binding was forgotten. */
  withoutD1?: boolean;
}

/** Writes wrangler.toml changed by `changes` into `dir` (its paths made absolute); returns its path. */
export async function writeWranglerConfig(source: string, changes: WranglerChanges, dir: string): Promise<string> {
  let toml = await readFile(source, 'utf8');
  const from = resolve(source, '..');
  const replace = (pattern: RegExp, by: (m: RegExpExecArray) => string) => {
    const m = pattern.exec(toml);
    if (!m) throw new Error(`${source}: ${pattern} not found`);
    toml = toml.slice(0, m.index) + by(m) + toml.slice(m.index + m[0].length);
  };
  replace(/^main = "([^"]+)"$/m, (m) => `main = ${JSON.stringify(resolve(from, m[1]!))}`);
  if (changes.withoutD1) replace(/^\[\[d1_databases\]\]\n(?:[^[\n].*\n)*/m, () => '');
  else replace(/^migrations_dir = "([^"]+)"$/m, (m) => `migrations_dir = ${JSON.stringify(resolve(from, m[1]!))}`);
  if (changes.queueBatchTimeout !== undefined) replace(/^max_batch_timeout = .*$/m, () => `max_batch_timeout = ${changes.queueBatchTimeout}`);
  if (changes.queueBatchSize !== undefined) replace(/^max_batch_size = .*$/m, () => `max_batch_size = ${changes.queueBatchSize}`);
  const file = join(dir, 'wrangler.toml');
  await writeFile(file, toml);
  return file;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

/** Starts `wrangler dev --local` and resolves once /healthz answers. */
export async function startWorkersDev(options: WorkersDevOptions = {}): Promise<WorkersDev> {
  const ownDir = !options.persistDir;
  const persistDir = options.persistDir ?? (await mkdtemp(join(tmpdir(), 'jx-workers-')));
  const configDir = options.changes ? await mkdtemp(join(tmpdir(), 'jx-wrangler-config-')) : undefined;
  const source = options.config ?? join(ROOT, 'wrangler.toml');
  const config = configDir ? await writeWranglerConfig(source, options.changes!, configDir) : source;
  const env = {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_HIDE_BANNER: 'true',
    // Nothing from Cloudflare's network: the `cf` object of requests is a local stand-in.
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    CI: process.env.CI ?? '',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  };
  // No D1 binding: nothing to migrate.
  if (options.migrate !== false && !options.changes?.withoutD1) {
    const applied = spawnSync(process.execPath, [WRANGLER, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistDir, '--config', config], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
    if (applied.status !== 0) throw new Error(`wrangler d1 migrations apply failed:\n${applied.stdout}\n${applied.stderr}`);
  }
  // Variables through an env file (values may hold ':' and '='), removed with the temp dir.
  const varsFile = join(persistDir, '.dev.vars');
  await writeFile(varsFile, Object.entries(options.vars ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n') + '\n');
  const port = await freePort();
  const inspector = await freePort();
  const child = spawn(
    process.execPath,
    [WRANGLER, 'dev', '--config', config, '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector), '--persist-to', persistDir, '--env-file', varsFile, '--test-scheduled', '--show-interactive-dev-session=false'],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 5000);
      await gone;
      clearTimeout(timer);
    }
    if (ownDir) await rm(persistDir, { recursive: true, force: true });
    else await rm(varsFile, { force: true });
    if (configDir) await rm(configDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${baseUrl}/healthz`);
      await res.arrayBuffer();
      break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    baseUrl,
    persistDir,
    child,
    output: () => out,
    scheduled: (time = new Date()) => fetch(`${baseUrl}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent('* * * * *')}&time=${time.getTime()}`),
    stop,
  };
}
