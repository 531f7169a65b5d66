// /jobs/{job_id}/output (the original route): the job's facts, its steps, its output as numbered lines with an #N
// anchor each (growing live while it runs, with app.js), its artifacts, and rerun/cancel for signed-in users.
import { type Job, type JobStep, type OutputLine } from '@autocloud/db';
import { formatBytes } from '@autocloud/schemas';
import { type Artifact } from '../artifacts/artifact.store.js';
import { isTerminal, stepState } from '../api/resources.js';
import { duration, statusBadge, time } from './format.js';
import { escapeHtml, html, raw, safeUrl, type SafeHtml } from './html.js';
import { historyHref } from './jobs.page.js';
import { page, type PageContext } from './layout.js';

export interface JobPageData {
  job: Job;
  steps: JobStep[];
  lines: OutputLine[];
  /** First line shown (output longer than a page is shown a page at a time). */
  from: number;
  pageSize: number;
  /** null when the artifact store could not be read. */
  artifacts: Artifact[] | null;
  tracingUrl: string | undefined;
  notice: string | undefined;
}

const NOTICES: Record<string, string> = {
  rerun: 'Rerun requested: the new attempt appears in the compose’s jobs in a moment.',
  cancel: 'Cancel requested: the runner is stopping the job.',
};

export function stepRow(s: JobStep): SafeHtml {
  const state = stepState(s);
  return html`<tr id="step-${s.idx}" data-idx="${s.idx}" class="step-${state}">
    <td data-label="#">${s.idx}</td>
    <td data-label="Command">
      <code>${s.command}</code>${s.kind === 'command' ? '' : html` <span class="tag">${s.kind}</span>`}
    </td>
    <td data-label="Result">
      ${statusBadge(state === 'running' ? 'running' : state === 'passed' ? 'passed' : 'failed')}
    </td>
    <td data-label="Exit">${s.exit_code ?? '—'}</td>
    <td data-label="Duration">${duration(s.duration_ms)}</td>
    <td data-label="Output">
      ${s.first_line ? html`<a href="#${s.first_line}">line ${s.first_line}</a>` : '—'}
    </td>
  </tr>`;
}

/**
 * The output, one element per line with no whitespace inside (the lines are pre-wrap). Built as one string rather
 * than one template per line: a long output is thousands of lines, and this is the page's hot path.
 */
export function outputLines(lines: ReadonlyArray<Pick<OutputLine, 'n' | 'text' | 'stream'>>): SafeHtml {
  let out = '';
  for (const l of lines) {
    const stream = l.stream ? ` s-${escapeHtml(l.stream)}` : '';
    out += `<div class="line${stream}" id="${l.n}"><a class="n" href="#${l.n}">${l.n}</a><span class="t">${escapeHtml(l.text)}</span></div>`;
  }
  return raw(out);
}

function actions(ctx: PageContext, job: Job): SafeHtml {
  if (!ctx.writesEnabled) return html``;
  if (!ctx.session) {
    return html`<p class="muted">
      <a href="/login?next=${encodeURIComponent(ctx.url)}">Sign in</a> to rerun or cancel this job.
    </p>`;
  }
  const form = (action: string, label: string, cls: string) =>
    html`<form method="post" action="/jobs/${job.job_id}/${action}" class="inline">
      <input type="hidden" name="csrf" value="${ctx.session?.csrf ?? ''}" />
      <button type="submit" class="${cls}">${label}</button>
    </form>`;
  return html`<div class="actions">
    ${isTerminal(job.status) ? form('rerun', 'Rerun', 'primary') : form('cancel', 'Cancel job', 'danger')}
  </div>`;
}

export function jobPage(ctx: PageContext, d: JobPageData): SafeHtml {
  const { job } = d;
  const live = !isTerminal(job.status);
  const last = d.lines.at(-1)?.n ?? d.from - 1;
  const more = job.output_lines > last && !live;
  const facts = html`<dl class="facts">
    <div>
      <dt>Status</dt>
      <dd id="job-status">${statusBadge(job.status)}</dd>
    </div>
    <div>
      <dt>Compose</dt>
      <dd><a href="/jobs/${job.compose_job_id}">${job.compose_id}</a></dd>
    </div>
    <div>
      <dt>Image</dt>
      <dd><a href="${historyHref(job)}">${job.image_key}</a> · ${job.arch} · ${job.type}</dd>
    </div>
    <div>
      <dt>Family / release</dt>
      <dd>${job.family} · ${job.release} · ${job.subvariant}</dd>
    </div>
    <div>
      <dt>Backend</dt>
      <dd>
        ${job.backend}${job.hypervisor ? html` (${job.hypervisor})` : ''}${job.runner ? html` on ${job.runner}` : ''}
      </dd>
    </div>
    <div>
      <dt>Plan</dt>
      <dd>${job.plan}</dd>
    </div>
    <div>
      <dt>Attempt</dt>
      <dd>
        ${job.attempt}${job.rerun_of ? html` · reruns <a href="/jobs/${job.rerun_of}/output">#${job.rerun_of}</a>` : ''}${job.superseded ? ' · superseded' : ''}
      </dd>
    </div>
    <div>
      <dt>Queued</dt>
      <dd>${time(job.queued_at)}</dd>
    </div>
    <div>
      <dt>Started</dt>
      <dd>${time(job.started_at)}</dd>
    </div>
    <div>
      <dt>Finished</dt>
      <dd>${time(job.finished_at)}</dd>
    </div>
    <div>
      <dt>Duration</dt>
      <dd>${duration(job.duration_ms)}</dd>
    </div>
    <div>
      <dt>Boot to SSH</dt>
      <dd>${duration(job.boot_ms)}</dd>
    </div>
    ${
      job.reason
        ? html`<div class="wide">
            <dt>Reason</dt>
            <dd>${job.reason}${job.reason_code ? html` <span class="tag">${job.reason_code}</span>` : ''}</dd>
          </div>`
        : ''
    }
    ${
      job.summary
        ? html`<div>
            <dt>Steps</dt>
            <dd>
              ${job.summary.passed} passed · ${job.summary.failed} failed · ${job.summary.skipped} skipped of
              ${job.summary.total}
            </dd>
          </div>`
        : ''
    }
    <div class="wide">
      <dt>Image download</dt>
      <dd>
        <a href="${safeUrl(job.image_url)}">${job.image_url}</a>
        <span class="muted">(${formatBytes(job.size)})</span>
      </dd>
    </div>
    <div class="wide">
      <dt>SHA-256</dt>
      <dd class="mono small">${job.sha256}</dd>
    </div>
    <div class="wide">
      <dt>Trace</dt>
      <dd class="mono small">
        ${job.trace_id ? (d.tracingUrl ? html`<a href="${safeUrl(d.tracingUrl)}">${job.trace_id}</a>` : job.trace_id) : '—'}
      </dd>
    </div>
  </dl>`;
  const steps = html`<section aria-labelledby="steps-h">
    <h2 id="steps-h">Steps</h2>
    <div class="table-wrap">
      <table class="list steps">
        <thead>
          <tr>
            <th>#</th>
            <th>Command</th>
            <th>Result</th>
            <th>Exit</th>
            <th>Duration</th>
            <th>Output</th>
          </tr>
        </thead>
        <tbody id="steps">
          ${d.steps.map(stepRow)}
        </tbody>
      </table>
    </div>
    ${d.steps.length === 0 ? html`<p class="empty" id="no-steps">No steps ${live ? 'yet' : 'recorded'}.</p>` : ''}
  </section>`;
  const artifacts = html`<section aria-labelledby="artifacts-h">
    <h2 id="artifacts-h">Artifacts</h2>
    ${
      d.artifacts === null
        ? html`<p class="muted">The artifact store cannot be read right now.</p>`
        : d.artifacts.length === 0
          ? html`<p class="empty">No artifacts${live ? ' yet' : ''}.</p>`
          : html`<ul class="artifacts">
              ${d.artifacts.map(
                (a) =>
                  html`<li>
                    <a href="/api/v1/jobs/${job.job_id}/artifacts/${encodeURIComponent(a.name)}">${a.name}</a>
                    <span class="muted">${formatBytes(a.size)}</span>
                  </li>`,
              )}
            </ul>`
    }
  </section>`;
  const pageNav =
    d.from > 1 || more
      ? html`<nav class="pager" aria-label="Output pages">
          ${d.from > 1 ? html`<a href="?from=${Math.max(1, d.from - d.pageSize)}">« Earlier lines</a>` : ''}
          ${more ? html`<a href="?from=${last + 1}">Later lines »</a>` : ''}
        </nav>`
      : '';
  const output = html`<section aria-labelledby="output-h">
    <h2 id="output-h">Output <span class="muted small" id="line-count">${job.output_lines} lines</span></h2>
    ${pageNav}
    <div class="output" id="output" role="log" aria-live="off">${outputLines(d.lines)}</div>
    ${d.lines.length === 0 ? html`<p class="empty" id="no-output">No output ${live ? 'yet' : 'recorded'}.</p>` : ''}
    ${live ? html`<p class="live-note muted" id="live-note">This job is ${job.status}: output appears as the runner writes it.</p>` : ''}
  </section>`;
  const body = html`<article
    class="job"
    data-job-id="${job.job_id}"
    data-status="${job.status}"
    data-last-line="${last}"
    data-stream-url="/api/v1/jobs/${job.job_id}/output/stream"
    data-live="${live ? 'true' : 'false'}"
  >
    <h1><span class="muted">#${job.job_id}</span> ${job.image_name}</h1>
    ${d.notice && NOTICES[d.notice] ? html`<p class="notice" role="status">${NOTICES[d.notice]}</p>` : ''}
    ${actions(ctx, job)} ${facts} ${steps} ${output} ${artifacts}
  </article>`;
  // Without JavaScript, a running job's page refreshes itself instead.
  const head = live ? html`<noscript><meta http-equiv="refresh" content="10" /></noscript>` : undefined;
  return page(ctx, {
    title: `#${job.job_id} ${job.image_name}`,
    nav: 'jobs',
    body,
    ...(head ? { head } : {}),
  });
}
