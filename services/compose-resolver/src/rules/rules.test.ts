import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { familyOf, globToRegExp, selectRule, type ImageFacts } from './rules.match.js';
import { DEFAULT_RULES_FILE, loadRules, parseRules, RulesError } from './rules.js';

const facts = (f: Partial<ImageFacts>): ImageFacts => ({
  variant: 'Cloud',
  arch: 'x86_64',
  subvariant: 'Cloud_Base',
  type: 'qcow2',
  format: 'qcow2',
  release: '43',
  ...f,
});

function problemsOf(text: string): string[] {
  try {
    parseRules(text, 'test.yaml');
  } catch (err) {
    if (err instanceof RulesError) return err.problems;
    throw err;
  }
  throw new Error('expected the rules to be refused');
}

describe('the shipped rules', () => {
  const rules = loadRules();
  const decide = (f: Partial<ImageFacts>) => {
    const rule = selectRule(rules.rules, facts(f));
    if (!rule) return 'none';
    return rule.action.skip ? 'skip' : `${rule.action.backend} ${rule.action.plan}`;
  };

  test('are the package file rules/default.yaml, found from src as from dist', () => {
    expect(DEFAULT_RULES_FILE).toBe(fileURLToPath(new URL('../../rules/default.yaml', import.meta.url)));
    expect(existsSync(DEFAULT_RULES_FILE)).toBe(true);
    expect(rules.arches).toEqual(['x86_64']);
  });

  test('reproduce the original: Cloud_Base and Atomic; qcow2 and vagrant-libvirt on libvirt, virtualbox on vbox', () => {
    for (const variant of ['CloudImages', 'Cloud']) {
      expect(decide({ variant, type: 'qcow2' })).toBe('libvirt fedora-cloud-base');
      expect(decide({ variant, type: 'vagrant-libvirt', format: 'vagrant-libvirt.box' })).toBe(
        'libvirt fedora-cloud-base',
      );
      expect(decide({ variant, type: 'vagrant-virtualbox', format: 'vagrant-virtualbox.box' })).toBe(
        'vbox fedora-cloud-base',
      );
      expect(decide({ variant, type: 'raw-xz', format: 'raw.xz' })).toBe('skip');
      expect(decide({ variant, type: 'tar-gz', format: 'tar.gz' })).toBe('none');
    }
    expect(decide({ variant: 'CloudImages', subvariant: 'Atomic' })).toBe('libvirt fedora-atomic-host');
    expect(decide({ variant: 'AtomicHost', subvariant: 'AtomicHost', type: 'vagrant-virtualbox' })).toBe(
      'vbox fedora-atomic-host',
    );
    expect(decide({ variant: 'Server', subvariant: 'Server' })).toBe('none');
    expect(decide({ variant: 'Container', subvariant: 'Container_Base', type: 'docker' })).toBe('none');
    expect(familyOf(rules, 'Cloud_Base')).toBe('Base');
    expect(familyOf(rules, 'AtomicHost')).toBe('Atomic');
    expect(familyOf(rules, 'Atomic')).toBe('Atomic');
    expect(familyOf(rules, 'Workstation')).toBe('Workstation');
  });
});

describe('rules files', () => {
  test('match strings, lists and * globs on every field, release numbers included; first match wins', () => {
    const rules = parseRules(
      `
arches: [x86_64, aarch64]
rules:
  - match: { release: [40, '4*'], arch: aarch64 }
    skip: true
    reason: no aarch64 boxes for 40+
  - name: anything cloud
    match: { subvariant: 'Cloud*', format: '*.box' }
    backend: vbox
    plan: boxes
    limits: { memory_mib: 4096 }
  - backend: libvirt
    plan: catch-all
`,
      'inline',
    );
    const pick = (f: Partial<ImageFacts>) => selectRule(rules.rules, facts(f))?.name;
    expect(pick({ release: '40', arch: 'aarch64' })).toBe('rules[0]');
    expect(pick({ release: '43', arch: 'aarch64' })).toBe('rules[0]');
    expect(pick({ release: 'Rawhide', arch: 'aarch64', format: 'x.box' })).toBe('anything cloud');
    expect(pick({ format: 'qcow2' })).toBe('rules[2]');
    expect(rules.rules[1]!.action).toEqual({
      skip: false,
      backend: 'vbox',
      plan: 'boxes',
      limits: { memory_mib: 4096 },
    });
    expect(rules.families).toEqual({});
    expect(globToRegExp('Fedora-*.x86_64').test('Fedora-Cloud.x86_64')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });

  test('a bad file is refused with every problem named', () => {
    const problems = problemsOf(`
arches: [x86_64, 'ppc 64']
families: { Cloud_Base: 7 }
colour: blue
rules:
  - name: no plan
    match: { subvariant: Cloud_Base, filename: '*.qcow2' }
    backend: qemu
  - match: { type: [] }
    backend: libvirt
    plan: ../../etc/passwd
    limits: { memory_mib: -1, disk_gb: 10 }
  - match: { type: raw-xz }
    skip: true
    backend: libvirt
  - skip: yes please
    reason: 3
  - just a string
`);
    expect(problems).toEqual([
      'top level: unknown key "colour" (expected arches, families, rules)',
      'arches: "ppc 64" is not an architecture (letters, digits, _ and -)',
      'families.Cloud_Base: expected a family name',
      'rules[0] (no plan): match.filename is not a field rules match on (variant, arch, subvariant, type, format, release)',
      'rules[0] (no plan): unknown backend "qemu" (one of libvirt, vbox)',
      'rules[0] (no plan): plan is missing (the name of a test plan in plans/)',
      'rules[1]: match.type must be a string or a list of strings (* matches anything)',
      'rules[1]: plan "../../etc/passwd" is not a plan name (letters, digits, . _ -)',
      'rules[1]: limits/disk_gb: Unexpected property',
      'rules[1]: limits/memory_mib: Expected integer to be greater or equal to 1',
      'rules[2]: a skip rule has no backend',
      'rules[2]: a skip rule needs a reason',
      'rules[3]: skip must be true (leave it out for a rule that tests)',
      'rules[3]: reason is only for skip rules',
      'rules[3]: backend is missing (one of libvirt, vbox)',
      'rules[3]: plan is missing (the name of a test plan in plans/)',
      'rules[4]: expected a mapping',
    ]);
  });

  test('YAML that does not parse, a missing file, an empty one', () => {
    const yaml = problemsOf('arches: [x86_64\nrules:\n  - backend: libvirt\n   plan: x\n');
    expect(yaml.length).toBeGreaterThan(0);
    expect(yaml.every((p) => p.startsWith('YAML: '))).toBe(true);
    expect(yaml.join('\n')).toMatch(/line \d+, column \d+/);
    expect(problemsOf('rules: []\nrules: []\n')).toEqual([
      expect.stringMatching(/YAML: Map keys must be unique/),
    ]);
    expect(problemsOf('')).toEqual(['expected a mapping with arches, families and rules']);
    expect(() => loadRules('/nonexistent/rules.yaml')).toThrow(/cannot read the file: ENOENT/);
  });
});
