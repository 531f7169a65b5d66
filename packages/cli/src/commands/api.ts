// The API client of a command: its URL (--url, AUTOCLOUD_URL, the running `up`, the default) and token.
import { ApiClient } from '../api/api.client.js';
import { type CliContext } from '../context.js';
import { readApiToken } from '../up/token.js';

export function apiClient(ctx: CliContext): ApiClient {
  return new ApiClient({ baseUrl: ctx.apiUrl, token: () => readApiToken(ctx.env, ctx.home) });
}

/** The UI page of a compose's jobs (the original route, /jobs/<compose_job_id>). */
export function composeUiUrl(ctx: CliContext, composeJobId: number): string {
  return `${ctx.apiUrl.replace(/\/+$/, '')}/jobs/${composeJobId}`;
}
