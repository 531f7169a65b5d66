// NATS JetStream for every service: the Bus, the topology of DESIGN §2, typed publish and consume.
export { Bus, type BusOptions } from './bus.js';
export {
  consume,
  type ConsumeOptions,
  type ConsumerHandle,
  type Delivery,
  type Handler,
  type HandlerContext,
} from './consume.js';
export {
  errorMessage,
  PermanentError,
  PublishValidationError,
  RetryableError,
  TopologyError,
  UnknownSubjectError,
} from './errors.js';
export {
  buildHeaders,
  HEADER_SERVICE,
  publishBytes,
  publishTyped,
  withoutTrace,
  type PublishOptions,
} from './publish.js';
export {
  DEADLETTER_MAX_BYTES,
  HEADER_ORIGINAL_SIZE,
  HEADER_TRUNCATED,
  oneLine,
  publishDeadLetter,
  type DeadLetter,
} from './deadletter.js';
export {
  BUCKETS,
  KV_BUCKETS,
  consumers,
  ensureBuckets,
  ensureConsumer,
  ensureStreams,
  STREAMS,
  type BucketSpec,
  type ConsumerSpec,
  type StreamSpec,
  type TopologyOptions,
} from './topology.js';
export {
  ObjectUpload,
  sha256Hex,
  type CommitOptions,
  type ObjectMeta,
  type ObjectUploadOptions,
} from './object-upload.js';
export { OutputWriter, type OutputWriterOptions } from './output-writer.js';
