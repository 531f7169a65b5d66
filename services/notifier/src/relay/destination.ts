// What the relay hands each outward bus: one public event, identified by its event id.
import { subjectMatches, type PUBLIC_SUBJECTS, type SubjectMap } from '@autocloud/schemas';

export type PublicSubject = (typeof PUBLIC_SUBJECTS)[number];

export type PublicEvent = PublicSubject extends infer S
  ? S extends PublicSubject
    ? {
        subject: S;
        body: SubjectMap[S];
        /** The Nats-Msg-Id: the same on every redelivery. */
        eventId: string;
        /** When the event was stored in JetStream. */
        at: Date;
      }
    : never
  : never;

export interface Destination {
  /** Metric label and log field. */
  readonly name: string;
  carries(subject: PublicSubject): boolean;
  /** Delivers or throws; a throw means "retry later", so delivery must tolerate repeats. */
  deliver(event: PublicEvent, signal: AbortSignal): Promise<void>;
}

export function matchesAny(patterns: readonly string[], subject: string): boolean {
  return patterns.some((p) => subjectMatches(p, subject));
}
