// /compose (and /composes): composes newest first, with their outcome counts and a link to their jobs.
import { type Compose } from '@autocloud/db';
import { COMPOSE_STATUSES, type ComposeListQuery } from '@autocloud/schemas';
import { counts, listTable, pager, statusBadge, time } from './format.js';
import { html, safeUrl, type SafeHtml } from './html.js';
import { page, type PageContext } from './layout.js';

export function composesPage(
  ctx: PageContext,
  path: string,
  query: ComposeListQuery,
  composes: Compose[],
  nextCursor: string | null,
): SafeHtml {
  const filters = { status: query.status, type: query.type, release: query.release, limit: query.limit };
  const rows = composes.map(
    (c) =>
      html`<tr>
        <td data-label="Compose">
          <a class="mono" href="${safeUrl(c.location)}">${c.compose_id}</a>
          ${c.label ? html`<span class="tag">${c.label}</span>` : ''}
        </td>
        <td data-label="Status">${statusBadge(c.status)}</td>
        <td data-label="Date">${c.date.replace(/^(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3')}</td>
        <td data-label="Type">${c.type}</td>
        <td data-label="Respin">${c.respin}</td>
        <td data-label="Release">${c.release}</td>
        <td data-label="Results">${counts(c)}</td>
        <td data-label="Jobs"><a href="/jobs/${c.compose_job_id}">${c.job_count} jobs »</a></td>
      </tr>`,
  );
  const body = html`
    <h1>Composes</h1>
    <form class="filters" method="get" action="${path}">
      <label
        >Status
        <select name="status">
          <option value="">any</option>
          ${COMPOSE_STATUSES.map(
            (s) => html`<option value="${s}" ${query.status === s ? html` selected` : ''}>${s}</option>`,
          )}
        </select></label
      >
      <label>Type <input name="type" value="${query.type ?? ''}" placeholder="nightly, production…" /></label>
      <label
        >Release <input name="release" value="${query.release ?? ''}" placeholder="41, Rawhide…"
      /></label>
      <button type="submit">Filter</button>
      <a href="${path}">Clear</a>
    </form>
    ${listTable(
      ['Compose', 'Status', 'Date', 'Type', 'Respin', 'Release', 'Passed / failed / aborted', 'Jobs'],
      rows,
      'No composes match.',
    )}
    ${pager(path, filters, query.cursor, nextCursor)}
  `;
  return page(ctx, { title: 'Composes', nav: 'composes', body });
}

/** The facts of one compose, above its jobs. */
export function composeFacts(c: Compose): SafeHtml {
  return html`<dl class="facts">
    <div>
      <dt>Status</dt>
      <dd>${statusBadge(c.status)}</dd>
    </div>
    <div>
      <dt>Location</dt>
      <dd><a href="${safeUrl(c.location)}">${c.location}</a></dd>
    </div>
    <div>
      <dt>Release</dt>
      <dd>${c.release}</dd>
    </div>
    <div>
      <dt>Date / respin</dt>
      <dd>${c.date}.${c.respin}</dd>
    </div>
    <div>
      <dt>Type</dt>
      <dd>${c.type}${c.label ? html` · ${c.label}` : ''}</dd>
    </div>
    <div>
      <dt>Results</dt>
      <dd>${counts(c)} of ${c.job_count}</dd>
    </div>
    <div>
      <dt>Recorded</dt>
      <dd>${time(c.created_at)}</dd>
    </div>
    <div>
      <dt>Completed</dt>
      <dd>${time(c.completed_at)}</dd>
    </div>
    ${
      c.reason
        ? html`<div class="wide">
            <dt>Reason</dt>
            <dd>${c.reason}</dd>
          </div>`
        : ''
    }
  </dl>`;
}
