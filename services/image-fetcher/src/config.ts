// image-fetcher settings (DESIGN §10).
import { Type, type Static } from '@sinclair/typebox';
import { checkNatsUrl, CommonConfig, healthPort, list } from '@autocloud/service';

export const FetcherConfig = Type.Composite([
  CommonConfig,
  Type.Object({
    HEALTH_PORT: healthPort(9103),
    ALLOWED_HOSTS: Type.String({
      default: 'kojipkgs.fedoraproject.org,dl.fedoraproject.org,download.fedoraproject.org',
      description: 'comma-separated host[:port] that images may come from (redirects included)',
    }),
    FETCH_CONCURRENCY: Type.Integer({
      minimum: 1,
      maximum: 64,
      default: 2,
      description: 'downloads at once',
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
