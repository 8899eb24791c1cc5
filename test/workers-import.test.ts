/**
 * Framework import and the console's API on Workers (`wrangler dev`: local workerd and D1): an .xlsx
 * uploaded to the Worker is read and compiled in the request, within the Workers limits; a workbook
 * that inflates past them is refused with 413 and nothing is stored; the console needs ADMIN_TOKEN.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOneOpenXlsx } from './helpers/framework-sheets';
import { buildRawXlsx, lieAboutSizes } from './helpers/big-sheets';
import { startWorkersDev, type WorkersDev } from './helpers/workers-dev';

const TOKEN = 'workers-import-token-0123456789';
const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const MB = 1024 * 1024;
let w: WorkersDev;

beforeAll(async () => {
  w = await startWorkersDev({ vars: { ADMIN_TOKEN: TOKEN } });
}, 180_000);
afterAll(async () => {
  await w?.stop();
});

const api = (path: string, init: RequestInit = {}) => fetch(`${w.baseUrl}${path}`, { ...init, headers: { Authorization: `Bearer ${TOKEN}`, ...init.headers } });

describe('framework import on Workers', () => {
  it('imports an .xlsx in the request and keeps it in D1', async () => {
    const form = new FormData();
    form.set('file', new Blob([(await buildOneOpenXlsx()) as Uint8Array<ArrayBuffer>], { type: XLSX_MIME }), '某某局指标体系.xlsx');
    const res = await api('/api/frameworks', { method: 'POST', body: form });
    const body = (await res.json()) as { id: string; name: string; counts: unknown };
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ name: '某某局2025年度部门整体绩效评价指标体系', counts: { rows: 2, compiled: 1, open: 1 } });
    const listed = (await (await api('/api/frameworks')).json()) as Array<{ id: string }> | { frameworks: Array<{ id: string }> };
    expect(JSON.stringify(listed)).toContain(body.id);
  });

  it('refuses a workbook that inflates past the Workers limit (413), storing nothing', async () => {
    const before = JSON.stringify(await (await api('/api/frameworks')).json());
    // 20 MB of padding inflated from a small upload, declared honestly and then hidden.
    const bomb = await buildRawXlsx([{ name: '表', body: '<sheetData/>' }], [], 20 * MB);
    for (const bytes of [bomb, lieAboutSizes(bomb)]) {
      const res = await api('/api/frameworks', { method: 'POST', headers: { 'Content-Type': XLSX_MIME }, body: bytes as Uint8Array<ArrayBuffer> });
      const body = (await res.json()) as { error: string };
      expect(res.status, body.error).toBe(413);
      expect(body.error).toContain('16');
    }
    expect(JSON.stringify(await (await api('/api/frameworks')).json())).toBe(before);
  });

  it('needs the token for the API and the console', async () => {
    expect((await fetch(`${w.baseUrl}/api/frameworks`)).status).toBe(401);
    expect((await fetch(`${w.baseUrl}/api/evaluations`, { headers: { Authorization: 'Bearer wrong-token-000000000' } })).status).toBe(401);
    expect((await api('/api/evaluations')).status).toBe(200);
  });
});
