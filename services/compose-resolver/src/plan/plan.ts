// Planning: every image of images.json either becomes a job (backend, plan, limits from the first matching rule)
// or is skipped with a reason. Only metadata fields decide, never file names; the order is the metadata's, so
// every replica plans a compose identically.
import { type PlannedJob } from '@autocloud/schemas';
import { underLocation } from '../metadata/location.js';
import { type ImagesManifest } from '../productmd/productmd.schema.js';
import { familyOf, selectRule, type ImageFacts, type Rules } from '../rules/rules.match.js';
import { imageName } from './image-name.js';

export interface PlanInput {
  location: string;
  release: string;
  images: ImagesManifest['payload']['images'];
  rules: Rules;
  /** Architectures this deployment boots (RESOLVER_ARCHES, else the rules file's). */
  arches: readonly string[];
}

export type SkipReason = 'arch' | 'no_rule' | 'skip_rule' | 'duplicate';

export interface SkippedImage {
  path: string;
  variant: string;
  arch: string;
  type: string;
  reason: SkipReason;
  detail: string;
}

export interface Plan {
  jobs: PlannedJob[];
  skipped: SkippedImage[];
}

export function planImages(input: PlanInput): Plan {
  const jobs: PlannedJob[] = [];
  const skipped: SkippedImage[] = [];
  const planned = new Set<string>();
  for (const [variant, byArch] of Object.entries(input.images)) {
    for (const image of Object.values(byArch).flat()) {
      const facts: ImageFacts = {
        variant,
        arch: image.arch,
        subvariant: image.subvariant,
        type: image.type,
        format: image.format,
        release: input.release,
      };
      const skip = (reason: SkipReason, detail: string) =>
        void skipped.push({ path: image.path, variant, arch: image.arch, type: image.type, reason, detail });
      if (!input.arches.includes(image.arch)) {
        skip('arch', `${image.arch} is not booted here (arches: ${input.arches.join(', ')})`);
        continue;
      }
      const rule = selectRule(input.rules.rules, facts);
      if (!rule) {
        skip('no_rule', 'no rule matches');
        continue;
      }
      if (rule.action.skip) {
        skip('skip_rule', `${rule.name}: ${rule.action.reason}`);
        continue;
      }
      // productmd may list one file under two variants; it is one image to test.
      if (planned.has(image.path)) {
        skip('duplicate', `also listed in another variant`);
        continue;
      }
      planned.add(image.path);
      jobs.push({
        image_url: underLocation(input.location, image.path),
        path: image.path,
        sha256: image.checksums.sha256.toLowerCase(),
        size: image.size,
        type: image.type,
        format: image.format,
        variant,
        arch: image.arch,
        subvariant: image.subvariant,
        family: familyOf(input.rules, image.subvariant),
        image_name: imageName(image),
        backend: rule.action.backend,
        plan: rule.action.plan,
        ...(rule.action.limits ? { limits: rule.action.limits } : {}),
      });
    }
  }
  return { jobs, skipped };
}

/** Why a compose got no jobs, in a line: how many images were skipped for which reason. */
export function nothingPlanned(plan: Plan): string {
  if (plan.skipped.length === 0) return 'images.json lists no images';
  const counts = new Map<SkipReason, number>();
  for (const s of plan.skipped) counts.set(s.reason, (counts.get(s.reason) ?? 0) + 1);
  const words: Record<SkipReason, string> = {
    arch: 'of an architecture not booted here',
    no_rule: 'matched by no rule',
    skip_rule: 'skipped by a rule',
    duplicate: 'listed twice',
  };
  const parts = [...counts].map(([reason, n]) => `${n} ${words[reason]}`);
  return `no image selected for testing: ${plan.skipped.length} images (${parts.join(', ')})`;
}
