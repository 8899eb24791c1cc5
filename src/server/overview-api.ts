/**
 * The bureau overview's API (汇总), mounted at /api/overview behind the admin guard (ADMIN_TOKEN or
 * loopback), so the admin sees any unit and binds units to a chat without the units' consent:
 *
 * - `GET /?units=甲,乙[&year=2024]` — those units' rows (completion, total, grade), sorted as the chat sorts them.
 * - `GET /?chatId=<chat>` — the table that chat sees (its approved units and year), with the units waiting for consent.
 * - `GET /export.xlsx?units=…` or `?chatId=…` — the same rows as an .xlsx.
 * - `GET /bindings` — every chat's binding.
 * - `PUT /bindings/:chatId` — JSON `{ units: string[], year?: number | null }`: the chat follows exactly
 *   these units, approved by the admin (covering every evaluation of each unit).
 * - `DELETE /bindings/:chatId` — the chat follows nothing.
 *
 * @example app.route('/api/overview', createOverviewApi({ store, now }))
 */
import { Hono, type Context } from 'hono';
import { overviewText as O, serverText as T } from '../core/locale/zh-CN';
import { buildOverview, overviewOfBinding, splitUnits, unitKey, type OverviewBinding, type OverviewRow, type OverviewUnit } from '../core/overview';
import { buildOverviewXlsx, XLSX_MIME } from '../core/report/overview-xlsx';
import { formatContentDisposition, readLimitedBody } from '../lib/http';
import type { Store } from '../store/port';

/** What the routes need. */
export interface OverviewApiDeps {
  store: Store;
  now?: () => Date;
}

/** `GET /api/overview`: the rows (sorted), and for a chat its units waiting for consent. */
export interface OverviewResponse {
  year: number | null;
  rows: OverviewRow[];
  chatId?: string;
  pending?: Array<{ unit: string; code: string | null; requestedAt: string }>;
}

const MAX_UNITS = 200;

/** Creates the routes. */
export function createOverviewApi(deps: OverviewApiDeps): Hono {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const api = new Hono();

  /** The overview a query asks for, or an error response. */
  async function query(c: Context): Promise<OverviewResponse | Response> {
    const chatId = c.req.query('chatId')?.trim();
    const unitsText = c.req.query('units') ?? '';
    const yearText = c.req.query('year')?.trim();
    let year: number | undefined;
    if (yearText) {
      if (!/^\d{4}$/.test(yearText)) return c.json({ error: T.badField('year', O.api.badYear), field: 'year' }, 400);
      year = Number(yearText);
    }
    const evaluations = await store.listEvaluations();
    if (chatId) {
      const binding = await store.getOverviewBinding(chatId);
      const shown: OverviewBinding | undefined = binding && year !== undefined ? { ...binding, year } : binding;
      return {
        chatId,
        year: shown?.year ?? null,
        rows: overviewOfBinding(shown, evaluations),
        pending: (binding?.units ?? []).filter((u) => u.status === 'pending').map((u) => ({ unit: u.unit, code: u.code ?? null, requestedAt: u.requestedAt })),
      };
    }
    const units = splitUnits(unitsText).slice(0, MAX_UNITS);
    if (!units.length) return c.json({ error: O.api.needUnits, field: 'units' }, 400);
    return { year: year ?? null, rows: buildOverview(units, evaluations, year) };
  }

  api.get('/', async (c) => {
    const out = await query(c);
    return out instanceof Response ? out : c.json(out);
  });

  api.get('/export.xlsx', async (c) => {
    const out = await query(c);
    if (out instanceof Response) return out;
    const bytes = await buildOverviewXlsx(out.rows, out.year ?? undefined);
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': XLSX_MIME,
      'Content-Disposition': formatContentDisposition(O.fileName(out.year ?? undefined)),
      'Cache-Control': 'no-store',
    });
  });

  api.get('/bindings', async (c) => c.json(await store.listOverviewBindings()));

  api.put('/bindings/:chatId', async (c) => {
    const chatId = c.req.param('chatId');
    const body = await readLimitedBody(c.req.raw, 64 * 1024);
    if (!body.ok) return c.json({ error: T.tooLarge }, 413);
    let data: unknown;
    try {
      data = JSON.parse(new TextDecoder().decode(body.bytes));
    } catch {
      return c.json({ error: T.badJson }, 400);
    }
    const d = (data ?? {}) as { units?: unknown; year?: unknown };
    const units = Array.isArray(d.units) && d.units.every((u) => typeof u === 'string' && u.trim() && u.length <= 100) ? (d.units as string[]).map((u) => u.trim()) : undefined;
    if (!units || !units.length || units.length > MAX_UNITS) return c.json({ error: T.badField('units', O.api.badUnits), field: 'units' }, 400);
    if (d.year !== undefined && d.year !== null && !(typeof d.year === 'number' && Number.isInteger(d.year) && d.year >= 1000 && d.year <= 9999)) {
      return c.json({ error: T.badField('year', O.api.badYear), field: 'year' }, 400);
    }
    const at = now().toISOString();
    const previous = await store.getOverviewBinding(chatId);
    const kept = new Map((previous?.units ?? []).map((u) => [unitKey(u.unit), u]));
    const seen = new Set<string>();
    const next: OverviewBinding = { chatId, units: [], updatedAt: at };
    for (const name of units) {
      const key = unitKey(name);
      if (seen.has(key)) continue;
      seen.add(key);
      const old = kept.get(key);
      const unit: OverviewUnit = old?.byAdmin ? old : { unit: old?.unit ?? name, status: 'approved', requestedBy: old?.requestedBy ?? 'admin', requestedAt: old?.requestedAt ?? at, byAdmin: true, approvedAt: at };
      next.units.push(unit);
    }
    const year = d.year === undefined ? previous?.year : (d.year as number | null);
    if (typeof year === 'number') next.year = year;
    await store.setOverviewBinding(next);
    return c.json(next);
  });

  api.delete('/bindings/:chatId', async (c) => {
    const chatId = c.req.param('chatId');
    if (!(await store.getOverviewBinding(chatId))) return c.json({ error: O.api.noBinding(chatId) }, 404);
    await store.setOverviewBinding({ chatId, units: [], updatedAt: now().toISOString() });
    return c.body(null, 204);
  });

  return api;
}
