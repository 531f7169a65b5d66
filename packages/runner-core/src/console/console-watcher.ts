// Follows a VM's serial console log as the hypervisor writes it: hands each line on (live boot output) and notes
// the milestones readiness decisions rest on — first output, kernel panic, firmware that found nothing to boot,
// a login prompt (the guest is up), cloud-init's final message.
import { open, type FileHandle } from 'node:fs/promises';
import { cleanLine } from '../ssh/ssh-session.js';

export interface ConsoleState {
  /** Any output at all (firmware or kernel). */
  sawOutput: boolean;
  /** The kernel started (its banner or a timestamped line). */
  sawKernel: boolean;
  /** A getty prompt: userspace finished booting. When it appeared (ms since epoch). */
  loginPromptAt?: number;
  /** The line that shows the guest cannot continue: a kernel panic or firmware without a bootable disk. */
  fatal?: string;
}

const FATAL = [
  /Kernel panic - not syncing.*/,
  /Boot failed: .*/,
  /No bootable device.*/,
  /not a bootable disk.*/,
  /FATAL: No bootable device.*/,
  /You are in emergency mode.*/,
  /Give root password for maintenance.*/,
];
const KERNEL = /Linux version \d|^\[\s*\d+\.\d+\]|^Booting `|Run \/init as init process|systemd\[1\]/;
const LOGIN = /\blogin: ?$/;

export class ConsoleWatcher {
  readonly state: ConsoleState = { sawOutput: false, sawKernel: false };
  private handle: FileHandle | undefined;
  private offset = 0;
  private partial = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly decoder = new TextDecoder();
  private reading: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly path: string,
    private readonly onLine: (line: string) => void = () => {},
    private readonly intervalMs = 200,
  ) {}

  /** Forgets the login prompt seen so far: the guest is rebooting and the next prompt is what counts. */
  rebooting(): void {
    delete this.state.loginPromptAt;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.reading = this.reading.then(() => this.poll());
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops following; reads what is left first. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.reading;
    await this.poll();
    if (this.partial) this.take(this.partial);
    this.partial = '';
    await this.handle?.close();
    this.handle = undefined;
  }

  private async poll(): Promise<void> {
    try {
      this.handle ??= await open(this.path, 'r');
    } catch {
      return; // the hypervisor has not created the file yet
    }
    const buffer = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      this.consume(this.decoder.decode(buffer.subarray(0, bytesRead), { stream: true }));
    }
    // A prompt has no newline after it: look at the unfinished line too.
    if (this.partial && LOGIN.test(cleanLine(this.partial))) this.state.loginPromptAt ??= Date.now();
  }

  private consume(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const part of parts) this.take(part);
  }

  private take(raw: string): void {
    const line = cleanLine(raw);
    if (line.trim() === '') return;
    this.state.sawOutput = true;
    if (!this.state.sawKernel && KERNEL.test(line)) this.state.sawKernel = true;
    if (LOGIN.test(line)) this.state.loginPromptAt ??= Date.now();
    if (!this.state.fatal) {
      for (const pattern of FATAL) {
        const match = pattern.exec(line);
        if (match) this.state.fatal = match[0].trim();
      }
    }
    this.onLine(line);
  }
}
