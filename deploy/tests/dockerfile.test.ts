// deploy/Dockerfile checked without a Docker engine: its stages and targets, that what it copies exists and is not
// ignored, that it installs Debian packages that exist, that each service image starts the way the service's start
// script does, with its health port, and that its shell steps and healthcheck script work. Running the build steps
// themselves (pnpm deploy, then each image's command): image-build.int.test.ts.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  aptPackages,
  finalStages,
  imageConfig,
  parseDockerfile,
  type Instruction,
} from './lib/dockerfile.js';
import {
  deployDir,
  type PackageJson,
  readJson,
  readText,
  repoRoot,
  serviceNames,
  servicePackage,
  startCommand,
  workspacePackageNames,
} from './lib/repo.js';
import { serviceConfig } from './lib/service-config.js';

const dockerfile = parseDockerfile(readText(join(deployDir, 'Dockerfile')));
const instructions = (keyword: string): Instruction[] =>
  dockerfile.stages.flatMap((s) => s.instructions.filter((i) => i.keyword === keyword));
const runs = (stage: string): string[] =>
  dockerfile.stages
    .find((s) => s.name === stage)!
    .instructions.filter((i) => i.keyword === 'RUN')
    .map((i) => i.args);

/** Tools the runners call, and the Debian package that has each. */
const RUNNER_TOOLS: Record<string, string> = {
  virsh: 'libvirt-clients',
  'qemu-img': 'qemu-utils',
  genisoimage: 'genisoimage',
  xz: 'xz-utils',
};

function ignorePatterns(): RegExp[] {
  return readText(join(deployDir, 'Dockerfile.dockerignore'))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((pattern) => {
      const body = pattern
        .replace(/^\//, '')
        .split('**/')
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('(?:.*/)?');
      // A pattern that names a directory excludes everything below it.
      return new RegExp(`^${body}(?:/.*)?$`);
    });
}

function listFiles(dir: string, skip: (rel: string) => boolean): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const rel = relative(repoRoot, path);
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === '.git' || skip(rel))
      continue;
    if (entry.isDirectory()) files.push(...listFiles(path, skip));
    else files.push(rel);
  }
  return files;
}

describe('deploy/Dockerfile', () => {
  test('has one final target per service, and the libvirtd sidecar', () => {
    const finals = finalStages(dockerfile)
      .map((s) => s.name)
      .sort();
    expect(finals).toEqual([...serviceNames(), 'libvirtd'].sort());
  });

  test('builds on Node.js and Debian releases that match the project and this machine', () => {
    const root = readJson<PackageJson>(join(repoRoot, 'package.json'));
    const nodeMajor = /(\d+)/.exec(root.engines?.node ?? '')![1];
    const bases = dockerfile.stages.map((s) => s.base).filter((b) => b.includes('/'));
    expect(bases.length).toBeGreaterThan(0);
    const codename = /VERSION_CODENAME=(\w+)/.exec(readText('/etc/os-release'))?.[1] ?? 'bookworm';
    for (const base of bases) {
      expect(base, base).toMatch(new RegExp(`:(${nodeMajor}-)?${codename}(-slim)?$`));
    }
    expect(bases.some((b) => b.includes(`node:${nodeMajor}-`))).toBe(true);
    const pnpm = /pnpm@(\S+)/.exec(root.packageManager ?? '')![1];
    expect(readText(join(deployDir, 'Dockerfile'))).toContain(`ARG PNPM_VERSION=${pnpm}`);
  });

  test('copies files that exist and that the ignore file lets through; ignores build output', () => {
    const ignored = ignorePatterns();
    const isIgnored = (rel: string) => ignored.some((re) => re.test(rel));
    for (const copy of instructions('COPY').filter((i) => !i.flags.from)) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        if (source === '.') continue;
        expect(existsSync(join(repoRoot, source)), `COPY ${source} (line ${copy.line})`).toBe(true);
        expect(isIgnored(source), `COPY ${source} is excluded by Dockerfile.dockerignore`).toBe(false);
      }
    }
    // `COPY . .` carries the build's inputs: none of them may be ignored.
    const inputs = listFiles(repoRoot, (rel) => /^(tests|bench|\.ci)(\/|$)/.test(rel)).filter((rel) =>
      /^(package\.json|pnpm-lock\.yaml|pnpm-workspace\.yaml|\.npmrc|tsconfig(\.base)?\.json|(packages|services)\/[^/]+\/(package\.json|tsconfig\.json|src\/.*)|plans\/.*|deploy\/(package\.json|docker\/.*))$/.test(
        rel,
      ),
    );
    expect(inputs.length).toBeGreaterThan(50);
    expect(inputs.filter(isIgnored)).toEqual([]);
    for (const output of [
      'node_modules',
      'services/results-api/dist',
      '.git',
      'packages/bus/node_modules/x',
    ]) {
      expect(isIgnored(output), output).toBe(true);
    }
  });

  test('copies between stages only what the build stage makes', () => {
    const build = runs('build').join('\n');
    const names = new Set(dockerfile.stages.map((s) => s.name));
    for (const copy of instructions('COPY').filter((i) => i.flags.from)) {
      expect(names.has(copy.flags.from!), `COPY --from=${copy.flags.from}`).toBe(true);
      const [source] = copy.args.split(/\s+/);
      const out = /^\/out\/([^/]+)$/.exec(source!);
      if (out) expect(build).toContain(`pnpm --filter @autocloud/${out[1]} deploy --prod /out/${out[1]}`);
      else expect(build, `${source} is made by the build stage`).toContain(`mkdir -p ${source}`);
    }
  });

  test('deploys every service, naming only workspace packages', () => {
    const packages = workspacePackageNames();
    const build = runs('build').join('\n');
    const filters = [...build.matchAll(/--filter (\S+)/g)].map((m) => m[1]!);
    expect(filters.filter((f) => !packages.has(f))).toEqual([]);
    expect(
      serviceNames()
        .map((s) => servicePackage(s).name)
        .filter((name) => !filters.includes(name)),
    ).toEqual([]);
  });

  test.each(serviceNames())(
    '%s: starts as its start script does, non-root, with a healthcheck on its port',
    { timeout: 30_000 },
    async (service) => {
      const image = imageConfig(dockerfile, service);
      const start = startCommand(service);
      expect(image.entrypoint.slice(0, 2)).toEqual(['tini', '--']);
      expect([...image.entrypoint.slice(2), ...image.cmd]).toEqual(start.argv);
      for (const [key, value] of Object.entries(start.env)) expect(image.env[key], key).toBe(value);
      // Without npm setting npm_package_name, the service name for traces comes from here.
      expect(image.env.OTEL_SERVICE_NAME).toBe(
        servicePackage(service).name.replace(/^@autocloud\//, 'autocloud-'),
      );
      expect(image.user).toMatch(/^[1-9][0-9]*:[1-9][0-9]*$/);
      expect(image.workdir).toBe('/app');
      expect(image.env.AUTOCLOUD_HOME).toBe('/var/lib/autocloud');

      const config = await serviceConfig(service);
      const defaults = ['HEALTH_PORT', 'PORT']
        .map((key) => (config.properties[key] as { default?: number } | undefined)?.default)
        .filter((p): p is number => p !== undefined);
      expect(image.healthcheck?.slice(0, 2)).toEqual(['node', '/usr/local/lib/autocloud/healthcheck.mjs']);
      expect(image.healthcheck?.slice(2).map(Number)).toEqual(defaults);
      expect(image.exposed.sort()).toEqual([...defaults].sort());
    },
  );

  test(
    'the runner images carry the tools the runners call, and their plans where PLANS_DIR says',
    { timeout: 30_000 },
    () => {
      for (const runner of serviceNames().filter((s) => s.endsWith('-runner'))) {
        const image = imageConfig(dockerfile, runner);
        const installed = image.chain.flatMap((stage) => runs(stage.name).flatMap(aptPackages));
        for (const [tool, pkg] of Object.entries(RUNNER_TOOLS))
          expect(installed, `${runner}: ${tool}`).toContain(pkg);
        const copies = image.chain.flatMap((s) =>
          s.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args.split(/\s+/).pop()),
        );
        expect(copies, runner).toContain(image.env.PLANS_DIR);
      }
      // The package names above are the ones that hold the tools on this machine, where they are installed.
      for (const [tool, pkg] of Object.entries(RUNNER_TOOLS)) {
        const path = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
        if (!path) continue;
        const owner = spawnSync('dpkg', ['-S', path], { encoding: 'utf8' });
        if (owner.status === 0) expect(owner.stdout.split(':')[0], tool).toBe(pkg);
      }
    },
  );

  test(
    'every Debian package it installs exists in the archive (this machine runs the same release)',
    { timeout: 60_000 },
    (ctx) => {
      const packages = [...new Set(instructions('RUN').flatMap((i) => aptPackages(i.args)))];
      expect(packages).toEqual(
        expect.arrayContaining(['tini', 'libvirt-clients', 'qemu-utils', 'libvirt-daemon-system']),
      );
      // One apt-cache run for all of them: it prints a record for each package it knows.
      const show = spawnSync('apt-cache', ['show', '--no-all-versions', 'bash', ...packages], {
        encoding: 'utf8',
      });
      const known = new Set([...show.stdout.matchAll(/^Package: (\S+)$/gm)].map((m) => m[1]));
      if (!known.has('bash')) ctx.skip(); // no apt lists on this machine: `apt-get update` first
      expect(packages.filter((pkg) => !known.has(pkg))).toEqual([]);
    },
  );

  test('every RUN step and shipped script is valid shell', () => {
    const scripts = [...instructions('RUN').map((i) => ({ what: `RUN at line ${i.line}`, code: i.args }))];
    for (const file of readdirSync(join(deployDir, 'docker', 'libvirtd')).filter((f) => f.endsWith('.sh'))) {
      const path = join(deployDir, 'docker', 'libvirtd', file);
      expect(statSync(path).mode & 0o111, `${file} is executable`).not.toBe(0);
      scripts.push({ what: file, code: readText(path) });
    }
    for (const { what, code } of scripts) {
      const result = spawnSync('sh', ['-n'], { input: code, encoding: 'utf8' });
      expect(result.stderr, what).toBe('');
      expect(result.status, what).toBe(0);
    }
  });
});

describe('docker/healthcheck.mjs', () => {
  let healthy: Server;
  let failing: Server;
  const port = (server: Server) => String((server.address() as AddressInfo).port);
  const listen = async (status: number) => {
    const server = createServer((req, res) => res.writeHead(req.url === '/healthz' ? status : 404).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return server;
  };
  beforeAll(async () => {
    healthy = await listen(200);
    failing = await listen(503);
  });
  afterAll(() => {
    healthy.close();
    failing.close();
  });
  /** The script's exit code (run asynchronously: the servers answer from this process). */
  const run = (args: string[], env: Record<string, string> = {}) => {
    const { HEALTH_PORT: _h, PORT: _p, ...rest } = process.env;
    const child = spawn('node', [join(deployDir, 'docker', 'healthcheck.mjs'), ...args], {
      env: { ...rest, ...env },
    });
    return new Promise<number | null>((resolve) => child.on('exit', resolve));
  };

  test(
    'healthy when /healthz answers 2xx on HEALTH_PORT, PORT or a default port',
    { timeout: 30_000 },
    async () => {
      expect(await run([port(healthy)])).toBe(0);
      expect(await run(['1'], { HEALTH_PORT: port(healthy) })).toBe(0);
      expect(await run([port(failing)], { PORT: port(healthy) })).toBe(0);
    },
  );

  test('unhealthy when nothing answers, or not with 2xx', { timeout: 30_000 }, async () => {
    expect(await run([port(failing)])).toBe(1);
    expect(await run(['1'])).toBe(1);
    expect(await run([], { HEALTH_PORT: '0' })).toBe(1);
  });
});

test('the checks above read the real Dockerfile', () => {
  expect(
    execFileSync('grep', ['-c', '^FROM', join(deployDir, 'Dockerfile')], { encoding: 'utf8' }).trim(),
  ).toBe(String(dockerfile.stages.length));
});
