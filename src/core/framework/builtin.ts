/**
 * The frameworks that ship with the bot, bundled as data (no file system needed, so this works on
 * Workers too). Each is validated when first used.
 */
import goalRate from '../../../templates/frameworks/goal-rate.json';
import guangdong2020 from '../../../templates/frameworks/guangdong-2020.json';
import nanjing2020 from '../../../templates/frameworks/nanjing-2020.json';
import nanjing2021 from '../../../templates/frameworks/nanjing-2021.json';
import { loadFramework, type Framework } from './load';

const SOURCES: Record<string, { file: string; data: unknown }> = {
  'nanjing-2021': { file: 'templates/frameworks/nanjing-2021.json', data: nanjing2021 },
  'nanjing-2020': { file: 'templates/frameworks/nanjing-2020.json', data: nanjing2020 },
  'guangdong-2020': { file: 'templates/frameworks/guangdong-2020.json', data: guangdong2020 },
  'goal-rate': { file: 'templates/frameworks/goal-rate.json', data: goalRate },
};

const cache = new Map<string, Framework>();

/** Ids of the built-in frameworks. */
export const BUILTIN_FRAMEWORK_IDS: readonly string[] = Object.keys(SOURCES);

/** Loads a built-in framework by id; undefined when there is none. Throws FrameworkError if its file is broken. */
export function loadBuiltinFramework(id: string): Framework | undefined {
  const hit = cache.get(id);
  if (hit) return hit;
  // Own ids only: "constructor" or "__proto__" (from a URL or a chat) name no framework.
  const src = Object.hasOwn(SOURCES, id) ? SOURCES[id] : undefined;
  if (!src) return undefined;
  const fw = loadFramework(src.data, src.file);
  cache.set(id, fw);
  return fw;
}
