// How a job ends when it could not be tested: image.aborted with a reason code and a sentence for people.
import { type ReasonCode } from '@autocloud/schemas';

export class JobAbort extends Error {
  override readonly name = 'JobAbort';
  constructor(
    readonly reasonCode: ReasonCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
