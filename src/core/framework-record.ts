/**
 * An imported framework as the bot keeps it: the importer's draft (plain JSON) with its confirmation
 * status, so an organiser can upload a sheet, answer its open rows over several requests, and use it
 * in 新建自评 once nothing is open. Stored by the store port; read by the frameworks API.
 *
 * @example const id = deriveFrameworkId('某某局指标体系', (id) => taken.has(id))
 */
import { BUILTIN_FRAMEWORK_IDS } from './framework/builtin';
import type { DraftFramework } from './import/importer';

/** Whether an imported framework may be used: 'ready' once nothing is open and the loader accepts it. */
export type FrameworkStatus = 'open' | 'ready';

/** One imported framework. */
export interface FrameworkRecord {
  /** Lower-case ASCII id ("import-1a2b3c"); never a built-in id. Also the draft's id. */
  id: string;
  name: string;
  draft: DraftFramework;
  status: FrameworkStatus;
  createdAt: string;
  updatedAt: string;
  /** Who uploaded it (a user id or "api"), when known. */
  uploadedBy?: string;
  /** The uploaded file's name. */
  sourceName?: string;
}

/** What a framework id must look like (the framework file's own rule, at most 64 characters). */
const FRAMEWORK_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** True when `id` is a built-in framework's id. */
export function isBuiltinFrameworkId(id: string): boolean {
  return BUILTIN_FRAMEWORK_IDS.includes(id);
}

/** True when `id` may name an imported framework: lower-case letters, digits and "-", not a built-in id. */
export function isImportedFrameworkId(id: string): boolean {
  return FRAMEWORK_ID.test(id) && !isBuiltinFrameworkId(id);
}

/** FNV-1a over UTF-16 code units: a short, stable hash for ids (not for security). */
function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * An id for an imported framework, derived from its name: "import-" plus six hex digits of the
 * name's hash (Chinese names have no ASCII slug). When `taken(id)` says it is in use, "-2", "-3"…
 * are appended until one is free.
 *
 * @example deriveFrameworkId('某某局2025年度指标体系') // "import-…" (six hex digits)
 */
export function deriveFrameworkId(name: string, taken: (id: string) => boolean = () => false): string {
  const base = `import-${hashText(name.trim()).toString(16).padStart(8, '0').slice(0, 6)}`;
  if (!taken(base) && isImportedFrameworkId(base)) return base;
  for (let n = 2; ; n++) {
    const id = `${base}-${n}`;
    if (!taken(id)) return id;
  }
}
