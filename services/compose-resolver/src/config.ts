// compose-resolver settings (DESIGN §10).
import { Type, type Static } from '@sinclair/typebox';
import { checkNatsUrl, CommonConfig, healthPort, list } from '@autocloud/service';

export const ResolverConfig = Type.Composite([
  CommonConfig,
  Type.Object({
    HEALTH_PORT: healthPort(9102),
    ALLOWED_HOSTS: Type.String({
      default: 'kojipkgs.fedoraproject.org,dl.fedoraproject.org,download.fedoraproject.org',
      description: 'comma-separated host[:port] that compose metadata may come from',
    }),
    RULES_FILE: Type.Optional(
      Type.String({ description: 'image selection rules (YAML); unset: the shipped defaults' }),
    ),
  }),
]);
export type ResolverConfig = Static<typeof ResolverConfig>;

export const resolverChecks = [
  checkNatsUrl,
  (c: ResolverConfig) =>
    list(c.ALLOWED_HOSTS)
      .filter((h) => !/^[a-z0-9.-]+(:\d{1,5})?$/i.test(h))
      .map((h) => `ALLOWED_HOSTS: ${h} is not host or host:port`),
];
