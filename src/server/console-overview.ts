/**
 * The console's 汇总 tab (also opened by `/#overview`): the bureau overview's table for some units (or
 * for the units a chat follows), from GET /api/overview, in the chat's order, with a link to the same
 * rows as .xlsx (GET /api/overview/export.xlsx). Part of the console page's one inline script.
 */
import { overviewText as O } from '../core/locale/zh-CN';

/** Escapes text for HTML. */
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** The labels the tab's script reads (`L.ov`). */
export function overviewLabels() {
  return { ...O.console, columns: O.columns, notFinal: O.statusNotFinal, none: O.statusNone, error: O.statusError, nothing: O.console.none };
}

/** The tab's button. */
export function renderOverviewTab(): string {
  return `<button type="button" id="tab-overview">${escapeHtml(O.console.tab)}</button>`;
}

/** The tab's view (hidden until chosen). */
export function renderOverviewView(): string {
  const C = O.console;
  return `<style>#overview-view{padding:16px 20px}#overview-view .panel{padding:14px 16px;gap:10px}.ov-form{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:center}.ov-form input{max-width:100%}#ov-table th{text-align:left;font-weight:600;color:#646a73;padding:4px 2px;border-bottom:1px solid #e4e7ec;white-space:nowrap}</style>
<div id="overview-view" hidden>
<section class="panel">
<form id="ov-form" class="ov-form">
<label>${escapeHtml(C.units)} <input type="text" id="ov-units" size="36" placeholder="${escapeHtml(C.unitsPlaceholder)}"></label>
<label>${escapeHtml(C.year)} <input type="text" id="ov-year" size="6" placeholder="${escapeHtml(C.yearPlaceholder)}"></label>
<label>${escapeHtml(C.chatId)} <input type="text" id="ov-chat" size="16" placeholder="${escapeHtml(C.chatIdPlaceholder)}"></label>
<button class="primary" id="ov-show" type="submit">${escapeHtml(C.show)}</button>
<a id="ov-export" hidden>${escapeHtml(C.exportLink)}</a>
</form>
<div id="ov-status" class="muted">${escapeHtml(C.empty)}</div>
<div style="overflow-x:auto"><table id="ov-table" hidden><thead><tr>${O.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody></tbody></table></div>
<div id="ov-pending" class="muted"></div>
</section>
</div>`;
}

/** The tab's script (runs inside the console's script: `$`, `el`, `L` and `fmt` are defined there). */
export const OVERVIEW_SCRIPT = `
// ---- 汇总: the bureau overview of several units.
const OV = L.ov;
$('ov-units').value = localStorage.getItem('jx.ov.units') || '';
$('ov-year').value = localStorage.getItem('jx.ov.year') || '';
$('ov-chat').value = localStorage.getItem('jx.ov.chat') || '';
function overviewQuery() {
  const q = new URLSearchParams();
  const chat = $('ov-chat').value.trim(), units = $('ov-units').value.trim(), year = $('ov-year').value.trim();
  if (chat) q.set('chatId', chat); else if (units) q.set('units', units); else return '';
  if (year) q.set('year', year);
  return q.toString();
}
async function refreshOverview() {
  const q = overviewQuery();
  const status = $('ov-status'), table = $('ov-table'), link = $('ov-export');
  localStorage.setItem('jx.ov.units', $('ov-units').value);
  localStorage.setItem('jx.ov.year', $('ov-year').value);
  localStorage.setItem('jx.ov.chat', $('ov-chat').value);
  $('ov-pending').textContent = '';
  if (!q) { table.hidden = true; link.hidden = true; status.className = 'muted'; status.textContent = OV.empty; return; }
  try {
    const res = await fetch('/api/overview?' + q);
    const data = await res.json().catch(() => ({}));
    if (!res.ok) { table.hidden = true; link.hidden = true; status.className = 'error'; status.textContent = OV.failed + (data.error || res.status); return; }
    const body = table.tBodies[0];
    body.replaceChildren();
    data.rows.forEach((r, i) => {
      const tr = el('tr');
      tr.dataset.unit = r.unit;
      const c = r.completion;
      const ok = r.status === 'ok' && c;
      const grade = r.status === 'none' ? OV.none : r.status === 'error' ? OV.error : r.final ? r.grade : OV.notFinal;
      const cells = [String(i + 1), r.unit, r.year === null ? '—' : String(r.year), ok ? String(c.scored) : '—', ok ? String(c.applicable) : '—',
        ok && c.applicable ? (Math.round(c.scored / c.applicable * 1000) / 10) + '%' : '—', ok ? fmt(r.total) : '—', grade];
      cells.forEach((v, j) => tr.append(el('td', j === 1 ? '' : 'num', v)));
      body.append(tr);
    });
    table.hidden = !data.rows.length;
    link.hidden = !data.rows.length;
    link.href = '/api/overview/export.xlsx?' + q;
    status.className = 'muted';
    status.textContent = data.rows.length ? '' : OV.nothing;
    if (data.pending && data.pending.length) $('ov-pending').textContent = OV.pending + data.pending.map((p) => p.unit).join('、');
  } catch (err) {
    status.className = 'error';
    status.textContent = OV.failed + err.message;
  }
}
$('ov-form').onsubmit = (e) => { e.preventDefault(); refreshOverview(); };
$('tab-overview').onclick = () => showTab('overview');
if (location.hash === '#overview') showTab('overview');
`;
