/**
 * Fuzz: at least 100 000 random and mutated cases against the whole app in-process (`app.request`, the
 * real bot, pipeline, channels and API): messages and button presses from several people in groups,
 * private chats and chats of no evaluation; malformed bodies for the local channel and the JSON API;
 * uploads of real framework sheets with their bytes and zip entries mutated; signed, re-sent and badly
 * signed Feishu and DingTalk webhooks (replies go to the fakes of the platforms). Most cases run on the
 * memory store; a few thousand on lowdb in a temporary directory, read again from disk at the end.
 *
 * Seeded and reproducible: `FUZZ_SEED=<n> FUZZ_RUNS=<n> npx vitest run test/fuzz.test.ts` replays a run
 * (a failure prints the seed, the case and the cases before it). `FUZZ_SEED=random` picks a new seed.
 *
 * Every case: status < 500 unless a store fault was injected into that case (a few cases have the store
 * throw on purpose), nothing logged as an error otherwise (but refused webhooks, which are logged), nothing
 * thrown out of the app, and refused input refused (4xx). Slow cases are not failed (no timings in
 * assertions): each part prints its time per kind of case. After each part, for every evaluation:
 * - the stored answers are well-formed (the answers schema) and its chats are bound to it;
 * - the scores the app computes from the stored answers (`GET …/score`) are `scoreEvaluation`'s, and so
 *   are the ones the bot keeps between messages (its per-revision cache, updated incrementally): 得分
 *   and 扣分 in the chat equal the views of a fresh score;
 * - the audit trail, replayed over the evaluation as it was created (`replayAudit`), gives the stored
 *   answers and the audited record fields, every entry's old value being the value it replaced.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import JSZip from 'jszip';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBot } from '../src/app/bot';
import { loadConfig } from '../src/config';
import { auditedStateOf, comparable, replayAudit, sameAuditedState, type AuditedState } from '../src/core/audit';
import { COMMAND_WORDS } from '../src/core/dialog/commands';
import { deductionsView, scoreView } from '../src/core/dialog/glance';
import { buildPlan } from '../src/core/dialog/plan';
import { loadBuiltinFramework } from '../src/core/framework/builtin';
import { resolveFramework } from '../src/core/framework/resolve';
import { exportFramework } from '../src/core/import/export';
import type { ButtonAction, QuestionMeta } from '../src/core/messages';
import { actorOf, may, mayReach } from '../src/core/roles';
import { answersSchema } from '../src/core/scoring/answers';
import { itemCounts } from '../src/core/scoring/summary';
import { scoreEvaluation } from '../src/core/scoring/engine';
import { createApp, createDefaultPipeline, type Logger } from '../src/server/app';
import type { Pipeline } from '../src/app/pipeline';
import type { ChannelAdapter } from '../src/channels/adapter';
import { createPlatformChannels } from '../src/channels/registry';
import { BOT_NAME, BOT_OPEN_ID, FAKE_APP_ID, FAKE_APP_SECRET, FAKE_ENCRYPT_KEY, FAKE_VERIFICATION_TOKEN, feishuEvents, signFeishuRequest, startFakeFeishu } from './fakes/feishu';
import { callbackBody, FAKE_APP_KEY, FAKE_APP_SECRET as DINGTALK_SECRET, signedHeaders, startFakeDingTalk, type FakeDingTalk } from './fakes/dingtalk';
import { describeScore } from '../src/server/api';
import { XLSX_MIME } from '../src/server/frameworks-api';
import { openLowdbStore } from '../src/store/lowdb';
import { createMemoryStore } from '../src/store/memory';
import type { EvaluationRecord, Store } from '../src/store/port';
import { B11_ANSWER, BAD_POINTS_CSV, buildOneOpenXlsx, ONE_OPEN_CSV, SUGGESTION_CSV, THREE_OPEN_CSV } from './helpers/framework-sheets';
import { createRng, junk, mutateBytes, mutateText, type Rng } from './helpers/fuzz-random';
import { BAD_KEYS, chatText, FOREIGN_CHATS, GROUPS, malformedBody, PEOPLE, PEOPLE_WEIGHTS } from './helpers/fuzz-vocabulary';

const SEED = readSeed(process.env['FUZZ_SEED']);
const RUNS = readRuns(process.env['FUZZ_RUNS']);
/** The lowdb part: a few thousand cases (every write is flushed to disk, so it is the slow one). */
const LOWDB_RUNS = Math.min(3_000, Math.max(100, Math.round(RUNS * 0.03)));
/** Signed (and badly signed) Feishu and DingTalk webhooks, processed and answered to fakes of the platforms. */
const WEBHOOK_RUNS = Math.min(1_000, Math.max(100, Math.round(RUNS * 0.01)));
const MEMORY_RUNS = RUNS - LOWDB_RUNS - WEBHOOK_RUNS;
/** Cases with the store set to fail on some call (the only cases allowed a 5xx). */
const FAULT_RATE = 0.004;
/** The chance that a store call of such a case throws. */
const FAULT_CALL_RATE = 0.35;

/** The environment @hono/node-server passes: the socket's address (loopback: the guard lets it in). */
const LOCAL = { incoming: { socket: { remoteAddress: '127.0.0.1' } } };
const REMOTE = { incoming: { socket: { remoteAddress: '203.0.113.7' } } };
const START = Date.parse('2025-05-10T01:00:00Z');

function readSeed(value: string | undefined): number {
  if (value === 'random') return Math.floor(Math.random() * 2 ** 32);
  if (value !== undefined && value !== '') {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new Error(`FUZZ_SEED must be an integer or "random", not ${JSON.stringify(value)}`);
    return n >>> 0;
  }
  return 20_250_531;
}

function readRuns(value: string | undefined): number {
  if (value === undefined || value === '') return 100_000;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 100) throw new Error(`FUZZ_RUNS must be an integer ≥ 100, not ${JSON.stringify(value)}`);
  return n;
}

/** A store whose calls may throw while a case is armed, and which remembers each evaluation as it was created. */
interface Faults {
  armed: boolean;
  fired: string[];
  rng: Rng;
}

function instrument(store: Store, faults: Faults, initial: Map<string, AuditedState>): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const name = String(prop);
      return (...args: unknown[]) => {
        if (faults.armed && faults.rng.chance(FAULT_CALL_RATE)) {
          faults.fired.push(name);
          return Promise.reject(new Error(`injected fault in ${name}`));
        }
        const out = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (name === 'createEvaluation') {
          const rec = args[0] as EvaluationRecord;
          const snapshot = auditedStateOf(rec);
          return (out as Promise<void>).then(() => void initial.set(rec.id, snapshot));
        }
        return out;
      };
    },
  });
}

/** Everything one part of the fuzz works with. */
interface World {
  part: string;
  rng: Rng;
  app: Hono;
  pipeline: Pipeline;
  store: Store;
  initial: Map<string, AuditedState>;
  faults: Faults;
  /** Errors the app logged during the current case. */
  logged: string[];
  clock: { t: number };
  /** The type of each chat the fuzz has used (so checks speak in it the same way). */
  chatTypes: Map<string, 'group' | 'p2p'>;
  /** The last question each person was asked in each chat. */
  questions: Map<string, QuestionMeta>;
  /** Buttons recently shown in each chat. */
  buttons: Map<string, ButtonAction[]>;
  /** Imported frameworks (ids) uploaded so far. */
  frameworks: string[];
  /** The last cases, for a failure's context. */
  recent: Array<{ n: number; c: Case }>;
  statuses: Map<number, number>;
  /** Time spent per kind of case (ms), printed with the summary. */
  spent: Map<string, { n: number; ms: number }>;
  /** The slowest case (printed, never asserted: a backtracking pattern shows up here first). */
  slowest: { ms: number; c?: Case };
  cases: number;
  faultCases: number;
  checks: { evaluations: number; chatChecked: number; entries: number };
  /** After the last check: per evaluation, the share of its items scored (how far the fuzz got). */
  depth: number[];
}

/** Platform channels for a part: the configuration and the channels it turns on (pointed at the fakes). */
interface Platforms {
  env: Record<string, string>;
  make: (store: Store, logger: Logger, now: () => Date) => ChannelAdapter[];
}

function createWorld(part: string, store: Store, rng: Rng, platforms?: Platforms): World {
  const faults: Faults = { armed: false, fired: [], rng: rng.fork('faults') };
  const initial = new Map<string, AuditedState>();
  const logged: string[] = [];
  const logger: Logger = {
    info: () => {},
    error: (message, fields) => void logged.push(`${message} ${JSON.stringify(fields ?? {})}`.slice(0, 2000)),
  };
  const clock = { t: START };
  const now = () => new Date(clock.t);
  const instrumented = instrument(store, faults, initial);
  let ids = 0;
  const bot = createBot({ store: instrumented, now, newId: () => `ev-${part}-${++ids}` });
  const config = loadConfig(platforms?.env ?? {});
  const channels = platforms?.make(instrumented, logger, now) ?? [];
  const pipeline = createDefaultPipeline({ store: instrumented, bot, config, logger, now, channels });
  const app = createApp({ store: instrumented, bot, config, now, logger, pipeline });
  return {
    part,
    rng,
    app,
    pipeline,
    store,
    initial,
    faults,
    logged,
    clock,
    chatTypes: new Map(),
    questions: new Map(),
    buttons: new Map(),
    frameworks: [],
    recent: [],
    statuses: new Map(),
    spent: new Map(),
    slowest: { ms: 0 },
    cases: 0,
    faultCases: 0,
    checks: { evaluations: 0, chatChecked: 0, entries: 0 },
    depth: [],
  };
}

/** A case: what it is (for the failure message), the request, and whether the input must be refused. */
interface Case {
  kind: string;
  /** What the case sends, for a failure's message (made only when one is shown). */
  desc: string | (() => string);
  send: () => Response | Promise<Response>;
  /** The input is bad: anything but a 4xx is wrong. */
  refused?: boolean;
  /** Learn from the replies (questions asked, buttons shown) as this person in this chat. */
  learn?: { chatId: string; userId: string };
}

class FuzzFailure extends Error {}

const describeCase = (c: Case) => (typeof c.desc === 'string' ? c.desc : c.desc());

function failure(w: World, what: string, c?: Case): FuzzFailure {
  const lines = [
    `fuzz failure in the ${w.part} part, case ${w.cases} (FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}): ${what}`,
    ...(c ? [`case: ${c.kind} ${describeCase(c)}`] : []),
    'the cases before it (oldest first):',
    ...w.recent.slice(-12, c ? -1 : undefined).map((r) => `  #${r.n} ${r.c.kind} ${brief(describeCase(r.c), 200)}`),
    `replay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} npx vitest run test/fuzz.test.ts`,
  ];
  return new FuzzFailure(lines.join('\n'));
}

/** Shortens a value for a message. */
function brief(v: unknown, max = 300): string {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return s.length > max ? `${s.slice(0, max)}…(${s.length} chars)` : s;
}

async function runCase(w: World, c: Case): Promise<void> {
  w.cases++;
  w.faults.fired = [];
  w.logged.length = 0;
  w.faults.armed = w.faults.rng.chance(FAULT_RATE);
  if (w.faults.armed) w.faultCases++;
  w.recent.push({ n: w.cases, c });
  if (w.recent.length > 40) w.recent.splice(0, w.recent.length - 40);
  let res: Response;
  let text: string;
  const started = performance.now();
  try {
    res = await c.send();
    text = await res.text();
  } catch (err) {
    throw failure(w, `the app threw: ${(err as Error).stack ?? String(err)}`, c);
  } finally {
    w.faults.armed = false;
  }
  const ms = performance.now() - started;
  const spent = w.spent.get(c.kind) ?? { n: 0, ms: 0 };
  spent.n++;
  spent.ms += ms;
  w.spent.set(c.kind, spent);
  if (ms > w.slowest.ms) w.slowest = { ms, c };
  w.statuses.set(res.status, (w.statuses.get(res.status) ?? 0) + 1);
  const faulted = w.faults.fired.length > 0;
  if (res.status >= 500 && !faulted) throw failure(w, `status ${res.status}: ${brief(text)}\nlogged: ${w.logged.join('\n')}`, c);
  // A refused webhook is logged as such (the operator sees who is knocking); nothing else may log an error.
  if (w.logged.length && !faulted && !(res.status >= 400 && res.status < 500)) throw failure(w, `the app logged an error (status ${res.status}): ${w.logged.join('\n')}`, c);
  if (c.refused && !faulted && (res.status < 400 || res.status >= 500)) throw failure(w, `bad input was not refused: status ${res.status} ${brief(text)}`, c);
  if (c.learn && res.status === 200) learn(w, c.learn.chatId, c.learn.userId, text);
  // The clock moves on: mostly seconds, sometimes past a hold (10 min), a draft's day, or a week.
  w.clock.t += w.rng.weighted([
    [80, 1_000 + w.rng.int(15_000)],
    [10, 0],
    [8, 60_000 * w.rng.between(1, 30)],
    [2, 3_600_000 * w.rng.between(1, 200)],
  ]);
}

/** Remembers the question asked and the buttons shown, so later cases answer and press them. */
function learn(w: World, chatId: string, userId: string, body: string): void {
  let parsed: { replies?: Array<{ question?: QuestionMeta; buttons?: Array<{ action: ButtonAction }> }> };
  try {
    parsed = JSON.parse(body);
  } catch {
    return;
  }
  for (const r of parsed.replies ?? []) {
    if (r.question) w.questions.set(`${chatId}\u0000${userId}`, r.question);
    if (r.buttons?.length) {
      const list = w.buttons.get(chatId) ?? [];
      list.unshift(...r.buttons.map((b) => b.action));
      list.length = Math.min(list.length, 40);
      w.buttons.set(chatId, list);
    }
  }
}

const post = (w: World, path: string, body: BodyInit, contentType?: string, env: unknown = LOCAL, method = 'POST') =>
  w.app.request(path, { method, body, ...(contentType !== undefined ? { headers: { 'Content-Type': contentType } } : {}) }, env);

const postJson = (w: World, path: string, value: unknown, method = 'POST') => post(w, path, typeof value === 'string' ? value : JSON.stringify(value), 'application/json', LOCAL, method);

/** A person, mostly one of the four ordinary ones. */
function pickPerson(rng: Rng) {
  return rng.weighted(PEOPLE.map((p, i) => [PEOPLE_WEIGHTS[i]!, p] as const));
}

/** A chat for a person: their group, their private chat with the bot, or a chat of no evaluation. */
function pickChat(w: World, userId: string): { chatId: string; chatType: 'group' | 'p2p' } {
  const rng = w.rng;
  const choice = rng.weighted<() => { chatId: string; chatType: 'group' | 'p2p' }>([
    // Private chats and chats of other evaluations are a minority: every evaluation in the store makes
    // each private message without one of its own (it lists them all to route it) cost more.
    [80, () => ({ chatId: rng.pick(GROUPS), chatType: 'group' })],
    [7, () => ({ chatId: `p:${userId}`, chatType: 'p2p' })],
    [7, () => ({ chatId: rng.pick(FOREIGN_CHATS), chatType: rng.chance(0.8) ? 'group' : 'p2p' })],
    [4, () => ({ chatId: `n-${rng.int(4)}`, chatType: 'group' })],
    [2, () => ({ chatId: `p:${rng.pick(PEOPLE).id}`, chatType: 'p2p' })],
  ])();
  const known = w.chatTypes.get(choice.chatId);
  if (!known) w.chatTypes.set(choice.chatId, choice.chatType);
  // Now and then a chat is sent with the other type than it has.
  const chatType = known && !rng.chance(0.03) ? known : choice.chatType;
  return { chatId: choice.chatId, chatType };
}

function messageCase(w: World, bootstrap?: { chatId: string; person: (typeof PEOPLE)[number]; text: string }): Case {
  const rng = w.rng;
  const person = bootstrap?.person ?? pickPerson(rng);
  const { chatId, chatType } = bootstrap ? { chatId: bootstrap.chatId, chatType: 'group' as const } : pickChat(w, person.id);
  if (bootstrap) w.chatTypes.set(chatId, 'group');
  const body: Record<string, unknown> = { chatId, userId: person.id, chatType };
  const name = rng.weighted<string | undefined>([
    [90, person.name],
    [5, undefined],
    [5, junk(rng, rng.between(1, 30))],
  ]);
  if (name !== undefined) body['userName'] = name.slice(0, 100);
  let kind: string;
  if (bootstrap) {
    body['text'] = bootstrap.text;
    kind = 'say';
  } else if (rng.chance(0.78)) {
    body['text'] = chatText(rng, w.questions.get(`${chatId}\u0000${person.id}`), w.frameworks);
    if (rng.chance(0.002)) body['text'] = rng.pick(['报告', '生成报告', '汇总 导出']);
    if (rng.chance(0.005)) body['text'] = `确认指标体系 ${rng.pick([...w.frameworks, 'import-nope', ''])}`;
    kind = 'say';
  } else {
    body['action'] = pressAction(w, chatId, person.id);
    kind = 'press';
  }
  const text = typeof body['text'] === 'string' ? body['text'] : undefined;
  // The limit counts characters (code points), as the channel's schema and the engine do.
  const refused = text !== undefined && ([...text].length > 20_000 || !text.trim());
  return {
    kind,
    desc: () => brief(body, 400),
    send: () => postJson(w, '/api/local/messages', body),
    ...(refused ? { refused } : {}),
    learn: { chatId, userId: person.id },
  };
}

const COMMANDS = Object.keys(COMMAND_WORDS) as Array<keyof typeof COMMAND_WORDS>;

/**
 * Reports and overview exports build a file (tens of milliseconds each): most presses of them become
 * 进度, so a run has dozens of files rather than thousands.
 */
function costly<A extends ButtonAction>(rng: Rng, a: A): A {
  if (a.type !== 'command' || !['report', 'overview'].includes(a.command) || rng.chance(0.04)) return a;
  return { ...a, command: 'progress' };
}

/** A button press: one shown in the chat (as shown, or changed), a command, or an answer to a key of no question. */
function pressAction(w: World, chatId: string, userId: string): ButtonAction {
  const rng = w.rng;
  const shown = w.buttons.get(chatId) ?? [];
  const r = rng.int(100);
  if (shown.length && r < 55) return costly(rng, rng.pick(shown));
  if (shown.length && r < 70) {
    const a = { ...rng.pick(shown) } as ButtonAction;
    if (a.type === 'answer') {
      const change = rng.int(4);
      if (change === 0) delete a.stamp;
      else if (change === 1) a.stamp = rng.pick(['', '0', 'x', junk(rng, 10).slice(0, 40), `${a.stamp ?? ''}0`.slice(0, 40)]);
      else if (change === 2) a.value = mutateText(rng, a.value ?? '是').slice(0, 20_000);
      else a.key = rng.pick(BAD_KEYS);
    } else a.arg = mutateText(rng, a.arg ?? '').slice(0, 200);
    return a;
  }
  if (r < 85) {
    const command = costly(rng, { type: 'command', command: rng.pick(COMMANDS) }).command;
    const arg = rng.chance(0.5) ? undefined : rng.pick(['', 'A1', 'A11', '部门管理', '@李四', '2025-05-31', '某局', junk(rng, 8), 'x'.repeat(200)]);
    return { type: 'command', command, ...(arg !== undefined ? { arg } : {}) };
  }
  const q = w.questions.get(`${chatId}\u0000${userId}`);
  const key = q && rng.chance(0.5) ? q.key : rng.pick(BAD_KEYS);
  const stamp = rng.pick([undefined, q?.stamp, '1', junk(rng, 5)]);
  const value = rng.pick([undefined, '是', '否', '95%', junk(rng, 10)]);
  return { type: 'answer', key, ...(value !== undefined ? { value } : {}), ...(stamp !== undefined ? { stamp } : {}) };
}

function malformedCase(w: World): Case {
  const m = malformedBody(w.rng);
  const contentType = m.contentType ?? 'application/json';
  return {
    kind: 'malformed',
    desc: () => `${m.why}: ${contentType} ${brief(typeof m.body === 'string' ? m.body : `bytes ${[...m.body].join(',')}`, 300)}`,
    send: () => post(w, '/api/local/messages', m.body as BodyInit, contentType),
    ...(m.refused === false ? {} : { refused: true }),
  };
}

/** Path segments to look things up by: real ids, and ones that are not. */
async function someId(w: World): Promise<string> {
  const rng = w.rng;
  if (rng.chance(0.6) && w.initial.size) return rng.pick([...w.initial.keys()]);
  return rng.pick(['nope', '__proto__', 'constructor', '..', '%2e%2e', 'ev-memory-1', '%00', '%E4%B8%AD', '%ZZ', 'a'.repeat(300), encodeUri(junk(rng, 6))]);
}

/** encodeURIComponent for any string (lone surrogates, which it refuses, become U+FFFD). */
function encodeUri(s: string): string {
  return encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
}

/** A JSON body of random shape for the API's JSON routes. */
function randomJson(rng: Rng): string {
  const values: unknown[] = [null, 1, -1, 1e308, '', '确认', B11_ANSWER, [], {}, ['甲局'], { kind: 'judgement' }, 'x'.repeat(rng.pick([10, 70_000]))];
  const r = rng.int(8);
  if (r === 0) return rng.pick(['', '{', '[', 'null', '"x"', '{"a":}', '\u0000']);
  if (r === 1) return '{"__proto__":{"name":"x"},"name":"原型"}';
  const obj: Record<string, unknown> = {};
  for (const k of ['name', 'description', 'grades', 'code', 'answer', 'units', 'year', 'extra']) if (rng.chance(0.4)) obj[k] = rng.pick(values);
  if (rng.chance(0.3)) obj['units'] = Array.from({ length: rng.pick([1, 3, 201]) }, () => rng.pick(['某局', '南京市数据局', junk(rng, 5)]));
  if (rng.chance(0.3)) obj['year'] = rng.pick([2024, 2025, null, '2024', 1.5, -1]);
  return JSON.stringify(obj);
}

function apiCase(w: World): Case {
  const rng = w.rng;
  const chat = () => encodeURIComponent(rng.pick([...GROUPS, ...FOREIGN_CHATS, 'p:u-zhang']));
  const pick = rng.weighted<() => Case>([
    [3, () => ({ kind: 'api', desc: 'GET /api/evaluations', send: () => w.app.request('/api/evaluations', {}, LOCAL) })],
    [14, () => lazyCase(w, 'GET /api/evaluations/:id/score', async () => w.app.request(`/api/evaluations/${await someId(w)}/score`, {}, LOCAL))],
    [10, () => { const c = chat(); return { kind: 'api', desc: `GET /api/chats/${c}/evaluation`, send: () => w.app.request(`/api/chats/${c}/evaluation`, {}, LOCAL) }; }],
    [8, () => { const c = rng.chance(0.9) ? chat() : ''; return { kind: 'api', desc: `GET /api/local/messages?chatId=${c}`, send: () => w.app.request(`/api/local/messages?chatId=${c}`, {}, LOCAL) }; }],
    [6, () => { const c = chat(); const m = rng.pick(['GET', 'DELETE']); return { kind: 'api', desc: `${m} /api/local/history?chatId=${c}`, send: () => w.app.request(`/api/local/history?chatId=${c}`, { method: m }, LOCAL) }; }],
    [5, () => { const id = rng.pick(['x', '%00', 'a'.repeat(40), '..%2F..%2Fetc%2Fpasswd', '__proto__']); return { kind: 'api', desc: `GET /files/${id}`, send: () => w.app.request(`/files/${id}`, {}, LOCAL) }; }],
    [2, () => ({ kind: 'api', desc: 'GET /api/frameworks', send: () => w.app.request('/api/frameworks', {}, LOCAL) })],
    [6, () => { const id = rng.pick([...w.frameworks, 'nanjing-2021', 'goal-rate', 'import-nope', '__proto__', '%ZZ']); return { kind: 'api', desc: `GET /api/frameworks/${id}`, send: () => w.app.request(`/api/frameworks/${id}`, {}, LOCAL) }; }],
    [5, () => { const id = rng.pick([...w.frameworks, 'nanjing-2021', 'import-nope']); const body = randomJson(rng); return { kind: 'api', desc: () => `PATCH /api/frameworks/${id} ${brief(body)}`, send: () => postJson(w, `/api/frameworks/${id}`, body, 'PATCH') }; }],
    [6, () => confirmCase(w)],
    [5, () => { const q = rng.pick(['units=某局', 'units=某局,南京市数据局&year=2024', `chatId=${chat()}`, 'units=', 'year=abc', `units=${encodeUri(junk(rng, 5))}`, '']); return { kind: 'api', desc: `GET /api/overview?${q}`, send: () => w.app.request(`/api/overview?${q}`, {}, LOCAL) }; }],
    [2, () => ({ kind: 'api', desc: 'GET /api/overview/bindings', send: () => w.app.request('/api/overview/bindings', {}, LOCAL) })],
    [4, () => { const c = chat(); const body = randomJson(rng); return { kind: 'api', desc: () => `PUT /api/overview/bindings/${c} ${brief(body)}`, send: () => postJson(w, `/api/overview/bindings/${c}`, body, 'PUT') }; }],
    [2, () => { const c = chat(); return { kind: 'api', desc: `DELETE /api/overview/bindings/${c}`, send: () => w.app.request(`/api/overview/bindings/${c}`, { method: 'DELETE' }, LOCAL) }; }],
    [3, () => { const p = rng.pick(['/webhook/feishu', '/webhook/dingtalk']); const body = randomJson(rng); return { kind: 'api', desc: () => `POST ${p} (channel off) ${brief(body)}`, send: () => postJson(w, p, body) }; }],
    [3, () => { const p = rng.pick(['/api/local/messages', '/api/evaluations', '/api/frameworks']); return { kind: 'api', desc: `GET ${p} from a remote address`, send: () => w.app.request(p, { headers: { 'X-Forwarded-For': '1.2.3.4' } }, REMOTE), refused: true }; }],
    [3, () => { const p = rng.pick(['/nope', '/api', '/api/evaluations/x/y/z', `/${'a/'.repeat(200)}`, '/api/local/messages/x', '/%ZZ', '/files/']); const m = rng.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']); return { kind: 'api', desc: `${m} ${p}`, send: () => w.app.request(p, { method: m }, LOCAL) }; }],
    [2, () => ({ kind: 'api', desc: 'GET /healthz', send: () => w.app.request('/healthz') })],
    [1, () => ({ kind: 'api', desc: 'GET /', send: () => w.app.request('/', {}, LOCAL) })],
    [0.2, () => lazyCase(w, 'GET /api/evaluations/:id/report.docx', async () => w.app.request(`/api/evaluations/${await someId(w)}/report.docx`, {}, LOCAL))],
    [0.1, () => ({ kind: 'api', desc: 'GET /api/overview/export.xlsx?units=某局', send: () => w.app.request('/api/overview/export.xlsx?units=某局', {}, LOCAL) })],
  ]);
  return pick();
}

/** A case whose request is built when it runs (it reads the store). */
function lazyCase(w: World, desc: string, send: () => Promise<Response>): Case {
  return { kind: 'api', desc, send };
}

function confirmCase(w: World): Case {
  const rng = w.rng;
  const id = rng.pick([...w.frameworks, ...w.frameworks, 'nanjing-2021', 'import-nope']);
  const body = rng.chance(0.6)
    ? JSON.stringify({ code: rng.pick(['B11', 'A11', 'A13', 'C11', '累计', 'x']), answer: rng.pick([B11_ANSWER, '确认', '累计', '不累计', '最多5分', '是否建立得20分', junk(rng, 10), { kind: 'judgement' }, { kind: 'nope' }, {}]) })
    : randomJson(rng);
  return { kind: 'api', desc: () => `POST /api/frameworks/${id}/confirm ${brief(body)}`, send: () => postJson(w, `/api/frameworks/${id}/confirm`, body) };
}

/** The longest cell text uploads carry (long enough that a quadratic pattern in the importer would show). */
const MAX_IMPORT_CELL_CHARS = 30_000;

/** Real framework sheets to upload (CSV text and .xlsx bytes), built once. */
interface Sheets {
  csv: string[];
  xlsx: Uint8Array[];
}

async function buildSheets(): Promise<Sheets> {
  return {
    csv: [ONE_OPEN_CSV, SUGGESTION_CSV, THREE_OPEN_CSV, BAD_POINTS_CSV],
    xlsx: [await buildOneOpenXlsx(), await exportFramework(loadBuiltinFramework('goal-rate')!)],
  };
}

/** An .xlsx with one zip entry changed: truncated, junk in a cell, a huge string, an entry removed or broken. */
async function mutateZip(rng: Rng, bytes: Uint8Array): Promise<Uint8Array> {
  const zip = await JSZip.loadAsync(bytes);
  const names = Object.keys(zip.files).filter((n) => !zip.files[n]!.dir);
  const name = rng.pick(names.filter((n) => /sheet|sharedStrings|workbook|Content_Types/.test(n)).concat(names));
  const xml = await zip.file(name)!.async('string');
  switch (rng.int(7)) {
    case 0:
      zip.file(name, xml.slice(0, rng.int(xml.length)));
      break;
    case 1:
      zip.remove(name);
      break;
    case 2:
      zip.file(name, xml.replace(/<t( [^>]*)?>[^<]*<\/t>/g, (m) => (rng.chance(0.3) ? `<t>${junk(rng).replace(/[<&]/g, '')}</t>` : m)));
      break;
    case 3:
      zip.file(name, xml.replace(/<v>[^<]*<\/v>/g, (m) => (rng.chance(0.3) ? `<v>${rng.pick(['-1', '1e308', 'NaN', '', 'abc', '99999999999'])}</v>` : m)));
      break;
    case 4:
      // A long cell without separators: the grade-note pattern once rescanned it from every position.
      zip.file(name, xml.replace(/<t( [^>]*)?>[^<]*<\/t>/, `<t>${'长'.repeat(rng.pick([500, MAX_IMPORT_CELL_CHARS]))}</t>`));
      break;
    case 5:
      zip.file(name, xml.replace(/<row /, `${'<row r="1">'.repeat(rng.between(2, 50))}<row `));
      break;
    default:
      zip.file(name, xml.replace(/ r="([A-Z]+)(\d+)"/g, (m, c, r) => (rng.chance(0.2) ? ` r="${c}${Number(r) + rng.pick([0, 1, 1_048_576, 20_000])}"` : m)));
  }
  return zip.generateAsync({ type: 'uint8array' });
}

async function uploadCase(w: World, sheets: Sheets): Promise<Case> {
  const rng = w.rng;
  const r = rng.int(100);
  const name = rng.pick(['测试指标体系', `体系${rng.int(1000)}`, junk(rng, 8), '']);
  if (r < 35) {
    let csv = rng.pick(sheets.csv);
    if (rng.chance(0.8)) {
      const lines = csv.split('\n');
      const i = rng.int(lines.length);
      lines[i] = mutateText(rng, lines[i]!).slice(0, MAX_IMPORT_CELL_CHARS);
      if (rng.chance(0.2)) lines.splice(rng.int(lines.length), 0, ...lines.slice(0, rng.between(1, 3)));
      csv = lines.join(rng.chance(0.1) ? '\r\n' : '\n');
    }
    const q = `?name=${encodeUri(name)}`;
    return { kind: 'upload', desc: () => `CSV ${q} ${brief(csv, 400)}`, send: () => post(w, `/api/frameworks${q}`, csv, rng.pick(['text/csv', 'text/csv; charset=utf-8', 'application/csv'])) };
  }
  const base = rng.pick(sheets.xlsx);
  const how = rng.int(4);
  const bytes = how === 0 ? base : how === 1 ? mutateBytes(rng, base) : await mutateZip(rng, base);
  const desc = `xlsx ${['as is', 'bytes mutated', 'zip entry mutated', 'zip entry mutated'][how]} (${bytes.byteLength} bytes)`;
  if (rng.chance(0.5)) {
    const form = new FormData();
    form.set('file', new File([bytes as Uint8Array<ArrayBuffer>], rng.pick(['指标.xlsx', 'a.XLSX', 'sheet', '指标.xls', '../../x.xlsx']), { type: rng.pick([XLSX_MIME, '', 'application/octet-stream']) }));
    if (name) form.set('name', name);
    return { kind: 'upload', desc: `multipart ${desc}`, send: () => w.app.request('/api/frameworks', { method: 'POST', body: form }, LOCAL) };
  }
  return { kind: 'upload', desc: `raw ${desc}`, send: () => post(w, `/api/frameworks?name=${encodeUri(name)}`, bytes as Uint8Array<ArrayBuffer>, rng.pick([XLSX_MIME, XLSX_MIME, 'application/octet-stream'])) };
}

/** After an upload, the frameworks the store holds (so chats and confirmations can name them). */
async function refreshFrameworks(w: World): Promise<void> {
  w.frameworks = (await w.store.listFrameworks()).map((f) => f.id).slice(-20);
}

/** The first cases of a part: evaluations in the three groups, so the rest has something to work on. */
const BOOTSTRAP = [
  { chatId: 'g-1', person: PEOPLE[0]!, text: '新建自评 某局 2024 框架=nanjing-2021 截止=2025-05-31' },
  { chatId: 'g-2', person: PEOPLE[1]!, text: '新建自评 南京市数据局 2025 框架=goal-rate' },
  { chatId: 'g-3', person: PEOPLE[2]!, text: '新建自评 某局 2023 框架=guangdong-2020' },
];

async function runPart(w: World, runs: number, sheets: Sheets | undefined): Promise<void> {
  for (const b of BOOTSTRAP) await runCase(w, messageCase(w, b));
  const checkEvery = Math.max(10_000, Math.ceil(runs / 4));
  while (w.cases < runs) {
    const kind = w.rng.weighted<string>([
      [56, 'message'],
      [20, 'malformed'],
      [24, 'api'],
      [sheets ? 0.15 : 0, 'upload'],
    ]);
    if (kind === 'message') await runCase(w, messageCase(w));
    else if (kind === 'malformed') await runCase(w, malformedCase(w));
    else if (kind === 'api') await runCase(w, apiCase(w));
    else {
      await runCase(w, await uploadCase(w, sheets!));
      await refreshFrameworks(w);
    }
    if (w.cases % checkEvery === 0) await checkConsistency(w);
  }
  await checkConsistency(w);
}

/** People and chats on the platforms (open ids, staff ids), weird ones included. */
const FEISHU_PEOPLE = ['ou_fz_zhang00000000000000000000001', 'ou_fz_li0000000000000000000000002', 'ou_fz_wang000000000000000000000003', '__proto__', 'toString'];
const FEISHU_CHATS: Array<[string, 'group' | 'p2p']> = [['oc_fz_group_1', 'group'], ['oc_fz_group_2', 'group'], ['oc_fz_p2p_1', 'p2p'], ['oc_fz_p2p_2', 'p2p'], ['constructor', 'group']];
const DINGTALK_PEOPLE = [{ staffId: 'fzzhang01', nick: '张三' }, { staffId: 'fzli02', nick: '李四' }, { staffId: 'fzwang03', nick: '王五' }, { staffId: '__proto__', nick: '原型' }];
const DINGTALK_CHATS: Array<[string, '1' | '2']> = [['cidFzGroup1==', '2'], ['cidFzGroup2==', '2'], ['cidFzP2P1==', '1'], ['__proto__', '2']];

/** The question a person is being asked in a chat's evaluation, read from the store (platform replies go to the fakes). */
async function currentQuestion(w: World, chatId: string, userId: string): Promise<QuestionMeta | undefined> {
  const id = await w.store.evaluationIdForChat(chatId);
  const rec = id === undefined ? undefined : await w.store.getEvaluation(id);
  const key = rec && Object.hasOwn(rec.sessions, userId) ? rec.sessions[userId]!.current : undefined;
  if (!rec || !key) return undefined;
  const framework = resolveFramework(rec.frameworkId, rec.framework);
  return buildPlan(framework, rec.answers, scoreEvaluation(framework, rec.answers)).find((q) => q.key === key)?.meta;
}

/** A webhook case: the request is answered, then the pipeline finishes processing it (and sending the replies) within the case. */
function webhookCase(w: World, kind: string, desc: () => string, send: () => Response | Promise<Response>, refused?: boolean): Case {
  return {
    kind,
    desc,
    send: async () => {
      const res = await send();
      await w.pipeline.idle();
      return res;
    },
    ...(refused ? { refused } : {}),
  };
}

/** Feishu: signed events (texts, card presses, events sent twice) and refused ones (bad signature, stale, not JSON). */
async function feishuCase(w: World, sent: string[]): Promise<Case> {
  const rng = w.rng;
  const ts = () => String(Math.floor(w.clock.t / 1000));
  const postRaw = (body: string | Uint8Array, headers: Record<string, string>) => w.app.request('/webhook/feishu', { method: 'POST', headers, body: body as BodyInit }, LOCAL);
  const signed = (envelope: unknown, o: { timestamp?: string } = {}) => signFeishuRequest(envelope, { encryptKey: FAKE_ENCRYPT_KEY, timestamp: o.timestamp ?? ts() });
  const [chat, type] = rng.pick(FEISHU_CHATS);
  const sender = rng.pick(FEISHU_PEOPLE);
  const r = rng.int(100);
  if (r < 62) {
    const text = chatText(rng, await currentQuestion(w, `feishu:${chat}`, sender), w.frameworks).slice(0, 5_000);
    const envelope = feishuEvents.text({ chatId: chat, chatType: type, sender, text: type === 'group' ? `@_user_1 ${text}` : text, ...(type === 'group' ? { mentions: [{ openId: BOT_OPEN_ID, name: BOT_NAME }] } : {}), eventId: `ev_${w.cases}`, messageId: `om_${w.cases}` });
    const req = signed(envelope);
    sent.push(req.body);
    if (sent.length > 50) sent.shift();
    return webhookCase(w, 'feishu', () => `text from ${sender} in ${chat}: ${brief(text)}`, () => postRaw(req.body, req.headers));
  }
  if (r < 77) {
    const value = rng.pick<unknown>([
      { type: 'command', command: rng.pick(COMMANDS.filter((c) => c !== 'report' && c !== 'overview')) },
      { type: 'answer', key: rng.pick(BAD_KEYS), value: rng.pick(['是', '否', '95%']) },
      { type: 'answer', key: 'judgement:A11', value: '是', stamp: rng.pick(['', '1', 'x']) },
      { type: 'answer', key: 'judgement:A11' },
      'start',
      null,
      { type: '__proto__' },
      { type: 'command', command: 'start', arg: 'x'.repeat(201) },
    ]);
    const envelope = feishuEvents.cardAction({ chatId: chat, operator: sender, value, eventId: `ev_${w.cases}`, ...(rng.chance(0.3) ? { formValue: { answer: rng.pick(['是', '100', junk(rng, 8)]) } } : {}) });
    const req = signed(envelope);
    return webhookCase(w, 'feishu', () => `card press by ${sender} in ${chat}: ${brief(value)}`, () => postRaw(req.body, req.headers));
  }
  if (r < 85 && sent.length) {
    // Delivered again (Feishu retries): taken once.
    const body = rng.pick(sent);
    const timestamp = ts();
    const nonce = 'n' + rng.int(1e9);
    return webhookCase(w, 'feishu', () => `event sent again: ${brief(body, 120)}`, () => postRaw(body, { 'content-type': 'application/json', 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': nonce, 'x-lark-signature': computeSignature(timestamp, nonce, body) }));
  }
  const envelope = feishuEvents.text({ chatId: chat, sender, text: '开始', eventId: `ev_bad_${w.cases}` });
  const bad = rng.int(6);
  if (bad === 0) {
    const req = signed(envelope);
    const sig = req.headers['x-lark-signature']!;
    return webhookCase(w, 'feishu', () => 'a wrong signature', () => postRaw(req.body, { ...req.headers, 'x-lark-signature': sig.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) }), true);
  }
  if (bad === 1) {
    const req = signed(envelope, { timestamp: String(Math.floor(w.clock.t / 1000) - 86_400) });
    return webhookCase(w, 'feishu', () => 'a stale timestamp', () => postRaw(req.body, req.headers), true);
  }
  if (bad === 2) {
    const body = rng.pick(['{"encrypt":', '[1,2]', '"x"', '{"encrypt":"AAAA"}', '{"encrypt":"' + 'A'.repeat(rng.int(200)) + '"}']);
    return webhookCase(w, 'feishu', () => `a body that is not an event: ${body}`, () => postRaw(body, { 'content-type': 'application/json', 'x-lark-request-timestamp': ts(), 'x-lark-request-nonce': 'n' }), true);
  }
  if (bad === 3) {
    const req = signed(feishuEvents.text({ chatId: chat, sender, text: '开始', token: 'wrong-token', eventId: `ev_tok_${w.cases}` }));
    return webhookCase(w, 'feishu', () => 'a wrong verification token', () => postRaw(req.body, req.headers), true);
  }
  if (bad === 4) {
    const req = signed(feishuEvents.text({ chatId: chat, sender, text: '开始', appId: 'cli_other', eventId: `ev_app_${w.cases}` }));
    return webhookCase(w, 'feishu', () => 'another app', () => postRaw(req.body, req.headers), true);
  }
  const req = signed(feishuEvents.message({ chatId: chat, chatType: type, sender, type: rng.pick(['image', 'file', 'sticker', 'post', 'text', 'audio']), content: rng.pick<unknown>([{}, { text: 1 }, { image_key: 'x' }, 'x', null, { title: '标题', content: [[{ tag: 'text', text: '开始' }]] }]), eventId: `ev_odd_${w.cases}` }));
  return webhookCase(w, 'feishu', () => 'a message of another type or an odd content', () => postRaw(req.body, req.headers));
}

/** The Feishu signature of a raw body (as the fake signs it). */
function computeSignature(timestamp: string, nonce: string, body: string): string {
  return createHash('sha256').update(timestamp + nonce + FAKE_ENCRYPT_KEY + body).digest('hex');
}

/** DingTalk: signed robot callbacks (texts, odd types) and refused ones. */
async function dingtalkCase(w: World, fake: FakeDingTalk): Promise<Case> {
  const rng = w.rng;
  const [conversationId, conversationType] = rng.pick(DINGTALK_CHATS);
  const from = rng.pick(DINGTALK_PEOPLE);
  const post = (body: string, headers: Record<string, string>) => w.app.request('/webhook/dingtalk', { method: 'POST', headers, body }, LOCAL);
  const headers = () => signedHeaders(DINGTALK_SECRET, w.clock.t);
  const r = rng.int(100);
  if (r < 75) {
    const text = chatText(rng, await currentQuestion(w, `dingtalk:${conversationId}`, from.staffId), w.frameworks).slice(0, 5_000);
    const body = callbackBody({ conversationId, conversationType, from, text, msgId: `msg_${w.cases}`, session: fake.session(conversationId, w.clock.t + 5_400_000) });
    return webhookCase(w, 'dingtalk', () => `text from ${from.staffId} in ${conversationId}: ${brief(text)}`, () => post(JSON.stringify(body), headers()));
  }
  if (r < 85) {
    const body = callbackBody({ conversationId, conversationType, from, msgtype: rng.pick(['picture', 'file', 'richText', 'audio', 'text']), msgId: `msg_${w.cases}`, extra: rng.pick<Record<string, unknown>>([{}, { text: null }, { text: { content: 1 } }, { senderStaffId: null }, { conversationId: 1 }, { content: { richText: [{ text: '开始' }] } }]) });
    return webhookCase(w, 'dingtalk', () => `an odd callback: ${brief(body)}`, () => post(JSON.stringify(body), headers()));
  }
  const body = JSON.stringify(callbackBody({ conversationId, from, text: '开始', msgId: `msg_bad_${w.cases}` }));
  const bad = rng.int(3);
  if (bad === 0) return webhookCase(w, 'dingtalk', () => 'a wrong sign', () => post(body, { ...headers(), sign: 'AAAA' + headers().sign!.slice(4) }), true);
  if (bad === 1) return webhookCase(w, 'dingtalk', () => 'a stale timestamp', () => post(body, signedHeaders(DINGTALK_SECRET, w.clock.t - 86_400_000)), true);
  const junkBody = rng.pick(['{', '[]', 'null', '"x"', body.slice(0, rng.int(body.length))]);
  return webhookCase(w, 'dingtalk', () => `a body that is not a callback: ${brief(junkBody)}`, () => post(junkBody, headers()), true);
}

async function runWebhookPart(w: World, runs: number, dingtalk: FakeDingTalk): Promise<void> {
  const sent: string[] = [];
  const ding = (text: string) => {
    const body = callbackBody({ conversationId: DINGTALK_CHATS[0]![0], from: DINGTALK_PEOPLE[0]!, text, msgId: `msg_boot_${w.cases}`, session: dingtalk.session(DINGTALK_CHATS[0]![0], w.clock.t + 5_400_000) });
    return webhookCase(w, 'dingtalk', () => text, () => w.app.request('/webhook/dingtalk', { method: 'POST', headers: signedHeaders(DINGTALK_SECRET, w.clock.t), body: JSON.stringify(body) }, LOCAL));
  };
  const feishu = (text: string) => {
    const req = signFeishuRequest(feishuEvents.text({ chatId: FEISHU_CHATS[0]![0], sender: FEISHU_PEOPLE[0]!, text: `@_user_1 ${text}`, mentions: [{ openId: BOT_OPEN_ID, name: BOT_NAME }], eventId: `ev_boot_${w.cases}` }), { encryptKey: FAKE_ENCRYPT_KEY, timestamp: String(Math.floor(w.clock.t / 1000)) });
    return webhookCase(w, 'feishu', () => text, () => w.app.request('/webhook/feishu', { method: 'POST', headers: req.headers, body: req.body }, LOCAL));
  };
  await runCase(w, feishu('新建自评 某局 2024 框架=goal-rate'));
  await runCase(w, ding('新建自评 南京市数据局 2024 框架=nanjing-2021'));
  while (w.cases < runs) await runCase(w, w.rng.chance(0.5) ? await feishuCase(w, sent) : await dingtalkCase(w, dingtalk));
  await checkConsistency(w);
}

/** Says something in a chat as a person, outside the counted cases and with no fault, and returns the replies. */
async function ask(w: World, chatId: string, chatType: 'group' | 'p2p', userId: string, text: string): Promise<Array<Record<string, unknown>>> {
  w.clock.t += 11_000;
  const res = await postJson(w, '/api/local/messages', { chatId, chatType, userId, userName: 'fuzz检查', text });
  const body = await res.text();
  if (res.status !== 200) throw failure(w, `checking: ${text} in ${chatId} as ${userId} answered ${res.status} ${brief(body)}`);
  return (JSON.parse(body) as { replies: Array<Record<string, unknown>> }).replies;
}

/** Values as JSON, for comparing a reply with a view (undefined fields dropped the same way). */
const asJson = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

/**
 * The invariants over the whole store: for every evaluation, well-formed answers, its chats bound to it,
 * the scores the API and the bot give equal to a fresh score of the stored answers, and the audit trail
 * replaying to the stored answers and audited fields.
 */
async function checkConsistency(w: World): Promise<void> {
  const recs = await w.store.listEvaluations();
  w.depth = [];
  for (const listed of recs) {
    const id = listed.id;
    w.checks.evaluations++;
    const answers = answersSchema.safeParse(listed.answers);
    if (!answers.success) throw failure(w, `evaluation ${id}: stored answers do not fit the schema: ${brief(answers.error.issues, 600)}`);
    for (const chatId of listed.chatIds) {
      const bound = await w.store.evaluationIdForChat(chatId);
      if (bound !== id) throw failure(w, `evaluation ${id} lists chat ${chatId}, which is bound to ${String(bound)}`);
    }

    // The bot's kept scores: a person who never spoke asks twice in a group of the evaluation (the first
    // adds them as a member, a new revision; the second is answered from the scores kept for it).
    const group = listed.chatIds.find((c) => (w.chatTypes.get(c) ?? 'group') === 'group');
    if (group) {
      const checker = `checker-${w.checks.evaluations}`;
      await ask(w, group, 'group', checker, '得分');
      const scored = await ask(w, group, 'group', checker, '得分');
      const deductions = await ask(w, group, 'group', checker, '扣分');
      const rec = (await w.store.getEvaluation(id))!;
      const fresh = scoreEvaluation(resolveFramework(rec.frameworkId, rec.framework), rec.answers);
      if (!sameAnswers(rec, listed)) throw failure(w, `evaluation ${id}: asking 得分 changed the answers`);
      const expected = asJson(scoreView(fresh));
      if (JSON.stringify(asJson(scored[0])) !== JSON.stringify(expected)) {
        throw failure(w, `evaluation ${id}: 得分 in the chat is not a fresh score of the stored answers\nchat:  ${brief(scored[0], 1500)}\nfresh: ${brief(expected, 1500)}`);
      }
      if (JSON.stringify(asJson(deductions[0])) !== JSON.stringify(asJson(deductionsView(fresh)))) {
        throw failure(w, `evaluation ${id}: 扣分 in the chat is not a fresh score's\nchat:  ${brief(deductions[0], 1500)}\nfresh: ${brief(deductionsView(fresh), 1500)}`);
      }
      w.checks.chatChecked++;
    } else {
      // A private chat's evaluation: reachable by its own people only; check that the chat's owner is one.
      const rec = listed;
      for (const chatId of rec.chatIds) {
        const owner = chatId.startsWith('p:') ? chatId.slice(2) : undefined;
        if (owner && !mayReach(rec, actorOf({ userId: owner, chatId, chatType: 'p2p' })).ok) throw failure(w, `evaluation ${id} is bound to ${chatId}, whose owner may not reach it`);
        if (owner && !may(rec, actorOf({ userId: owner, chatId, chatType: 'p2p' }), 'view').ok) throw failure(w, `evaluation ${id}: ${owner} may not view it in their private chat`);
      }
    }

    // The scores the API computes: a fresh score of the stored answers.
    const rec = (await w.store.getEvaluation(id))!;
    const res = await w.app.request(`/api/evaluations/${encodeURIComponent(id)}/score`, {}, LOCAL);
    const api = await res.json();
    const fresh = scoreEvaluation(resolveFramework(rec.frameworkId, rec.framework), rec.answers);
    expect(res.status, `GET /api/evaluations/${id}/score`).toBe(200);
    const counts = itemCounts(fresh);
    w.depth.push(counts.applicable ? counts.scored / counts.applicable : 0);
    if (JSON.stringify(api) !== JSON.stringify(asJson(describeScore(fresh)))) throw failure(w, `evaluation ${id}: GET …/score is not a fresh score of the stored answers`);

    // The audit trail replays to the record.
    const initial = w.initial.get(id);
    if (!initial) throw failure(w, `evaluation ${id} was not created through the store's createEvaluation`);
    const trail = await w.store.listAudit(id);
    w.checks.entries += trail.length;
    const { state, conflicts } = replayAudit(initial, trail);
    if (conflicts.length) {
      const first = conflicts[0]!;
      throw failure(w, `evaluation ${id}: the audit trail does not chain: entry ${first.index} (${first.path}) ${first.reason}; found ${brief(first.found)}, entry ${brief(trail[first.index])}`);
    }
    const stored = auditedStateOf(rec);
    if (!sameAuditedState(state, stored)) throw failure(w, `evaluation ${id}: the audit trail does not replay to the record:\n${describeDifference(comparable(state), comparable(stored))}`);
  }
}

function sameAnswers(a: EvaluationRecord, b: EvaluationRecord): boolean {
  return sameAuditedState({ ...auditedStateOf(a) }, { ...auditedStateOf(b) });
}

/** Where two values differ (the first few paths), for a failure message. */
function describeDifference(replayed: unknown, stored: unknown): string {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (out.length >= 6) return;
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      return;
    }
    out.push(`${path}: replayed ${brief(a, 200)}, stored ${brief(b, 200)}`);
  };
  walk(replayed, stored, '');
  return out.join('\n');
}

/** Unhandled rejections and exceptions while the fuzz runs (Vitest reports them too; this names the seed). */
const unhandled: string[] = [];
const onUnhandled = (err: unknown) => void unhandled.push((err as Error)?.stack ?? String(err));

let sheets: Sheets;
const dirs: string[] = [];
beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  sheets = await buildSheets();
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function summary(w: World, started: number, cpu: NodeJS.CpuUsage): string {
  const statuses = [...w.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
  const spent = [...w.spent].map(([k, s]) => `${k} ${s.n}×${(s.ms / s.n).toFixed(2)} ms`).join(', ');
  return `fuzz ${w.part}: seed ${SEED}, ${w.cases} cases (${w.faultCases} with faults armed) in ${((performance.now() - started) / 1000).toFixed(1)} s, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU (${spent}); statuses ${statuses}; checked ${w.checks.evaluations} evaluations (${w.checks.chatChecked} through the chat), ${w.checks.entries} audit entries; items scored at the end: ${w.depth.map((d) => `${Math.round(d * 100)}%`).join(' ')}; slowest case ${w.slowest.ms.toFixed(0)} ms: ${w.slowest.c ? `${w.slowest.c.kind} ${brief(describeCase(w.slowest.c), 160)}` : '-'}`;
}

describe(`fuzz (seed ${SEED}, ${RUNS} cases)`, () => {
  it(`memory store: ${MEMORY_RUNS} messages, presses, API requests and uploads`, async () => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const w = createWorld('memory', createMemoryStore({ now: () => new Date(START) }), createRng(SEED).fork('memory'));
    await runPart(w, MEMORY_RUNS, sheets);
    console.info(summary(w, started, process.cpuUsage(cpu)));
    expect(w.cases).toBe(MEMORY_RUNS);
    expect(unhandled, `FUZZ_SEED=${SEED}`).toEqual([]);
    // The fuzz reached into the questionnaires: evaluations with answers and a trail to check.
    expect(w.checks.entries).toBeGreaterThan(100);
    if (MEMORY_RUNS >= 20_000) expect(Math.max(...w.depth), 'the deepest evaluation: share of its items scored').toBeGreaterThan(0.5);
  }, 600_000);

  it(`lowdb store on a temporary directory: ${LOWDB_RUNS} cases, and the same after reopening`, async () => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const dir = await mkdtemp(join(tmpdir(), 'fuzz-lowdb-'));
    dirs.push(dir);
    const store = await openLowdbStore(dir);
    const w = createWorld('lowdb', store, createRng(SEED).fork('lowdb'));
    await runPart(w, LOWDB_RUNS, undefined);
    console.info(summary(w, started, process.cpuUsage(cpu)));
    // What is on disk is what was answered: a second, read-only store on the directory reads the same.
    const reopened = await openLowdbStore(dir, { readOnly: true });
    const live = await w.store.listEvaluations();
    expect(live.length).toBeGreaterThan(0);
    for (const rec of live) {
      const disk = await reopened.getEvaluation(rec.id);
      expect(disk && auditedStateOf(disk), `evaluation ${rec.id} on disk (FUZZ_SEED=${SEED})`).toEqual(auditedStateOf(rec));
      expect(await reopened.listAudit(rec.id)).toEqual(await w.store.listAudit(rec.id));
    }
    expect(unhandled, `FUZZ_SEED=${SEED}`).toEqual([]);
  }, 600_000);

  it(`Feishu and DingTalk webhooks: ${WEBHOOK_RUNS} signed, re-sent and badly signed events`, async () => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const feishu = await startFakeFeishu();
    const dingtalk = await startFakeDingTalk();
    try {
      const platforms: Platforms = {
        env: {
          FEISHU_APP_ID: FAKE_APP_ID,
          FEISHU_APP_SECRET: FAKE_APP_SECRET,
          FEISHU_BASE_URL: feishu.url,
          FEISHU_ENCRYPT_KEY: FAKE_ENCRYPT_KEY,
          FEISHU_VERIFICATION_TOKEN: FAKE_VERIFICATION_TOKEN,
          DINGTALK_APP_KEY: FAKE_APP_KEY,
          DINGTALK_APP_SECRET: DINGTALK_SECRET,
          DINGTALK_API_BASE: dingtalk.apiBase,
          DINGTALK_OAPI_BASE: dingtalk.oapiBase,
        },
        // Sent without the per-chat spacing (Feishu's 5 a second): the spacing is the pipeline's, tested there.
        make: (store, logger, now) => createPlatformChannels(loadConfig(platforms.env), { store, logger, now }).map((c) => ({ ...c, sendIntervalMs: 0 })),
      };
      const w = createWorld('webhooks', createMemoryStore({ now: () => new Date(START) }), createRng(SEED).fork('webhooks'), platforms);
      await runWebhookPart(w, WEBHOOK_RUNS, dingtalk);
      w.pipeline.close();
      console.info(summary(w, started, process.cpuUsage(cpu)));
      // The platforms were answered: replies reached both fakes.
      expect(feishu.messages.length).toBeGreaterThan(0);
      expect(dingtalk.messages.length).toBeGreaterThan(0);
      expect(unhandled, `FUZZ_SEED=${SEED}`).toEqual([]);
    } finally {
      await feishu.close();
      await dingtalk.close();
    }
  }, 600_000);
});
