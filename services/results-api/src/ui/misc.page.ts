// The sign-in page and error pages.
import { html, type SafeHtml } from './html.js';
import { page, type PageContext } from './layout.js';

export function loginPage(ctx: PageContext, next: string, failed: boolean): SafeHtml {
  const body = html`<h1>Sign in</h1>
    ${failed ? html`<p class="error" role="alert">That token is not valid.</p>` : ''}
    <form method="post" action="/login" class="login">
      <input type="hidden" name="next" value="${next}" />
      <label>API token <input type="password" name="token" autocomplete="current-password" required /></label>
      <button type="submit" class="primary">Sign in</button>
    </form>
    <p class="muted">
      Signed-in users can rerun and cancel jobs. The token is kept in a cookie for this site only.
    </p>`;
  return page(ctx, { title: 'Sign in', body });
}

export function errorPage(ctx: PageContext, status: number, code: string, message: string): SafeHtml {
  const body = html`<h1>
      ${status === 404 ? 'Not found' : status >= 500 ? 'Something went wrong' : 'Cannot do that'}
    </h1>
    <p class="error" role="alert">${message}</p>
    <p class="muted mono small">${status} ${code}</p>
    <p><a href="/compose">Composes</a> · <a href="/jobs">Jobs</a></p>`;
  return page(ctx, { title: `${status}`, body });
}
