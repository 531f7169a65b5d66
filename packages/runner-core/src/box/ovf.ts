// The parts of an OVF 1.x/2.x descriptor a runner needs from a Vagrant VirtualBox box: the files it references
// (References/File, the disks) and how its disks use them (DiskSection/Disk). Namespace prefixes are ignored, so
// `ovf:href` and a default-namespace `href` read the same.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface OvfFile {
  id: string;
  /** As written: a file name relative to the descriptor. */
  href: string;
  size?: number;
}

export interface OvfDisk {
  diskId: string;
  fileRef?: string;
  /** e.g. http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized */
  format?: string;
  capacity?: string;
}

export interface OvfDescriptor {
  files: OvfFile[];
  disks: OvfDisk[];
  /** ovf:id of each VirtualSystem (in a VirtualSystemCollection too). */
  virtualSystems: string[];
}

/** The descriptor is not OVF a runner can use; the message says why. */
export class OvfError extends Error {
  override readonly name = 'OvfError';
}

type Node = Record<string, unknown>;

const ARRAYS = new Set(['File', 'Disk', 'VirtualSystem', 'VirtualSystemCollection']);

export function parseOvf(xml: string): OvfDescriptor {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new OvfError(`is not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`);
  }
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    removeNSPrefix: true,
    parseAttributeValue: false,
    parseTagValue: false,
    isArray: (name) => ARRAYS.has(name),
  });
  const doc = parser.parse(xml) as Node;
  const envelope = doc.Envelope;
  if (!isNode(envelope)) throw new OvfError('has no OVF Envelope element at its root');

  const files = nodes(isNode(envelope.References) ? envelope.References.File : undefined).map((f, i) => {
    const href = attr(f, 'href');
    const id = attr(f, 'id');
    if (!href) throw new OvfError(`References/File #${i + 1} has no href`);
    const size = attr(f, 'size');
    return { id: id ?? '', href, ...(size && /^\d+$/.test(size) ? { size: Number(size) } : {}) };
  });
  const disks = nodes(isNode(envelope.DiskSection) ? envelope.DiskSection.Disk : undefined).map((d) => {
    const disk: OvfDisk = { diskId: attr(d, 'diskId') ?? '' };
    const fileRef = attr(d, 'fileRef');
    const format = attr(d, 'format');
    const capacity = attr(d, 'capacity');
    if (fileRef !== undefined) disk.fileRef = fileRef;
    if (format !== undefined) disk.format = format;
    if (capacity !== undefined) disk.capacity = capacity;
    return disk;
  });
  for (const disk of disks) {
    if (disk.fileRef !== undefined && !files.some((f) => f.id === disk.fileRef)) {
      throw new OvfError(
        `Disk ${disk.diskId} refers to file ${disk.fileRef}, which References does not list`,
      );
    }
  }
  const systems = [
    ...nodes(envelope.VirtualSystem),
    ...nodes(envelope.VirtualSystemCollection).flatMap((c) => nodes(c.VirtualSystem)),
  ].map((s) => attr(s, 'id') ?? '');
  return { files, disks, virtualSystems: systems };
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nodes(v: unknown): Node[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter(isNode);
}

function attr(node: Node, name: string): string | undefined {
  const v = node[`@_${name}`];
  return typeof v === 'string' ? v : undefined;
}
