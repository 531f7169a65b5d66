// compose-resolver settings (DESIGN §10). The rules file is read and checked here too, so a bad one stops start-up
// with every problem listed alongside any other setting's.
import { Type, type Static } from '@sinclair/typebox';
import { HostAllowList } from '@autocloud/fetch';
import { checkNatsUrl, CommonConfig, healthPort, list } from '@autocloud/service';
import { type Rules } from './rules/rules.match.js';
import { archProblems, loadRules, RulesError } from './rules/rules.js';

export const ResolverConfig = Type.Composite([
  CommonConfig,
  Type.Object({
    HEALTH_PORT: healthPort(9102),
    ALLOWED_HOSTS: Type.String({
      default: 'kojipkgs.fedoraproject.org,dl.fedoraproject.org,download.fedoraproject.org',
      description:
        'comma-separated host[:port] that compose metadata may come from, redirects included; a host without port allows only the default ports',
    }),
    RULES_FILE: Type.Optional(
      Type.String({ description: 'image selection rules (YAML); unset: the shipped rules/default.yaml' }),
    ),
    RESOLVER_ARCHES: Type.Optional(
      Type.String({
        description: "comma-separated architectures to plan jobs for; unset: the rules file's arches",
      }),
    ),
    RESOLVER_CONCURRENCY: Type.Integer({
      minimum: 1,
      maximum: 64,
      default: 4,
      description: 'composes resolved at once, per consumer',
    }),
    METADATA_MAX_BYTES: Type.Integer({
      minimum: 1024,
      default: 20 * 1024 * 1024,
      description: 'largest images.json or composeinfo.json accepted, in bytes',
    }),
    METADATA_TIMEOUT_MS: Type.Integer({
      minimum: 100,
      default: 60_000,
      description: 'time allowed to read one metadata file, headers and body',
    }),
    METADATA_ATTEMPTS: Type.Integer({
      minimum: 1,
      maximum: 10,
      default: 3,
      description: 'attempts per metadata file within one delivery (timeouts, 5xx, connection errors only)',
    }),
  }),
]);
export type ResolverConfig = Static<typeof ResolverConfig>;

export const resolverChecks = [
  checkNatsUrl,
  (c: ResolverConfig) => HostAllowList.problems(c.ALLOWED_HOSTS).map((p) => `ALLOWED_HOSTS: ${p}`),
  (c: ResolverConfig) =>
    c.RESOLVER_ARCHES === undefined ? [] : archProblems(list(c.RESOLVER_ARCHES), 'RESOLVER_ARCHES'),
  (c: ResolverConfig) => {
    try {
      loadRules(c.RULES_FILE);
      return [];
    } catch (err) {
      if (!(err instanceof RulesError)) throw err;
      return err.problems.map((p) => `RULES_FILE (${err.source}): ${p}`);
    }
  },
];

/** What the resolver runs with, derived once from the checked configuration. */
export interface ResolverSettings {
  allow: HostAllowList;
  arches: string[];
  concurrency: number;
  metadata: {
    maxBytes: number;
    timeoutMs: number;
    attempts: number;
    retryBaseMs?: number;
    retryMaxMs?: number;
  };
}

export function resolverSettings(config: ResolverConfig, rules: Rules): ResolverSettings {
  const arches = list(config.RESOLVER_ARCHES);
  return {
    allow: HostAllowList.parse(config.ALLOWED_HOSTS),
    arches: arches.length > 0 ? arches : rules.arches,
    concurrency: config.RESOLVER_CONCURRENCY,
    metadata: {
      maxBytes: config.METADATA_MAX_BYTES,
      timeoutMs: config.METADATA_TIMEOUT_MS,
      attempts: config.METADATA_ATTEMPTS,
    },
  };
}
