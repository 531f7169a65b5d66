// Building blocks shared by several messages: ids, timestamps, URLs, statuses, backends and per-job limits.
// Small scalar helpers take the property's own description, so every property documents itself in OpenAPI.
import { Type, type SchemaOptions, type Static, type TLiteral, type TUnion } from '@sinclair/typebox';

type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K] & string> };

/** A union of string literals from a const list, so the list and the schema cannot drift apart. */
export function literalUnion<const T extends readonly string[]>(
  values: T,
  options: SchemaOptions,
): TUnion<Literals<T>> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as TUnion<Literals<T>>;
}

/** A job's integer id, assigned by results-api (the single writer). */
export const jobIdProp = (description = 'Job id, assigned by results-api') =>
  Type.Integer({ minimum: 1, description });

/** A compose's integer id, assigned by results-api (the original's `compose_job_id`). */
export const composeJobIdProp = (description = 'Compose id (integer), assigned by results-api') =>
  Type.Integer({ minimum: 1, description });

/** An RFC 3339 timestamp; the `date-time` format is registered by `validator()`. */
export const timestampProp = (description: string) => Type.String({ format: 'date-time', description });

/** An absolute URL; the `uri` format is registered by `validator()`. */
export const urlProp = (description: string) => Type.String({ format: 'uri', minLength: 1, description });

export const sha256Prop = (description = 'SHA-256 of the image, lowercase hex') =>
  Type.String({ pattern: '^[0-9a-f]{64}$', description });

/** Compose date as pungi writes it. */
export const composeDateProp = (description = 'Compose date, YYYYMMDD') =>
  Type.String({ pattern: '^[0-9]{8}$', description });

/** An architecture that becomes a NATS subject token (`autocloud.work.run.<backend>.<arch>`), so no dots or wildcards. */
export const archTokenProp = (description = 'Architecture (productmd arch, e.g. x86_64, aarch64)') =>
  Type.String({ pattern: '^[A-Za-z0-9_-]+$', description });

export const nonEmpty = (description: string) => Type.String({ minLength: 1, description });

/** Request ids end up in Nats-Msg-Id headers, so they are kept to header-safe characters. */
export const requestIdProp = (
  description = 'Client-chosen id that makes the command idempotent (e.g. a UUID)',
) => Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$', maxLength: 128, description });

export const BACKENDS = ['libvirt', 'vbox'] as const;
export const Backend = literalUnion(BACKENDS, {
  $id: 'Backend',
  description: 'Runner that boots the image: libvirt (KVM/QEMU) or vbox (VirtualBox)',
});
export type Backend = Static<typeof Backend>;

export const JOB_STATUSES = ['queued', 'running', 'success', 'failed', 'aborted'] as const;
export const JobStatus = literalUnion(JOB_STATUSES, {
  $id: 'JobStatus',
  description:
    'Job state: queued → running → success | failed (a gating step failed) | aborted (could not test)',
});
export type JobStatus = Static<typeof JobStatus>;

export const TerminalJobStatus = literalUnion(['success', 'failed', 'aborted'], {
  $id: 'TerminalJobStatus',
  description: 'Final state of a job; it never changes afterwards',
});
export type TerminalJobStatus = Static<typeof TerminalJobStatus>;

export const REASON_CODES = [
  'download',
  'checksum',
  'boot',
  'ssh',
  'cloud-init',
  'test',
  'timeout',
  'cancelled',
  'infrastructure',
] as const;
export const ReasonCode = literalUnion(REASON_CODES, {
  $id: 'ReasonCode',
  description: 'Machine-readable cause of a failed or aborted job',
});
export type ReasonCode = Static<typeof ReasonCode>;

/** Per-job overrides chosen by the resolver's rules; closed, so a misspelt limit fails loudly. */
export const Limits = Type.Object(
  {
    boot_timeout_s: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Seconds to wait for boot and SSH' }),
    ),
    step_timeout_s: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Seconds each plan command may take' }),
    ),
    memory_mib: Type.Optional(Type.Integer({ minimum: 1, description: 'Guest memory in MiB' })),
    vcpus: Type.Optional(Type.Integer({ minimum: 1, description: 'Guest virtual CPUs' })),
  },
  { $id: 'Limits', description: 'Resource and time limits for one job', additionalProperties: false },
);
export type Limits = Static<typeof Limits>;
