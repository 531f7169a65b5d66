#!/usr/bin/env node
// A stand-in for VirtualBox's VBoxManage, for machines that cannot run VirtualBox (KVM holds VT-x, and there are
// no VirtualBox packages). It answers the subcommands Autocloud's VirtualBox backend uses, checking every argument
// vector against VBoxManage's documented syntax (VirtualBox 7 manual, "VBoxManage"; the option tables of
// VBoxManageAppliance.cpp and VBoxManageModifyVM.cpp): options as RTGetOpt parses them (`--opt value`,
// `--opt=value`, an index suffix such as `--natpf1`), unknown options, missing or malformed values, and order
// where VBoxManage cares (`--vmname` after `--vsys`, the VM name first for modifyvm and controlvm). Syntax errors
// exit 2, failures 1, as VBoxManage does.
//
// It keeps a registry of VMs in $FAKE_VBOX_STATE/state.json: import reads the OVF, checks that the disks it
// references exist and registers the VM (its settings file and disk copies in <basefolder>/<vmname>/); startvm
// runs it and writes a line to a serial port's file; controlvm poweroff stops it; unregistervm --delete removes it
// and the files import and startvm made. Every invocation is appended to $FAKE_VBOX_STATE/invocations.log (one
// JSON line: argv, exit code).
//
// Failures on request: $FAKE_VBOX_FAIL and the file $FAKE_VBOX_STATE/fail hold comma-separated steps, each
// optionally `:N` (fail only the first N times): version, import, modifyvm, startvm, startvm-vtx, startvm-amdv,
// poweroff, unregistervm, unregistervm-locked, list, showvminfo. A failing step prints VirtualBox's error text
// on stderr, exits 1 and changes nothing.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const VERSION = process.env.FAKE_VBOX_VERSION ?? '7.0.20r163906';
const STEPS = new Set([
  'version',
  'import',
  'modifyvm',
  'startvm',
  'startvm-vtx',
  'startvm-amdv',
  'poweroff',
  'unregistervm',
  'unregistervm-locked',
  'list',
  'showvminfo',
]);
const PROGRESS = '0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%\n';

class Exit extends Error {
  constructor(code, stderr = '', stdout = '') {
    super(stderr);
    this.code = code;
    this.stderr = stderr;
    this.stdout = stdout;
  }
}

/** A runtime failure, as VBoxManage reports a failed COM call. */
function fail(...lines) {
  throw new Exit(1, lines.map((l) => `VBoxManage: error: ${l}\n`).join(''));
}

/** A command line VBoxManage would not accept (RTEXITCODE_SYNTAX). */
function syntax(command, message) {
  throw new Exit(
    2,
    `VBoxManage: error: ${message}\nVBoxManage: info: Use "VBoxManage ${command} --help" for more information.\n`,
  );
}

function notFound(ref) {
  fail(
    `Could not find a registered machine named '${ref}'`,
    'Details: code VBOX_E_OBJECT_NOT_FOUND (0x80bb0001), component VirtualBoxWrap, interface IVirtualBox, callee nsISupports',
    'Context: "FindMachine(Bstr(a->argv[0]).raw(), machine.asOutParam())" at line 0 of file fake-vboxmanage.mjs',
  );
}

function locked(vm, verb = 'locked for a session (or being unlocked)') {
  fail(
    `The machine '${vm.name}' is already ${verb}`,
    'Details: code VBOX_E_INVALID_OBJECT_STATE (0x80bb0007), component MachineWrap, interface IMachine, callee nsISupports',
  );
}

// --- arguments, as RTGetOpt reads them ---------------------------------------------------------------------------

/**
 * Splits `args` by `defs` ({ '--name': { type: 'none' | 'string' | 'uint32', index?: [min, max], extra?: (value)
 * => labels of further values, canonical?: name } }). Returns items in order: { positional } or { name, index,
 * value, extra }.
 */
function parseArgs(command, args, defs) {
  const items = [];
  let i = 0;
  while (i < args.length) {
    const arg = args[i++];
    if (!arg.startsWith('-') || arg === '-') {
      items.push({ positional: arg });
      continue;
    }
    let name = arg;
    let inline;
    if (arg.startsWith('--')) {
      const sep = arg.slice(2).search(/[=:]/);
      if (sep >= 0) {
        name = arg.slice(0, sep + 2);
        inline = arg.slice(sep + 3);
      }
    }
    let def = defs[name];
    let index;
    if (!def) {
      const m = /^(--[a-z-]*[a-z])(\d+)$/.exec(name);
      if (m && defs[m[1]]?.index) {
        def = defs[m[1]];
        name = m[1];
        index = Number(m[2]);
      }
    }
    if (!def) syntax(command, `Unknown option: ${name}`);
    const canonical = def.canonical ?? name;
    if (def.index) {
      if (index === undefined)
        syntax(command, `${name}: RTGetOpt: Command line option needs an index (${name}1)`);
      const [min, max] = def.index;
      if (index < min || index > max)
        syntax(command, `Invalid index ${index} in '${name}${index}' (${min}-${max})`);
    }
    let value;
    if (def.type === 'none') {
      if (inline !== undefined)
        syntax(command, `${name}: RTGetOpt: Command line option does not take an argument`);
    } else {
      value = inline ?? (i < args.length ? args[i++] : undefined);
      if (value === undefined) syntax(command, `${name}: RTGetOpt: Command line option needs argument.`);
      if (def.type === 'uint32') {
        if (!/^(0x[0-9a-f]+|\d+)$/i.test(value) || Number(value) > 0xffffffff) {
          syntax(command, `${name}: RTGetOpt: The value '${value}' is not an unsigned 32-bit number`);
        }
        value = Number(value);
      }
    }
    const extra = [];
    for (const label of def.extra?.(value) ?? []) {
      if (i >= args.length) {
        syntax(command, `Missing or invalid argument to '${name}${index ?? ''}' (needs ${label})`);
      }
      extra.push(args[i++]);
    }
    items.push({ name: canonical, shown: `${name}${index ?? ''}`, index, value, extra });
  }
  return items;
}

/** `--new-style` and `--oldstyle` spellings of one option (VirtualBox 7 accepts both). */
function both(defs, newName, oldName, def) {
  defs[newName] = { ...def, canonical: oldName };
  defs[oldName] = { ...def, canonical: oldName };
}

// --- state -------------------------------------------------------------------------------------------------------

const stateDir = process.env.FAKE_VBOX_STATE;

function loadState() {
  try {
    return JSON.parse(fs.readFileSync(path.join(stateDir, 'state.json'), 'utf8'));
  } catch (err) {
    if (err.code === 'ENOENT') return { vms: [], failures: {} };
    throw err;
  }
}

function saveState(state) {
  const tmp = path.join(stateDir, `state.json.${process.pid}`);
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
  fs.renameSync(tmp, path.join(stateDir, 'state.json'));
}

function withLock(fn) {
  const lockDir = path.join(stateDir, '.lock');
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const age = Date.now() - (fs.statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 30_000) fs.rmSync(lockDir, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('fake VBoxManage: the state lock stays taken');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

function failureSpecs() {
  let text = process.env.FAKE_VBOX_FAIL ?? '';
  const file = path.join(stateDir, 'fail');
  if (fs.existsSync(file)) text += `,${fs.readFileSync(file, 'utf8')}`;
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((key) => {
      const [step, count] = key.split(':');
      if (!STEPS.has(step) || (count !== undefined && !/^\d+$/.test(count))) {
        throw new Exit(
          2,
          `fake VBoxManage: unknown failure '${key}' (steps: ${[...STEPS].join(', ')}[:count])\n`,
        );
      }
      return { key, step, count: count === undefined ? Infinity : Number(count) };
    });
}

/** Whether the failure `step` is requested now (counting it when it has a limit). */
function failing(state, step) {
  for (const spec of failureSpecs()) {
    if (spec.step !== step) continue;
    const used = state.failures[spec.key] ?? 0;
    if (used < spec.count) {
      state.failures[spec.key] = used + 1;
      return true;
    }
  }
  return false;
}

function findVm(state, ref) {
  const bare = ref.replace(/^\{|\}$/g, '');
  return state.vms.find((vm) => vm.name === ref || vm.uuid === bare);
}

const running = (vm) => vm.state === 'running' || vm.state === 'paused';

// --- the OVF, as Appliance::Read sees it -------------------------------------------------------------------------

function attr(tag, name) {
  const m = new RegExp(`\\s(?:[\\w-]+:)?${name}="([^"]*)"`).exec(tag);
  return m
    ? m[1]
        .replace(/&amp;/g, '&')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
    : undefined;
}

function readOvf(ovfPath) {
  let xml;
  try {
    xml = fs.readFileSync(ovfPath, 'utf8');
  } catch {
    fail(
      'Appliance read failed',
      `Could not open the OVF file '${ovfPath}' (VERR_FILE_NOT_FOUND)`,
      'Details: code VBOX_E_FILE_ERROR (0x80bb0004), component ApplianceWrap, interface IAppliance',
    );
  }
  if (!/<(?:[\w-]+:)?Envelope[\s>]/.test(xml)) {
    fail('Appliance read failed', `Error reading "${ovfPath}": missing or invalid root element 'Envelope'`);
  }
  const files = [...xml.matchAll(/<(?:[\w-]+:)?File\b[^>]*>/g)].map((m) => ({
    id: attr(m[0], 'id'),
    href: attr(m[0], 'href'),
  }));
  const systems = [...xml.matchAll(/<(?:[\w-]+:)?VirtualSystem\b[^>]*>/g)].map((m) => attr(m[0], 'id'));
  const items = [...xml.matchAll(/<(?:[\w-]+:)?Item\b[^>]*>([\s\S]*?)<\/(?:[\w-]+:)?Item>/g)].map(
    (m) => m[1],
  );
  const field = (item, name) => new RegExp(`<(?:[\\w-]+:)?${name}>([^<]*)<`).exec(item)?.[1];
  const quantity = (type) => {
    const item = items.find((it) => field(it, 'ResourceType') === String(type));
    return item ? Number(field(item, 'VirtualQuantity')) : undefined;
  };
  const nics = items.filter((it) => field(it, 'ResourceType') === '10');
  return {
    files,
    systems,
    cpus: quantity(3) ?? 1,
    memory: quantity(4) ?? 128,
    nic1:
      nics.length === 0
        ? 'none'
        : (field(nics[0], 'Connection') ?? 'NAT').toLowerCase() === 'nat'
          ? 'nat'
          : 'null',
  };
}

// --- commands ----------------------------------------------------------------------------------------------------

function cmdVersion(state) {
  if (failing(state, 'version')) {
    fail(
      'Failed to create the VirtualBox object!',
      'Code NS_ERROR_FACTORY_NOT_REGISTERED (0x80040154) - Class not registered (extended info not available)',
      'Most likely, the VirtualBox COM server is not running or failed to start.',
    );
  }
  return `${VERSION}\n`;
}

const IMPORT_DEFS = (() => {
  const d = {};
  for (const n of ['--dry-run', '-n', '--dryrun']) d[n] = { type: 'none', canonical: '--dry-run' };
  d['--detailed-progress'] = { type: 'none' };
  d['--vsys'] = { type: 'uint32' };
  d['--unit'] = { type: 'uint32' };
  d['--ignore'] = { type: 'none' };
  for (const n of [
    '--ostype',
    '--vmname',
    '--settingsfile',
    '--basefolder',
    '--group',
    '--memory',
    '--cpus',
  ]) {
    d[n] = { type: 'string' };
  }
  for (const n of [
    '--description',
    '--eula',
    '--scsitype',
    '--controller',
    '--port',
    '--disk',
    '--options',
  ]) {
    d[n] = { type: 'string' };
  }
  return d;
})();

function cmdImport(state, args) {
  const items = parseArgs('import', args, IMPORT_DEFS);
  let ovf;
  let dryRun = false;
  let vsys = -1;
  let unit = -1;
  const perVsys = new Map();
  for (const it of items) {
    if (it.positional !== undefined) {
      if (ovf === undefined) ovf = it.positional;
      else syntax('import', `Invalid parameter '${it.positional}'`);
      continue;
    }
    switch (it.name) {
      case '--dry-run':
        dryRun = true;
        break;
      case '--detailed-progress':
        break;
      case '--vsys':
        vsys = it.value;
        unit = -1;
        break;
      case '--ostype':
      case '--vmname':
      case '--basefolder':
      case '--memory':
      case '--cpus':
      case '--description':
        if (vsys < 0) syntax('import', `Option "${it.name}" requires preceding --vsys or --cloud option.`);
        perVsys.set(vsys, { ...perVsys.get(vsys), [it.name]: it.value });
        break;
      case '--settingsfile':
      case '--group':
      case '--eula':
        if (vsys < 0) syntax('import', `Option "${it.name}" requires preceding --vsys option.`);
        perVsys.set(vsys, { ...perVsys.get(vsys), [it.name]: it.value });
        break;
      case '--unit':
        if (vsys < 0) syntax('import', `Option "${it.name}" requires preceding --vsys option.`);
        unit = it.value;
        break;
      case '--ignore':
      case '--disk':
      case '--controller':
      case '--port':
      case '--scsitype':
        if (vsys < 0) syntax('import', `Option "${it.name}" requires preceding --vsys option.`);
        if (unit < 0) syntax('import', `Option "${it.name}" requires preceding --unit option.`);
        break;
      case '--options':
        for (const o of it.value.split(',').filter(Boolean)) {
          if (!/^(keepallmacs|keepnatmacs|importtovdi|keepextradata)$/i.test(o)) {
            syntax('import', `Invalid import options '${it.value}'`);
          }
        }
        break;
    }
  }
  if (ovf === undefined) syntax('import', 'Not enough arguments for "import" command.');
  for (const [index, opts] of perVsys) {
    if (opts['--memory'] !== undefined && !/^\d+$/.test(opts['--memory'])) {
      syntax('import', `Invalid memory size '${opts['--memory']}' for virtual system ${index}: expected MB`);
    }
    if (opts['--cpus'] !== undefined && !/^[1-9]\d*$/.test(opts['--cpus'])) {
      syntax('import', `Invalid CPU count '${opts['--cpus']}' for virtual system ${index}`);
    }
    if (opts['--eula'] !== undefined && !/^(show|accept)$/.test(opts['--eula'])) {
      syntax('import', `Invalid --eula value '${opts['--eula']}': show or accept`);
    }
    if (opts['--vmname'] === '') syntax('import', 'The VM name given with --vmname is empty');
  }
  if (failing(state, 'import')) {
    fail(
      'Appliance import failed',
      `Could not create the imported medium '${path.resolve(ovf)}-disk001.vmdk'.`,
      'VMDK: cannot write allocated data block (VERR_DISK_FULL)',
      'Details: code VBOX_E_FILE_ERROR (0x80bb0004), component ApplianceWrap, interface IAppliance',
      'Context: "RTEXITCODE handleImportAppliance(HandlerArg*)" at line 1366 of file VBoxManageAppliance.cpp',
    );
  }
  const ovfPath = path.resolve(ovf);
  if (!ovfPath.toLowerCase().endsWith('.ovf'))
    fail(`The fake VBoxManage reads OVF descriptors (.ovf), not '${ovf}'`);
  const appliance = readOvf(ovfPath);
  for (const index of perVsys.keys()) {
    if (index >= appliance.systems.length) {
      syntax(
        'import',
        `Invalid index ${index} with -vsys option; the OVF contains only ${appliance.systems.length} virtual system(s).`,
      );
    }
  }
  const sources = appliance.files.map((f) => {
    const source = path.join(path.dirname(ovfPath), f.href ?? '');
    if (!f.href || !fs.statSync(source, { throwIfNoEntry: false })?.isFile()) {
      fail(
        'Appliance import failed',
        `Could not find file for the image '${source}' referenced by the appliance (VERR_FILE_NOT_FOUND)`,
        'Details: code VBOX_E_FILE_ERROR (0x80bb0004), component ApplianceWrap, interface IAppliance',
      );
    }
    return source;
  });
  let out = `${PROGRESS}Interpreting ${ovfPath}...\nOK.\nDisks:\n`;
  out += appliance.files.map((f) => `  ${f.id}\t${f.href}\n`).join('');
  const created = [];
  appliance.systems.forEach((systemId, index) => {
    const opts = perVsys.get(index) ?? {};
    const name = opts['--vmname'] ?? systemId ?? `vm${index}`;
    const base = opts['--basefolder'] ?? path.join(stateDir, 'VirtualBox VMs');
    out += `Virtual system ${index}:\n 1: VM name specified with --vmname: "${name}"\n`;
    if (dryRun) return;
    if (!path.isAbsolute(base)) {
      fail(
        `The fake insists on an absolute --basefolder ('${base}' would be resolved by VBoxSVC, not this shell)`,
      );
    }
    const folder = path.join(base, name);
    const cfgFile = path.join(folder, `${name}.vbox`);
    if (fs.existsSync(cfgFile)) {
      fail(
        'Appliance import failed',
        `Machine settings file '${cfgFile}' already exists`,
        'Details: code VBOX_E_FILE_ERROR (0x80bb0004), component MachineWrap, interface IMachine',
      );
    }
    created.push({ name, folder, cfgFile, opts });
  });
  for (const { name, folder, cfgFile, opts } of created) {
    fs.mkdirSync(folder, { recursive: true });
    const files = [cfgFile];
    const uuid = randomUUID();
    fs.writeFileSync(cfgFile, `<VirtualBox><Machine uuid="{${uuid}}" name="${name}"/></VirtualBox>\n`);
    for (const source of sources) {
      const copy = path.join(folder, path.basename(source));
      fs.writeFileSync(copy, `fake copy of ${source} (${fs.statSync(source).size} bytes)\n`);
      files.push(copy);
    }
    state.vms.push({
      name,
      uuid,
      state: 'poweroff',
      stateChangedAt: new Date().toISOString(),
      cfgFile,
      folder,
      files,
      memory: Number(opts['--memory'] ?? appliance.memory),
      cpus: Number(opts['--cpus'] ?? appliance.cpus),
      nics: { 1: appliance.nic1 },
      natpf: {},
      uarts: {},
      uartModes: {},
    });
  }
  if (!dryRun) out += 'Successfully imported the appliance.\n';
  return out;
}

const NIC_TYPES = [
  'none',
  'null',
  'nat',
  'natnetwork',
  'bridged',
  'intnet',
  'hostonly',
  'hostonlynet',
  'generic',
];

const MODIFYVM_DEFS = (() => {
  const d = {};
  d['--name'] = { type: 'string' };
  d['--ostype'] = { type: 'string' };
  d['--description'] = { type: 'string' };
  d['--memory'] = { type: 'uint32' };
  d['--cpus'] = { type: 'uint32' };
  d['--audio'] = { type: 'string' };
  both(d, '--audio-driver', '--audiodriver', { type: 'string' });
  d['--boot'] = { type: 'string', index: [1, 4] };
  d['--nic'] = { type: 'string', index: [1, 8] };
  both(d, '--nic-type', '--nictype', { type: 'string', index: [1, 8] });
  both(d, '--cable-connected', '--cableconnected', { type: 'string', index: [1, 8] });
  both(d, '--mac-address', '--macaddress', { type: 'string', index: [1, 8] });
  both(d, '--nat-pf', '--natpf', {
    type: 'string',
    index: [1, 8],
    extra: (v) => (v === 'delete' ? ['the rule name'] : []),
  });
  d['--uart'] = {
    type: 'string',
    index: [1, 4],
    extra: (v) => (/^(off|disable)$/i.test(v) ? [] : ['the IRQ']),
  };
  both(d, '--uart-mode', '--uartmode', {
    type: 'string',
    index: [1, 4],
    extra: (v) => (/^(server|client|tcpserver|tcpclient|file)$/i.test(v) ? ['a path or port'] : []),
  });
  both(d, '--uart-type', '--uarttype', { type: 'string', index: [1, 4] });
  return d;
})();

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The C strtoul(…, 0) reading of a number: 0x… hex, 0… octal, else decimal. */
function cNumber(text) {
  if (/^0x[0-9a-f]+$/i.test(text)) return parseInt(text.slice(2), 16);
  if (/^0[0-7]+$/.test(text)) return parseInt(text, 8);
  if (/^\d+$/.test(text)) return Number(text);
  return NaN;
}

function parseNatRule(shown, text) {
  const fields = text.split(',');
  if (fields.length < 6) syntax('modifyvm', `Missing or invalid argument to '${shown}'`);
  if (fields.length > 6)
    syntax(
      'modifyvm',
      `Too many fields in NAT rule '${text}' for '${shown}' (6: name,proto,hostip,hostport,guestip,guestport)`,
    );
  const [name, proto, hostIp, hostPort, guestIp, guestPort] = fields.map((f) => f.trim());
  if (!/^(tcp|udp)$/i.test(proto))
    fail(`Invalid proto '${text}' specfied for NIC ${shown.replace(/\D+/, '')}`);
  for (const [what, ip] of [
    ['host', hostIp],
    ['guest', guestIp],
  ]) {
    if (ip !== '' && !IPV4.test(ip)) fail(`Invalid ${what} IP address '${ip}' in NAT rule '${text}'`);
  }
  for (const [what, port] of [
    ['host', hostPort],
    ['guest', guestPort],
  ]) {
    if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
      fail(`Invalid ${what} port '${port}' in NAT rule '${text}' (1-65535)`);
    }
  }
  return {
    name,
    proto: proto.toLowerCase(),
    hostIp,
    hostPort: Number(hostPort),
    guestIp,
    guestPort: Number(guestPort),
  };
}

function cmdModifyvm(state, args) {
  if (args.length === 0 || args[0].startsWith('-'))
    syntax('modifyvm', 'Not enough parameters (the VM comes first)');
  const ref = args[0];
  const items = parseArgs('modifyvm', args.slice(1), MODIFYVM_DEFS);
  const changes = [];
  for (const it of items) {
    if (it.positional !== undefined) syntax('modifyvm', `Invalid parameter '${it.positional}'`);
    switch (it.name) {
      case '--nic':
        if (!NIC_TYPES.includes(it.value)) fail(`Invalid type '${it.value}' specfied for NIC ${it.index}`);
        break;
      case '--cableconnected':
        if (!/^(on|off)$/.test(it.value))
          syntax('modifyvm', `Invalid ${it.shown} argument '${it.value}': on or off`);
        break;
      case '--boot':
        if (!/^(none|floppy|dvd|disk|net)$/.test(it.value)) fail(`Invalid boot device '${it.value}'`);
        break;
      case '--uart': {
        if (/^(off|disable)$/i.test(it.value)) break;
        const base = cNumber(it.value);
        if (Number.isNaN(base) || base === 0) syntax('modifyvm', `Error parsing UART I/O base '${it.value}'`);
        if (base > 0xffff)
          fail(
            `Invalid I/O port base address of the serial port ${it.index}: ${base} (must be in range [0, 0xFFFF])`,
          );
        if (!/^\d+$/.test(it.extra[0])) syntax('modifyvm', `Missing or invalid argument to '${it.shown}'`);
        if (Number(it.extra[0]) > 255)
          fail(
            `Invalid IRQ number of the serial port ${it.index}: ${it.extra[0]} (must be in range [0, 255])`,
          );
        break;
      }
      case '--uartmode': {
        const mode = it.value.toLowerCase();
        if (mode === 'disconnected') break;
        if (['server', 'client', 'tcpserver', 'tcpclient', 'file'].includes(mode)) {
          if (it.extra[0] === '') syntax('modifyvm', `Missing or invalid argument to '${it.shown}'`);
          if (mode === 'file' && !path.isAbsolute(it.extra[0])) {
            fail(
              `The fake insists on an absolute path for ${it.shown} file (VBoxSVC resolves relative ones itself)`,
            );
          }
          break;
        }
        if (!it.value.startsWith('/')) {
          syntax(
            'modifyvm',
            `Invalid ${it.shown} mode '${it.value}': disconnected, server, client, tcpserver, tcpclient, file or a device path`,
          );
        }
        break;
      }
      case '--natpf':
        if (it.value !== 'delete') it.rule = parseNatRule(it.shown, it.value);
        break;
    }
    changes.push(it);
  }
  if (failing(state, 'modifyvm')) {
    fail(
      `The machine '${ref}' is already locked for a session (or being unlocked)`,
      'Details: code VBOX_E_INVALID_OBJECT_STATE (0x80bb0007), component MachineWrap, interface IMachine, callee nsISupports',
      'Context: "LockMachine(a->session, LockType_Write)" at line 640 of file VBoxManageModifyVM.cpp',
    );
  }
  const vm = findVm(state, ref);
  if (!vm) notFound(ref);
  if (running(vm)) locked(vm);
  // Settings are saved only when every change applies, as modifyvm discards its session otherwise.
  const next = structuredClone(vm);
  for (const it of changes) {
    switch (it.name) {
      case '--memory':
        if (it.value < 4 || it.value > 2097152)
          fail(`Invalid RAM size: ${it.value} MB (must be in range [4, 2097152] MB)`);
        next.memory = it.value;
        break;
      case '--cpus':
        if (it.value < 1 || it.value > 64)
          fail(`Invalid virtual CPU count: ${it.value} (must be in range [1, 64])`);
        next.cpus = it.value;
        break;
      case '--name':
        next.name = it.value;
        break;
      case '--nic':
        next.nics[it.index] = it.value;
        break;
      case '--uart':
        next.uarts[it.index] = /^(off|disable)$/i.test(it.value)
          ? { enabled: false }
          : { enabled: true, ioBase: cNumber(it.value), irq: Number(it.extra[0]) };
        break;
      case '--uartmode':
        next.uartModes[it.index] =
          it.extra.length > 0 ? { mode: it.value.toLowerCase(), path: it.extra[0] } : { mode: it.value };
        break;
      case '--natpf': {
        const rules = (next.natpf[it.index] ??= []);
        if (it.value === 'delete') {
          const at = rules.findIndex((r) => r.name === it.extra[0]);
          if (at < 0) fail(`A NAT rule of this name does not exist: '${it.extra[0]}'`);
          rules.splice(at, 1);
          break;
        }
        const rule = it.rule;
        if (rules.some((r) => r.name === rule.name)) fail('A NAT rule of this name already exists');
        if (
          rules.some(
            (r) => r.proto === rule.proto && r.hostIp === rule.hostIp && r.hostPort === rule.hostPort,
          )
        ) {
          fail('A NAT rule for this host port and this host IP already exists');
        }
        rules.push(rule);
        break;
      }
    }
  }
  Object.assign(vm, next);
  return '';
}

const STARTVM_DEFS = {
  '--type': { type: 'string' },
  '--putenv': { type: 'string' },
  '-E': { type: 'string', canonical: '--putenv' },
  '--password': { type: 'string' },
  '--password-id': { type: 'string' },
};

function cmdStartvm(state, args) {
  const items = parseArgs('startvm', args, STARTVM_DEFS);
  const refs = items.filter((it) => it.positional !== undefined).map((it) => it.positional);
  const type = items.findLast((it) => it.name === '--type')?.value ?? 'gui';
  if (!/^(gui|headless|sdl|separate)$/.test(type)) syntax('startvm', `Invalid session type '${type}'`);
  if (refs.length === 0) syntax('startvm', 'VM name required');
  if (failing(state, 'startvm-vtx')) {
    fail(
      'VT-x is being used by another hypervisor (VERR_VMX_IN_VMX_ROOT_MODE).',
      "VirtualBox can't operate in VMX root mode. Please disable the KVM kernel extension, recompile your kernel and reboot (VERR_VMX_IN_VMX_ROOT_MODE)",
      'Details: code NS_ERROR_FAILURE (0x80004005), component ConsoleWrap, interface IConsole',
    );
  }
  if (failing(state, 'startvm-amdv')) {
    fail(
      'AMD-V is being used by another hypervisor (VERR_SVM_IN_USE).',
      "VirtualBox can't enable the AMD-V extension. Please disable the KVM kernel extension, recompile your kernel and reboot (VERR_SVM_IN_USE)",
      'Details: code NS_ERROR_FAILURE (0x80004005), component ConsoleWrap, interface IConsole',
    );
  }
  if (failing(state, 'startvm')) {
    fail(
      `The virtual machine '${refs[0]}' has terminated unexpectedly during startup with exit code 1 (0x1).  More details may be available in '/fake/${refs[0]}/Logs/VBox.log'`,
      'Details: code NS_ERROR_FAILURE (0x80004005), component MachineWrap, interface IMachine',
    );
  }
  let out = '';
  for (const ref of refs) {
    const vm = findVm(state, ref);
    if (!vm) notFound(ref);
    if (running(vm)) locked(vm, 'locked by a session (or being locked or unlocked)');
    if ((type === 'gui' || type === 'sdl') && !process.env.DISPLAY) {
      fail(
        `The virtual machine '${vm.name}' has terminated unexpectedly during startup: no X display for a ${type} frontend (start it with --type headless)`,
      );
    }
    for (const [index, uart] of Object.entries(vm.uarts)) {
      const mode = vm.uartModes[index];
      if (!uart.enabled || mode?.mode !== 'file') continue;
      if (!fs.existsSync(path.dirname(mode.path))) {
        fail(
          `The virtual machine '${vm.name}' has terminated unexpectedly during startup: Failed to open raw file '${mode.path}' for serial port ${index} (VERR_PATH_NOT_FOUND)`,
        );
      }
      const port = `0x${uart.ioBase.toString(16).toUpperCase()}`;
      fs.appendFileSync(
        mode.path,
        `fake VirtualBox: ${vm.name} powered on; serial port ${index} at ${port}, IRQ ${uart.irq}\r\n`,
      );
    }
    const logs = path.join(vm.folder, 'Logs');
    fs.mkdirSync(logs, { recursive: true });
    fs.appendFileSync(
      path.join(logs, 'VBox.log'),
      `fake VirtualBox ${VERSION}: ${vm.name} started (${type})\n`,
    );
    if (!vm.files.includes(path.join(logs, 'VBox.log'))) vm.files.push(path.join(logs, 'VBox.log'));
    vm.state = 'running';
    vm.stateChangedAt = new Date().toISOString();
    out += `Waiting for VM "${vm.name}" to power on...\nVM "${vm.name}" has been successfully started.\n`;
  }
  return out;
}

function cmdControlvm(state, args) {
  const [ref, action, ...rest] = args;
  if (ref === undefined || action === undefined) syntax('controlvm', 'Not enough parameters');
  if (!['poweroff', 'acpipowerbutton', 'pause', 'resume', 'reset', 'savestate'].includes(action)) {
    syntax('controlvm', `Invalid parameter '${action}'`);
  }
  if (rest.length > 0) syntax('controlvm', `Too many parameters for ${action}: '${rest.join(' ')}'`);
  if (action === 'poweroff' && failing(state, 'poweroff')) {
    fail(
      'Failed to power off machine',
      'Details: code VBOX_E_VM_ERROR (0x80bb0003), component ConsoleWrap, interface IConsole, callee nsISupports',
      'Context: "PowerDown(progress.asOutParam())" at line 0 of file VBoxManageControlVM.cpp',
    );
  }
  const vm = findVm(state, ref);
  if (!vm) notFound(ref);
  if (!running(vm)) fail(`Machine '${ref}' is not currently running.`);
  switch (action) {
    case 'poweroff':
      vm.state = 'poweroff';
      break;
    case 'savestate':
      vm.state = 'saved';
      break;
    case 'pause':
      vm.state = 'paused';
      break;
    case 'resume':
      vm.state = 'running';
      break;
  }
  vm.stateChangedAt = new Date().toISOString();
  return action === 'poweroff' || action === 'savestate' ? new Exit(0, PROGRESS) : '';
}

function cmdUnregistervm(state, args) {
  const items = parseArgs('unregistervm', args, {
    '--delete': { type: 'none' },
    '--delete-all': { type: 'none' },
  });
  const refs = items.filter((it) => it.positional !== undefined).map((it) => it.positional);
  if (refs.length === 0) syntax('unregistervm', 'VM name required');
  if (refs.length > 1) syntax('unregistervm', `Invalid parameter '${refs[1]}'`);
  const del = items.some((it) => it.name === '--delete' || it.name === '--delete-all');
  const ref = refs[0];
  if (failing(state, 'unregistervm-locked')) {
    fail(
      `Cannot unregister the machine '${ref}' while it is locked`,
      'Details: code VBOX_E_INVALID_OBJECT_STATE (0x80bb0007), component MachineWrap, interface IMachine, callee nsISupports',
    );
  }
  if (failing(state, 'unregistervm')) {
    fail(
      `Could not delete the medium storage unit of '${ref}' (VERR_ACCESS_DENIED)`,
      'Details: code VBOX_E_IPRT_ERROR (0x80bb0005), component MediumWrap, interface IMedium',
    );
  }
  const vm = findVm(state, ref);
  if (!vm) notFound(ref);
  if (running(vm)) {
    fail(
      `Cannot unregister the machine '${vm.name}' while it is locked`,
      'Details: code VBOX_E_INVALID_OBJECT_STATE (0x80bb0007), component MachineWrap, interface IMachine, callee nsISupports',
    );
  }
  state.vms = state.vms.filter((v) => v !== vm);
  if (!del) return '';
  for (const file of vm.files) fs.rmSync(file, { force: true });
  for (const dir of [path.join(vm.folder, 'Logs'), vm.folder]) {
    if (fs.existsSync(dir) && fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
  }
  return new Exit(0, PROGRESS);
}

function cmdList(state, args) {
  const defs = {
    '--long': { type: 'none' },
    '-l': { type: 'none', canonical: '--long' },
    '--sorted': { type: 'none' },
    '-s': { type: 'none', canonical: '--sorted' },
    '--platform-arch': { type: 'string' },
  };
  const items = parseArgs('list', args, defs);
  const kinds = items.filter((it) => it.positional !== undefined).map((it) => it.positional);
  if (kinds.length !== 1)
    syntax(
      'list',
      kinds.length === 0 ? 'Missing subcommand for "list" command' : `Invalid parameter '${kinds[1]}'`,
    );
  const kind = kinds[0];
  if (kind !== 'vms' && kind !== 'runningvms') {
    throw new Exit(2, `fake VBoxManage: list ${kind} is not implemented (vms, runningvms)\n`);
  }
  if (failing(state, 'list')) {
    fail(
      'Failed to create the VirtualBox object!',
      'Code NS_ERROR_ABORT (0x80004004) - Operation aborted (extended info not available)',
    );
  }
  let vms = kind === 'vms' ? state.vms : state.vms.filter(running);
  if (items.some((it) => it.name === '--sorted')) vms = [...vms].sort((a, b) => a.name.localeCompare(b.name));
  return vms.map((vm) => `"${vm.name}" {${vm.uuid}}\n`).join('');
}

function cmdShowvminfo(state, args) {
  const defs = {
    '--details': { type: 'none' },
    '--machinereadable': { type: 'none' },
    '--log': { type: 'uint32' },
    '--password-id': { type: 'string' },
    '--password': { type: 'string' },
  };
  const items = parseArgs('showvminfo', args, defs);
  const refs = items.filter((it) => it.positional !== undefined).map((it) => it.positional);
  if (refs.length !== 1)
    syntax('showvminfo', refs.length === 0 ? 'VM name required' : `Invalid parameter '${refs[1]}'`);
  if (failing(state, 'showvminfo')) {
    fail('Failed to create the VirtualBox object!', 'Code NS_ERROR_ABORT (0x80004004) - Operation aborted');
  }
  const vm = findVm(state, refs[0]);
  if (!vm) notFound(refs[0]);
  const machine = items.some((it) => it.name === '--machinereadable');
  const lines = [
    ['name', `"${vm.name}"`, 'Name', vm.name],
    ['UUID', `"${vm.uuid}"`, 'UUID', vm.uuid],
    ['CfgFile', `"${vm.cfgFile}"`, 'Config file', vm.cfgFile],
    ['memory', String(vm.memory), 'Memory size', `${vm.memory}MB`],
    ['cpus', String(vm.cpus), 'Number of CPUs', String(vm.cpus)],
    ['VMState', `"${vm.state}"`, 'State', `${vm.state} (since ${vm.stateChangedAt})`],
    ['VMStateChangeTime', `"${vm.stateChangedAt}"`, undefined, undefined],
  ];
  for (const [index, type] of Object.entries(vm.nics))
    lines.push([`nic${index}`, `"${type}"`, `NIC ${index}`, type]);
  for (const [index, rules] of Object.entries(vm.natpf)) {
    rules.forEach((r, i) => {
      const text = `${r.name},${r.proto},${r.hostIp},${r.hostPort},${r.guestIp},${r.guestPort}`;
      lines.push([`Forwarding(${i})`, `"${text}"`, `NIC ${index} Rule(${i})`, text]);
    });
  }
  for (const [index, uart] of Object.entries(vm.uarts)) {
    const value = uart.enabled ? `0x${uart.ioBase.toString(16).padStart(4, '0')},${uart.irq}` : 'off';
    lines.push([`uart${index}`, `"${value}"`, `UART ${index}`, value]);
    const mode = vm.uartModes[index];
    if (mode) {
      const text = mode.path ? `${mode.mode},${mode.path}` : mode.mode;
      lines.push([`uartmode${index}`, `"${text}"`, undefined, undefined]);
    }
  }
  return lines
    .filter((l) => machine || l[2] !== undefined)
    .map(([key, value, label, human]) =>
      machine ? `${key}=${value}\n` : `${`${label}:`.padEnd(17)}${human}\n`,
    )
    .join('');
}

// --- main --------------------------------------------------------------------------------------------------------

const COMMANDS = {
  import: cmdImport,
  modifyvm: cmdModifyvm,
  startvm: cmdStartvm,
  controlvm: cmdControlvm,
  unregistervm: cmdUnregistervm,
  list: cmdList,
  showvminfo: cmdShowvminfo,
};

function dispatch(state, argv) {
  let args = argv;
  while (args[0] === '-q' || args[0] === '--nologo') args = args.slice(1);
  const [command, ...rest] = args;
  if (command === undefined) syntax('help', 'No command given');
  if (['--version', '-V', '-v', '-version'].includes(command)) return cmdVersion(state);
  const handler = COMMANDS[command];
  if (!handler) {
    if (command.startsWith('-')) syntax('help', `Unknown option: ${command}`);
    syntax('help', `Invalid command '${command}'`);
  }
  return handler(state, rest);
}

function main(argv) {
  if (!stateDir) {
    process.stderr.write('fake VBoxManage: set FAKE_VBOX_STATE to the directory of its VM registry\n');
    return 2;
  }
  fs.mkdirSync(stateDir, { recursive: true });
  let result;
  withLock(() => {
    const state = loadState();
    try {
      const out = dispatch(state, argv);
      result = out instanceof Exit ? out : new Exit(0, '', out);
    } catch (err) {
      if (!(err instanceof Exit)) throw err;
      result = err;
    } finally {
      saveState(state);
    }
  });
  const line = JSON.stringify({ argv, exit: result.code, at: new Date().toISOString() });
  fs.appendFileSync(path.join(stateDir, 'invocations.log'), `${line}\n`);
  if (result.stdout) process.stdout.write(result.stdout);
  if (result.stderr) process.stderr.write(result.stderr);
  return result.code;
}

process.exitCode = main(process.argv.slice(2));
