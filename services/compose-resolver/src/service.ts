// compose-resolver: turns finished composes (and hand submissions) into planned jobs.
import { connectServiceBus, type ServiceDefinition } from '@autocloud/service';
import { ResolverConfig, resolverChecks, resolverSettings } from './config.js';
import { ComposeResolver } from './resolve/resolver.js';
import { loadRules } from './rules/rules.js';

export const resolverService: ServiceDefinition<typeof ResolverConfig> = {
  name: 'compose-resolver',
  config: ResolverConfig,
  checks: resolverChecks,
  async start(ctx) {
    const rules = loadRules(ctx.config.RULES_FILE);
    const settings = resolverSettings(ctx.config, rules);
    const bus = await connectServiceBus(ctx);
    const resolver = new ComposeResolver({ bus, log: ctx.log, metrics: ctx.metrics, rules, settings });
    await resolver.start();
    // Registered after the bus, so it runs first: in-flight composes finish before NATS drains.
    ctx.onShutdown('resolver', () => resolver.stop());
    ctx.log.info(
      { rules: rules.source, arches: settings.arches, allowed_hosts: settings.allow.toString() },
      'resolving finished composes',
    );
  },
};
