import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { expect, test } from 'vitest';
import { repoPath } from '../paths.js';
import { combineRules, SHIPPED_RULES } from './rules.js';

interface Doc {
  arches: string[];
  families: Record<string, string>;
  rules: {
    name: string;
    match: Record<string, string | string[]>;
    backend?: string;
    plan?: string;
    skip?: boolean;
  }[];
}

test("the combined rules: the shipped defaults first, then the test image's", () => {
  const sources = Object.values(SHIPPED_RULES).map((source) => ({
    source,
    text: readFileSync(source, 'utf8'),
  }));
  const [defaults, testImage] = sources.map((s) => parse(s.text) as Doc);
  const text = combineRules(sources);
  expect(text).toMatch(/^# Written by `autocloud up`/);
  const combined = parse(text) as Doc;
  expect(combined.arches).toEqual(['x86_64']);
  expect(combined.families).toEqual({ ...defaults!.families, ...testImage!.families });
  expect(combined.rules).toEqual([...defaults!.rules, ...testImage!.rules]);
});

test('the test image rules: qcow2 and the libvirt box on libvirt, the VirtualBox box on vbox, all with its plan', () => {
  const doc = parse(readFileSync(SHIPPED_RULES['test-image'], 'utf8')) as Doc;
  const rule = (type: string) => doc.rules.find((r) => [r.match.type].flat().includes(type));
  expect(rule('qcow2')).toMatchObject({
    backend: 'libvirt',
    plan: 'debian-test-image',
    match: { subvariant: 'Debian_Test' },
  });
  expect(rule('vagrant-libvirt')).toMatchObject({ backend: 'libvirt', plan: 'debian-test-image' });
  expect(rule('vagrant-virtualbox')).toMatchObject({ backend: 'vbox', plan: 'debian-test-image' });
  // The plan exists where the runners look for it.
  expect(readFileSync(repoPath('plans', 'debian-test-image.txt'), 'utf8')).toMatch(/sudo -n true/);
});

test('a file without rules is refused', () => {
  expect(() => combineRules([{ source: 'x.yaml', text: 'arches: [x86_64]' }])).toThrow(
    /x.yaml is not a rules file/,
  );
});
