/**
 * The console page: a simulated group chat (chat id, user switcher, messages, buttons, file links) and
 * a live score panel, as one server-rendered HTML page with inline CSS and JS (no front-end build).
 * It talks to the same endpoints as every other client: POST /api/local/messages and
 * GET /api/chats/:chatId/evaluation (asked only for chats the list of evaluations names, so a chat
 * without one costs no 404). Opening a chat shows the conversation the local channel remembers
 * (GET /api/local/history), so an evaluation chosen from the list shows what was said in it. On a phone
 * the header fields stack and nothing is wider than the screen.
 *
 * A second tab, 指标体系 (also opened by `/#frameworks`), imports a framework sheet through
 * /api/frameworks: upload, the rows with their compiled rules, one input per open row posting to
 * /confirm (errors shown beside the row), and once nothing is open, the id to use in 新建自评 and the
 * export link.
 *
 * A third tab, 汇总 (also `/#overview`, see `console-overview.ts`), shows the bureau overview of some units.
 */
import { frameworksText as F, glanceText as G, importText, serverText as T } from '../core/locale/zh-CN';
import { DEFAULT_WORKBOOK_LIMITS } from '../core/import/limits';
import { OVERVIEW_SCRIPT, overviewLabels, renderOverviewTab, renderOverviewView } from './console-overview';

const importRowPrefix = importText.sheet.rowPrefix;

/** Options of the page: `denied` renders an access message instead of the console. */
export interface ConsolePageOptions {
  denied?: string;
  /** With `denied`: show the sign-in form (ADMIN_TOKEN is set and a token would help). */
  signIn?: boolean;
  /** Show the sign-out button (ADMIN_TOKEN is set: the page was opened in a session). */
  signOut?: boolean;
  /** The script nonce the page's Content-Security-Policy allows. */
  nonce?: string;
}

/** A fresh nonce for one page. */
export function createNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

/** The page's Content-Security-Policy: its own inline script (by nonce) and styles, the same origin, no framing. */
export function formatConsolePolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'nonce-${nonce}'`,
    "style-src 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.55 -apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;background:#f3f5f8;color:#1f2329}
header{display:flex;align-items:center;flex-wrap:wrap;gap:8px 16px;padding:10px 20px;background:#fff;border-bottom:1px solid #e4e7ec}
header h1{font-size:17px;margin:0;font-weight:600;white-space:nowrap}
header .fields{display:flex;gap:8px 12px;align-items:center;margin-left:auto;flex-wrap:wrap;min-width:0}
header .fields label{white-space:nowrap}
header .fields select{max-width:260px}
#sign-out{margin-left:auto}
#chat-fields:not([hidden])+#sign-out{margin-left:0}
label{color:#646a73;font-size:13px}
input,select,button{font:inherit}
input[type=text],select{border:1px solid #d0d3d6;border-radius:6px;padding:5px 8px;background:#fff}
button{border:1px solid #d0d3d6;background:#fff;border-radius:6px;padding:5px 12px;cursor:pointer}
button:hover{border-color:#3370ff;color:#3370ff}
button.primary{background:#3370ff;border-color:#3370ff;color:#fff}
button.primary:hover{background:#245bdb;color:#fff}
main{display:grid;grid-template-columns:minmax(0,2fr) minmax(300px,1fr);gap:16px;padding:16px 20px;height:calc(100vh - 56px)}
@media (max-width:900px){main{grid-template-columns:minmax(0,1fr);height:auto}}
.panel{background:#fff;border:1px solid #e4e7ec;border-radius:10px;display:flex;flex-direction:column;min-height:0}
.users{display:flex;gap:6px;align-items:center;padding:10px 14px;border-bottom:1px solid #eef0f3;flex-wrap:wrap}
.users button.active{background:#e1eaff;border-color:#3370ff;color:#245bdb;font-weight:600}
#messages{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:10px;min-height:300px}
.msg{max-width:78%;display:flex;flex-direction:column;gap:3px}
.msg .who{font-size:12px;color:#8f959e}
.msg .bubble{padding:8px 12px;border-radius:10px;white-space:pre-wrap;word-break:break-word}
.msg.user{align-self:flex-end;align-items:flex-end}
.msg.user .bubble{background:#3370ff;color:#fff}
.msg.bot .bubble{background:#f2f3f5}
.msg.bot .card{border:1px solid #dee0e3;border-radius:10px;overflow:hidden;background:#fff}
.card .title{background:#e1eaff;color:#1f2329;font-weight:600;padding:8px 12px}
.card .text{padding:8px 12px;white-space:pre-wrap;word-break:break-word}
.card .buttons,.chips{display:flex;gap:6px;flex-wrap:wrap;padding:0 12px 10px}
.chips{padding:4px 0 0}
.chips button{font-size:12px;padding:2px 10px;border-radius:12px}
.hint{font-size:12px;color:#8f959e}
.mentions{font-size:13px;color:#245bdb}
.msg.error .bubble{background:#fff0f0;color:#d83931}
a.file{display:inline-flex;gap:6px;align-items:center;padding:8px 12px;border:1px solid #dee0e3;border-radius:10px;background:#fff;color:#245bdb;text-decoration:none}
a.file::before{content:"📄"}
.composer{display:flex;gap:8px;padding:10px 14px;border-top:1px solid #eef0f3}
.composer input{flex:1;min-width:0}
.help{font-size:12px;color:#8f959e;padding:0 14px 10px}
#score{padding:14px 16px;overflow-y:auto;gap:12px}
#score h2{font-size:15px;margin:0}
.big{display:flex;align-items:baseline;gap:10px}
.big .total{font-size:34px;font-weight:700;color:#245bdb}
.big .grade{font-size:16px;font-weight:600;padding:2px 10px;border-radius:12px;background:#e8f8ef;color:#2ea121}
.big .grade.good{background:#e1eaff;color:#245bdb}
.big .grade.fair{background:#fff3e0;color:#de7802}
.big .grade.poor{background:#fff0f0;color:#d83931}
.big .grade.pending{background:#f2f3f5;color:#646a73}
.parts{display:flex;gap:14px;color:#646a73;font-size:13px}
.bar{height:8px;background:#eef0f3;border-radius:4px;overflow:hidden}
.bar div{height:100%;background:#3370ff}
table{border-collapse:collapse;width:100%;font-size:13px}
td{padding:4px 2px;border-bottom:1px solid #f2f3f5}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
ul.missing{margin:0;padding-left:18px;font-size:13px;color:#646a73}
.muted{color:#8f959e}
.denied{max-width:640px;margin:80px auto;background:#fff;border:1px solid #e4e7ec;border-radius:10px;padding:24px}
.sign-in{display:flex;gap:8px;flex-wrap:wrap;align-items:center}
.sign-in input{border:1px solid #d0d3d6;border-radius:6px;padding:5px 8px;min-width:0}
[hidden]{display:none!important}
nav.tabs{display:flex;gap:4px;flex:none}
nav.tabs button{border:none;background:none;padding:6px 12px;border-radius:6px;color:#646a73;white-space:nowrap}
nav.tabs button.active{background:#e1eaff;color:#245bdb;font-weight:600}
#frameworks-view{display:grid;grid-template-columns:minmax(280px,1fr) minmax(0,2fr);gap:16px;padding:16px 20px;min-height:calc(100vh - 56px)}
@media (max-width:900px){#frameworks-view{grid-template-columns:minmax(0,1fr)}}
#frameworks-view .panel{padding:14px 16px;gap:10px}
#frameworks-view h2{font-size:15px;margin:4px 0 0}
#fw-upload{display:flex;flex-direction:column;gap:8px}
#fw-list{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:4px}
#fw-list button{width:100%;text-align:left;display:flex;justify-content:space-between;gap:8px}
#fw-list button.active{border-color:#3370ff;background:#f0f4ff}
.badge{align-self:flex-start;font-size:12px;padding:1px 8px;border-radius:10px;background:#f2f3f5;color:#646a73;white-space:nowrap}
.badge.ready{background:#e8f8ef;color:#2ea121}
.badge.open{background:#fff3e0;color:#de7802}
.error{color:#d83931;white-space:pre-wrap}
.chart-box{padding:0 12px 10px}
svg.chart{width:100%;height:auto;display:block;font-size:12px}
svg.chart .track{fill:#eef0f3}
svg.chart .bar.done,svg.chart .cur{fill:#3370ff}
svg.chart .bar.pending{fill:#9fb8ff}
svg.chart .prev{fill:#bbbfc4}
svg.chart text{fill:#646a73}
svg.chart text.name{fill:#1f2329}
ul.error{margin:0;padding-left:18px}
.fw-q{border:1px solid #ffd8a8;background:#fffaf2;border-radius:8px;padding:10px 12px;display:flex;flex-direction:column;gap:6px}
.fw-q .text{white-space:pre-wrap;word-break:break-word}
.fw-q form,.fw-override{display:flex;gap:6px}
.fw-q input,.fw-override input{flex:1}
#fw-ready{background:#e8f8ef;border-radius:8px;padding:10px 12px;display:flex;flex-direction:column;gap:4px}
code{font-family:ui-monospace,Menlo,Consolas,monospace;background:#f2f3f5;padding:0 4px;border-radius:4px}
#fw-rows td{vertical-align:top}
#fw-rows td.rule{white-space:pre-wrap}
#fw-rows tr.open td{color:#de7802}
/* A phone: header fields one under another at full width, tighter margins, nothing wider than the screen. */
@media (max-width:600px){
header{padding:8px 12px}
header h1{font-size:16px}
header .fields{margin-left:0;width:100%}
header .fields label{display:flex;align-items:center;gap:6px;width:100%}
header .fields select,header .fields input[type=text]{flex:1;min-width:0;max-width:none}
main,#frameworks-view{padding:10px;gap:10px}
.users input[type=text]{flex:1 1 7em;min-width:0}
.msg{max-width:92%}
#messages{min-height:240px}
.fw-q form,.fw-override{flex-wrap:wrap}
}
`;

/** The page's script; reads its labels from the JSON in #labels. */
const SCRIPT = `
const L = JSON.parse(document.getElementById('labels').textContent);
const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
const state = {
  chatId: localStorage.getItem('jx.chatId') || 'demo-group',
  chatType: localStorage.getItem('jx.chatType') || 'group',
  users: JSON.parse(localStorage.getItem('jx.users') || 'null') || L.defaultUsers.map((name, i) => ({ id: 'u' + (i + 1), name })),
  current: Number(localStorage.getItem('jx.current') || 0),
  busy: Promise.resolve(),
};
if (!state.users[state.current]) state.current = 0;
const readLogOf = (chatId) => { try { return JSON.parse(localStorage.getItem('jx.log.' + chatId) || '[]'); } catch { return []; } };
const writeLogOf = (chatId, log) => { try { localStorage.setItem('jx.log.' + chatId, JSON.stringify(log.slice(-300))); } catch {} };
const readLog = () => readLogOf(state.chatId);
const writeLog = (log) => writeLogOf(state.chatId, log);
/** How often the page looks for reminders (ms). */
const MAILBOX_POLL_MS = 5000;
const save = () => {
  localStorage.setItem('jx.chatId', state.chatId);
  localStorage.setItem('jx.chatType', state.chatType);
  localStorage.setItem('jx.users', JSON.stringify(state.users));
  localStorage.setItem('jx.current', String(state.current));
};

function renderUsers() {
  const box = $('user-list');
  box.replaceChildren();
  state.users.forEach((u, i) => {
    const b = el('button', i === state.current ? 'active' : '', u.name);
    b.dataset.userId = u.id;
    b.onclick = () => { state.current = i; save(); renderUsers(); $('input').focus(); };
    box.append(b);
  });
}

function renderEntry(entry) {
  const box = $('messages');
  if (entry.from === 'user') {
    const m = el('div', 'msg user');
    m.append(el('div', 'who', entry.name), el('div', 'bubble', entry.text));
    box.append(m);
  } else if (entry.from === 'error') {
    const m = el('div', 'msg error');
    m.append(el('div', 'bubble', entry.text));
    box.append(m);
  } else {
    const r = entry.reply;
    const m = el('div', 'msg bot');
    m.append(el('div', 'who', L.bot));
    if (r.mentions && r.mentions.length) m.append(el('div', 'mentions', r.mentions.map((p) => '@' + (p.name || p.userId)).join(' ')));
    if (r.kind === 'text') m.append(el('div', 'bubble', r.text));
    else if (r.kind === 'card') {
      const card = el('div', 'card');
      card.append(el('div', 'title', r.title), el('div', 'text', r.text));
      if (r.scoreSummary || r.comparison) card.append(barChart(r));
      if (r.buttons && r.buttons.length) {
        const bs = el('div', 'buttons');
        for (const btn of r.buttons) {
          const b = el('button', '', btn.label);
          b.onclick = () => send({ action: btn.action, label: btn.label });
          bs.append(b);
        }
        card.append(bs);
      }
      m.append(card);
    } else if (r.kind === 'file') {
      const a = el('a', 'file', r.name);
      a.href = r.url;
      a.setAttribute('download', r.name);
      m.append(a);
    }
    const q = r.question;
    if (q) {
      const parts = [];
      if (q.unit) parts.push(L.unitLabel + '：' + q.unit);
      if (parts.length) m.append(el('div', 'hint', L.hint + parts.join('，')));
      if (q.options && q.options.length && !(r.buttons && r.buttons.length)) {
        const chips = el('div', 'chips');
        for (const o of q.options) {
          const b = el('button', '', o);
          b.onclick = () => send({ text: o });
          chips.append(b);
        }
        m.append(chips);
      }
    }
    box.append(m);
  }
  box.scrollTop = box.scrollHeight;
}

const SVG = 'http://www.w3.org/2000/svg';
const svgEl = (tag, attrs, text) => { const e = document.createElementNS(SVG, tag); for (const k in attrs) e.setAttribute(k, String(attrs[k])); if (text !== undefined) e.textContent = text; return e; };

/**
 * 得分 (a bar per level-1 indicator: its score on a track as long as its maximum) or 对比 (last year's
 * and this year's bars per indicator) as an inline SVG chart, drawn from the reply's figures.
 */
function barChart(r) {
  const rows = r.scoreSummary
    ? r.scoreSummary.sections.map((s) => ({ name: s.name, bars: [{ value: s.score || 0, max: s.max, cls: s.complete ? 'done' : 'pending', label: fmt(s.score) + '/' + fmt(s.max) }] }))
    : r.comparison.sections.map((s) => ({
        name: s.name,
        bars: [
          { value: s.previous || 0, max: s.previousMax, cls: 'prev', label: s.previousMax === null ? L.chart.absent : fmt(s.previous) + '/' + fmt(s.previousMax) },
          { value: s.current || 0, max: s.currentMax, cls: 'cur', label: s.currentMax === null ? L.chart.absent : fmt(s.current) + '/' + fmt(s.currentMax) },
        ],
      }));
  const scale = Math.max(1, ...rows.flatMap((row) => row.bars.map((b) => b.max || 0)));
  const W = 420, NAME = 120, LABEL = 70, BAR = 14, GAP = 10;
  const track = W - NAME - LABEL;
  const legend = r.comparison ? 22 : 0;
  const rowH = rows[0] ? rows[0].bars.length * (BAR + 2) : 0;
  const H = legend + rows.length * (rowH + GAP) + 4;
  const svg = svgEl('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'chart', role: 'img', 'aria-label': r.title });
  if (r.comparison) {
    const c = r.comparison;
    [[c.previousYear, 'prev'], [c.year, 'cur']].forEach(([year, cls], i) => {
      svg.append(svgEl('rect', { x: NAME + i * 110, y: 4, width: 12, height: 12, class: cls }));
      svg.append(svgEl('text', { x: NAME + i * 110 + 16, y: 14, class: 'legend' }, L.chart.year.replace('{y}', year)));
    });
  }
  rows.forEach((row, i) => {
    const y0 = legend + i * (rowH + GAP);
    const g = svgEl('g', { class: 'row', 'data-name': row.name });
    g.append(svgEl('text', { x: NAME - 6, y: y0 + rowH / 2 + 4, 'text-anchor': 'end', class: 'name' }, row.name.length > 9 ? row.name.slice(0, 8) + '…' : row.name));
    row.bars.forEach((b, j) => {
      const y = y0 + j * (BAR + 2);
      if (b.max) g.append(svgEl('rect', { x: NAME, y, width: (track * b.max) / scale, height: BAR, rx: 3, class: 'track' }));
      const bar = svgEl('rect', { x: NAME, y, width: (track * Math.max(0, b.value)) / scale, height: BAR, rx: 3, class: 'bar ' + b.cls, 'data-value': b.value, 'data-max': b.max === null ? '' : b.max });
      bar.append(svgEl('title', {}, row.name + ' ' + b.label));
      g.append(bar, svgEl('text', { x: W - LABEL + 4, y: y + BAR - 3, class: 'value' }, b.label));
    });
    svg.append(g);
  });
  const box = el('div', 'chart-box');
  box.append(svg);
  return box;
}

function renderLog() {
  $('messages').replaceChildren();
  for (const e of readLog()) renderEntry(e);
}

function record(entry) {
  const log = readLog();
  log.push(entry);
  writeLog(log);
  renderEntry(entry);
}

function send(input) {
  const user = state.users[state.current];
  const chatId = state.chatId;
  record({ from: 'user', userId: user.id, name: user.name, text: input.text !== undefined ? input.text : '［' + input.label + '］' });
  const body = { chatId, userId: user.id, userName: user.name, chatType: state.chatType };
  if (input.text !== undefined) body.text = input.text; else body.action = input.action;
  // One request at a time, so the conversation keeps its order.
  state.busy = state.busy.then(async () => {
    $('status').textContent = L.sending;
    try {
      const res = await fetch('/api/local/messages', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      const data = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(data.error || res.status);
      if (chatId === state.chatId) for (const r of data.replies) record({ from: 'bot', reply: r });
    } catch (err) {
      if (chatId === state.chatId) record({ from: 'error', text: L.sendFailed + err.message });
    } finally {
      $('status').textContent = '';
    }
    await refreshEvaluations();
    await refreshScore();
  });
  return state.busy;
}

/**
 * The chat's conversation as the server's local channel remembers it (another browser's, the terminal's),
 * in place of this browser's copy unless that copy already ends with it. Queued behind any message being sent.
 */
function loadHistory() {
  const chatId = state.chatId;
  state.busy = state.busy.then(async () => {
    try {
      const res = await fetch('/api/local/history?chatId=' + encodeURIComponent(chatId));
      if (!res.ok || chatId !== state.chatId) return;
      const entries = (await res.json()).entries || [];
      if (!entries.length) return;
      const mine = readLog().filter((e) => e.from !== 'error');
      if (JSON.stringify(mine.slice(-entries.length)) === JSON.stringify(entries)) return;
      writeLog(entries);
      renderLog();
    } catch {}
  });
  return state.busy;
}

/** Messages nobody asked for (reminders) waiting for this chat: taken and shown, behind any message being sent. */
function pollMailbox() {
  const chatId = state.chatId;
  state.busy = state.busy.then(async () => {
    try {
      const res = await fetch('/api/local/messages?chatId=' + encodeURIComponent(chatId));
      signedOut(res);
      if (!res.ok) return;
      const replies = (await res.json()).replies || [];
      // Taken from the server's mailbox: shown in the chat they were for, even if the user switched since.
      if (chatId === state.chatId) for (const r of replies) record({ from: 'bot', reply: r });
      else if (replies.length) writeLogOf(chatId, readLogOf(chatId).concat(replies.map((r) => ({ from: 'bot', reply: r }))));
    } catch {}
  });
  return state.busy;
}

function fmt(n) { return n === null || n === undefined ? '—' : String(Math.round(n * 100) / 100); }

async function refreshScore() {
  const box = $('score-body');
  const noEvaluation = () => { box.replaceChildren(el('p', 'muted', L.noEvaluation)); $('score').dataset.revision = 'none'; };
  // The list of evaluations names every chat that has one: no request (and no 404) for a chat without.
  if (state.chats && !state.chats.has(state.chatId)) return noEvaluation();
  let data;
  try {
    const res = await fetch('/api/chats/' + encodeURIComponent(state.chatId) + '/evaluation');
    if (res.status === 404) return noEvaluation();
    data = await res.json();
    if (!res.ok) throw new Error(data.error || res.status);
  } catch (err) {
    box.replaceChildren(el('p', 'muted', L.sendFailed + err.message));
    return;
  }
  const parts = [];
  parts.push(el('div', 'muted', data.unit + ' · ' + data.year + ' · ' + data.framework));
  if (data.score) {
    const big = el('div', 'big');
    const total = el('span', 'total', fmt(data.score.total)); total.id = 'score-total';
    // Like the chat: no grade until every indicator is answered.
    const g = data.complete ? (data.score.grade || '') : L.gradePending;
    const tone = !data.complete ? ' pending' : /优/.test(g) ? '' : /良/.test(g) ? ' good' : /中|合格/.test(g) ? ' fair' : ' poor';
    const grade = el('span', 'grade' + tone, g); grade.id = 'score-grade';
    big.append(el('span', 'muted', L.total), total, grade);
    parts.push(big);
    parts.push(el('div', 'parts', L.base + ' ' + fmt(data.score.base) + '　' + L.bonus + ' ' + fmt(data.score.bonus) + '　' + L.penalty + ' ' + fmt(data.score.penalty)));
  }
  const c = data.completion;
  const done = el('div', '', L.completion + ' ' + c.answered + ' / ' + c.total); done.id = 'score-completion';
  const bar = el('div', 'bar'); const fill = el('div'); fill.style.width = (c.total ? Math.round(100 * c.answered / c.total) : 0) + '%'; bar.append(fill);
  parts.push(done, bar);
  if (data.subtotals.length) {
    parts.push(el('h2', '', L.subtotals));
    const t = el('table'); t.id = 'score-subtotals';
    for (const s of data.subtotals) {
      const tr = el('tr');
      tr.append(el('td', '', s.name), el('td', 'num', fmt(s.score) + ' / ' + fmt(s.points)));
      t.append(tr);
    }
    parts.push(t);
  }
  parts.push(el('h2', '', L.missing));
  if (!data.missing.length) parts.push(el('p', 'muted', L.nothingMissing));
  else {
    const ul = el('ul', 'missing'); ul.id = 'score-missing';
    for (const m of data.missing.slice(0, 12)) ul.append(el('li', '', m.code + ' ' + m.name));
    if (data.missing.length > 12) ul.append(el('li', 'muted', L.missingMore.replace('{n}', String(data.missing.length - 12))));
    parts.push(ul);
  }
  if (data.deductions.length) {
    parts.push(el('h2', '', L.deductions));
    const ul = el('ul', 'missing'); ul.id = 'score-deductions';
    for (const d of data.deductions) {
      const li = el('li', '', d.code + ' ' + d.name + '：' + L.lost.replace('{n}', fmt(d.lost)));
      if (d.reasons.length) li.title = d.reasons.join('；');
      ul.append(li);
    }
    parts.push(ul);
  }
  const a = el('a', '', L.report); a.id = 'report-link'; a.href = '/api/evaluations/' + encodeURIComponent(data.id) + '/report.docx'; a.setAttribute('download', '');
  parts.push(a);
  box.replaceChildren(...parts);
  $('score').dataset.revision = String(Date.now());
}

async function refreshEvaluations() {
  try {
    const res = await fetch('/api/evaluations');
    signedOut(res);
    if (!res.ok) return;
    const list = await res.json();
    state.chats = new Set(list.flatMap((e) => e.chatIds));
    const sel = $('evaluations');
    const first = sel.options[0];
    sel.replaceChildren(first);
    for (const e of list) {
      if (!e.chatIds.length) continue;
      const o = el('option', '', e.unit + ' ' + e.year + '（' + e.completion.answered + '/' + e.completion.total + '）· ' + e.chatIds[0]);
      o.value = e.chatIds[0];
      sel.append(o);
    }
    sel.value = '';
  } catch {}
}
$('evaluations').onchange = () => {
  const chat = $('evaluations').value;
  if (!chat) return;
  $('chat-id').value = chat;
  $('chat-id').onchange();
  $('evaluations').value = '';
};
$('chat-id').value = state.chatId;
$('chat-type').value = state.chatType;
$('chat-id').onchange = () => { state.chatId = $('chat-id').value.trim() || 'demo-group'; save(); renderLog(); loadHistory(); refreshScore(); };
$('chat-type').onchange = () => { state.chatType = $('chat-type').value; save(); };
$('add-user').onclick = () => {
  const name = $('new-user').value.trim();
  if (!name) return;
  state.users.push({ id: 'u' + (state.users.length + 1) + '-' + Date.now().toString(36), name });
  state.current = state.users.length - 1;
  $('new-user').value = '';
  save(); renderUsers();
};
$('clear').onclick = () => {
  writeLog([]);
  renderLog();
  fetch('/api/local/history?chatId=' + encodeURIComponent(state.chatId), { method: 'DELETE' }).catch(() => {});
};
$('refresh').onclick = () => refreshScore();
$('composer').onsubmit = (e) => {
  e.preventDefault();
  const text = $('input').value;
  if (!text.trim()) return;
  $('input').value = '';
  send({ text });
};
// Signing out ends the session on the server; the page then shows the sign-in form.
if ($('sign-out')) $('sign-out').onclick = async () => {
  try {
    const res = await fetch('/api/session/logout', { method: 'POST' });
    if (!res.ok) throw new Error(res.status);
    location.replace('/');
  } catch (err) {
    $('status').textContent = L.signOutFailed + err.message;
  }
};
/** A session that ended (expired, signed out elsewhere, server restarted): back to the sign-in form. */
const signedOut = (res) => { if (res.status === 401 && $('sign-out')) location.replace('/'); };
renderUsers();
renderLog();
loadHistory();
refreshEvaluations().then(refreshScore);
// Reminders arrive unprompted: look for them every few seconds while the page is shown.
setInterval(() => { if (document.visibilityState === 'visible') pollMailbox(); }, MAILBOX_POLL_MS);

// ---- 指标体系: import a sheet, answer its open rows, use or export it.
const FW = L.fw;
const fw = { selected: localStorage.getItem('jx.fw') || '' };
function showTab(name) {
  const frameworks = name === 'frameworks';
  const overview = name === 'overview';
  const chat = !frameworks && !overview;
  $('chat-view').hidden = !chat;
  $('chat-fields').hidden = !chat;
  $('frameworks-view').hidden = !frameworks;
  $('overview-view').hidden = !overview;
  $('tab-chat').classList.toggle('active', chat);
  $('tab-frameworks').classList.toggle('active', frameworks);
  $('tab-overview').classList.toggle('active', overview);
  history.replaceState(null, '', chat ? location.pathname : '#' + name);
  if (frameworks) { refreshFrameworks(); if (fw.selected) loadFramework(fw.selected); }
  if (overview) refreshOverview();
}
$('tab-chat').onclick = () => showTab('chat');
$('tab-frameworks').onclick = () => showTab('frameworks');

function statusBadge(f) {
  if (f.status === 'ready') return el('span', 'badge ready', FW.ready);
  if (f.counts && f.counts.open) return el('span', 'badge open', FW.open.replace('{n}', String(f.counts.open)));
  return el('span', 'badge open', FW.notUsable);
}

async function refreshFrameworks() {
  try {
    const res = await fetch('/api/frameworks');
    if (!res.ok) return;
    const list = await res.json();
    const ul = $('fw-list');
    ul.replaceChildren();
    for (const f of list) {
      const li = el('li');
      const b = el('button', f.id === fw.selected ? 'active' : '');
      b.type = 'button';
      b.dataset.id = f.id;
      const label = el('span', '', f.name);
      label.append(el('span', 'muted', f.builtin ? '（' + FW.builtin + '）' : ' · ' + f.id));
      b.append(label, statusBadge(f));
      b.onclick = () => loadFramework(f.id);
      li.append(b);
      ul.append(li);
    }
  } catch {}
}

async function loadFramework(id) {
  fw.selected = id;
  localStorage.setItem('jx.fw', id);
  for (const b of document.querySelectorAll('#fw-list button')) b.classList.toggle('active', b.dataset.id === id);
  try {
    const res = await fetch('/api/frameworks/' + encodeURIComponent(id));
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || res.status);
    renderFramework(data);
  } catch (err) {
    $('fw-detail').replaceChildren(el('p', 'error', FW.failed + err.message));
  }
}

function answerForm(code, placeholder, label) {
  const form = el('form');
  const input = el('input');
  input.type = 'text';
  input.className = 'fw-answer';
  input.placeholder = placeholder;
  input.setAttribute('aria-label', placeholder);
  const btn = el('button', 'primary', label);
  btn.type = 'submit';
  const error = el('div', 'error fw-error');
  form.append(input, btn);
  form.input = input;
  form.onsubmit = async (e) => {
    e.preventDefault();
    const answer = input.value.trim();
    if (!answer) { input.focus(); return; }
    btn.disabled = true;
    error.textContent = '';
    try {
      const res = await fetch('/api/frameworks/' + encodeURIComponent(fw.selected) + '/confirm', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code, answer }),
      });
      const data = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(data.error || res.status);
      renderFramework(data);
      refreshFrameworks();
      // On to the next open row, if any.
      const next = document.querySelector('#fw-open .fw-answer');
      if (next) next.focus();
    } catch (err) {
      error.textContent = err.message;
      input.focus();
    } finally {
      btn.disabled = false;
    }
  };
  return { form, error };
}

function renderFramework(data) {
  const box = $('fw-detail');
  box.dataset.id = data.id;
  box.dataset.status = data.status;
  const parts = [];
  const title = el('div', '', '');
  title.style.cssText = 'display:flex;gap:10px;align-items:center;flex-wrap:wrap';
  const h = el('h2', '', data.name); h.id = 'fw-name-title';
  const status = statusBadge(data); status.id = 'fw-status';
  const idLine = el('span', 'muted', FW.idLabel + '：');
  const code = el('code', '', data.id); code.id = 'fw-id';
  idLine.append(code);
  title.append(h, status, idLine);
  parts.push(title);
  if (data.status === 'ready') {
    const ready = el('div'); ready.id = 'fw-ready';
    ready.append(el('div', '', FW.readyNote.replace('{id}', data.id)));
    const a = el('a', '', FW.export); a.id = 'fw-export';
    a.href = '/api/frameworks/' + encodeURIComponent(data.id) + '/export.xlsx';
    a.setAttribute('download', '');
    ready.append(a);
    parts.push(ready);
  }
  if (data.problems && data.problems.length) {
    parts.push(el('h2', '', FW.problems));
    const ul = el('ul', 'error'); ul.id = 'fw-problems';
    for (const p of data.problems) ul.append(el('li', '', p));
    parts.push(ul);
  }
  if (data.open && data.open.length) {
    parts.push(el('h2', '', FW.openTitle + '（' + data.open.length + '）'));
    const list = el('div'); list.id = 'fw-open';
    list.style.cssText = 'display:flex;flex-direction:column;gap:8px';
    for (const q of data.open) {
      const item = el('div', 'fw-q');
      item.dataset.code = q.code;
      item.append(el('div', 'text', q.question));
      const { form, error } = answerForm(q.code, FW.answerPlaceholder, FW.confirm);
      if (q.suggestion) {
        const accept = el('button', 'fw-accept', FW.acceptSuggestion);
        accept.type = 'button';
        accept.title = q.suggestion;
        accept.onclick = () => { form.input.value = '确认'; form.requestSubmit(); };
        form.append(accept);
      }
      item.append(form, error);
      list.append(item);
    }
    parts.push(list);
  }
  parts.push(el('h2', '', FW.rowsTitle));
  const t = el('table'); t.id = 'fw-rows';
  const head = el('tr');
  for (const k of ['row', 'code', 'name', 'points', 'rule']) head.append(el('td', 'muted', FW.columns[k]));
  t.append(head);
  for (const r of data.rows) {
    const tr = el('tr', r.status === 'open' ? 'open' : '');
    tr.dataset.code = r.code;
    const rule = el('td', 'rule', r.rule || r.reason || '');
    tr.append(el('td', 'num', r.row === undefined ? '' : String(r.row)), el('td', '', r.code), el('td', '', r.name), el('td', 'num', r.points === undefined ? '' : fmt(r.points)), rule);
    if (!data.builtin && r.status !== 'open' && (r.kind === 'indicator' || r.kind === 'bonus')) {
      const edit = el('button', '', FW.override);
      edit.type = 'button';
      edit.className = 'fw-edit';
      edit.style.cssText = 'margin-left:8px;font-size:12px;padding:0 8px';
      edit.onclick = () => {
        if (rule.querySelector('form')) return;
        const { form, error } = answerForm(r.code, FW.overridePlaceholder, FW.confirm);
        form.className = 'fw-override';
        rule.append(form, error);
        form.querySelector('input').focus();
      };
      rule.append(edit);
    }
    t.append(tr);
  }
  parts.push(t);
  box.replaceChildren(...parts);
}

$('fw-upload').onsubmit = async (e) => {
  e.preventDefault();
  const file = $('fw-file').files[0];
  const status = $('fw-upload-status');
  if (!file) { $('fw-file').focus(); return; }
  const form = new FormData();
  form.set('file', file, file.name);
  const name = $('fw-name').value.trim();
  if (name) form.set('name', name);
  status.className = 'muted';
  status.replaceChildren(el('span', '', FW.uploading));
  $('fw-upload-btn').disabled = true;
  try {
    const res = await fetch('/api/frameworks', { method: 'POST', body: form });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      status.className = 'error';
      const lines = [el('div', '', FW.failed + (data.error ? data.error.split('\\n')[0] : res.status))];
      if (data.problems && data.problems.length) {
        const ul = el('ul', 'error');
        for (const p of data.problems) ul.append(el('li', '', (p.row ? L.rowPrefix.replace('{n}', String(p.row)) : '') + p.message));
        lines.push(ul);
      }
      status.replaceChildren(...lines);
      return;
    }
    status.replaceChildren();
    $('fw-file').value = '';
    $('fw-name').value = '';
    fw.selected = data.id;
    localStorage.setItem('jx.fw', data.id);
    renderFramework(data);
    await refreshFrameworks();
  } catch (err) {
    status.className = 'error';
    status.replaceChildren(el('div', '', FW.failed + err.message));
  } finally {
    $('fw-upload-btn').disabled = false;
  }
};
if (location.hash === '#frameworks') showTab('frameworks');
`;

/** The page's icon, inline (a blue tile with a bar chart), so the browser asks the server for none. */
const ICON = `data:image/svg+xml,${encodeURIComponent(
  "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'><rect width='32' height='32' rx='7' fill='#3370ff'/><path d='M8 24V15M16 24V8M24 24V12' stroke='#fff' stroke-width='4' stroke-linecap='round'/></svg>",
)}`;

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Escapes text for HTML. */
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Renders the console page (or an access message when `denied` is set). */
export function renderConsolePage(options: ConsolePageOptions): string {
  const C = T.console;
  const head = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(C.title)}</title><link rel="icon" href="${ICON}"><style>${CSS}</style></head>`;
  if (options.denied) {
    // A plain form (no script): the token goes in a POST body, not in the address bar or the history.
    const form = options.signIn
      ? `<form class="sign-in" method="post" action="/api/session/login"><label>${escapeHtml(C.tokenLabel)} <input type="password" name="token" id="token" autocomplete="current-password" required autofocus></label><button class="primary" id="sign-in" type="submit">${escapeHtml(C.signIn)}</button></form>`
      : '';
    return `${head}<body><div class="denied"><h1>${escapeHtml(C.title)}</h1><p id="denied">${escapeHtml(options.denied)}</p>${form}</div></body></html>`;
  }
  const FC = F.console;
  const fw = { ...FC, open: FC.open(0).replace('0', '{n}'), readyNote: FC.readyNote('{id}') };
  const chart = { absent: G.absent, year: G.previousSeries(0).replace('0', '{y}') };
  const labels = { ...C, missingMore: C.missingMore(0).replace('0', '{n}'), lost: C.lost('{n}'), rowPrefix: importRowPrefix(0).replace('0', '{n}'), fw, chart, ov: overviewLabels() };
  const json = JSON.stringify(labels).replace(/</g, '\\u003c');
  return `${head}<body>
<header><h1>${escapeHtml(C.title)}</h1>
<nav class="tabs"><button type="button" id="tab-chat" class="active">${escapeHtml(FC.tabChat)}</button><button type="button" id="tab-frameworks">${escapeHtml(FC.tabFrameworks)}</button>${renderOverviewTab()}</nav>
<div class="fields" id="chat-fields">
<label>${escapeHtml(C.evaluations)} <select id="evaluations"><option value="">${escapeHtml(C.pickEvaluation)}</option></select></label>
<label>${escapeHtml(C.chatId)} <input type="text" id="chat-id" size="18"></label>
<label>${escapeHtml(C.chatType)} <select id="chat-type"><option value="group">${escapeHtml(C.group)}</option><option value="p2p">${escapeHtml(C.p2p)}</option></select></label>
</div>${options.signOut ? `<button type="button" id="sign-out">${escapeHtml(C.signOut)}</button>` : ''}</header>
<main id="chat-view">
<section class="panel">
<div class="users"><label>${escapeHtml(C.users)}</label><span id="user-list" style="display:flex;gap:6px;flex-wrap:wrap"></span>
<input type="text" id="new-user" size="8" placeholder="${escapeHtml(C.addUserPlaceholder)}"><button id="add-user" type="button">${escapeHtml(C.addUser)}</button>
<button id="clear" type="button" style="margin-left:auto">${escapeHtml(C.clear)}</button></div>
<div id="messages" aria-live="polite"></div>
<form class="composer" id="composer"><input type="text" id="input" autocomplete="off" placeholder="${escapeHtml(C.inputPlaceholder)}" autofocus><button class="primary" id="send" type="submit">${escapeHtml(C.send)}</button></form>
<div class="help"><span id="status"></span> ${escapeHtml(C.help)}</div>
</section>
<aside class="panel" id="score"><div style="display:flex;justify-content:space-between;align-items:center"><h2>${escapeHtml(C.scoreTitle)}</h2><button id="refresh" type="button">${escapeHtml(C.refresh)}</button></div><div id="score-body" style="display:flex;flex-direction:column;gap:10px"></div></aside>
</main>
<div id="frameworks-view" hidden>
<section class="panel">
<h2>${escapeHtml(FC.uploadTitle)}</h2>
<p class="muted" style="margin:0">${escapeHtml(FC.uploadHint(DEFAULT_WORKBOOK_LIMITS.maxRows, DEFAULT_WORKBOOK_LIMITS.maxColumns))}</p>
<form id="fw-upload">
<label>${escapeHtml(FC.file)} <input type="file" id="fw-file" accept=".xlsx,.csv,${XLSX_TYPE},text/csv"></label>
<label>${escapeHtml(FC.name)} <input type="text" id="fw-name" placeholder="${escapeHtml(FC.namePlaceholder)}"></label>
<div><button class="primary" id="fw-upload-btn" type="submit">${escapeHtml(FC.upload)}</button></div>
</form>
<div id="fw-upload-status"></div>
<h2>${escapeHtml(FC.listTitle)}</h2>
<ul id="fw-list"></ul>
</section>
<section class="panel" id="fw-detail"><p class="muted">${escapeHtml(FC.pick)}</p></section>
</div>
${renderOverviewView()}
<script type="application/json" id="labels">${json}</script>
<script${options.nonce ? ` nonce="${escapeHtml(options.nonce)}"` : ''}>${SCRIPT}${OVERVIEW_SCRIPT}</script>
</body></html>`;
}
