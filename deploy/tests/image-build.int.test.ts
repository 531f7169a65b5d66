// The build steps of deploy/Dockerfile that run without a Docker engine, run here: `pnpm --filter <service> deploy
// --prod` makes each image's /app, and each image's command (its ENTRYPOINT after tini, and CMD) and every command
// the manifests give is started from that production-only tree, as the image's unprivileged user, against a real
// nats-server; the VirtualBox host's leaf node configuration joins a hub the way deploy/nats/values.yaml sets it up.
// Needs `pnpm build` first (the Dockerfile's `tsc -b services/*` is part of it).
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { Bus, consumers } from '@autocloud/bus';
import {
  freePort,
  natsServerBinary,
  startNatsServer,
  testLogger,
  type NatsServerHandle,
} from '@autocloud/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { imageConfig, parseDockerfile } from './lib/dockerfile.js';
import { renderOverlay } from './lib/kustomize.js';
import { autocloudTarget, containersOf, workloads } from './lib/objects.js';
import { deployDir, OVERLAYS, readText, repoRoot, serviceNames, servicePackage } from './lib/repo.js';

const run = promisify(execFile);
const dockerfile = parseDockerfile(readText(join(deployDir, 'Dockerfile')));
const services = serviceNames();
/** The images' user; used when these tests run as root, as on the development machines and CI. */
const IMAGE_UID = 10001;
const asImageUser = process.getuid?.() === 0 ? { uid: IMAGE_UID, gid: IMAGE_UID } : {};
/**
 * libvirt's client refuses a uid without a user record (the images have one; this machine does not), so the
 * runners, which call virsh at start, run as the current user here.
 */
const imageUserKnown = spawnSync('getent', ['passwd', String(IMAGE_UID)]).status === 0;
const userFor = (service: string) => (service.endsWith('-runner') && !imageUserKnown ? {} : asImageUser);

let work: string;
let nats: NatsServerHandle;

async function inParallel<T>(items: T[], limit: number, each: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await each(item);
    }),
  );
}

/** A directory the image's user may write, as AUTOCLOUD_HOME is in a pod. */
async function writableDir(name: string): Promise<string> {
  const dir = join(work, 'home', name);
  await mkdir(dir, { recursive: true });
  const user = userFor(name);
  if (user.uid !== undefined) await chown(dir, user.uid, user.gid);
  return dir;
}

interface Started {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

/** Starts an image's command from the deployed tree, with the image's environment plus `env`, as its user. */
function startImage(service: string, args: string[], env: Record<string, string>): Started {
  const image = imageConfig(dockerfile, service);
  const [node, ...nodeArgs] = image.entrypoint.slice(2);
  let output = '';
  const child = spawn(node!, [...nodeArgs, ...args], {
    cwd: join(work, service),
    env: { PATH: process.env.PATH, ...image.env, HOME: env.AUTOCLOUD_HOME ?? work, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...userFor(service),
  });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms)),
  );
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(async () => {
  const unbuilt = services.filter((s) => !existsSync(join(repoRoot, 'services', s, 'dist', 'main.js')));
  if (unbuilt.length > 0) throw new Error(`not built: ${unbuilt.join(', ')} (run pnpm build first)`);
  work = await mkdtemp(join(tmpdir(), 'autocloud-image-build-'));
  await chmod(work, 0o755);
  // The build stage's `pnpm --filter @autocloud/<service> deploy --prod /out/<service>`.
  await inParallel(services, 2, async (service) => {
    await run('pnpm', ['--filter', servicePackage(service).name, 'deploy', '--prod', join(work, service)], {
      cwd: repoRoot,
      maxBuffer: 16 * 1024 * 1024,
    });
  });
  await copyFile(join(deployDir, 'docker', 'healthcheck.mjs'), join(work, 'healthcheck.mjs'));
  nats = await startNatsServer();
}, 180_000);

afterAll(async () => {
  await nats?.dispose();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('pnpm deploy --prod, then the image command', () => {
  test.each(services)('%s: the production-only tree holds no development dependency', async (service) => {
    const manifest = JSON.parse(await readFile(join(work, service, 'package.json'), 'utf8')) as {
      devDependencies?: object;
    };
    expect(Object.keys(manifest.devDependencies ?? {})).toEqual([]);
    expect(existsSync(join(work, service, 'node_modules', '@autocloud', 'testing'))).toBe(false);
    expect(existsSync(join(work, service, 'node_modules', 'vitest'))).toBe(false);
  });

  test.each(services)(
    '%s: every command its images run loads and checks its configuration',
    async (service) => {
      const argsLists = new Set<string>([JSON.stringify(imageConfig(dockerfile, service).cmd)]);
      for (const overlay of OVERLAYS) {
        for (const workload of workloads(renderOverlay(overlay))) {
          for (const { container } of containersOf(workload)) {
            if (autocloudTarget(container.image) === service && container.args)
              argsLists.add(JSON.stringify(container.args));
          }
        }
      }
      for (const args of [...argsLists].map((a) => JSON.parse(a) as string[])) {
        const started = startImage(service, args, {
          NATS_URL: 'not a url',
          DATABASE_URL: 'not a url',
          AUTOCLOUD_HOME: work,
        });
        const code = await within(started.exited, 30_000, `${service} ${args.join(' ')}`);
        expect(started.output(), `${service} ${args.join(' ')}`).toMatch(/invalid configuration/);
        expect(code).toBe(2);
      }
    },
    60_000,
  );

  test.each(services)(
    '%s: starts as the image user, answers the image healthcheck, stops on SIGTERM',
    async (service) => {
      const healthPort = String(await freePort());
      const env = {
        NATS_URL: nats.url,
        NATS_STREAM_REPLICAS: '1',
        AUTOCLOUD_HOME: await writableDir(service),
        HEALTH_PORT: healthPort,
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        // Runners: a name of their own, so their start-up reaper touches no other runner's VMs on this machine, and
        // no KVM probe guest.
        RUNNER_NAME: `deploy-test-${process.pid}`,
        LIBVIRT_DOMAIN_TYPE: 'qemu',
      };
      const started = startImage(service, imageConfig(dockerfile, service).cmd, env);
      try {
        const healthcheck = imageConfig(dockerfile, service).healthcheck!;
        const deadline = Date.now() + 45_000;
        let healthy = false;
        while (!healthy && Date.now() < deadline && started.child.exitCode === null) {
          const probe = spawn('node', [join(work, 'healthcheck.mjs'), ...healthcheck.slice(2)], {
            env: { PATH: process.env.PATH, HEALTH_PORT: env.HEALTH_PORT, PORT: env.PORT },
          });
          healthy = (await new Promise<number | null>((resolve) => probe.on('exit', resolve))) === 0;
          if (!healthy) await new Promise((resolve) => setTimeout(resolve, 300));
        }
        expect(healthy, started.output()).toBe(true);
      } finally {
        started.child.kill('SIGTERM');
      }
      expect(await within(started.exited, 20_000, `${service} shutdown`), started.output()).toBe(0);
    },
    90_000,
  );

  test("results-api: the migration Job's command migrates (embedded database) and exits 0", async () => {
    const started = startImage('results-api', ['./dist/migrate-main.js'], {
      AUTOCLOUD_HOME: await writableDir('migrate'),
      LOG_LEVEL: 'info',
    });
    expect(await within(started.exited, 60_000, 'migrate'), started.output()).toBe(0);
    expect(started.output()).toMatch(/migrated/);
  }, 90_000);
});

describe("the VirtualBox host's leaf node", () => {
  let dir: string;
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function startServer(config: string, name: string, port: number): Promise<void> {
    const file = join(dir, `${name}.conf`);
    await writeFile(file, config);
    const child = spawn(natsServerBinary(), ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let log = '';
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const deadline = Date.now() + 15_000;
    for (;;) {
      const up = await connect({ servers: `nats://127.0.0.1:${port}`, timeout: 500 }).then(
        (nc) => nc.close().then(() => true),
        () => false,
      );
      if (up) return;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${name} did not start:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  test('joins a hub set up as deploy/nats/values.yaml sets up leaf nodes, and carries JetStream to the runner', async () => {
    dir = await mkdtemp(join(tmpdir(), 'autocloud-leaf-'));
    const values = parse(readText(join(deployDir, 'nats', 'values.yaml'))) as {
      config: {
        leafnodes: { merge: { authorization: { user: string } } };
        jetstream: { merge: { domain: string } };
      };
    };
    const user = values.config.leafnodes.merge.authorization.user;
    const domain = values.config.jetstream.merge.domain;
    const password = 'leaf-test-password';
    // A CA and a certificate for the hub's leafnodes port (the nats-leafnodes-tls Secret in a cluster).
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=test-ca',
      '-keyout',
      join(dir, 'ca.key'),
      '-out',
      join(dir, 'ca.crt'),
    ]);
    await run('openssl', [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      join(dir, 'tls.key'),
      '-out',
      join(dir, 'tls.csr'),
    ]);
    await writeFile(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      join(dir, 'tls.csr'),
      '-CA',
      join(dir, 'ca.crt'),
      '-CAkey',
      join(dir, 'ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      join(dir, 'ext.cnf'),
      '-out',
      join(dir, 'tls.crt'),
    ]);

    const [hubPort, hubLeafPort, leafPort, leafHttp] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    await startServer(
      [
        `listen: 127.0.0.1:${hubPort}`,
        `jetstream { store_dir: "${join(dir, 'js')}", domain: ${domain} }`,
        `leafnodes { listen: 127.0.0.1:${hubLeafPort}`,
        `  tls { cert_file: "${join(dir, 'tls.crt')}", key_file: "${join(dir, 'tls.key')}" }`,
        `  authorization { user: ${user}, password: ${password} } }`,
      ].join('\n'),
      'hub',
      hubPort,
    );
    // deploy/vbox-host/nats-leaf.conf, pointed at this hub.
    const leafConfig = readText(join(deployDir, 'vbox-host', 'nats-leaf.conf'))
      .replace(/^listen: .*$/m, `listen: 127.0.0.1:${leafPort}`)
      .replace(/^http: .*$/m, `http: 127.0.0.1:${leafHttp}`)
      .replace(/url: "tls:\/\/([^:]+):[^@]+@[^"]+"/, `url: "tls://$1:${password}@localhost:${hubLeafPort}"`)
      .replace(/ca_file: "[^"]+"/, `ca_file: "${join(dir, 'ca.crt')}"`);
    expect(leafConfig).toContain(`tls://${user}:${password}@localhost:${hubLeafPort}`);
    await startServer(leafConfig, 'leaf', leafPort);

    // The runner's view: what it does with NATS at start (the project's own Bus), through the leaf.
    let bus: Bus | undefined;
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        bus = await Bus.connect({
          servers: `nats://127.0.0.1:${leafPort}`,
          service: 'vbox-runner',
          log: testLogger(),
          topology: { replicas: 1 },
        });
        await bus.ensureTopology();
        break;
      } catch (err) {
        await bus?.close();
        bus = undefined;
        if (Date.now() > deadline) throw err; // the leaf connection may still be coming up
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    try {
      await bus.ensureConsumer(consumers.runner('vbox', 'x86_64'));
      const artifacts = await bus.objectStore('artifacts');
      await artifacts.putBlob({ name: 'leaf-check' }, new TextEncoder().encode('through the leaf'));
      expect(new TextDecoder().decode((await artifacts.getBlob('leaf-check')) ?? new Uint8Array())).toBe(
        'through the leaf',
      );
      await bus.ping();
    } finally {
      await bus.close();
    }
  }, 60_000);
});
