import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runService } from '@autocloud/service';
import { describe, expect, test } from 'vitest';
import { resolverService } from './service.js';

const dir = mkdtempSync(join(tmpdir(), 'resolver-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function startWith(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const lines: string[] = [];
  const code = await runService(resolverService, {
    env: { HEALTH_PORT: '0', NATS_URL: 'nats://127.0.0.1:1', ...env },
    stderr: (line) => lines.push(line),
  });
  return { code, stderr: lines.join('\n') };
}

describe('compose-resolver start-up', () => {
  test('a bad rules file stops it at once, every problem listed', async () => {
    const rules = file(
      'bad.yaml',
      `arches: [x86_64]
rules:
  - match: { type: qcow2 }
    backend: qemu
    plan: fedora-cloud-base
  - match: { type: vagrant-libvirt }
    backend: libvirt
`,
    );
    const { code, stderr } = await startWith({ RULES_FILE: rules });
    expect(code).toBe(2);
    expect(stderr).toContain('compose-resolver: invalid configuration:');
    expect(stderr).toContain(
      `- RULES_FILE (${rules}): rules[0]: unknown backend "qemu" (one of libvirt, vbox)`,
    );
    expect(stderr).toContain(`- RULES_FILE (${rules}): rules[1]: plan is missing`);
  });

  test('YAML that does not parse is named with its line', async () => {
    const rules = file('broken.yaml', 'rules:\n  - backend: libvirt\n    plan: [unclosed\n');
    const { code, stderr } = await startWith({ RULES_FILE: rules });
    expect(code).toBe(2);
    expect(stderr).toMatch(/RULES_FILE \(.*broken\.yaml\): YAML: .*line \d+/);
  });

  test('settings are checked together: hosts, arches, rules file', async () => {
    const { code, stderr } = await startWith({
      ALLOWED_HOSTS: 'kojipkgs.fedoraproject.org,http://evil/',
      RESOLVER_ARCHES: 'x86_64,arm 64',
      RULES_FILE: join(dir, 'missing.yaml'),
    });
    expect(code).toBe(2);
    expect(stderr).toContain('- ALLOWED_HOSTS: http://evil/ is not host or host:port');
    expect(stderr).toContain('- RESOLVER_ARCHES: "arm 64" is not an architecture');
    expect(stderr).toMatch(/- RULES_FILE \(.*missing\.yaml\): cannot read the file: ENOENT/);
  });
});
