// The hosts HTTP requests may go to (ALLOWED_HOSTS), so a message or a redirect cannot point us into the cluster.
// Entries are `host` or `host:port`; an entry without a port allows only the scheme's default port (80 for http,
// 443 for https): allowing a name must not open every service on that machine, e.g. an admin port.

interface Entry {
  host: string;
  port: number | undefined;
}

const HOST = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])$/;

export class HostAllowList {
  private constructor(private readonly entries: readonly Entry[]) {}

  /** Parses a comma-separated `host[:port]` list; throws a TypeError naming every bad entry. */
  static parse(list: string): HostAllowList {
    const problems = HostAllowList.problems(list);
    if (problems.length > 0) throw new TypeError(`invalid allowed hosts: ${problems.join('; ')}`);
    return new HostAllowList(splitList(list).map((e) => parseEntry(e)!));
  }

  /** What is wrong with a list, one line per bad entry (for configuration checks). */
  static problems(list: string): string[] {
    return splitList(list)
      .filter((e) => parseEntry(e) === undefined)
      .map((e) => `${e} is not host or host:port`);
  }

  /** http/https only; the host compared case-insensitively (a trailing dot ignored); the port as described above. */
  allows(url: URL): boolean {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    const host = normalizeHost(url.hostname);
    // WHATWG URLs leave the port empty when it is the scheme's default.
    const usesDefaultPort = url.port === '';
    const port = usesDefaultPort ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    return this.entries.some(
      (e) => e.host === host && (e.port === undefined ? usesDefaultPort : e.port === port),
    );
  }

  get size(): number {
    return this.entries.length;
  }

  toString(): string {
    return this.entries.map((e) => (e.port === undefined ? e.host : `${e.host}:${e.port}`)).join(',');
  }
}

function splitList(list: string): string[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function parseEntry(entry: string): Entry | undefined {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(entry.toLowerCase());
  if (!m) return undefined;
  const host = normalizeHost(m[1]!);
  if (!HOST.test(host)) return undefined;
  if (m[2] === undefined) return { host, port: undefined };
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host, port };
}

function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}
