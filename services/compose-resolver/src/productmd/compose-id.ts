// productmd compose ids, e.g. Fedora-24-20160419.n.1 or Fedora-Cloud-27-20180317.0: what they say when the
// metadata cannot be read (the resolved message must still carry a date, respin, type and release).

export interface ComposeIdParts {
  short: string;
  version: string;
  date: string;
  type: 'production' | 'nightly' | 'test' | 'ci';
  respin: number;
}

// {short}-{version}[-{type_suffix of layered composes}]-{date}{.n|.t|.ci}.{respin}
const COMPOSE_ID = /^(?<short>.+)-(?<version>[^-]+)-(?<date>\d{8})(?<suffix>\.n|\.t|\.ci)?\.(?<respin>\d+)$/;
const TYPES = { '.n': 'nightly', '.t': 'test', '.ci': 'ci' } as const;

export function parseComposeId(id: string): ComposeIdParts | undefined {
  const g = COMPOSE_ID.exec(id)?.groups;
  if (!g) return undefined;
  return {
    short: g.short!,
    version: g.version!,
    date: g.date!,
    type: g.suffix ? TYPES[g.suffix as keyof typeof TYPES] : 'production',
    respin: Number(g.respin),
  };
}
