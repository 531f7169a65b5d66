// A small Dockerfile reader: instructions with their flags, stages, and what a final image inherits from the
// stages it is built on (ENTRYPOINT, CMD, ENV, USER, WORKDIR, HEALTHCHECK). Covers the syntax deploy/Dockerfile uses.

export interface Instruction {
  keyword: string;
  /** Flags such as --from=build, --chown=0:0. */
  flags: Record<string, string>;
  /** The arguments after the flags, as written (continuations joined). */
  args: string;
  /** The arguments as a JSON array (exec form), when they are one. */
  json: string[] | undefined;
  line: number;
}

export interface Stage {
  name: string;
  /** The FROM image with ARGs substituted: an image reference or another stage's name. */
  base: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  args: Record<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const logical: { text: string; line: number }[] = [];
  let current: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (current === undefined && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (current !== undefined && trimmed.startsWith('#')) return; // comment inside a continuation
    const continued = trimmed.endsWith('\\');
    const piece = continued ? trimmed.slice(0, -1) : trimmed;
    current = current
      ? { text: `${current.text} ${piece}`, line: current.line }
      : { text: piece, line: index + 1 };
    if (!continued) {
      logical.push(current);
      current = undefined;
    }
  });

  const result: Dockerfile = { args: {}, stages: [] };
  for (const { text: lineText, line } of logical) {
    const match = /^(\S+)\s*(.*)$/.exec(lineText);
    if (!match) continue;
    const keyword = match[1]!.toUpperCase();
    let rest = match[2]!;
    const flags: Record<string, string> = {};
    for (
      let flag = /^--([a-z-]+)(?:=(\S+))?\s+/.exec(rest);
      flag;
      flag = /^--([a-z-]+)(?:=(\S+))?\s+/.exec(rest)
    ) {
      flags[flag[1]!] = flag[2] ?? 'true';
      rest = rest.slice(flag[0].length);
    }
    let json: string[] | undefined;
    if (rest.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(rest);
        if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')) json = parsed;
      } catch {
        json = undefined;
      }
    }
    const instruction: Instruction = { keyword, flags, args: rest, json, line };
    if (keyword === 'ARG' && result.stages.length === 0) {
      const [name, value = ''] = rest.split('=');
      result.args[name!.trim()] = value.trim();
    } else if (keyword === 'FROM') {
      const fromMatch = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!fromMatch) throw new Error(`line ${line}: cannot read FROM ${rest}`);
      const base = fromMatch[1]!.replace(/\$\{?([A-Z_]+)\}?/g, (_, name: string) => result.args[name] ?? '');
      result.stages.push({ name: fromMatch[2] ?? `stage${result.stages.length}`, base, instructions: [] });
    } else {
      const stage = result.stages[result.stages.length - 1];
      if (!stage) throw new Error(`line ${line}: ${keyword} before FROM`);
      stage.instructions.push(instruction);
    }
  }
  return result;
}

export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  user: string | undefined;
  workdir: string | undefined;
  healthcheck: string[] | undefined;
  exposed: number[];
  /** Every stage this image is built on, nearest last, itself included. */
  chain: Stage[];
}

/** What an image built from `target` is configured with, following FROM <stage> chains. */
export function imageConfig(dockerfile: Dockerfile, target: string): ImageConfig {
  const stage = dockerfile.stages.find((s) => s.name === target);
  if (!stage) throw new Error(`no stage named ${target}`);
  const parent = dockerfile.stages.find((s) => s.name === stage.base);
  const config: ImageConfig = parent
    ? { ...imageConfig(dockerfile, parent.name) }
    : {
        entrypoint: [],
        cmd: [],
        env: {},
        user: undefined,
        workdir: undefined,
        healthcheck: undefined,
        exposed: [],
        chain: [],
      };
  config.env = { ...config.env };
  config.chain = [...config.chain, stage];
  for (const instruction of stage.instructions) {
    switch (instruction.keyword) {
      case 'ENTRYPOINT':
        config.entrypoint = instruction.json ?? ['/bin/sh', '-c', instruction.args];
        config.cmd = [];
        break;
      case 'CMD':
        config.cmd = instruction.json ?? ['/bin/sh', '-c', instruction.args];
        break;
      case 'ENV':
        for (const [key, value] of parseEnv(instruction.args)) config.env[key] = value;
        break;
      case 'USER':
        config.user = instruction.args.trim();
        break;
      case 'WORKDIR':
        config.workdir = instruction.args.trim();
        break;
      case 'EXPOSE':
        config.exposed = [
          ...config.exposed,
          ...instruction.args.split(/\s+/).map((p) => Number(p.split('/')[0])),
        ];
        break;
      case 'HEALTHCHECK': {
        const cmd = /^CMD\s+(.*)$/.exec(instruction.args);
        config.healthcheck = cmd ? ((JSON.parse(cmd[1]!) as string[] | undefined) ?? undefined) : undefined;
        break;
      }
    }
  }
  return config;
}

function parseEnv(args: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) {
    pairs.push([match[1]!, match[2]!.replace(/^"|"$/g, '')]);
  }
  return pairs;
}

/** The stages no other stage is built on or copies from: the images the file is for. */
export function finalStages(dockerfile: Dockerfile): Stage[] {
  const used = new Set<string>();
  for (const stage of dockerfile.stages) {
    used.add(stage.base);
    for (const i of stage.instructions) if (i.flags.from) used.add(i.flags.from);
  }
  return dockerfile.stages.filter((s) => !used.has(s.name));
}

/** Packages that `apt-get install` lines of a RUN instruction name. */
export function aptPackages(run: string): string[] {
  const packages: string[] = [];
  for (const command of run.split(/&&|;/)) {
    const words = command.trim().split(/\s+/);
    const at = words.indexOf('install');
    if (!words.includes('apt-get') || at < 0) continue;
    packages.push(...words.slice(at + 1).filter((w) => !w.startsWith('-')));
  }
  return packages;
}
