/**
 * The frameworks API, mounted at /api/frameworks behind the admin guard:
 *
 * - `POST /` — upload a sheet: `multipart/form-data` with a `file` field (and optional `name`, `id`
 *   fields), or the raw bytes with `Content-Type` of .xlsx or `text/csv` (optional `?name=`, `?id=`,
 *   `?filename=`). At most 5 MB (413). 201 with the framework's detail; 400 naming the rows at fault;
 *   413 when it unpacks past 50 MB, 422 past the rows, columns or cells of `DEFAULT_WORKBOOK_LIMITS`
 *   or the import runner's memory or time (the message names the limit; nothing is stored).
 * - `GET /` — built-in frameworks (ready) and imported ones with their status and counts.
 * - `GET /:id` — the status, every row with its rule in plain Chinese or why it is open, the open questions.
 * - `PATCH /:id` — JSON `{ name?, description?, grades? }`: what the sheet does not say (the id stays).
 * - `POST /:id/confirm` — JSON `{ code, answer }` (a phrase, "确认", or a rule object) for an open row or
 *   an override: 200 with the new detail, or 422 with the reason (the row stays as it was).
 * - `GET /:id/export.xlsx` — the annex-layout workbook of a ready framework (built-in ones too).
 *
 * @example app.route('/api/frameworks', createFrameworksApi({ store, now }))
 */
import { Hono } from 'hono';
import { isBuiltinFrameworkId } from '../core/framework-record';
import { loadBuiltinFramework } from '../core/framework/builtin';
import type { ConfirmationAnswer } from '../core/import/confirm';
import { exportFramework } from '../core/import/export';
import { frameworksText as T } from '../core/locale/zh-CN';
import { createKeyedQueue } from '../store/shared';
import type { Store } from '../store/port';
import {
  confirmFrameworkRow,
  describeBuiltinFramework,
  describeFrameworkRecord,
  importFrameworkUpload,
  listAllFrameworks,
  loadFrameworkForExport,
  updateFrameworkMeta,
  type FrameworkMetaChange,
  type FrameworkUpload,
} from '../app/frameworks';
import { formatContentDisposition, readLimitedBody } from '../lib/http';
import type { ImportRunner, Logger } from '../app/ports';

/** The largest sheet an upload may carry. */
export const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;
/** Room for the multipart envelope around the file. */
const MULTIPART_SLACK_BYTES = 64 * 1024;
/** The largest confirmation body. */
const MAX_CONFIRM_BYTES = 64 * 1024;

/** The MIME type of .xlsx files. */
export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const CSV_TYPES = /^(text\/csv|application\/csv|text\/comma-separated-values)$/i;

/** What the routes need. */
export interface FrameworksApiDeps {
  store: Store;
  now?: () => Date;
  /** Where an upload is read and compiled (default inline; the Node server passes a worker-thread runner). */
  runImport?: ImportRunner;
  logger?: Logger;
}

/** The file kind an upload is, from its MIME type or its name; undefined when neither says .xlsx or .csv. */
function uploadKind(mime: string, fileName: string): 'xlsx' | 'csv' | undefined {
  if (/\.xlsx$/i.test(fileName)) return 'xlsx';
  if (/\.csv$/i.test(fileName)) return 'csv';
  if (mime.toLowerCase() === XLSX_MIME) return 'xlsx';
  if (CSV_TYPES.test(mime)) return 'csv';
  return undefined;
}

/** A file name with the extension its kind needs (the importer reads CSV or .xlsx by the extension). */
function withExtension(fileName: string, kind: 'xlsx' | 'csv'): string {
  const base = fileName.trim() || `upload.${kind}`;
  return new RegExp(`\\.${kind}$`, 'i').test(base) ? base : `${base}.${kind}`;
}

/** Creates the routes (mount under /api/frameworks, behind the guard). */
export function createFrameworksApi(deps: FrameworksApiDeps): Hono {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  // One upload at a time, so ids derived from names cannot collide (changes are serialised by the store).
  const serialise = createKeyedQueue();
  const api = new Hono();

  api.post('/', async (c) => {
    const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const multipart = mediaType === 'multipart/form-data';
    const body = await readLimitedBody(c.req.raw, MAX_UPLOAD_BYTES + (multipart ? MULTIPART_SLACK_BYTES : 0));
    if (!body.ok) return c.json({ error: T.tooLarge(MAX_UPLOAD_BYTES / 1024 / 1024) }, 413);
    const query = (k: string) => c.req.query(k) || undefined;
    let upload: FrameworkUpload;
    if (multipart) {
      let form: FormData;
      try {
        form = await new Response(body.bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': c.req.header('content-type')! } }).formData();
      } catch {
        return c.json({ error: T.noFile }, 400);
      }
      const file = form.get('file');
      if (!file || typeof file === 'string') return c.json({ error: T.noFile }, 400);
      const kind = uploadKind(file.type, file.name);
      if (!kind) return c.json({ error: T.unsupportedType(file.name || file.type) }, 415);
      if (file.size > MAX_UPLOAD_BYTES) return c.json({ error: T.tooLarge(MAX_UPLOAD_BYTES / 1024 / 1024) }, 413);
      const field = (k: string) => {
        const v = form.get(k);
        return typeof v === 'string' && v.trim() ? v.trim() : undefined;
      };
      const name = field('name') ?? query('name');
      const id = field('id') ?? query('id');
      upload = { fileName: withExtension(file.name, kind), bytes: new Uint8Array(await file.arrayBuffer()), ...(name ? { name } : {}), ...(id ? { id } : {}) };
    } else {
      const fileName = query('filename') ?? '';
      const kind = uploadKind(mediaType, fileName);
      if (!kind) return c.json({ error: mediaType ? T.unsupportedType(mediaType) : T.noFile }, 415);
      const name = query('name');
      const id = query('id');
      upload = { fileName: withExtension(fileName, kind), bytes: body.bytes, ...(name ? { name } : {}), ...(id ? { id } : {}) };
    }
    const outcome = await serialise('\u0000upload', () => importFrameworkUpload(store, { ...upload, uploadedBy: 'api' }, now(), deps.runImport));
    if (!outcome.ok) {
      if (outcome.limit) deps.logger?.info('framework upload refused', { limit: outcome.limit, status: outcome.status, bytes: upload.bytes.byteLength, ...(outcome.detail ? { detail: outcome.detail } : {}) });
      return c.json({ error: outcome.error, ...(outcome.problems ? { problems: outcome.problems } : {}), ...(outcome.limit ? { limit: outcome.limit } : {}) }, outcome.status);
    }
    return c.json(describeFrameworkRecord(outcome.record), 201, { Location: `/api/frameworks/${outcome.record.id}` });
  });

  api.get('/', async (c) => c.json(await listAllFrameworks(store)));

  api.get('/:id', async (c) => {
    const id = c.req.param('id');
    const builtin = loadBuiltinFramework(id);
    if (builtin) return c.json(describeBuiltinFramework(builtin));
    const rec = await store.getFramework(id);
    if (!rec) return c.json({ error: T.notFound(id) }, 404);
    return c.json(describeFrameworkRecord(rec));
  });

  /** A small JSON body, or the response refusing it. */
  async function readJson(req: Request, error: string): Promise<{ ok: true; value: unknown } | { ok: false; status: 400 | 413 | 415; error: string }> {
    // JSON only: a cross-site form cannot send it without a CORS preflight.
    if (!/^application\/json\s*(;|$)/i.test(req.headers.get('content-type')?.trim() ?? '')) return { ok: false, status: 415, error };
    const body = await readLimitedBody(req, MAX_CONFIRM_BYTES);
    if (!body.ok) return { ok: false, status: 413, error };
    try {
      return { ok: true, value: JSON.parse(new TextDecoder().decode(body.bytes)) as unknown };
    } catch {
      return { ok: false, status: 400, error };
    }
  }

  api.patch('/:id', async (c) => {
    const id = c.req.param('id');
    const read = await readJson(c.req.raw, T.badMeta);
    if (!read.ok) return c.json({ error: read.error }, read.status);
    const v = read.value;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return c.json({ error: T.badMeta }, 400);
    const { name, description, grades, ...rest } = v as Record<string, unknown>;
    if (Object.keys(rest).length || (name === undefined && description === undefined && grades === undefined)) return c.json({ error: T.badMeta }, 400);
    if (name !== undefined && (typeof name !== 'string' || !name.trim() || [...name].length > 100)) return c.json({ error: T.badName }, 400);
    const change = { ...(typeof name === 'string' ? { name: name.trim() } : {}), ...(description !== undefined ? { description } : {}), ...(grades !== undefined ? { grades } : {}) } as FrameworkMetaChange;
    const outcome = await updateFrameworkMeta(store, id, change);
    if (!outcome.ok) return c.json({ error: outcome.error }, outcome.status);
    return c.json(describeFrameworkRecord(outcome.record));
  });

  api.post('/:id/confirm', async (c) => {
    const id = c.req.param('id');
    const read = await readJson(c.req.raw, T.badConfirm);
    if (!read.ok) return c.json({ error: read.error }, read.status);
    const parsed = read.value;
    const { code, answer } = (parsed ?? {}) as { code?: unknown; answer?: unknown };
    const answerOk = (typeof answer === 'string' && answer.trim() !== '') || (typeof answer === 'object' && answer !== null && !Array.isArray(answer));
    if (typeof code !== 'string' || !code.trim() || !answerOk) return c.json({ error: T.badConfirm }, 400);
    if (isBuiltinFrameworkId(id)) return c.json({ error: T.builtinFixed(id) }, 409);
    const outcome = await confirmFrameworkRow(store, id, code.trim(), answer as ConfirmationAnswer);
    if (!outcome.ok) {
      const detail = outcome.record ? describeFrameworkRecord(outcome.record) : undefined;
      return c.json({ error: outcome.error, code: code.trim(), ...(detail ? { status: detail.status, open: detail.open } : {}) }, outcome.status);
    }
    const detail = describeFrameworkRecord(outcome.record);
    const o = outcome.row.outcome;
    return c.json({ ...detail, confirmed: { code: outcome.row.code, ...('text' in o ? { rule: o.text } : {}) } });
  });

  api.get('/:id/export.xlsx', async (c) => {
    const id = c.req.param('id');
    const loaded = await loadFrameworkForExport(store, id);
    if (!loaded.ok && loaded.reason === 'missing') return c.json({ error: T.notFound(id) }, 404);
    if (!loaded.ok) {
      const error = loaded.reason === 'not-ready' && loaded.open ? T.notReady(loaded.open) : T.notUsable(loaded.reason === 'not-ready' ? loaded.problems.join('；') : '');
      return c.json({ error }, 409);
    }
    const bytes = await exportFramework(loaded.framework);
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': XLSX_MIME,
      'Content-Disposition': formatContentDisposition(`${loaded.framework.name}.xlsx`),
      'Content-Length': String(bytes.byteLength),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    });
  });

  return api;
}
