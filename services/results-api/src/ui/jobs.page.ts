// /jobs (filters that stay in the URL) and /jobs/{compose_job_id} (the jobs of one compose, the original route).
import { type Compose, type Job } from '@autocloud/db';
import { BACKENDS, JOB_STATUSES, type JobListQuery } from '@autocloud/schemas';
import { composeFacts } from './composes.page.js';
import { duration, listTable, pager, statusBadge, time } from './format.js';
import { html, queryString, type SafeHtml } from './html.js';
import { page, type PageContext } from './layout.js';

export interface Facets {
  arch: string[];
  family: string[];
  image_type: string[];
  release: string[];
}

export function historyHref(j: Pick<Job, 'image_key' | 'arch' | 'type' | 'release'>): string {
  return `/history${queryString({ image: j.image_key, arch: j.arch, type: j.type, release: j.release })}`;
}

export function jobsPage(
  ctx: PageContext,
  opts: {
    path: string;
    query: JobListQuery;
    jobs: Job[];
    nextCursor: string | null;
    facets: Facets;
    compose?: Compose;
  },
): SafeHtml {
  const { path, query, compose } = opts;
  const filters = {
    compose_id: query.compose_id,
    family: query.family,
    arch: query.arch,
    status: query.status,
    image_type: query.image_type,
    backend: query.backend,
    release: query.release,
    image: query.image,
    limit: query.limit,
  };
  const text = (name: keyof typeof filters & keyof Facets, label: string) =>
    html`<label
      >${label}
      <input name="${name}" value="${filters[name] ?? ''}" list="facet-${name}" autocomplete="off" />
      <datalist id="facet-${name}">
        ${opts.facets[name].map((v) => html`<option value="${v}"></option>`)}
      </datalist>
    </label>`;
  const select = (name: 'status' | 'backend', label: string, values: readonly string[]) =>
    html`<label
      >${label}
      <select name="${name}">
        <option value="">any</option>
        ${values.map((v) => html`<option value="${v}" ${filters[name] === v ? html` selected` : ''}>${v}</option>`)}
      </select></label
    >`;
  const rows = opts.jobs.map(
    (j) =>
      html`<tr class="job-${j.status}">
        <td data-label="Job"><a href="/jobs/${j.job_id}/output">#${j.job_id}</a></td>
        <td data-label="Image">
          <a href="${historyHref(j)}" title="History of this image">${j.image_name}</a>
          ${j.attempt > 1 ? html`<span class="tag" title="attempt">attempt ${j.attempt}</span>` : ''}
          ${j.superseded ? html`<span class="tag" title="replaced by a later attempt">superseded</span>` : ''}
        </td>
        <td data-label="Status">${statusBadge(j.status)}</td>
        <td data-label="Arch">${j.arch}</td>
        <td data-label="Type">${j.type}</td>
        <td data-label="Family">${j.family}</td>
        <td data-label="Release">${j.release}</td>
        <td data-label="Backend">${j.backend}</td>
        <td data-label="Duration">${duration(j.duration_ms)}</td>
        <td data-label="When">${time(j.finished_at ?? j.started_at ?? j.queued_at)}</td>
        ${
          compose
            ? ''
            : html`<td data-label="Compose"><a href="/jobs/${j.compose_job_id}">${j.compose_id}</a></td>`
        }
      </tr>`,
  );
  const title = compose ? compose.compose_id : 'Jobs';
  const body = html`
    <h1>${compose ? html`Jobs of <span class="mono">${compose.compose_id}</span>` : 'Jobs'}</h1>
    ${compose ? composeFacts(compose) : ''}
    <form class="filters" method="get" action="${path}">
      ${
        compose
          ? ''
          : html`<label
              >Compose
              <input name="compose_id" value="${filters.compose_id ?? ''}" placeholder="Fedora-Cloud-…"
            /></label>`
      }
      ${text('family', 'Family')} ${text('arch', 'Arch')} ${select('status', 'Status', JOB_STATUSES)}
      ${text('image_type', 'Image type')} ${select('backend', 'Backend', BACKENDS)}
      ${text('release', 'Release')}
      ${filters.image ? html`<input type="hidden" name="image" value="${filters.image}" />` : ''}
      <button type="submit">Filter</button>
      <a href="${path}">Clear</a>
    </form>
    ${listTable(
      [
        'Job',
        'Image',
        'Status',
        'Arch',
        'Type',
        'Family',
        'Release',
        'Backend',
        'Duration',
        'When',
        !compose && 'Compose',
      ],
      rows,
      'No jobs match.',
    )}
    ${pager(path, filters, query.cursor, opts.nextCursor)}
  `;
  return page(ctx, { title, nav: 'jobs', body });
}
