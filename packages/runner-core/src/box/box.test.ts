import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BackendError } from '../machine/machine.js';
import { unpackBox } from './box.js';
import { BoxError, type BoxProblem } from './box-error.js';
import { libvirtBoxFiles, makeBox, ovfXml, QCOW2_BYTES, tarIn, virtualBoxBoxFiles } from './box.fixtures.js';

const exec = promisify(execFile);
let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'box-test-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const dest = () => join(root, `dest-${++n}`);

async function expectBoxError(p: Promise<unknown>, problem: BoxProblem, message: RegExp): Promise<BoxError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BoxError);
  const boxErr = err as BoxError;
  expect(boxErr).toBeInstanceOf(BackendError);
  expect(boxErr.reasonCode).toBe('boot');
  expect(boxErr.problem).toBe(problem);
  expect(boxErr.message).toMatch(message);
  return boxErr;
}

describe('unpackBox: good boxes', () => {
  test('a libvirt box: box.img as a qcow2 disk, metadata and virtual size', async () => {
    const box = await makeBox(root, 'libvirt.box', libvirtBoxFiles());
    const out = dest();
    const unpacked = await unpackBox(box, out);
    expect(unpacked).toEqual({
      provider: 'libvirt',
      dir: out,
      metadata: { provider: 'libvirt', format: 'qcow2', virtual_size: 2 },
      disk: join(out, 'box.img'),
      format: 'qcow2',
      virtualSizeGiB: 2,
    });
    expect((await readdir(out)).sort()).toEqual(['Vagrantfile', 'box.img', 'metadata.json']);
  });

  test('a gzip-compressed libvirt box is recognised by its magic bytes, whatever its name', async () => {
    const box = await makeBox(root, 'compressed.box', libvirtBoxFiles(), { gzip: true });
    const unpacked = await unpackBox(box, dest());
    expect(unpacked.provider).toBe('libvirt');
  });

  test('a VirtualBox box: the OVF and every disk it references', async () => {
    const files = {
      ...virtualBoxBoxFiles(),
      'box.ovf': ovfXml({ disks: ['box-disk001.vmdk', 'data.vmdk'] }),
    };
    const box = await makeBox(root, 'vbox.box', { ...files, 'data.vmdk': 'data' });
    const out = dest();
    expect(await unpackBox(box, out)).toEqual({
      provider: 'virtualbox',
      dir: out,
      metadata: { provider: 'virtualbox' },
      ovf: join(out, 'box.ovf'),
      disks: [join(out, 'box-disk001.vmdk'), join(out, 'data.vmdk')],
    });
  });

  test('links that stay inside the box are kept', async () => {
    const src = await mkdtemp(join(root, 'links-'));
    for (const [name, content] of Object.entries(libvirtBoxFiles()))
      await writeFile(join(src, name), content);
    await mkdir(join(src, 'sub'));
    await symlink('../box.img', join(src, 'sub', 'disk-link'));
    const box = join(root, 'links.box');
    await tarIn(src, ['-cf', box, '.']);
    const out = dest();
    await unpackBox(box, out);
    expect(await readdir(join(out, 'sub'))).toEqual(['disk-link']);
  });
});

describe('unpackBox: malformed boxes', () => {
  test('not a tar archive', async () => {
    const file = join(root, 'text.box');
    await writeFile(file, 'this is not a box\n'.repeat(100));
    await expectBoxError(
      unpackBox(file, dest()),
      'not-a-tar',
      /^Vagrant box text\.box: is not a tar archive$/,
    );
  });

  test('a zip archive, an empty file and gzip around something else are named as such', async () => {
    const zip = join(root, 'zip.box');
    await writeFile(zip, Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(600)]));
    await expectBoxError(unpackBox(zip, dest()), 'not-a-tar', /is not a tar archive \(it is a zip archive\)/);
    const empty = join(root, 'empty.box');
    await writeFile(empty, '');
    await expectBoxError(unpackBox(empty, dest()), 'not-a-tar', /\(the file is empty\)/);
    const src = await mkdtemp(join(root, 'gz-'));
    await writeFile(join(src, 'plain'), 'not a tar '.repeat(100));
    await exec('gzip', ['-k', join(src, 'plain')]);
    await expectBoxError(
      unpackBox(join(src, 'plain.gz'), dest()),
      'not-a-tar',
      /gzip-compressed but not a tar/,
    );
  });

  test('a truncated archive', async () => {
    const files = { ...libvirtBoxFiles(), 'box.img': Buffer.concat([QCOW2_BYTES, Buffer.alloc(200_000, 7)]) };
    const box = await makeBox(root, 'whole.box', files);
    const truncated = join(root, 'truncated.box');
    await writeFile(truncated, (await readFile(box)).subarray(0, 100_000));
    await expectBoxError(
      unpackBox(truncated, dest()),
      'corrupt',
      /is truncated or corrupt: .*Unexpected EOF/,
    );
  });

  test('no metadata.json', async () => {
    const { 'metadata.json': _, ...files } = libvirtBoxFiles();
    const box = await makeBox(root, 'nometa.box', files);
    await expectBoxError(unpackBox(box, dest()), 'no-metadata', /nometa\.box: has no metadata\.json/);
  });

  test('metadata.json that is not JSON, or names no provider', async () => {
    const bad = await makeBox(root, 'badjson.box', {
      ...libvirtBoxFiles(),
      'metadata.json': '{provider: libvirt',
    });
    await expectBoxError(unpackBox(bad, dest()), 'bad-metadata', /metadata\.json is not valid JSON/);
    const none = await makeBox(root, 'noprovider.box', {
      ...libvirtBoxFiles(),
      'metadata.json': '{"format":"x"}',
    });
    await expectBoxError(unpackBox(none, dest()), 'bad-metadata', /metadata\.json names no provider/);
  });

  test('an unknown provider', async () => {
    const box = await makeBox(root, 'vmware.box', { 'metadata.json': '{"provider":"vmware_desktop"}' });
    await expectBoxError(
      unpackBox(box, dest()),
      'unknown-provider',
      /names provider "vmware_desktop"; Autocloud boots libvirt and virtualbox boxes/,
    );
  });

  test('a libvirt box without box.img, with a disk that is not qcow2, or of another format', async () => {
    const { 'box.img': _, ...noImg } = libvirtBoxFiles();
    const missing = await makeBox(root, 'noimg.box', noImg);
    await expectBoxError(unpackBox(missing, dest()), 'no-disk', /has no box\.img/);
    const raw = await makeBox(root, 'rawimg.box', { ...libvirtBoxFiles(), 'box.img': Buffer.alloc(1024) });
    await expectBoxError(unpackBox(raw, dest()), 'bad-disk', /box\.img is not a qcow2 image/);
    const meta = '{"provider":"libvirt","format":"raw"}';
    const format = await makeBox(root, 'rawfmt.box', { ...libvirtBoxFiles(), 'metadata.json': meta });
    await expectBoxError(unpackBox(format, dest()), 'bad-disk', /disk format "raw"/);
  });

  test('a VirtualBox box without box.ovf', async () => {
    const { 'box.ovf': _, ...files } = virtualBoxBoxFiles();
    const box = await makeBox(root, 'noovf.box', files);
    await expectBoxError(unpackBox(box, dest()), 'no-ovf', /noovf\.box: has no box\.ovf/);
  });

  test('an OVF that references a disk missing from the box', async () => {
    const { 'box-disk001.vmdk': _, ...files } = virtualBoxBoxFiles();
    const box = await makeBox(root, 'nodisk.box', files);
    await expectBoxError(
      unpackBox(box, dest()),
      'missing-disk',
      /box\.ovf references box-disk001\.vmdk, which is not in the box/,
    );
  });

  test('an OVF that is not XML, references no disk, or a file outside the box', async () => {
    const notXml = await makeBox(root, 'notxml.box', {
      ...virtualBoxBoxFiles(),
      'box.ovf': '<Envelope><References>',
    });
    await expectBoxError(unpackBox(notXml, dest()), 'bad-ovf', /box\.ovf is not well-formed XML/);
    const noRefs = await makeBox(root, 'norefs.box', {
      ...virtualBoxBoxFiles(),
      'box.ovf': ovfXml({ disks: [] }),
    });
    await expectBoxError(unpackBox(noRefs, dest()), 'bad-ovf', /references no disk image/);
    const outside = ovfXml({ disks: ['../../etc/passwd'] });
    const escape = await makeBox(root, 'escape.box', { ...virtualBoxBoxFiles(), 'box.ovf': outside });
    await expectBoxError(
      unpackBox(escape, dest()),
      'bad-ovf',
      /references \.\.\/\.\.\/etc\/passwd, which is not a file/,
    );
  });
});

describe('unpackBox: unsafe archives are refused before anything is extracted', () => {
  async function expectRefused(box: string, message: RegExp): Promise<void> {
    const out = dest();
    await expectBoxError(unpackBox(box, out), 'unsafe-member', message);
    expect(await readdir(out).catch(() => [])).toEqual([]);
  }

  test('an absolute member path', async () => {
    const dir = await mkdtemp(join(root, 'abs-'));
    await writeFile(join(dir, 'evil'), 'x');
    const box = join(root, 'absolute.box');
    await tarIn(dir, ['-cPf', box, join(dir, 'evil')]);
    await expectRefused(box, /member ".*\/evil" has an absolute path; refusing to unpack/);
  });

  test('a member with a .. component', async () => {
    const dir = await mkdtemp(join(root, 'dotdot-'));
    await mkdir(join(dir, 'inner'));
    await writeFile(join(dir, 'outside'), 'x');
    const box = join(root, 'dotdot.box');
    await tarIn(join(dir, 'inner'), ['-cPf', box, '../outside']);
    await expectRefused(box, /member "\.\.\/outside" has a `\.\.` path component/);
  });

  test('symbolic links out of the box: absolute, or up past its top', async () => {
    const dir = await mkdtemp(join(root, 'symabs-'));
    await symlink('/etc/passwd', join(dir, 'metadata.json'));
    const abs = join(root, 'symabs.box');
    await tarIn(dir, ['-cf', abs, '.']);
    await expectRefused(abs, /member metadata\.json is a symbolic link to the absolute path \/etc\/passwd/);

    const dir2 = await mkdtemp(join(root, 'symup-'));
    await mkdir(join(dir2, 'sub'));
    await symlink('../../secret', join(dir2, 'sub', 'link'));
    const up = join(root, 'symup.box');
    await tarIn(dir2, ['-cf', up, '.']);
    await expectRefused(up, /member sub\/link is a symbolic link to \.\.\/\.\.\/secret, outside the box/);
  });

  test('a member stored under a symbolic link (which would write wherever the link points)', async () => {
    const a = await mkdtemp(join(root, 'through-a-'));
    await symlink('.', join(a, 'alias'));
    const b = await mkdtemp(join(root, 'through-b-'));
    await mkdir(join(b, 'alias'));
    await writeFile(join(b, 'alias', 'file'), 'x');
    const box = join(root, 'through.box');
    await tarIn(a, ['-cf', box, 'alias']);
    await tarIn(b, ['-rf', box, 'alias/file']);
    await expectRefused(box, /member alias\/file lies under the symbolic link alias/);
  });

  test('a link whose target walks through another link', async () => {
    const dir = await mkdtemp(join(root, 'chain-'));
    await symlink('.', join(dir, 'here'));
    await symlink('here/..', join(dir, 'up'));
    const box = join(root, 'chain.box');
    await tarIn(dir, ['-cf', box, 'here', 'up']);
    await expectRefused(box, /member up is a symbolic link through the symbolic link here/);
  });

  test('a FIFO or device node', async () => {
    const dir = await mkdtemp(join(root, 'fifo-'));
    await exec('mkfifo', [join(dir, 'pipe')]);
    const box = join(root, 'fifo.box');
    await tarIn(dir, ['-cf', box, 'pipe']);
    await expectRefused(box, /member pipe is a FIFO, not a file/);
  });

  test('more bytes or members than allowed', async () => {
    const box = await makeBox(root, 'big.box', libvirtBoxFiles());
    await expectBoxError(
      unpackBox(box, dest(), { maxBytes: 100 }),
      'too-large',
      /unpacks to \d+ bytes, more than/,
    );
    await expectBoxError(
      unpackBox(box, dest(), { maxMembers: 2 }),
      'too-large',
      /has 4 members, more than the 2/,
    );
  });
});

test('an aborted unpack rejects with the abort reason', async () => {
  const box = await makeBox(root, 'abort.box', libvirtBoxFiles());
  const controller = new AbortController();
  controller.abort(new Error('job cancelled'));
  await expect(unpackBox(box, dest(), { signal: controller.signal })).rejects.toThrow('job cancelled');
});
