// image-fetcher settings (DESIGN §10).
import { Type, type Static } from '@sinclair/typebox';
import { checkNatsUrl, CommonConfig, healthPort, list } from '@autocloud/service';

const GiB = 1024 ** 3;

export const FetcherConfig = Type.Composite([
  CommonConfig,
  Type.Object({
    HEALTH_PORT: healthPort(9103),
    ALLOWED_HOSTS: Type.String({
      default: 'kojipkgs.fedoraproject.org,dl.fedoraproject.org,download.fedoraproject.org',
      description: 'comma-separated host[:port] that images may come from (every redirect is checked too)',
    }),
    FETCH_CONCURRENCY: Type.Integer({
      minimum: 1,
      maximum: 64,
      default: 2,
      description: 'downloads at once',
    }),
    FETCH_MAX_BYTES: Type.Integer({ minimum: 1, default: 20 * GiB, description: 'largest image accepted' }),
    FETCH_ATTEMPTS: Type.Integer({
      minimum: 1,
      maximum: 20,
      default: 5,
      description: 'connections per download; each after the first resumes where the last broke off',
    }),
    FETCH_IDLE_TIMEOUT_MS: Type.Integer({
      minimum: 100,
      default: 60_000,
      description: 'a connection that delivers no byte for this long is dropped and resumed',
    }),
    FETCH_CONNECT_TIMEOUT_MS: Type.Integer({
      minimum: 100,
      default: 30_000,
      description: 'until response headers',
    }),
    IMAGE_STORE_MAX_BYTES: Type.Integer({
      minimum: 0,
      default: 100 * GiB,
      description: 'oldest images are evicted from the images bucket above this total',
    }),
    IMAGE_STORE_MAX_AGE_DAYS: Type.Number({
      minimum: 0,
      default: 14,
      description: 'images older than this are evicted',
    }),
  }),
]);
export type FetcherConfig = Static<typeof FetcherConfig>;

export const fetcherChecks = [
  checkNatsUrl,
  (c: FetcherConfig) =>
    list(c.ALLOWED_HOSTS)
      .filter((h) => !/^[a-z0-9.-]+(:\d{1,5})?$/i.test(h))
      .map((h) => `ALLOWED_HOSTS: ${h} is not host or host:port`),
];
