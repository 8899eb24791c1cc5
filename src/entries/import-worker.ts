/**
 * The body of the import worker thread (started by `createWorkerImportRunner` through
 * import-worker.mjs): says when it has started (its modules loaded) and when the file has been read,
 * carries out the one job in `workerData` and posts its result with the heap the thread used, then ends.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { runImportJob, type ImportJob } from '../app/import-job';
import type { WorkerImportMessage } from './import-runner';

const post = (message: WorkerImportMessage) => parentPort!.postMessage(message);
post({ kind: 'started' });
const result = await runImportJob(workerData as ImportJob, { onRead: () => post({ kind: 'read' }) });
const heap = getHeapStatistics();
post({ kind: 'done', result, heapUsedBytes: heap.used_heap_size, heapTotalBytes: heap.total_heap_size });
