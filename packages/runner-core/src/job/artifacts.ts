// A job's artifacts in the `artifacts` object store bucket, named `<job_id>/<file>`: the serial console log, the
// guest's cloud-init logs and the step records, for the UI and for whoever debugs the image later.
import { type Bus } from '@autocloud/bus';
import { type JobStep } from '@autocloud/schemas';
import { type Logger } from '@autocloud/telemetry';

export interface JobArtifacts {
  serialConsole: Buffer | undefined;
  guestLogs: Record<string, Buffer>;
  steps: JobStep[];
  log: Logger;
}

export function artifactName(jobId: number, file: string): string {
  return `${jobId}/${file}`;
}

/** Uploads what exists; a failed upload is logged, never fatal to the job's verdict. */
export async function collectArtifacts(bus: Bus, jobId: number, a: JobArtifacts): Promise<string[]> {
  const files: Record<string, Buffer> = { ...a.guestLogs };
  if (a.serialConsole) files['serial-console.log'] = a.serialConsole;
  files['steps.json'] = Buffer.from(JSON.stringify(a.steps, null, 2) + '\n');
  const stored: string[] = [];
  const store = await bus.objectStore('artifacts');
  for (const [file, data] of Object.entries(files)) {
    const name = artifactName(jobId, file);
    try {
      await store.putBlob({ name, description: `job ${jobId}: ${file}` }, new Uint8Array(data));
      stored.push(name);
    } catch (err) {
      a.log.warn({ err, artifact: name }, 'could not store an artifact');
    }
  }
  return stored;
}
