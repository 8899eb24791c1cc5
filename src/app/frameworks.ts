/**
 * Imported frameworks on the server side: importing an upload into a stored record, answering its open
 * rows, the views the API and the console show, and the framework a new evaluation may use.
 *
 * A record's status is 'ready' only when `describeDraftStatus` says the draft is usable (nothing open,
 * the loader accepts it), so nothing half-imported or half-confirmed can be used or exported.
 *
 * @example
 * const framework = await loadReadyFramework(store, 'import-1a2b3c') // FrameworkInput | undefined
 * if (framework) rec.framework = framework // the evaluation carries its copy
 */
import type { FrameworkChoice } from '../core/dialog/engine';
import { BUILTIN_FRAMEWORK_IDS, loadBuiltinFramework } from '../core/framework/builtin';
import type { Framework, Indicator } from '../core/framework/load';
import type { FrameworkInput, GradeBand } from '../core/framework/schema';
import { deriveFrameworkId, isBuiltinFrameworkId, isImportedFrameworkId, type FrameworkRecord, type FrameworkStatus } from '../core/framework-record';
import {
  applyConfirmation,
  buildFrameworkInput,
  describeDraftStatus,
  finaliseDraft,
  listOpenRows,
  updateDraftMeta,
  type ConfirmationAnswer,
  type OpenQuestion,
} from '../core/import/confirm';
import { describeRule } from '../core/import/describe';
import type { DraftFramework, DraftRow } from '../core/import/importer';
import { DEFAULT_WORKBOOK_LIMITS } from '../core/import/workbook';
import { runImportJob, type ImportRefusal } from './import-job';
import type { ImportRunner } from './ports';
import { frameworksText as T } from '../core/locale/zh-CN';
import type { FrameworkHead, Store } from '../store/port';

/** Row counts of a draft. */
export interface FrameworkCounts {
  /** Every scored row of the sheet (leaves, key-task slots, bonus and penalty rows). */
  rows: number;
  /** Rules the compiler read from the prose. */
  compiled: number;
  /** Rules kept from an exported workbook's data sheet. */
  kept: number;
  /** Rules an organiser gave or overrode. */
  confirmed: number;
  /** Rows still waiting for an answer. */
  open: number;
}

/** One framework in `GET /api/frameworks`. */
export interface FrameworkSummary {
  id: string;
  name: string;
  status: FrameworkStatus;
  builtin: boolean;
  counts?: FrameworkCounts;
  createdAt?: string;
  updatedAt?: string;
  sourceName?: string;
}

/** One row of a framework's detail: the rule in plain Chinese, or why it is open. */
export interface FrameworkRowView {
  /** Sheet row (1-based); absent for built-in frameworks. */
  row?: number;
  code: string;
  name: string;
  path: string[];
  kind: DraftRow['kind'];
  points?: number;
  criteria: string;
  /** The outcome's status ('compiled', 'kept', 'confirmed', 'open', 'slot', 'bonus', 'penalty'), 'builtin' for built-ins. */
  status: DraftRow['outcome']['status'] | 'builtin';
  /** The rule in plain Chinese (absent while open). */
  rule?: string;
  /** Why the row is open. */
  reason?: string;
  /** A rule to accept with "确认". */
  suggestion?: string;
}

/** `GET /api/frameworks/:id` (also the answer to an upload and to a confirmation). */
export interface FrameworkDetail extends FrameworkSummary {
  rows: FrameworkRowView[];
  open: OpenQuestion[];
  /** Why a draft with nothing open is still not usable (the loader's problems). */
  problems?: string[];
}

/** The status and counts of a draft. */
export function describeDraft(draft: DraftFramework): { status: FrameworkStatus; counts: FrameworkCounts; problems: string[] } {
  const s = describeDraftStatus(draft);
  return {
    status: s.usable ? 'ready' : 'open',
    counts: { rows: draft.rows.length, compiled: s.compiled, kept: s.kept, confirmed: s.confirmed, open: s.open },
    problems: s.problems,
  };
}

/** The list entry of a stored framework. */
export function summariseFrameworkRecord(rec: FrameworkRecord): FrameworkSummary {
  const { status, counts } = describeDraft(rec.draft);
  return {
    id: rec.id,
    name: rec.name,
    status,
    builtin: false,
    counts,
    createdAt: rec.createdAt,
    updatedAt: rec.updatedAt,
    ...(rec.sourceName ? { sourceName: rec.sourceName } : {}),
  };
}

/** The detail of a stored framework: every row with its rule or open reason, and the open questions. */
export function describeFrameworkRecord(rec: FrameworkRecord): FrameworkDetail {
  const { problems } = describeDraft(rec.draft);
  const rows: FrameworkRowView[] = rec.draft.rows.map((r) => {
    const o = r.outcome;
    return {
      row: r.row,
      code: r.code,
      name: r.name,
      path: r.path,
      kind: r.kind,
      ...(r.points !== undefined ? { points: r.points } : {}),
      criteria: r.criteria,
      status: o.status,
      ...(o.status === 'open' ? { reason: o.reason, ...(o.suggestion ? { suggestion: o.suggestion.text } : {}) } : { rule: o.text }),
    };
  });
  return { ...summariseFrameworkRecord(rec), rows, open: listOpenRows(rec.draft), ...(problems.length ? { problems } : {}) };
}

/** The list entry of a built-in framework. */
export function summariseBuiltinFramework(framework: Framework): FrameworkSummary {
  return { id: framework.id, name: framework.name, status: 'ready', builtin: true };
}

/** The detail of a built-in framework: its leaves with their rules. */
export function describeBuiltinFramework(framework: Framework): FrameworkDetail {
  const label = (k: string) => framework.metricByKey.get(k)?.label ?? framework.factByKey.get(k)?.label ?? k;
  const unit = (k: string) => framework.metricByKey.get(k)?.unit ?? framework.factByKey.get(k)?.unit ?? '%';
  const rows: FrameworkRowView[] = [];
  const walk = (ind: Indicator, path: string[]) => {
    if (ind.children.length) {
      for (const c of ind.children) walk(c, [...path, ind.name]);
      return;
    }
    rows.push({
      code: ind.code,
      name: ind.name,
      path,
      kind: ind.keyTasks ? 'slot' : 'indicator',
      points: ind.points,
      criteria: ind.criteria,
      status: 'builtin',
      ...(ind.rule ? { rule: describeRule(ind.rule, ind.points, label, [], unit) } : {}),
    });
  };
  for (const ind of framework.indicators) walk(ind, []);
  return { ...summariseBuiltinFramework(framework), rows, open: [] };
}

/** Built-in frameworks, then imported ones (oldest first). */
export async function listAllFrameworks(store: Store): Promise<FrameworkSummary[]> {
  const builtins = BUILTIN_FRAMEWORK_IDS.map((id) => summariseBuiltinFramework(loadBuiltinFramework(id)!));
  return [...builtins, ...(await store.listFrameworks()).map(summariseFrameworkRecord)];
}

/** An uploaded file to import. */
export interface FrameworkUpload {
  /** The file's name; its extension (.xlsx / .csv) decides how it is read. */
  fileName: string;
  bytes: Uint8Array;
  /** The framework's name; default the sheet's title row. */
  name?: string;
  /** The framework's id; default derived from the name ("import-1a2b3c"). */
  id?: string;
  uploadedBy?: string;
}

/** The outcome of an import: the stored record, or why nothing was stored (with the rows at fault). */
export type ImportOutcome =
  | { ok: true; record: FrameworkRecord }
  | {
      ok: false;
      status: 400 | 409 | 413 | 422 | 500;
      error: string;
      problems?: Array<{ row: number; message: string }>;
      /** The limit an upload broke (see `ImportRefusal`), and for the log what failed. */
      limit?: ImportRefusal['limit'];
      detail?: string;
    };

/** The most an uploaded workbook may unpack to (a sheet of a few hundred rows is well under 1 MB). */
export const MAX_XLSX_UNPACKED_BYTES = DEFAULT_WORKBOOK_LIMITS.maxUnpackedBytes;

/**
 * The total size a ZIP (an .xlsx) says its entries unpack to, read from its central directory before
 * anything is inflated: a cheap first refusal of a workbook that admits to being too large. Not
 * trusted otherwise (a zip can lie): the reader counts the bytes it actually inflates. Infinity for
 * ZIP64 or a damaged directory; undefined when the bytes are not a ZIP at all (the importer says so).
 */
export function declaredUnpackedSize(bytes: Uint8Array): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const EOCD = 0x06054b50;
  const CENTRAL = 0x02014b50;
  let eocd = -1;
  for (let p = bytes.byteLength - 22; p >= 0 && p >= bytes.byteLength - 22 - 0xffff; p--) {
    if (view.getUint32(p, true) === EOCD) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const entries = view.getUint16(eocd + 10, true);
  const offset = view.getUint32(eocd + 16, true);
  if (entries === 0xffff || offset === 0xffffffff) return Infinity;
  let total = 0;
  let p = offset;
  for (let i = 0; i < entries; i++) {
    if (p + 46 > bytes.byteLength || view.getUint32(p, true) !== CENTRAL) return Infinity;
    const size = view.getUint32(p + 24, true);
    if (size === 0xffffffff) return Infinity;
    total += size;
    p += 46 + view.getUint16(p + 28, true) + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
  }
  return total;
}

/**
 * CSV saved by Excel on a Chinese Windows is GB18030, not UTF-8: such bytes are re-encoded as UTF-8
 * so the importer (which reads UTF-8) sees the characters the organiser sees.
 */
export function normaliseCsvBytes(bytes: Uint8Array): Uint8Array {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return bytes;
  } catch {
    try {
      return new TextEncoder().encode(new TextDecoder('gb18030').decode(bytes));
    } catch {
      return bytes;
    }
  }
}

/**
 * Imports an uploaded sheet (the annex sheet of a workbook, or a CSV) and stores it as a framework
 * record: status 'ready' when nothing is open, otherwise 'open' with its questions. A sheet that is
 * not a framework stores nothing and says which rows are at fault; one past a limit (unpacked size,
 * rows, columns, cells, or the runner's memory or time) stores nothing and names the limit.
 * `runImport` carries the reading and compiling out (default inline; the Node server uses a worker).
 */
export async function importFrameworkUpload(store: Store, upload: FrameworkUpload, now: Date, runImport: ImportRunner = runImportJob): Promise<ImportOutcome> {
  if (upload.id !== undefined && !isImportedFrameworkId(upload.id)) return { ok: false, status: 400, error: T.badId(upload.id) };
  if (upload.name !== undefined && (!upload.name.trim() || [...upload.name].length > 100)) return { ok: false, status: 400, error: T.badName };
  if (!upload.bytes.byteLength) return { ok: false, status: 400, error: T.emptyFile };
  const csv = /\.csv$/i.test(upload.fileName);
  if (!csv && (declaredUnpackedSize(upload.bytes) ?? 0) > MAX_XLSX_UNPACKED_BYTES) {
    return { ok: false, status: 413, error: T.unpackedTooLarge(MAX_XLSX_UNPACKED_BYTES / 1024 / 1024), limit: 'unpacked' };
  }
  const bytes = csv ? normaliseCsvBytes(upload.bytes) : upload.bytes;
  const result = await runImport({ fileName: upload.fileName, bytes, ...(upload.name ? { name: upload.name.trim() } : {}) });
  if (!result.ok) {
    const { ok: _ok, ...refusal } = result;
    return { ok: false, ...refusal };
  }
  let draft: DraftFramework = result.draft;
  const existing = new Set((await store.listFrameworks()).map((r) => r.id));
  if (upload.id !== undefined && existing.has(upload.id)) return { ok: false, status: 409, error: T.idTaken(upload.id) };
  const id = upload.id ?? deriveFrameworkId(draft.name, (x) => existing.has(x));
  const meta = updateDraftMeta(draft, { id });
  if (!meta.ok) return { ok: false, status: 400, error: meta.error };
  draft = meta.draft;
  const at = now.toISOString();
  const record: FrameworkRecord = {
    id,
    name: draft.name,
    draft,
    status: describeDraft(draft).status,
    createdAt: at,
    updatedAt: at,
    ...(upload.uploadedBy ? { uploadedBy: upload.uploadedBy } : {}),
    sourceName: upload.fileName,
  };
  await store.putFramework(record);
  return { ok: true, record };
}

/** The outcome of a confirmation: the updated record, or why the answer was not taken (the row stays open). */
export type ConfirmOutcome =
  | { ok: true; record: FrameworkRecord; row: DraftRow }
  | { ok: false; status: 404 | 409 | 422; error: string; record?: FrameworkRecord };

/** Thrown inside a store update to leave the record as it was and say why. */
class ChangeRefused extends Error {
  constructor(
    readonly reason: string,
    readonly record: FrameworkRecord,
  ) {
    super(reason);
  }
}

/**
 * Applies a change to a stored framework's draft inside the store's serialised update, so answers from
 * the console and the chat never overwrite each other; the status is recomputed. `change` returns the
 * new draft or the reason it was refused (the record is then left unchanged).
 */
async function changeDraft<X>(
  store: Store,
  id: string,
  change: (rec: FrameworkRecord) => { ok: true; draft: DraftFramework; extra: X } | { ok: false; error: string },
): Promise<{ ok: true; record: FrameworkRecord; extra: X } | { ok: false; status: 404 | 409 | 422; error: string; record?: FrameworkRecord }> {
  if (isBuiltinFrameworkId(id)) return { ok: false, status: 409, error: T.builtinFixed(id) };
  if (!(await store.getFramework(id))) return { ok: false, status: 404, error: T.notFound(id) };
  let extra: X | undefined;
  try {
    const record = await store.updateFramework(id, (rec) => {
      const result = change(rec);
      if (!result.ok) throw new ChangeRefused(result.error, rec);
      extra = result.extra;
      return { ...rec, name: result.draft.name, draft: result.draft, status: describeDraft(result.draft).status };
    });
    return { ok: true, record, extra: extra as X };
  } catch (e) {
    if (e instanceof ChangeRefused) return { ok: false, status: 422, error: e.reason, record: e.record };
    throw e;
  }
}

/**
 * Applies an organiser's answer to one row of a stored framework (an open row, or an override of a
 * compiled one) and stores the result with its new status; a refused answer changes nothing (422).
 * The chat's confirmation can call this too: writes are serialised per framework by the store.
 */
export async function confirmFrameworkRow(store: Store, id: string, code: string, answer: ConfirmationAnswer): Promise<ConfirmOutcome> {
  const out = await changeDraft(store, id, (rec) => {
    const r = applyConfirmation(rec.draft, code, answer);
    return r.ok ? { ok: true, draft: r.draft, extra: r.row } : r;
  });
  return out.ok ? { ok: true, record: out.record, row: out.extra } : out;
}

/** What `PATCH /api/frameworks/:id` may change: what the sheet does not say. */
export interface FrameworkMetaChange {
  name?: string;
  description?: string;
  grades?: GradeBand[];
}

/**
 * Renames a stored framework or sets its description or grade bands (checked like a framework
 * file's), keeping its id; the status is recomputed.
 */
export async function updateFrameworkMeta(store: Store, id: string, change: FrameworkMetaChange): Promise<MetaOutcome> {
  const out = await changeDraft(store, id, (rec) => {
    const r = updateDraftMeta(rec.draft, change);
    return r.ok ? { ok: true, draft: r.draft, extra: undefined } : r;
  });
  if (out.ok) return { ok: true, record: out.record };
  return { ok: false, status: out.status, error: out.error };
}

/** The outcome of a change of name, description or grades. */
export type MetaOutcome = { ok: true; record: FrameworkRecord } | { ok: false; status: 404 | 409 | 422; error: string };

/**
 * The loaded framework behind an id, for export: a built-in one, or a stored one that is ready.
 * 'missing' when there is none, 'not-ready' (with the open count and problems) while it cannot be used.
 */
export async function loadFrameworkForExport(
  store: Store,
  id: string,
): Promise<{ ok: true; framework: Framework } | { ok: false; reason: 'missing' } | { ok: false; reason: 'not-ready'; open: number; problems: string[] }> {
  const builtin = loadBuiltinFramework(id);
  if (builtin) return { ok: true, framework: builtin };
  const rec = await store.getFramework(id);
  if (!rec) return { ok: false, reason: 'missing' };
  const status = describeDraftStatus(rec.draft);
  if (!status.usable) return { ok: false, reason: 'not-ready', open: status.open, problems: status.problems };
  return { ok: true, framework: finaliseDraft(rec.draft) };
}

/**
 * The framework file of a ready imported framework, for a new evaluation to carry in its `framework`
 * field; undefined when there is no such record or it is not usable (rows open, or the loader refuses
 * it). Built-in ids give undefined: they need no copy.
 *
 * @example
 * const input = await loadReadyFramework(store, 'import-1a2b3c')
 * if (input) { rec.frameworkId = input.id; rec.framework = input }
 */
export async function loadReadyFramework(store: Store, id: string): Promise<FrameworkInput | undefined> {
  if (!isImportedFrameworkId(id)) return undefined;
  const rec = await store.getFramework(id);
  return rec ? readyInput(rec) : undefined;
}

/**
 * The ready imported frameworks as 新建自评's choices (`DialogState.frameworks`), in upload order: the
 * bot passes them to `handleMessage` for a chat without an evaluation, and the evaluation created
 * carries the chosen one's copy.
 *
 * @example handleMessage(msg, { chatDraft, frameworks: await loadFrameworkChoices(store) }, deps)
 */
export async function loadFrameworkChoices(store: Store): Promise<FrameworkChoice[]> {
  // Checked and built once per framework and change (a 5,000-row framework takes about 0.1 s), then
  // reused for every 新建自评 of every chat: the heads say what changed.
  let cache = choiceCache.get(store);
  if (!cache) choiceCache.set(store, (cache = new Map()));
  const out: FrameworkChoice[] = [];
  const heads = await store.listFrameworkHeads();
  for (const head of heads) {
    let hit = cache.get(head.id);
    if (!hit || hit.version !== versionOf(head)) {
      const rec = await store.getFramework(head.id);
      const input = rec && readyInput(rec);
      hit = { version: versionOf(rec ?? head), ...(rec && input ? { choice: { id: rec.id, name: rec.name, input } } : {}) };
      cache.set(head.id, hit);
    }
    if (hit.choice) out.push(hit.choice);
  }
  for (const id of cache.keys()) if (!heads.some((h) => h.id === id)) cache.delete(id);
  return out;
}

/** Per store: each imported framework's choice (undefined when it is not ready) at the version it was built from. */
const choiceCache = new WeakMap<Store, Map<string, { version: string; choice?: FrameworkChoice }>>();

/** What tells one state of a framework from the next (two changes within a millisecond differ in status or name). */
const versionOf = (h: FrameworkHead) => `${h.updatedAt}\u0000${h.status}\u0000${h.name}`;

function readyInput(rec: FrameworkRecord): FrameworkInput | undefined {
  // The evaluation's frameworkId is the record's id, so its copy must carry the same id.
  const draft = rec.draft.id === rec.id ? rec.draft : { ...rec.draft, id: rec.id };
  try {
    // finaliseDraft runs the loader's checks; buildFrameworkInput is the file it accepted.
    finaliseDraft(draft);
  } catch {
    return undefined;
  }
  return buildFrameworkInput(draft);
}
