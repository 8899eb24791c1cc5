/**
 * What the application needs from its runtime, injected so the same code runs on Node and Workers:
 * a logger, a clock, a way to keep work alive after a response (Workers' `waitUntil`), and where a
 * framework import runs.
 */
import type { ImportJob, ImportJobResult } from './import-job';

/** Where the app writes what happened (never secrets, never message text). */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Keeps a promise's work alive after the response went out (Workers: `ctx.waitUntil`; Node: nothing to do). */
export type WaitUntil = (work: Promise<unknown>) => void;

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

/**
 * Runs a framework import job within limits of its own. On Node a worker thread with a heap cap and a
 * time limit (`createWorkerImportRunner` in src/entries), so no upload can block the chats or take the
 * process down; elsewhere (tests, a future Workers target) `runImportJob` inline.
 */
export type ImportRunner = (job: ImportJob) => Promise<ImportJobResult>;
