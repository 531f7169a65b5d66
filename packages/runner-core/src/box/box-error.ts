// What is wrong with a Vagrant box: a job whose box is malformed is aborted with reason `boot` and a message that
// names the box and the problem, so whoever built the box can fix it.
import { BackendError } from '../machine/machine.js';

export type BoxProblem =
  | 'not-a-tar'
  | 'corrupt'
  | 'unsafe-member'
  | 'too-large'
  | 'no-metadata'
  | 'bad-metadata'
  | 'unknown-provider'
  | 'wrong-provider'
  | 'no-disk'
  | 'bad-disk'
  | 'no-ovf'
  | 'bad-ovf'
  | 'missing-disk';

/** A Vagrant box that cannot be booted as it is. Retrying does not help, so the reason is always `boot`. */
export class BoxError extends BackendError {
  readonly code = 'BOX_INVALID';
  constructor(
    readonly problem: BoxProblem,
    /** The box's file name (or the unpacked directory's), as the message shows it. */
    readonly box: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('boot', `Vagrant box ${box}: ${detail}`, options);
  }
}
