// The page shell every UI page shares: head with the hashed stylesheet and script, navigation, sign-in state.
import { type Session } from '../http/auth.js';
import { html, type SafeHtml } from './html.js';

export interface PageContext {
  session: Session | undefined;
  /** Path + query of this page, for the sign-in link to come back to. */
  url: string;
  assets: { css: string; js: string };
  /** Whether writes are possible at all (API tokens configured). */
  writesEnabled: boolean;
}

export interface PageOptions {
  title: string;
  /** Which navigation entry is current. */
  nav?: 'composes' | 'jobs' | 'images';
  head?: SafeHtml;
  body: SafeHtml;
}

export function page(ctx: PageContext, opts: PageOptions): SafeHtml {
  const current = (name: PageOptions['nav']) => (opts.nav === name ? html` aria-current="page"` : '');
  const who = ctx.session
    ? html`<form method="post" action="/logout" class="inline">
        <input type="hidden" name="csrf" value="${ctx.session.csrf}" />
        <span class="muted">signed in</span> <button type="submit" class="link">Sign out</button>
      </form>`
    : ctx.writesEnabled
      ? html`<a href="/login?next=${encodeURIComponent(ctx.url)}">Sign in</a>`
      : '';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${opts.title} · Autocloud</title>
        <link rel="stylesheet" href="${ctx.assets.css}" />
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <script src="${ctx.assets.js}" defer></script>
        ${opts.head}
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/compose"><span aria-hidden="true">☁</span> Autocloud</a>
          <nav aria-label="Main">
            <a href="/compose" ${current('composes')}>Composes</a>
            <a href="/jobs" ${current('jobs')}>Jobs</a>
            <a href="/history" ${current('images')}>Images</a>
            <a href="/docs">API</a>
          </nav>
          <div class="who">${who}</div>
        </header>
        <main id="main">${opts.body}</main>
        <footer class="foot">
          Autocloud tests Fedora's cloud images ·
          <a href="/openapi.json">OpenAPI</a> · <a href="/api/v1/composes">JSON</a>
        </footer>
      </body>
    </html>`;
}
