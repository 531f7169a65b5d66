// Autocloud web UI, progressive enhancement: every page works without this script. With it, a running job's output
// and steps grow live (Server-Sent Events), and an #N line link to an earlier or later page of output finds it.
(function () {
  'use strict';

  var job = document.querySelector('article.job');
  if (!job) return;

  var output = document.getElementById('output');
  var stepsBody = document.getElementById('steps');

  function highlightTarget() {
    var n = decodeURIComponent(location.hash.slice(1));
    if (!/^\d+$/.test(n)) return;
    var line = document.getElementById(n);
    if (line) {
      line.scrollIntoView({ block: 'center' });
      return;
    }
    // The line is on another page of a long output: load the page that has it.
    var first = output && output.firstElementChild;
    var last = Number(job.dataset.lastLine || 0);
    if (job.dataset.live !== 'true' && (Number(n) > last || (first && Number(n) < Number(first.id)))) {
      location.replace('?from=' + Math.max(1, Number(n) - 50) + '#' + n);
    }
  }
  window.addEventListener('hashchange', highlightTarget);
  highlightTarget();

  if (job.dataset.live !== 'true' || !window.EventSource || !output) return;

  var last = Number(job.dataset.lastLine || 0);
  var count = document.getElementById('line-count');
  var note = document.getElementById('live-note');

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function nearBottom() {
    return output.scrollHeight - output.scrollTop - output.clientHeight < 40;
  }

  function addLine(line) {
    if (line.n <= last) return;
    var follow = nearBottom();
    var row = el('div', { class: 'line new' + (line.stream ? ' s-' + line.stream : ''), id: String(line.n) });
    row.appendChild(el('a', { class: 'n', href: '#' + line.n }, String(line.n)));
    row.appendChild(el('span', { class: 't' }, line.text));
    output.appendChild(row);
    last = line.n;
    job.dataset.lastLine = String(last);
    if (count) count.textContent = last + ' lines';
    var none = document.getElementById('no-output');
    if (none) none.remove();
    if (follow) output.scrollTop = output.scrollHeight;
  }

  var SYMBOL = { passed: '✓', failed: '✗', running: '▶' };
  function badge(state) {
    var span = el('span', { class: 'status status-' + state, 'data-status': state });
    span.appendChild(el('span', { class: 'sym', 'aria-hidden': 'true' }, SYMBOL[state] || '•'));
    span.appendChild(document.createTextNode(' ' + state));
    return span;
  }

  function duration(ms) {
    if (ms === null || ms === undefined) return '—';
    if (ms < 1000) return ms + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + ' s';
    var s = Math.round(ms / 1000);
    return Math.floor(s / 60) + ' m ' + (s % 60) + ' s';
  }

  function setStep(step) {
    if (!stepsBody) return;
    var row = el('tr', { id: 'step-' + step.idx, 'data-idx': String(step.idx), class: 'step-' + step.state });
    var cmd = el('td', { 'data-label': 'Command' });
    cmd.appendChild(el('code', {}, step.command));
    if (step.kind !== 'command') cmd.appendChild(el('span', { class: 'tag' }, step.kind));
    var result = el('td', { 'data-label': 'Result' });
    result.appendChild(badge(step.state));
    var lines = el('td', { 'data-label': 'Output' });
    if (step.first_line)
      lines.appendChild(el('a', { href: '#' + step.first_line }, 'line ' + step.first_line));
    else lines.textContent = '—';
    row.appendChild(el('td', { 'data-label': '#' }, String(step.idx)));
    row.appendChild(cmd);
    row.appendChild(result);
    row.appendChild(
      el('td', { 'data-label': 'Exit' }, step.exit_code === null ? '—' : String(step.exit_code)),
    );
    row.appendChild(el('td', { 'data-label': 'Duration' }, duration(step.duration_ms)));
    row.appendChild(lines);
    var existing = document.getElementById('step-' + step.idx);
    if (existing) {
      existing.replaceWith(row);
    } else {
      var after = null;
      for (var i = 0; i < stepsBody.children.length; i++) {
        if (Number(stepsBody.children[i].dataset.idx) > step.idx) {
          after = stepsBody.children[i];
          break;
        }
      }
      stepsBody.insertBefore(row, after);
    }
    var none = document.getElementById('no-steps');
    if (none) none.remove();
  }

  var source = new EventSource(job.dataset.streamUrl + '?after=' + last);
  source.addEventListener('line', function (e) {
    addLine(JSON.parse(e.data));
  });
  source.addEventListener('step', function (e) {
    setStep(JSON.parse(e.data));
  });
  source.addEventListener('end', function (e) {
    source.close();
    var status = JSON.parse(e.data).status;
    job.dataset.status = status;
    job.dataset.live = 'false';
    var holder = document.getElementById('job-status');
    if (holder) {
      holder.textContent = '';
      holder.appendChild(badge(status === 'success' ? 'passed' : status));
      holder.firstChild.lastChild.textContent = ' ' + status;
      holder.firstChild.className = 'status status-' + status;
    }
    if (note) {
      note.textContent = 'The job ended: ' + status + '. ';
      var reload = el('a', { href: location.pathname }, 'Reload for its final facts and artifacts');
      note.appendChild(reload);
    }
  });
})();
