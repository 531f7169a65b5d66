// Small, typed building blocks of the pages: times, durations, sizes, status badges, list tables, pagers.
import { html, queryString, type SafeHtml } from './html.js';

const STATUS_SYMBOL: Record<string, string> = {
  success: '✓',
  complete: '✓',
  failed: '✗',
  aborted: '⊘',
  running: '▶',
  queued: '◷',
  passed: '✓',
};

/** A status as symbol + word + colour, so it reads without colour too. */
export function statusBadge(status: string): SafeHtml {
  const symbol = STATUS_SYMBOL[status] ?? '•';
  return html`<span class="status status-${status}" data-status="${status}"
    ><span class="sym" aria-hidden="true">${symbol}</span> ${status}</span
  >`;
}

export function time(value: Date | string | null | undefined): SafeHtml {
  if (value === null || value === undefined) return html`<span class="muted">—</span>`;
  const d = value instanceof Date ? value : new Date(value);
  const text = `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return html`<time datetime="${d.toISOString()}">${text}</time>`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} m`;
}

/** A list as a table (one card per row on a phone), or one line saying that it is empty. */
export function listTable(
  headers: readonly (string | false)[],
  rows: readonly SafeHtml[],
  empty: string,
): SafeHtml {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<div class="table-wrap">
    <table class="list">
      <thead>
        <tr>
          ${headers.filter((h) => h !== false).map((h) => html`<th>${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}

/** Newest / older links that keep the filters in the URL. */
export function pager(
  path: string,
  filters: Record<string, string | number | undefined>,
  cursor: string | undefined,
  nextCursor: string | null,
): SafeHtml {
  const newest = cursor ? html`<a href="${path}${queryString(filters)}">« Newest</a>` : '';
  const older = nextCursor
    ? html`<a rel="next" href="${path}${queryString({ ...filters, cursor: nextCursor })}">Older »</a>`
    : html`<span class="muted">No older entries</span>`;
  return html`<nav class="pager" aria-label="Pages">${newest} ${older}</nav>`;
}

/** Passed / failed / aborted counts, each with its symbol. */
export function counts(c: { passed: number; failed: number; aborted: number }): SafeHtml {
  return html`<span class="counts"
    ><span class="count count-success" title="passed">✓ ${c.passed}</span>
    <span class="count count-failed" title="failed">✗ ${c.failed}</span>
    <span class="count count-aborted" title="aborted">⊘ ${c.aborted}</span></span
  >`;
}
