// Reads the tables of deploy/README.md that the checks hold the manifests to (secrets, security exceptions).
import { join } from 'node:path';
import { deployDir, readText } from './repo.js';

/** The rows of the first table under the `## <heading>` section, as cells with backticks kept. */
export function readmeTable(heading: string): string[][] {
  const text = readText(join(deployDir, 'README.md'));
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`deploy/README.md has no "## ${heading}" section`);
  const next = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, next < 0 ? undefined : next);
  return section
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|\s*-/.test(line))
    .slice(1)
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
}

/** The `code` spans of a table cell. */
export function codeSpans(cell: string | undefined): string[] {
  return [...(cell ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}
