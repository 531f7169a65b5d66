// Compose locations and the URLs under them. Real locations contain `//` (compose//branched/...): kept as sent, since
// the original published image URLs that way and servers accept them; only the seam of the join is normalised.

/** `{location}/{path}` with exactly one slash at the seam (location trailing and path leading slashes dropped). */
export function underLocation(location: string, path: string): string {
  return `${location.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** An http(s) URL with a host, or why not. */
export function checkLocation(location: string): string | undefined {
  if (!URL.canParse(location)) return `location ${JSON.stringify(location.slice(0, 200))} is not a URL`;
  const url = new URL(location);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `location ${url.protocol}//${url.host}${url.pathname} is not an http(s) URL`;
  }
  return undefined;
}
