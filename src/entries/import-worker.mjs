// The import worker's entry. Node cannot load TypeScript by itself, and a worker thread does not
// inherit the loader of every host (vitest's, for one): tsx's namespaced tsImport loads the worker's
// TypeScript the same way under `npm start` (tsx), under vitest and under plain node.
import { tsImport } from 'tsx/esm/api';

await tsImport('./import-worker.ts', import.meta.url);
