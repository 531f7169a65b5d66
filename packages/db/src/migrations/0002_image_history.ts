// The image as the unit under test: a generated image_key (the image name without its release and compose
// version), the indexes for an image's history, and indexes for the job list's filters used together.
// boot_ms is already in 0001.
// Frozen in time: this file never imports app code, and it is never edited once released.
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a frozen migration must not depend on today's types
export async function up(db: Kysely<any>): Promise<void> {
  // Everything before the last `-<release>-` (Fedora-Cloud-Base-Generic-41-20241020.0 → Fedora-Cloud-Base-Generic,
  // Fedora-Cloud-Base-Vagrant-libvirt-Rawhide-20241020.n.0 → Fedora-Cloud-Base-Vagrant-libvirt); a name without
  // its release loses its trailing version-like tokens instead. Plain string functions: no regex escaping of the
  // release, and immutable, as a generated column requires.
  await sql`
    alter table jobs add column image_key text not null generated always as (
      case
        when release <> '' and strpos(reverse(image_name), reverse('-' || release || '-')) > 0
          then left(
            image_name,
            length(image_name) - strpos(reverse(image_name), reverse('-' || release || '-')) - length(release) - 1
          )
        else regexp_replace(image_name, '(-[0-9][^-]*)+$', '')
      end
    ) stored
  `.execute(db);

  // An image's history: one counted job per compose, newest compose first.
  await sql`
    create index jobs_image_history_idx on jobs (image_key, arch, type, release, compose_job_id desc, job_id desc)
    where not superseded
  `.execute(db);
  // The job list's `image` filter, in keyset order.
  await db.schema
    .createIndex('jobs_image_key_idx')
    .on('jobs')
    .columns(['image_key', 'job_id desc'])
    .execute();
  // Filters used together: 0001 indexes each filter alone, so a combination of low-selectivity filters (failed
  // ppc64le vhd jobs of release 40) walked one of them through thousands of rows. These lead with the common pairs.
  await db.schema
    .createIndex('jobs_status_arch_idx')
    .on('jobs')
    .columns(['status', 'arch', 'job_id desc'])
    .execute();
  await db.schema
    .createIndex('jobs_release_type_arch_idx')
    .on('jobs')
    .columns(['release', 'type', 'arch', 'job_id desc'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a frozen migration must not depend on today's types
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('jobs_release_type_arch_idx').execute();
  await db.schema.dropIndex('jobs_status_arch_idx').execute();
  await db.schema.dropIndex('jobs_image_key_idx').execute();
  await db.schema.dropIndex('jobs_image_history_idx').execute();
  await db.schema.alterTable('jobs').dropColumn('image_key').execute();
}
