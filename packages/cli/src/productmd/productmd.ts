// productmd 1.2 documents as pungi writes them (composeinfo.json and images.json under {location}/metadata/): the
// shapes compose-resolver reads, with the fields real composes carry (see the Fedora-Cloud-27 fixture), keys
// sorted and indented as productmd's json.dump(sort_keys=True, indent=4) writes them.

export const PRODUCTMD_VERSION = '1.2';

export type ComposeType = 'production' | 'nightly' | 'test' | 'ci';

const TYPE_SUFFIX: Record<ComposeType, string> = { production: '', nightly: '.n', test: '.t', ci: '.ci' };

export interface ComposeIdentity {
  /** Release short name, e.g. Fedora-Cloud or Debian-Test. */
  short: string;
  /** Release version, e.g. 27 or 12. */
  version: string;
  /** YYYYMMDD. */
  date: string;
  type: ComposeType;
  respin: number;
}

/** pungi's compose id: {short}-{version}-{date}{.n|.t|.ci}.{respin}, e.g. Fedora-Cloud-27-20180317.0. */
export function composeIdFor(c: ComposeIdentity): string {
  return `${c.short}-${c.version}-${c.date}${TYPE_SUFFIX[c.type]}.${c.respin}`;
}

/** YYYYMMDD of a date, in UTC as pungi stamps composes. */
export function composeDate(date: Date): string {
  return date.toISOString().slice(0, 10).replaceAll('-', '');
}

export interface ProductmdImageEntry {
  arch: string;
  bootable: boolean;
  checksums: { sha256: string };
  disc_count: number;
  disc_number: number;
  format: string;
  implant_md5: string | null;
  mtime: number;
  path: string;
  size: number;
  subvariant: string;
  type: string;
  volume_id: string | null;
}

export interface ImageEntryInput {
  /** Relative to the compose location. */
  path: string;
  type: string;
  format: string;
  arch: string;
  size: number;
  sha256: string;
  subvariant: string;
  /** Seconds since the epoch. */
  mtime: number;
}

export function imageEntry(i: ImageEntryInput): ProductmdImageEntry {
  return {
    arch: i.arch,
    bootable: false,
    checksums: { sha256: i.sha256.toLowerCase() },
    disc_count: 1,
    disc_number: 1,
    format: i.format,
    implant_md5: null,
    mtime: i.mtime,
    path: i.path,
    size: i.size,
    subvariant: i.subvariant,
    type: i.type,
    volume_id: null,
  };
}

export interface ImagesDocument {
  header: { type: 'productmd.images'; version: string };
  payload: {
    compose: { date: string; id: string; respin: number; type: ComposeType };
    images: Record<string, Record<string, ProductmdImageEntry[]>>;
  };
}

/** images.json: variant -> arch -> images. */
export function imagesDocument(
  compose: ComposeIdentity,
  images: Record<string, Record<string, ProductmdImageEntry[]>>,
): ImagesDocument {
  return {
    header: { type: 'productmd.images', version: PRODUCTMD_VERSION },
    payload: {
      compose: { date: compose.date, id: composeIdFor(compose), respin: compose.respin, type: compose.type },
      images,
    },
  };
}

export interface VariantInput {
  arches: string[];
  /** arch -> directory of its images, relative to the location. */
  imagePaths?: Record<string, string>;
}

export interface ProductmdVariant {
  arches: string[];
  id: string;
  name: string;
  /** Kind of content (images, os_tree, ...) -> arch -> directory; often empty. */
  paths: Record<string, Record<string, string>>;
  type: 'variant';
  uid: string;
}

export interface ComposeInfoDocument {
  header: { type: 'productmd.composeinfo'; version: string };
  payload: {
    compose: {
      date: string;
      final: boolean;
      id: string;
      label: string | null;
      respin: number;
      type: ComposeType;
    };
    release: { internal: boolean; name: string; short: string; type: string; version: string };
    variants: Record<string, ProductmdVariant>;
  };
}

/** composeinfo.json: the compose, its release and its variants. */
export function composeInfoDocument(
  compose: ComposeIdentity & { label?: string | null; final?: boolean; releaseName?: string },
  variants: Record<string, VariantInput>,
): ComposeInfoDocument {
  return {
    header: { type: 'productmd.composeinfo', version: PRODUCTMD_VERSION },
    payload: {
      compose: {
        date: compose.date,
        final: compose.final ?? false,
        id: composeIdFor(compose),
        label: compose.label ?? null,
        respin: compose.respin,
        type: compose.type,
      },
      release: {
        internal: false,
        name: compose.releaseName ?? compose.short,
        short: compose.short,
        type: 'ga',
        version: compose.version,
      },
      variants: Object.fromEntries(
        Object.entries(variants).map(([id, v]): [string, ProductmdVariant] => [
          id,
          {
            arches: [...v.arches].sort(),
            id,
            name: id,
            paths: v.imagePaths ? { images: v.imagePaths } : {},
            type: 'variant',
            uid: id,
          },
        ]),
      ),
    },
  };
}

/** JSON as productmd writes it: keys sorted, four-space indent, a final newline. */
export function productmdJson(document: unknown): string {
  return `${JSON.stringify(sortKeys(document), null, 4)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
