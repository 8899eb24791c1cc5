/**
 * Framework imports in a worker thread: each job gets a fresh thread with a capped heap
 * (`resourceLimits`) and a time limit (the thread is terminated when it runs over), so an upload can
 * neither block the chats nor take the process down. The thread's death is reported like any other
 * refusal: a 422 naming the memory or time limit, nothing stored.
 *
 * Node only (worker_threads); the app sees it as an `ImportRunner` port, so a Workers target can run
 * `runImportJob` inline with its own limits.
 *
 * @example createApp({ ...deps, runImport: createWorkerImportRunner({ timeoutMs: 30_000 }) })
 */
import { Worker } from 'node:worker_threads';
import type { ImportJobResult } from '../app/import-job';
import type { ImportRunner } from '../app/ports';
import { importText as T } from '../core/locale/zh-CN';

/** The default time an import may take, start-up of the thread included. */
export const DEFAULT_IMPORT_TIMEOUT_MS = 60_000;
/** The default old-generation heap of an import thread. */
export const DEFAULT_IMPORT_HEAP_MB = 256;

/** What the import thread posts back: that it started the job, that it read the file, then its result. */
export type WorkerImportMessage =
  | { kind: 'started' }
  | { kind: 'read' }
  | {
      kind: 'done';
      result: ImportJobResult;
      /** The thread's V8 heap in use and reserved when it finished. */
      heapUsedBytes: number;
      heapTotalBytes: number;
    };

/** Limits of the import thread. */
export interface WorkerImportOptions {
  /** Terminate the thread after this long (default 60 s). */
  timeoutMs?: number;
  /** Old-generation heap cap in MB (default 256). */
  maxOldGenerationSizeMb?: number;
  /** Young-generation heap cap in MB (default 32). */
  maxYoungGenerationSizeMb?: number;
  /** Told when a thread has loaded and starts reading the file. */
  onStarted?: () => void;
  /** Told when a thread has read the file within its limits and starts compiling the sheet. */
  onRead?: () => void;
  /** Told when a thread finished with a result: how much heap it used (for the log and the tests). */
  onFinished?: (info: { heapUsedBytes: number; heapTotalBytes: number }) => void;
}

const WORKER_URL = new URL('./import-worker.mjs', import.meta.url);

/** An `ImportRunner` that carries each job out in its own worker thread. */
export function createWorkerImportRunner(options: WorkerImportOptions = {}): ImportRunner {
  const timeoutMs = options.timeoutMs ?? DEFAULT_IMPORT_TIMEOUT_MS;
  const oldMb = options.maxOldGenerationSizeMb ?? DEFAULT_IMPORT_HEAP_MB;
  const youngMb = options.maxYoungGenerationSizeMb ?? 32;
  return (job) =>
    new Promise<ImportJobResult>((resolve) => {
      // The thread gets its own copy of the bytes, moved rather than copied again.
      const bytes = job.bytes.slice();
      const worker = new Worker(WORKER_URL, {
        workerData: { ...job, bytes },
        transferList: [bytes.buffer],
        resourceLimits: { maxOldGenerationSizeMb: oldMb, maxYoungGenerationSizeMb: youngMb, stackSizeMb: 4 },
      });
      let settled = false;
      const finish = (result: ImportJobResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        void worker.terminate();
        resolve(result);
      };
      const timer = setTimeout(
        () => finish({ ok: false, status: 422, error: T.limits.timeout(Math.max(1, Math.ceil(timeoutMs / 1000))), limit: 'timeout' }),
        timeoutMs,
      );
      worker.on('message', (m: WorkerImportMessage) => {
        if (m.kind === 'started' || m.kind === 'read') {
          (m.kind === 'started' ? options.onStarted : options.onRead)?.();
          return;
        }
        options.onFinished?.({ heapUsedBytes: m.heapUsedBytes, heapTotalBytes: m.heapTotalBytes });
        finish(m.result);
      });
      worker.once('error', (err: Error & { code?: string }) => {
        if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') finish({ ok: false, status: 422, error: T.limits.memory(oldMb), limit: 'memory', detail: err.message });
        else finish({ ok: false, status: 500, error: T.limits.failed, limit: 'failed', detail: `${err.name}: ${err.message}` });
      });
      worker.once('exit', (code) => finish({ ok: false, status: 500, error: T.limits.failed, limit: 'failed', detail: `import worker exited with code ${code}` }));
    });
}
