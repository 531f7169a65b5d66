// The libvirt/QEMU backend of the runners (DESIGN §6): also the QEMU path of the VirtualBox runner.
export { LibvirtBackend, domainPrefix, type LibvirtBackendOptions } from './libvirt-backend.js';
export { BaseImages, ovfDiskBus, type BaseDisk, type BoxSource } from './base-images.js';
export { domainXml, type DomainSpec, type DiskBus } from './domain-xml.js';
export { probeBootSector, resolveDomainType, type DomainTypeSetting } from './domain-type.js';
export { makeSeedIso, metaData, userData } from './seed.js';
export { Virsh, VirshError } from './virsh.js';
