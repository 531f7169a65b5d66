// One line per log record for `up`'s terminal: the services log pino JSON; people read
// `12:03:04 compose-resolver  info  compose resolved compose_id=… jobs=3`.

const STANDARD = new Set(['level', 'time', 'pid', 'hostname', 'service', 'name', 'msg', 'v', 'span_id']);
const LEVEL_COLORS: Record<string, string> = {
  trace: '90',
  debug: '90',
  info: '32',
  warn: '33',
  error: '31',
  fatal: '35',
};
// nats-server's own format: `[1234] 2024/05/01 12:00:00.123456 [INF] Server is ready`.
const NATS_LINE = /^\[\d+\] \S+ \S+ \[(INF|WRN|ERR|FTL|DBG|TRC)\] (.*)$/;
const NATS_LEVELS: Record<string, string> = {
  TRC: 'trace',
  DBG: 'debug',
  INF: 'info',
  WRN: 'warn',
  ERR: 'error',
  FTL: 'fatal',
};
const SERVICE_COLORS = ['36', '34', '35', '33', '32', '96', '94', '95'];

export interface LogLineOptions {
  color: boolean;
  /** Width the service column is padded to. */
  serviceWidth?: number;
  /** Longest line, in characters, before it is cut (0: no limit). */
  maxLength?: number;
}

export interface ParsedLogLine {
  level: string;
  text: string;
}

/** A pino JSON line as one readable line; other output (a stack trace, a config error) is kept as it is. */
export function formatLogLine(service: string, raw: string, opts: LogLineOptions): ParsedLogLine {
  const paint = (code: string, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const name = paint(serviceColor(service), service.padEnd(opts.serviceWidth ?? 16));
  const nats = NATS_LINE.exec(raw);
  if (nats) {
    const level = NATS_LEVELS[nats[1]!] ?? 'info';
    return {
      level,
      text: cut(
        `${clock(new Date())} ${name} ${paint(LEVEL_COLORS[level] ?? '0', level.padEnd(5))} ${nats[2]}`,
        opts.maxLength,
      ),
    };
  }
  const record = parseRecord(raw);
  if (!record) {
    return {
      level: 'info',
      text: cut(`${clock(new Date())} ${name} ${' '.repeat(5)} ${raw}`, opts.maxLength),
    };
  }
  const level = typeof record.level === 'string' ? record.level : levelName(record.level);
  const time =
    typeof record.time === 'string' || typeof record.time === 'number' ? new Date(record.time) : new Date();
  const extras = Object.entries(record)
    .filter(([key]) => !STANDARD.has(key))
    .map(([key, value]) => `${key}=${fieldText(value)}`);
  const msg = typeof record.msg === 'string' ? record.msg : '';
  const text = `${clock(time)} ${name} ${paint(LEVEL_COLORS[level] ?? '0', level.padEnd(5))} ${[msg, ...extras].join(' ')}`;
  return { level, text: cut(text, opts.maxLength) };
}

function parseRecord(raw: string): Record<string, unknown> | undefined {
  if (!raw.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(raw) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function levelName(level: unknown): string {
  const names: Record<number, string> = {
    10: 'trace',
    20: 'debug',
    30: 'info',
    40: 'warn',
    50: 'error',
    60: 'fatal',
  };
  return typeof level === 'number' ? (names[level] ?? String(level)) : 'info';
}

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  if (typeof value === 'object' && value !== null) {
    const err = value as { message?: unknown; type?: unknown };
    // pino serialises errors as {type, message, stack}; the message is what a reader needs on one line.
    if (typeof err.message === 'string') return JSON.stringify(err.message);
    return JSON.stringify(value);
  }
  return String(value);
}

function clock(date: Date): string {
  const d = Number.isNaN(date.getTime()) ? new Date() : date;
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

function serviceColor(service: string): string {
  let hash = 0;
  for (const ch of service) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return SERVICE_COLORS[hash % SERVICE_COLORS.length]!;
}

function cut(text: string, max: number | undefined): string {
  return max && text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
