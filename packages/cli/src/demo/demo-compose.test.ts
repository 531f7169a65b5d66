// The demo compose's productmd metadata has the shapes of a real compose's (the resolver's fixture: productmd 1.2
// written by pungi), and its files are what the metadata says they are.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { inspectComposeDir, registerLocalCompose } from '../compose/local-compose.js';
import { repoPath } from '../paths.js';
import { nextDemoRespin, writeDemoCompose, type DemoCompose } from './demo-compose.js';
import { type DemoImage, type DemoImageArtifact } from './test-image.js';

const FIXTURE = repoPath('services/compose-resolver/test-fixtures/Fedora-43-20251023.0/metadata');

type Json = Record<string, unknown>;
const keys = (o: unknown) => Object.keys(o as Json).sort();

let dir: string;
let image: DemoImage;
let compose: DemoCompose;
let images: Json;
let composeinfo: Json;
let fixtureImages: Json;
let fixtureInfo: Json;

async function artifact(
  type: DemoImageArtifact['type'],
  format: string,
  content: string,
): Promise<DemoImageArtifact> {
  const path = join(dir, 'image-cache', `debian-test-image.x86_64.${format}`);
  await writeFile(path, content);
  return {
    path,
    type,
    format,
    arch: 'x86_64',
    size: content.length,
    sha256: createHash('sha256').update(content).digest('hex'),
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autocloud-demo-compose-'));
  await mkdir(join(dir, 'image-cache'));
  image = {
    release: '12',
    qcow2: await artifact('qcow2', 'qcow2', 'qcow2 bytes'),
    vagrantLibvirt: await artifact('vagrant-libvirt', 'vagrant-libvirt.box', 'libvirt box bytes'),
    vagrantVirtualbox: await artifact('vagrant-virtualbox', 'vagrant-virtualbox.box', 'virtualbox box'),
  };
  compose = await writeDemoCompose(join(dir, 'composes'), image, { date: new Date('2026-11-24T12:00:00Z') });
  const read = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as Json;
  images = await read(join(compose.locationDir, 'metadata', 'images.json'));
  composeinfo = await read(join(compose.locationDir, 'metadata', 'composeinfo.json'));
  fixtureImages = await read(join(FIXTURE, 'images.json'));
  fixtureInfo = await read(join(FIXTURE, 'composeinfo.json'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('writeDemoCompose', () => {
  test('a pungi-style compose id and layout', () => {
    expect(compose.composeId).toBe('Debian-Test-12-20261124.n.0');
    expect(compose.location).toBe('Debian-Test-12-20261124.n.0/compose');
    expect(compose.locationDir).toBe(join(dir, 'composes', 'Debian-Test-12-20261124.n.0', 'compose'));
  });

  test('images.json has the shape of a real one', () => {
    const p = images.payload as Json;
    const fp = fixtureImages.payload as Json;
    expect(images.header).toEqual(fixtureImages.header);
    expect(keys(p)).toEqual(keys(fp));
    expect(keys(p.compose)).toEqual(keys(fp.compose));
    expect(p.compose).toEqual({ date: '20261124', id: compose.composeId, respin: 0, type: 'nightly' });
    const fixtureEntry = Object.values(Object.values(fp.images as Json)[0] as Json)[0] as Json[];
    const entries = (p.images as Record<string, Record<string, Json[]>>).Cloud!.x86_64!;
    expect(entries).toHaveLength(3);
    for (const entry of entries) {
      expect(keys(entry)).toEqual(keys(fixtureEntry[0]));
      expect(keys(entry.checksums)).toEqual(['sha256']);
      expect(entry.subvariant).toBe('Debian_Test');
    }
    expect(entries.map((e) => [e.type, e.format])).toEqual([
      ['qcow2', 'qcow2'],
      ['vagrant-libvirt', 'vagrant-libvirt.box'],
      ['vagrant-virtualbox', 'vagrant-virtualbox.box'],
    ]);
  });

  test('composeinfo.json has the shape of a real one', () => {
    const p = composeinfo.payload as Json;
    const fp = fixtureInfo.payload as Json;
    expect(composeinfo.header).toEqual(fixtureInfo.header);
    expect(keys(p)).toEqual(keys(fp));
    expect(keys(p.compose)).toEqual(keys(fp.compose));
    expect(keys(p.release)).toEqual(keys(fp.release));
    expect(p.release).toMatchObject({ short: 'Debian-Test', version: '12' });
    const variant = (p.variants as Json).Cloud as Json;
    expect(keys(variant)).toEqual(keys(Object.values(fp.variants as Json)[0]));
    expect(variant.arches).toEqual(['x86_64']);
  });

  test('every image is at its path with the size and sha256 the metadata gives, keys sorted as productmd writes', async () => {
    for (const entry of compose.images) {
      const file = join(compose.locationDir, entry.path);
      const bytes = await readFile(file);
      expect(bytes.length).toBe(entry.size);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(entry.checksums.sha256);
      // Hardlinked, not copied.
      expect((await stat(file)).nlink).toBe(2);
    }
    const text = await readFile(join(compose.locationDir, 'metadata', 'images.json'), 'utf8');
    expect(text).toMatch(/^\{\n {4}"header": \{\n {8}"type": "productmd.images",/);
  });

  test('image file names read like Fedora’s, so image names do too', () => {
    expect(compose.images.map((i) => i.path.split('/').pop())).toEqual([
      'Debian-Test-12-20261124.n.0.x86_64.qcow2',
      'Debian-Test-Vagrant-12-20261124.n.0.x86_64.vagrant-libvirt.box',
      'Debian-Test-Vagrant-12-20261124.n.0.x86_64.vagrant-virtualbox.box',
    ]);
  });

  test('the next demo compose of the day gets the next respin; a taken id is skipped', async () => {
    const date = new Date('2026-11-24T12:00:00Z');
    expect(await nextDemoRespin(join(dir, 'composes'), '12', date)).toBe(1);
    expect(
      await nextDemoRespin(join(dir, 'composes'), '12', date, (id) => Promise.resolve(id.endsWith('.n.1'))),
    ).toBe(2);
    const second = await writeDemoCompose(join(dir, 'composes'), image, { date, link: 'symlink' });
    expect(second.composeId).toBe('Debian-Test-12-20261124.n.1');
    await expect(writeDemoCompose(join(dir, 'composes'), image, { date, respin: 1 })).rejects.toThrow(
      /exists already/,
    );
  });
});

describe('writeDemoCompose options', () => {
  test('a given compose id, and the location as a URL under the given base URL', async () => {
    const third = await writeDemoCompose(join(dir, 'composes'), image, {
      composeId: 'Debian-Test-12-20250101.n.7',
      baseUrl: 'http://127.0.0.1:8081/',
    });
    expect(third.path).toBe('Debian-Test-12-20250101.n.7/compose');
    expect(third.location).toBe('http://127.0.0.1:8081/Debian-Test-12-20250101.n.7/compose');
    const info = JSON.parse(
      await readFile(join(third.locationDir, 'metadata', 'composeinfo.json'), 'utf8'),
    ) as {
      payload: { compose: Json };
    };
    expect(info.payload.compose).toMatchObject({
      id: third.composeId,
      date: '20250101',
      respin: 7,
      type: 'nightly',
    });
    await expect(
      writeDemoCompose(join(dir, 'composes'), image, { composeId: 'Fedora-41-20250101.0' }),
    ).rejects.toThrow(/not a demo compose id/);
  });
});

describe('local composes', () => {
  test('a compose directory is recognised from its top or its location', async () => {
    expect(await inspectComposeDir(compose.topDir)).toEqual({
      composeId: compose.composeId,
      topDir: compose.topDir,
      subdir: 'compose',
    });
    expect(await inspectComposeDir(compose.locationDir)).toMatchObject({
      composeId: compose.composeId,
      subdir: '',
    });
    await expect(inspectComposeDir(join(dir, 'image-cache'))).rejects.toThrow(/is not a compose/);
  });

  test('registering links it under its id; another compose with that id is refused', async () => {
    const served = join(dir, 'served');
    const found = await inspectComposeDir(compose.topDir);
    expect(await registerLocalCompose(served, found)).toBe(`${compose.composeId}/compose`);
    expect(await registerLocalCompose(served, found)).toBe(`${compose.composeId}/compose`);
    expect((await stat(join(served, compose.composeId, 'compose', 'metadata', 'images.json'))).isFile()).toBe(
      true,
    );
    // The compose already lives in the served directory: nothing to link.
    const inPlace = await inspectComposeDir(compose.topDir);
    expect(await registerLocalCompose(join(dir, 'composes'), inPlace)).toBe(`${compose.composeId}/compose`);
  });

  test('metadata naming two different composes is refused', async () => {
    const bad = join(dir, 'bad');
    await mkdir(join(bad, 'metadata'), { recursive: true });
    await writeFile(
      join(bad, 'metadata', 'composeinfo.json'),
      JSON.stringify({
        header: { type: 'productmd.composeinfo' },
        payload: { compose: { id: 'A-1-20200101.0' } },
      }),
    );
    await writeFile(
      join(bad, 'metadata', 'images.json'),
      JSON.stringify({
        header: { type: 'productmd.images' },
        payload: { compose: { id: 'B-1-20200101.0' } },
      }),
    );
    await expect(inspectComposeDir(bad)).rejects.toThrow(/images.json describes compose B-1-20200101.0/);
  });
});
