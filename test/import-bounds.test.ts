/**
 * Uploads bounded before they are read (issue #14, item 1): the reader refuses a workbook by its
 * dimension, its row and column references, its cells and the bytes it actually inflates, before it
 * builds anything; over real HTTP the import runs in a worker thread with its own heap and time
 * limit, so chats are answered while it runs and a thread that runs out of memory or time is a 4xx
 * while the server goes on serving. Nothing is stored for a refused upload.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBot } from '../src/app/bot';
import { declaredUnpackedSize } from '../src/app/frameworks';
import type { ImportRunner } from '../src/app/ports';
import { loadConfig } from '../src/config';
import { handleMessage } from '../src/core/dialog/engine';
import { dingtalkText, feishuText } from '../src/core/locale/zh-CN';
import { importFile } from '../src/core/import/index';
import { cellText, createSheet, mergeAt, parseCsv, readWorkbookSheets, type MergeRange } from '../src/core/import/sheet';
import { DEFAULT_WORKBOOK_LIMITS, WorkbookFormatError, WorkbookLimitError, readXlsxSheets, type WorkbookLimits } from '../src/core/import/workbook';
import { createWorkerImportRunner } from '../src/entries/import-runner';
import { startNodeServer, type RunningServer } from '../src/entries/serve';
import { XLSX_MIME } from '../src/server/frameworks-api';
import { openLowdbStore } from '../src/store/lowdb';
import type { Store } from '../src/store/port';
import { buildFrameworkXlsx, buildRawXlsx, buildSparseXlsx, lieAboutSizes } from './helpers/big-sheets';

const MB = 1024 * 1024;

/** 60 MB of whitespace in a worksheet, deflated to a few dozen KB (built once: deflating takes a while). */
let bombBytes: Promise<Uint8Array> | undefined;
const honestBomb = () => (bombBytes ??= buildRawXlsx([{ name: '表', body: '<sheetData/>' }], [], 60 * MB));

/** The limit error a promise rejects with (fails the test when it resolves or throws anything else). */
async function limitErrorOf(p: Promise<unknown>): Promise<WorkbookLimitError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkbookLimitError);
  return err as WorkbookLimitError;
}

describe('readXlsxSheets: the file checked before anything is built', () => {
  it('refuses cells at A1 and XFD1048576 by the dimension, and by the references when there is no dimension', async () => {
    for (const dimension of [true, false]) {
      const err = await limitErrorOf(readXlsxSheets(await buildSparseXlsx(['A1', 'XFD1048576'], { dimension })));
      expect(err.limit).toBe('dimension');
      expect(err.message).toContain('“指标体系”');
      // Without a dimension, the row element comes first as the file streams.
      expect(err.message).toContain(dimension ? 'A1:XFD1048576' : '第 1048576 行');
      expect(err.message).toContain(`最多 ${DEFAULT_WORKBOOK_LIMITS.maxRows} 行、${DEFAULT_WORKBOOK_LIMITS.maxColumns} 列`);
    }
  });

  it('refuses a million rows in one column (A1 and A1048576), and a row element alone far down', async () => {
    const err = await limitErrorOf(readXlsxSheets(await buildSparseXlsx(['A1', 'A1048576'], { dimension: false })));
    expect(err.message).toContain('第 1048576 行');
    const bare = await buildRawXlsx([{ name: '表', body: '<sheetData><c r="A1"><v>1</v></c><c r="XFD1"><v>1</v></c></sheetData>' }]);
    expect((await limitErrorOf(readXlsxSheets(bare))).message).toContain('XFD1');
    const emptyRow = await buildRawXlsx([{ name: '表', body: '<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="900000"/></sheetData>' }]);
    expect((await limitErrorOf(readXlsxSheets(emptyRow))).limit).toBe('dimension');
    const farMerge = await buildRawXlsx([{ name: '表', body: '<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData><mergeCells><mergeCell ref="A1:A600000"/></mergeCells>' }]);
    expect((await limitErrorOf(readXlsxSheets(farMerge))).limit).toBe('dimension');
  });

  it('counts the used range (rows × columns) of every sheet against the cell limit', async () => {
    const limits: WorkbookLimits = { ...DEFAULT_WORKBOOK_LIMITS, maxCells: 1000 };
    // 40 rows × 20 columns = 800 fits; a second such sheet does not.
    const sheet = (name: string) => ({ name, body: '<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="40"><c r="T40"><v>1</v></c></row></sheetData>' });
    expect((await readXlsxSheets(await buildRawXlsx([sheet('一')]), limits))[0]!.rows).toHaveLength(40);
    const err = await limitErrorOf(readXlsxSheets(await buildRawXlsx([sheet('一'), sheet('二')]), limits));
    expect(err.limit).toBe('cells');
    expect(err.message).toContain('1000');
  });

  it('counts the bytes it inflates, whatever the zip directory says', async () => {
    // The directory claims the worksheet is 1 KB.
    const honest = await honestBomb();
    const lying = lieAboutSizes(honest);
    expect(lying.byteLength).toBeLessThan(MB);
    expect(declaredUnpackedSize(lying)).toBeLessThan(DEFAULT_WORKBOOK_LIMITS.maxUnpackedBytes);
    const err = await limitErrorOf(readXlsxSheets(lying));
    expect(err.limit).toBe('unpacked');
    expect(err.message).toContain('解压后超过 50 MB');
    // Under a larger budget the whole entry is inflated and only then found to lie (so it was the count
    // that refused it above); the honest file reads.
    await expect(readXlsxSheets(lying, { ...DEFAULT_WORKBOOK_LIMITS, maxUnpackedBytes: 100 * MB })).rejects.toThrow(WorkbookFormatError);
    expect(await readXlsxSheets(honest, { ...DEFAULT_WORKBOOK_LIMITS, maxUnpackedBytes: 100 * MB })).toHaveLength(1);
  });

  it('reads what the importer needs: shared and inline strings, rich text, formula results, numbers, merges, hidden sheets', async () => {
    const strings = ['一级指标', '部门决策（20分）', 'A&B <c>'];
    const body = [
      '<dimension ref="A1:D3"/><sheetData>',
      '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><r><t>评价</t></r><r><t xml:space="preserve">要点 </t></r><rPh><t>ひょうか</t></rPh></is></c><c r="C1"><f>0.1+0.2</f><v>0.30000000000000004</v></c><c r="D1" t="str"><f>"x"</f><v>合计</v></c></row>',
      '<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" t="b"><v>1</v></c><c r="C2" t="inlineStr"><is><t>line&#10;two_x000D_</t></is></c></row>',
      '<row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3" t="s"><v>1</v></c><c r="C3" t="s"><v>2</v></c><c r="D3"><v>20</v></c></row>',
      '</sheetData><mergeCells count="1"><mergeCell ref="A2:B3"/></mergeCells>',
    ].join('');
    const cover = { name: '封面', body: '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>说明</t></is></c></row></sheetData>' };
    const [front, data] = await readXlsxSheets(await buildRawXlsx([cover, { name: '数据', body, hidden: true }], strings));
    expect(front).toEqual({ name: '封面', rows: [['说明']], merges: [] });
    expect(data!.hidden).toBe(true);
    expect(data!.rows).toEqual([
      ['一级指标', '评价要点 ', '0.3', '合计'],
      // B2, A3 and B3 are merged away (the master A2 keeps its text); C2 has a line break and a CR.
      ['部门决策（20分）', '', 'line\ntwo\r', ''],
      ['', '', 'A&B <c>', '20'],
    ]);
    expect(data!.merges).toEqual([{ top: 1, left: 0, bottom: 2, right: 1 }]);
    expect(cellText(data!, 2, 1)).toBe('部门决策（20分）');
  });

  it('finds the merge of any cell as a scan of all merges would', () => {
    const merges: MergeRange[] = [];
    for (let r = 0; r < 60; r += 3) merges.push({ top: r, left: 0, bottom: r + 2, right: 0 }, { top: r, left: 2, bottom: r, right: 4 });
    const sheet = createSheet('t', Array.from({ length: 60 }, () => Array<string>(6).fill('x')), merges);
    for (let r = 0; r < 62; r++) for (let c = 0; c < 7; c++) expect(mergeAt(sheet, r, c)).toBe(merges.find((m) => r >= m.top && r <= m.bottom && c >= m.left && c <= m.right));
  });

  it('bounds CSV the same way, while it is split into rows', async () => {
    const limits: WorkbookLimits = { ...DEFAULT_WORKBOOK_LIMITS, maxRows: 10, maxColumns: 4 };
    expect(parseCsv('a,b\n1,2\n', limits)).toEqual([['a', 'b'], ['1', '2']]);
    expect(() => parseCsv('x\n'.repeat(11), limits)).toThrow(WorkbookLimitError);
    expect(() => parseCsv('1,2,3,4,5', limits)).toThrow(/最多 10 行、每行最多 4 列/);
    const err = await limitErrorOf(importFile({ name: 'big.csv', bytes: new TextEncoder().encode('一级指标,分值\n'.repeat(DEFAULT_WORKBOOK_LIMITS.maxRows + 1)) }));
    expect(err.limit).toBe('dimension');
  });

  it('reads a sheet of the default limits’ size as a whole framework', async () => {
    const sheets = await readWorkbookSheets(await buildFrameworkXlsx(DEFAULT_WORKBOOK_LIMITS.maxRows - 3));
    expect(sheets[0]!.rows).toHaveLength(DEFAULT_WORKBOOK_LIMITS.maxRows);
  });
});

describe('a file sent in a chat', () => {
  it('is answered with where a framework sheet is uploaded and its limits, on both platforms', () => {
    const deps = { now: new Date('2025-01-02T00:00:00Z'), newId: () => 'ev-x' };
    for (const label of [feishuText.unsupported.file, dingtalkText.kinds.file]) {
      const out = handleMessage({ channel: 'local', chatId: 'g1', chatType: 'group', userId: 'u1', userName: '张三', unsupported: label, receivedAt: 0 }, {}, deps);
      const text = out.replies.map((r) => ('text' in r ? r.text : '')).join('\n');
      expect(text).toContain('「指标体系」页上传');
      expect(text).toContain(`最多 ${DEFAULT_WORKBOOK_LIMITS.maxRows} 行、${DEFAULT_WORKBOOK_LIMITS.maxColumns} 列`);
      expect(out.created).toBeUndefined();
    }
    // Other kinds keep their short answer.
    const picture = handleMessage({ channel: 'local', chatId: 'g1', chatType: 'group', userId: 'u1', unsupported: feishuText.unsupported.image!, receivedAt: 0 }, {}, deps);
    expect(picture.replies.map((r) => ('text' in r ? r.text : '')).join('')).toContain('暂时无法识别图片');
  });
});

describe('POST /api/frameworks on a real server: the import in a worker thread', () => {
  let dataDir: string;
  let store: Store;
  const servers: RunningServer[] = [];
  const logger = { info: () => {}, error: () => {} };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'jx-import-bounds-'));
    store = await openLowdbStore(dataDir);
  });
  afterAll(async () => {
    for (const s of servers) await s.close(1000);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function start(runImport?: ImportRunner): Promise<RunningServer> {
    const server = await startNodeServer({
      config: loadConfig({ PORT: '0', DATA_DIR: dataDir }),
      store,
      bot: createBot({ store }),
      hostname: '127.0.0.1',
      logger,
      ...(runImport ? { runImport } : {}),
    });
    servers.push(server);
    return server;
  }

  const base = (s: RunningServer) => `http://127.0.0.1:${s.port}`;
  const upload = (s: RunningServer, bytes: Uint8Array, name = 'upload.xlsx') =>
    fetch(`${base(s)}/api/frameworks?filename=${encodeURIComponent(name)}`, { method: 'POST', headers: { 'Content-Type': XLSX_MIME }, body: bytes as Uint8Array<ArrayBuffer> });
  const chat = async (s: RunningServer, text: string) => {
    const res = await fetch(`${base(s)}/api/local/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ chatId: 'bounds-chat', userId: 'u1', userName: '张三', chatType: 'p2p', text }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { replies: Array<{ kind: string; text?: string }> };
  };
  const stillServes = async (s: RunningServer) => {
    expect((await chat(s, '帮助')).replies.length).toBeGreaterThan(0);
    expect((await fetch(`${base(s)}/api/frameworks`)).status).toBe(200);
  };

  it('refuses A1 + XFD1048576 with the dimension message, the thread staying within a small heap', async () => {
    const heaps: number[] = [];
    const HEAP_MB = 64;
    const s = await start(createWorkerImportRunner({ maxOldGenerationSizeMb: HEAP_MB, onFinished: (i) => heaps.push(i.heapUsedBytes) }));
    const bytes = await buildSparseXlsx(['A1', 'XFD1048576']);
    expect(bytes.byteLength).toBeLessThan(10 * 1024);
    const res = await upload(s, bytes);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: string; limit: string };
    expect(body.limit).toBe('dimension');
    expect(body.error).toContain('A1:XFD1048576');
    expect(body.error).toContain(`最多 ${DEFAULT_WORKBOOK_LIMITS.maxRows} 行`);
    // The thread answered (it was not killed at its 64 MB cap) and had used a small heap: nothing was built.
    // (Built as exceljs read it, this file took the process to 2.7 GB.)
    expect(heaps).toHaveLength(1);
    expect(heaps[0]!).toBeLessThan(32 * MB);
    expect(await store.listFrameworks()).toEqual([]);
    await stillServes(s);
  });

  it('refuses a zip that lies about its sizes by the bytes the thread actually inflated (413)', async () => {
    const s = await start();
    const lying = lieAboutSizes(await honestBomb());
    expect(declaredUnpackedSize(lying)).toBeLessThan(DEFAULT_WORKBOOK_LIMITS.maxUnpackedBytes);
    const res = await upload(s, lying);
    expect(res.status).toBe(413);
    expect((await res.json()) as object).toMatchObject({ limit: 'unpacked', error: expect.stringContaining('解压后超过 50 MB') });
    expect(await store.listFrameworks()).toEqual([]);
  });

  it('answers a chat while a large legal sheet is compiled, then stores the whole framework', async () => {
    // The chat is sent once the thread has read the file and is compiling it: on the main thread that
    // compile would run to its end before the chat's request could even be read.
    const events: string[] = [];
    let chatDone: Promise<unknown> = Promise.resolve();
    const runner = createWorkerImportRunner({
      onRead: () => {
        chatDone = chat(s, '帮助').then((reply) => {
          expect(reply.replies.length).toBeGreaterThan(0);
          events.push('chat answered');
        });
      },
    });
    const s = await start(async (job) => {
      const result = await runner(job);
      events.push('import finished');
      return result;
    });
    const rows = DEFAULT_WORKBOOK_LIMITS.maxRows - 3;
    const res = await upload(s, await buildFrameworkXlsx(rows));
    await chatDone;
    expect(events).toEqual(['chat answered', 'import finished']);
    expect(res.status).toBe(201);
    const detail = (await res.json()) as { id: string; status: string; counts: { rows: number; open: number } };
    expect(detail).toMatchObject({ status: 'ready', counts: { rows, open: 0 } });
    expect((await store.getFramework(detail.id))?.draft.rows).toHaveLength(rows);
  });

  it('reports a thread that runs out of memory, or of time, as a 422 naming the limit, and goes on serving', async () => {
    const before = (await store.listFrameworks()).length;
    const bytes = await buildFrameworkXlsx(DEFAULT_WORKBOOK_LIMITS.maxRows - 3);
    const small = await start(createWorkerImportRunner({ maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1 }));
    const oom = await upload(small, bytes);
    expect(oom.status).toBe(422);
    expect((await oom.json()) as object).toMatchObject({ limit: 'memory', error: expect.stringContaining('内存上限 8 MB') });
    await stillServes(small);

    const slow = await start(createWorkerImportRunner({ timeoutMs: 1 }));
    const late = await upload(slow, bytes);
    expect(late.status).toBe(422);
    expect((await late.json()) as object).toMatchObject({ limit: 'timeout', error: expect.stringContaining('秒仍未完成') });
    await stillServes(slow);
    expect(await store.listFrameworks()).toHaveLength(before);
  });
});
