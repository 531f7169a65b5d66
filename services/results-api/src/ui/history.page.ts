// /history: the image as the unit under test. The index lists recently tested images; an image's page shows its
// results across composes as a timeline, where it last passed, where it broke and on which step, and its boot time.
import { type RecentImage } from '@autocloud/db';
import { type HistoryEntry, type ImageHistory } from '@autocloud/schemas';
import { duration, listTable, statusBadge } from './format.js';
import { html, queryString, type SafeHtml } from './html.js';
import { page, type PageContext } from './layout.js';

export function historyIndexPage(ctx: PageContext, images: RecentImage[]): SafeHtml {
  const rows = images.map(
    (i) =>
      html`<tr>
        <td data-label="Image">
          <a href="/history${queryString({ image: i.image, arch: i.arch, type: i.type, release: i.release })}"
            >${i.image}</a
          >
        </td>
        <td data-label="Release">${i.release}</td>
        <td data-label="Arch">${i.arch}</td>
        <td data-label="Type">${i.type}</td>
        <td data-label="Latest">
          ${statusBadge(i.last_status)} <a href="/jobs/${i.last_job_id}/output">#${i.last_job_id}</a>
        </td>
      </tr>`,
  );
  const body = html`<h1>Images</h1>
    <p class="muted">Each image's results across composes. Images tested recently:</p>
    ${listTable(['Image', 'Release', 'Arch', 'Type', 'Latest result'], rows, 'No images tested yet.')}`;
  return page(ctx, { title: 'Images', nav: 'images', body });
}

const composeLabel = (e: HistoryEntry) => e.compose_id;

function entryLink(e: HistoryEntry | null): SafeHtml {
  if (!e) return html`<span class="muted">none in view</span>`;
  return html`<a href="/jobs/${e.compose_job_id}">${composeLabel(e)}</a> (<a href="/jobs/${e.job_id}/output"
      >job #${e.job_id}</a
    >)`;
}

/** Boot-to-SSH per compose, oldest left: bars scaled to the slowest, drawn as SVG (no script, no inline style). */
export function bootChart(entries: readonly HistoryEntry[]): SafeHtml {
  const points = [...entries].reverse().filter((e) => e.boot_ms !== null);
  if (points.length === 0) return html`<p class="empty">No boot times recorded.</p>`;
  const max = Math.max(...points.map((p) => p.boot_ms ?? 0), 1);
  const barW = 14;
  const gap = 4;
  const h = 120;
  const width = points.length * (barW + gap) + 40;
  const bars = points.map((p, i) => {
    const bh = Math.max(2, Math.round(((p.boot_ms ?? 0) / max) * h));
    const x = 36 + i * (barW + gap);
    return html`<a href="/jobs/${p.job_id}/output"
      ><rect class="bar bar-${p.status}" x="${x}" y="${h - bh + 10}" width="${barW}" height="${bh}"
        ><title>${p.compose_id}: ${duration(p.boot_ms)}</title></rect
      ></a
    >`;
  });
  return html`<figure class="chart">
    <svg
      role="img"
      aria-labelledby="boot-title"
      viewBox="0 0 ${width} ${h + 30}"
      width="${width}"
      height="${h + 30}"
    >
      <title id="boot-title">Boot to SSH per compose, oldest first; slowest ${duration(max)}</title>
      <line class="axis" x1="34" y1="10" x2="34" y2="${h + 10}"></line>
      <line class="axis" x1="34" y1="${h + 10}" x2="${width}" y2="${h + 10}"></line>
      <text class="axis-label" x="30" y="18" text-anchor="end">${duration(max)}</text>
      <text class="axis-label" x="30" y="${h + 10}" text-anchor="end">0</text>
      ${bars}
    </svg>
    <figcaption>Boot to SSH per compose (oldest left). Hover a bar for the compose and time.</figcaption>
  </figure>`;
}

export function historyPage(ctx: PageContext, h: ImageHistory): SafeHtml {
  const timeline = [...h.entries].reverse().map(
    (e) =>
      html`<li>
        <a class="tick tick-${e.status}" href="/jobs/${e.job_id}/output" title="${e.compose_id}: ${e.status}"
          ><span aria-hidden="true"
            >${e.status === 'success' ? '✓' : e.status === 'failed' ? '✗' : e.status === 'aborted' ? '⊘' : '…'}</span
          ><span class="sr-only">${e.compose_id}: ${e.status}</span></a
        >
      </li>`,
  );
  const step = h.failing_step;
  const rows = h.entries.map(
    (e) =>
      html`<tr
        class="${h.first_bad?.job_id === e.job_id ? 'first-bad' : h.last_good?.job_id === e.job_id ? 'last-good' : ''}"
      >
        <td data-label="Compose"><a href="/jobs/${e.compose_job_id}">${e.compose_id}</a></td>
        <td data-label="Result">
          ${statusBadge(e.status)}${h.first_bad?.job_id === e.job_id ? html` <span class="tag">first bad</span>` : ''}${h.last_good?.job_id === e.job_id ? html` <span class="tag">last good</span>` : ''}
        </td>
        <td data-label="Job"><a href="/jobs/${e.job_id}/output">#${e.job_id}</a></td>
        <td data-label="Boot to SSH">${duration(e.boot_ms)}</td>
        <td data-label="Duration">${duration(e.duration_ms)}</td>
        <td data-label="Reason">${e.reason ?? ''}</td>
      </tr>`,
  );
  const body = html`<h1>${h.image} <span class="muted">· ${h.arch} · ${h.type} · ${h.release}</span></h1>
    <div class="cards">
      <div class="card good">
        <h2>Last good compose</h2>
        <p>${entryLink(h.last_good)}</p>
      </div>
      <div class="card bad">
        <h2>First bad compose after it</h2>
        <p>${entryLink(h.first_bad)}</p>
        ${
          step
            ? html`<p>
                Started failing at step ${step.idx}: <code>${step.command}</code>
                ${step.exit_code !== null ? html`(exit ${step.exit_code})` : ''}
                <a href="/jobs/${step.job_id}/output${step.first_line ? `#${step.first_line}` : ''}"
                  >see output</a
                >
              </p>`
            : ''
        }
      </div>
    </div>
    <h2>Timeline <span class="muted small">oldest left</span></h2>
    <ol class="timeline">
      ${timeline}
    </ol>
    <h2>Boot to SSH</h2>
    ${bootChart(h.entries)}
    <h2>Results</h2>
    ${listTable(['Compose', 'Result', 'Job', 'Boot to SSH', 'Duration', 'Reason'], rows, 'No results yet.')}`;
  return page(ctx, { title: `${h.image} ${h.arch} ${h.type}`, nav: 'images', body });
}
