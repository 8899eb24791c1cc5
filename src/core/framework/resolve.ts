/**
 * Finding the framework an evaluation uses: a built-in one by id, or the copy the evaluation carries
 * (imported or customised frameworks travel with their evaluation).
 */
import { loadBuiltinFramework } from './builtin';
import { loadFramework, type Framework } from './load';
import type { FrameworkInput } from './schema';

const carried = new WeakMap<FrameworkInput, Framework>();

/** The loaded framework for an evaluation; throws FrameworkError if a carried copy is broken, Error if the id is unknown. */
export function resolveFramework(frameworkId: string, carriedCopy?: FrameworkInput): Framework {
  if (carriedCopy) {
    const hit = carried.get(carriedCopy);
    if (hit) return hit;
    const fw = loadFramework(carriedCopy, `evaluation framework ${frameworkId}`);
    carried.set(carriedCopy, fw);
    return fw;
  }
  const fw = loadBuiltinFramework(frameworkId);
  if (!fw) throw new Error(`unknown framework "${frameworkId}"`);
  return fw;
}
