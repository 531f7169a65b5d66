// The VirtualBox host outside the cluster: its systemd units (checked by systemd-analyze) start the vbox-runner as
// its start script does, its environment file sets valid vbox-runner settings, and the runner reaches NATS through
// the leaf node the other unit runs. The leaf node itself is exercised in image-build.int.test.ts.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { deployDir, readText, startCommand } from './lib/repo.js';
import { isProcessVariable, serviceConfig, valueProblem } from './lib/service-config.js';

const dir = join(deployDir, 'vbox-host');

function unitSettings(file: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  for (const line of readText(join(dir, file)).split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match) settings.set(match[1]!, [...(settings.get(match[1]!) ?? []), match[2]!]);
  }
  return settings;
}

function envFile(file: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of readText(join(dir, file)).split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) env.set(match[1]!, match[2]!);
  }
  return env;
}

describe('deploy/vbox-host', () => {
  const runner = unitSettings('autocloud-vbox-runner.service');
  const leaf = unitSettings('autocloud-nats-leaf.service');

  test('systemd accepts both units', (ctx) => {
    const probe = spawnSync('systemd-analyze', ['--version']);
    if (probe.status !== 0) ctx.skip(); // no systemd tools on this machine
    const result = spawnSync(
      'systemd-analyze',
      ['verify', join(dir, 'autocloud-vbox-runner.service'), join(dir, 'autocloud-nats-leaf.service')],
      { encoding: 'utf8' },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  }, 30_000);

  test('the runner unit starts the vbox-runner as its start script does, after the leaf node', () => {
    const [exec] = runner.get('ExecStart')!;
    const [binary, ...args] = exec!.split(/\s+/);
    expect(binary).toBe('/usr/bin/node');
    expect(['node', ...args]).toEqual(startCommand('vbox-runner').argv);
    expect(runner.get('WorkingDirectory')).toEqual(['/opt/autocloud/vbox-runner']);
    expect(runner.get('EnvironmentFile')).toEqual(['/etc/autocloud/vbox-runner.env']);
    expect(runner.get('Requires')).toEqual(['autocloud-nats-leaf.service']);
    expect(runner.get('User')).toEqual(['autocloud']);
    expect(runner.get('KillSignal')).toEqual(['SIGTERM']);
  });

  test('the environment file sets every setting the vbox-runner needs, each valid', async () => {
    const config = await serviceConfig('vbox-runner');
    const env = envFile('vbox-runner.env');
    const problems: string[] = [];
    for (const key of config.mandatory) if (!env.has(key)) problems.push(`${key} is required and not set`);
    for (const [key, value] of env) {
      const property = config.properties[key];
      if (!property) {
        if (!isProcessVariable(key)) problems.push(`${key} is not a vbox-runner setting`);
        continue;
      }
      const problem = valueProblem(property, value);
      if (problem) problems.push(`${key}=${value}: ${problem}`);
    }
    expect(problems).toEqual([]);
    expect(env.get('VBOX_HYPERVISOR')).toBe('virtualbox');
    expect(env.get('PLANS_DIR')).toMatch(new RegExp(`^${runner.get('WorkingDirectory')![0]}/`));
    expect(runner.get('ReadWritePaths')).toContain(env.get('AUTOCLOUD_HOME'));
  });

  test('the runner talks to the leaf node on this host; the leaf holds the credentials', () => {
    const conf = readText(join(dir, 'nats-leaf.conf'));
    const listen = /^listen:\s*(\S+)$/m.exec(conf)?.[1];
    expect(listen).toBe('127.0.0.1:4222');
    expect(envFile('vbox-runner.env').get('NATS_URL')).toBe(`nats://${listen}`);
    expect(conf).not.toMatch(/^\s*jetstream\b/im);
    expect(conf).toMatch(/url: "tls:\/\//);
    expect(leaf.get('LoadCredential')).toEqual(['nats-leaf.conf:/etc/autocloud/nats-leaf.conf']);
    expect(leaf.get('ExecStart')![0]).toContain('${CREDENTIALS_DIRECTORY}/nats-leaf.conf');
  });
});
