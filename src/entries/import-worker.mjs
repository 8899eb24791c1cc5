// The import worker's entry. Node cannot load TypeScript by itself, and a worker thread does not
// inherit the loader of every host (vitest's, for one): tsx's namespaced tsImport loads the worker's
// TypeScript the same way under `npm start` (tsx), under vitest and under plain node.
import { setPriority } from 'node:os';
import { tsImport } from 'tsx/esm/api';

// The lowest priority for this thread alone (on Linux, setpriority on the calling thread's id changes
// only that thread), so on a busy machine an import takes the CPU the chats on the main thread leave.
try {
  setPriority(19);
} catch {
  // Not permitted or not supported: the import runs at normal priority.
}

await tsImport('./import-worker.ts', import.meta.url);
