// How a job logs in to its guest: cloud-init images get a user and a fresh key through a NoCloud seed; Vagrant
// boxes trust Vagrant's published insecure key for user `vagrant`, as `vagrant up` relies on.
import { readFileSync } from 'node:fs';
import { type LoginSpec } from '../machine/machine.js';
import { generateJobKey } from '../ssh/ssh-session.js';

/** The user a NoCloud seed creates for the runner (with passwordless sudo). */
export const CLOUD_INIT_USER = 'autocloud';

const VAGRANT_KEY_FILE = new URL('../../keys/vagrant-insecure-key', import.meta.url);

export function isVagrantBox(imageType: string): boolean {
  return imageType.startsWith('vagrant-');
}

export function loginFor(imageType: string, jobId: number): LoginSpec & { cloudInit: boolean } {
  if (isVagrantBox(imageType)) {
    return {
      username: 'vagrant',
      privateKey: readFileSync(VAGRANT_KEY_FILE, 'utf8'),
      publicKey: '',
      cloudInit: false,
    };
  }
  const key = generateJobKey(`autocloud-job-${jobId}`);
  return { username: CLOUD_INIT_USER, ...key, cloudInit: true };
}
