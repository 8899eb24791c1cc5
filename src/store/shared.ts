/**
 * Small pieces both stores share, so they behave the same: id checks, per-key serialisation, copying.
 */
import { isBuiltinFrameworkId, isImportedFrameworkId, type FrameworkRecord } from '../core/framework-record';
import type { EvaluationPageRequest, FrameworkHead } from './port';

/** Ids that may become file names: letters, digits, `_`, `-`, `.`, not starting with a dot, at most 128 characters. */
const SAFE_ID = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

/** True when `id` is safe to use as a file name (no path separators, no `..`, no hidden files). */
export function isSafeId(id: string): boolean {
  return SAFE_ID.test(id) && !id.includes('..');
}

/** Throws when `id` is not a safe id. @example assertSafeId('ev-2024-1') */
export function assertSafeId(id: string, what = 'id'): void {
  if (!isSafeId(id)) throw new Error(`invalid ${what} "${id}": use letters, digits, "_", "-" or "." (at most 128)`);
}

/**
 * A deep copy of a JSON value, so callers never share objects with the store. Goes through JSON (several
 * times faster than structuredClone on Node for these records) so both stores drop `undefined` alike.
 */
export function copyRecord<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Runs tasks one at a time per key, in the order they were queued; different keys run concurrently.
 * A failing task does not stop the ones after it.
 *
 * @example const serialise = createKeyedQueue(); await serialise('ev-1', () => write())
 */
export function createKeyedQueue(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const prev = tails.get(key) ?? Promise.resolve();
    const result = prev.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return result;
  };
}

/**
 * The ids of one page of `listEvaluationPage` out of every id (any order): those after the cursor, in
 * code-unit order, at most `limit`, and the next cursor when ids remain. Throws on a limit below 1.
 *
 * @example pageOfIds(['b', 'a', 'c'], { limit: 2 }) // { ids: ['a', 'b'], next: 'b' }
 */
export function pageOfIds(all: Iterable<string>, page: EvaluationPageRequest): { ids: string[]; next?: string } {
  assertPageLimit(page.limit);
  const after = page.after;
  const rest = [...all].filter((id) => after === undefined || id > after).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const ids = rest.slice(0, page.limit);
  return rest.length > page.limit ? { ids, next: ids.at(-1)! } : { ids };
}

/** Throws unless `limit` is a whole number of at least 1. */
export function assertPageLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`invalid page limit ${limit}: a whole number of at least 1`);
}

/** The key of a chat draft: one per (chat, user). */
export function toDraftKey(chatId: string, userId: string): string {
  return `${chatId}\u0000${userId}`;
}

/** A random id for stored files. */
export function createFileId(): string {
  return globalThis.crypto.randomUUID().replace(/-/g, '');
}

/**
 * Throws unless `id` may name an imported framework: lower-case letters, digits and "-" (so also a
 * safe file name), and not a built-in framework's id.
 *
 * @example assertFrameworkId('import-1a2b3c')
 */
export function assertFrameworkId(id: string): void {
  if (isBuiltinFrameworkId(id)) throw new Error(`framework id "${id}" is a built-in framework's id`);
  if (!isImportedFrameworkId(id) || !isSafeId(id)) throw new Error(`invalid framework id "${id}": use lower-case letters, digits and "-" (at most 64)`);
}

/** The serialisation key of an imported framework (apart from evaluation ids, which share the queue). */
export function frameworkKey(id: string): string {
  return `\u0000framework:${id}`;
}

/** Sorts framework records oldest first (then by id), as both stores list them. */
export function compareByCreation(a: { createdAt: string; id: string }, b: { createdAt: string; id: string }): number {
  return a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
}

/** A framework record's head (what `Store.listFrameworkHeads` returns). */
export function frameworkHeadOf(rec: { id: string; name: string; status: FrameworkRecord['status']; createdAt: string; updatedAt: string }): FrameworkHead {
  return { id: rec.id, name: rec.name, status: rec.status, createdAt: rec.createdAt, updatedAt: rec.updatedAt };
}

/** Freezes an object and everything in it (a carried framework shared by many reads must not change). */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
