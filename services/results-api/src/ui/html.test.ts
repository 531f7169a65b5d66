import { describe, expect, test } from 'vitest';
import { escapeHtml, html, queryString, raw, safeUrl } from './html.js';

describe('html', () => {
  test('escapes interpolated text, including quotes for attributes', () => {
    const name = `<script>alert("x")</script>' onmouseover='y`;
    expect(html`<a title="${name}">${name}</a>`.value).toBe(
      '<a title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;y">' +
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;y</a>',
    );
  });

  test('keeps SafeHtml, joins arrays and drops null, undefined and false', () => {
    const items = ['a&b', 'c'].map((t) => html`<li>${t}</li>`);
    const list = html`<ul>
      ${items}${null}${undefined}${false}${raw('<hr>')}
    </ul>`;
    expect(list.value.replace(/\s+/g, '')).toBe('<ul><li>a&amp;b</li><li>c</li><hr></ul>');
    expect(html`${0}`.value).toBe('0');
  });

  test('escapeHtml leaves plain text alone', () => {
    expect(escapeHtml('Fedora-Cloud-Base 41')).toBe('Fedora-Cloud-Base 41');
  });

  test('safeUrl lets through http(s) and local paths only', () => {
    expect(safeUrl('https://kojipkgs.fedoraproject.org/compose/x')).toBe(
      'https://kojipkgs.fedoraproject.org/compose/x',
    );
    expect(safeUrl('/jobs/1/output')).toBe('/jobs/1/output');
    expect(safeUrl('javascript:alert(1)')).toBe('#');
    expect(safeUrl('//evil.example/x')).toBe('#');
    expect(safeUrl('data:text/html,hi')).toBe('#');
    expect(safeUrl(null)).toBe('#');
  });

  test('queryString keeps set values only', () => {
    expect(queryString({ status: 'failed', arch: '', family: undefined, limit: 50 })).toBe(
      '?status=failed&limit=50',
    );
    expect(queryString({})).toBe('');
  });
});
