// One SSH connection to a guest (ssh2): commands run in a pty so stdout and stderr arrive merged in the order the
// guest wrote them, as a person at a terminal would see them; output is handed over line by line.
import ssh2, { type Client as SshClient, type ClientChannel } from 'ssh2';

// ssh2 is CommonJS: its named exports are reached through the default export under Node's ESM loader.
const { Client, utils } = ssh2;

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  privateKey: string;
}

export interface ExecOptions {
  /** Kills the command (closes its channel) after this long. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Each complete output line, without its line ending or terminal escape sequences. */
  onLine(line: string): void;
}

export interface ExecResult {
  /** The command's exit status; null when it never reported one (killed, timed out, connection lost). */
  exitCode: number | null;
  /** The signal that ended the command, as the guest's sshd reported it. */
  exitSignal?: string;
  timedOut: boolean;
  /** The connection dropped before the command reported an exit status (e.g. the guest went down). */
  connectionLost: boolean;
}

/** Why a connection attempt failed, in words an operator reads in a job's output. */
export class SshConnectError extends Error {
  override readonly name = 'SshConnectError';
}

/** A fresh ed25519 key pair in OpenSSH format, made per job so no two jobs (or images) share credentials. */
export function generateJobKey(comment: string): { privateKey: string; publicKey: string } {
  const pair = utils.generateKeyPairSync('ed25519', { comment });
  return { privateKey: pair.private, publicKey: pair.public };
}

// CSI and OSC sequences (colours, cursor movement, titles) that programs print when they see a terminal.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** Normalises a line of terminal output: drops escape sequences and carriage returns (keeping what follows the last). */
export function cleanLine(raw: string): string {
  const text = raw.replace(ESCAPES, '');
  const cr = text.lastIndexOf('\r', text.length - 2);
  return (cr >= 0 ? text.slice(cr + 1) : text).replace(/\r$/, '');
}

// Programs must not wait for a pager or colour their output because they see a terminal.
const COMMAND_ENV =
  'PAGER=cat SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 TERM=dumb; export PAGER SYSTEMD_PAGER SYSTEMD_COLORS TERM; ';

export class SshSession {
  private closed = false;
  private readonly closedPromise: Promise<void>;

  private constructor(private readonly client: SshClient) {
    this.closedPromise = new Promise((resolve) => {
      client.once('close', () => {
        this.closed = true;
        resolve();
      });
    });
  }

  /** Connects and authenticates once; rejects with SshConnectError (refused, timed out, auth failed, ...). */
  static connect(target: SshTarget, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<SshSession> {
    return new Promise((resolve, reject) => {
      const client = new Client();
      let settled = false;
      const onAbort = () => finish(new SshConnectError('cancelled'));
      // ssh2's readyTimeout does not cover every way a half-open connection can stall (a forwarded port whose
      // guest side never answers): this attempt ends on our own clock too.
      const stall = setTimeout(
        () => finish(new SshConnectError(`no SSH handshake within ${Math.round(opts.timeoutMs / 1000)} s`)),
        opts.timeoutMs + 2_000,
      );
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(stall);
        opts.signal?.removeEventListener('abort', onAbort);
        if (err) {
          client.end();
          client.destroy();
          reject(err);
        } else {
          resolve(new SshSession(client));
        }
      };
      if (opts.signal?.aborted) return finish(new SshConnectError('cancelled'));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      client
        .once('ready', () => finish())
        // `on`, not `once`: ssh2 may report more than one error for a failed attempt, and an error emitted with no
        // listener would end the process. Errors after the handshake surface as closed channels instead.
        .on('error', (err: Error & { level?: string }) =>
          finish(
            new SshConnectError(
              err.level === 'client-authentication'
                ? `authentication as ${target.username} failed (the guest did not accept the key)`
                : err.message,
              { cause: err },
            ),
          ),
        )
        .once('close', () => finish(new SshConnectError('connection closed during the handshake')));
      client.connect({
        host: target.host,
        port: target.port,
        username: target.username,
        privateKey: target.privateKey,
        readyTimeout: opts.timeoutMs,
        keepaliveInterval: 5_000,
        keepaliveCountMax: 3,
        // A VM made for this job a minute ago: there is no known host key to check against.
        hostVerifier: () => true,
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves when the connection is gone (closed by either side). */
  waitClosed(timeoutMs: number): Promise<boolean> {
    return Promise.race([
      this.closedPromise.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(this.closed), timeoutMs).unref()),
    ]);
  }

  /** Runs one shell command in a pty; never rejects for the command's own failure. */
  exec(command: string, opts: ExecOptions): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        resolve({ exitCode: null, timedOut: false, connectionLost: true });
        return;
      }
      this.client.exec(
        COMMAND_ENV + command,
        { pty: { term: 'dumb', cols: 200, rows: 50, width: 0, height: 0, modes: {} } },
        (err, channel) => {
          if (err) {
            if (this.closed) resolve({ exitCode: null, timedOut: false, connectionLost: true });
            else reject(err);
            return;
          }
          this.follow(channel, opts, resolve);
        },
      );
    });
  }

  private follow(channel: ClientChannel, opts: ExecOptions, resolve: (r: ExecResult) => void): void {
    let partial = '';
    let exitCode: number | null = null;
    let exitSignal: string | undefined;
    let timedOut = false;
    let aborted = false;
    const decoder = new TextDecoder();
    const emit = (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const part of parts) opts.onLine(cleanLine(part));
    };
    const stop = () => {
      channel.close();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, opts.timeoutMs);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      emit(decoder.decode());
      if (partial !== '') opts.onLine(cleanLine(partial));
      const reported = exitCode !== null || exitSignal !== undefined;
      resolve({
        exitCode,
        ...(exitSignal ? { exitSignal } : {}),
        timedOut,
        connectionLost: !reported && !timedOut && !aborted,
      });
    };
    const onAbort = () => {
      aborted = true;
      stop();
      // The caller is leaving: it does not wait for a slow guest to confirm the channel's close.
      finish();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    channel.on('data', (data: Buffer) => emit(decoder.decode(data, { stream: true })));
    channel.stderr.on('data', (data: Buffer) => emit(decoder.decode(data, { stream: true })));
    channel.on('exit', (code: number | null, signal?: string) => {
      exitCode = code;
      exitSignal = signal ?? undefined;
    });
    channel.once('close', finish);
  }

  close(): void {
    this.client.end();
  }
}
