/**
 * Finding the framework an evaluation uses: a built-in one by id, or the copy the evaluation carries
 * (imported or customised frameworks travel with their evaluation).
 */
import { loadBuiltinFramework } from './builtin';
import { loadFramework, type Framework } from './load';
import type { FrameworkInput } from './schema';

const carried = new WeakMap<FrameworkInput, Framework>();
/**
 * Carried copies by content, most recently used last: a record read from the store is a new object on
 * every message, and loading (validating) a framework costs several times a whole answer.
 */
const carriedByContent = new Map<string, Framework>();
const CARRIED_CACHE_SIZE = 32;

/** The loaded framework for an evaluation; throws FrameworkError if a carried copy is broken, Error if the id is unknown. */
export function resolveFramework(frameworkId: string, carriedCopy?: FrameworkInput): Framework {
  if (carriedCopy) {
    const hit = carried.get(carriedCopy);
    if (hit) return hit;
    const key = `${frameworkId}\u0000${JSON.stringify(carriedCopy)}`;
    let fw = carriedByContent.get(key);
    if (fw) carriedByContent.delete(key);
    else fw = loadFramework(carriedCopy, `evaluation framework ${frameworkId}`);
    carriedByContent.set(key, fw);
    if (carriedByContent.size > CARRIED_CACHE_SIZE) carriedByContent.delete(carriedByContent.keys().next().value as string);
    carried.set(carriedCopy, fw);
    return fw;
  }
  const fw = loadBuiltinFramework(frameworkId);
  if (!fw) throw new Error(`unknown framework "${frameworkId}"`);
  return fw;
}
