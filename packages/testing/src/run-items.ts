// Run work items for the runners' tests: an image put into the `images` bucket as the fetcher would leave it,
// and the item that hands it to a runner.
import { createReadStream } from 'node:fs';
import { type Bus } from '@autocloud/bus';
import { type Backend, type RunWorkItem } from '@autocloud/schemas';
import { type TestImageArtifact } from './test-image.js';

/** Copies the artifact into the images bucket under its sha256 (what the fetcher stores after verifying). */
export async function storeImage(
  bus: Bus,
  artifact: Pick<TestImageArtifact, 'path' | 'sha256'>,
): Promise<void> {
  const store = await bus.objectStore('images');
  if (await store.info(artifact.sha256)) return;
  const upload = bus.objectUpload('images');
  for await (const chunk of createReadStream(artifact.path, { highWaterMark: 1024 * 1024 })) {
    await upload.write(chunk as Buffer);
  }
  await upload.commit(artifact.sha256, { sha256: artifact.sha256 });
}

export function runItem(
  artifact: Pick<TestImageArtifact, 'type' | 'format' | 'arch' | 'size' | 'sha256'>,
  opts: { jobId: number; plan: string; backend?: Backend; composeJobId?: number },
): RunWorkItem {
  return {
    job_id: opts.jobId,
    compose_job_id: opts.composeJobId ?? 1,
    compose_id: 'Debian-Test-12-20261124.n.0',
    attempt: 1,
    backend: opts.backend ?? 'libvirt',
    plan: opts.plan,
    image: {
      url: `http://127.0.0.1/compose/debian-test-image.${artifact.arch}.${artifact.type}`,
      sha256: artifact.sha256,
      size: artifact.size,
      type: artifact.type,
      format: artifact.format,
      arch: artifact.arch,
      variant: 'Cloud',
      subvariant: 'Cloud_Base',
      family: 'Base',
      image_name: `debian-test-image-${artifact.type}`,
      release: '12',
    },
    object: { bucket: 'images', name: artifact.sha256 },
  };
}
