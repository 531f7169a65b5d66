// CLI: `node dist/export-json-schema.js <outdir>` writes <$id>.schema.json for every schema and catalogue.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { catalogueJson, jsonSchemas } from './json-schema.js';

export { catalogueJson, jsonSchemas };

/** Writes the files and returns their paths. */
export async function writeJsonSchemas(outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  const write = async (name: string, value: unknown) => {
    const file = join(outDir, name);
    await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
    files.push(file);
  };
  for (const [id, schema] of Object.entries(jsonSchemas())) await write(`${id}.schema.json`, schema);
  await write('catalogue.json', catalogueJson());
  return files;
}

async function main(argv: string[]): Promise<number> {
  const outDir = argv[0];
  if (!outDir) {
    console.error('usage: export-json-schema <outdir>');
    return 2;
  }
  const files = await writeJsonSchemas(resolve(outDir));
  console.log(`wrote ${files.length} files to ${resolve(outDir)}`);
  return 0;
}

// Run only as a program, so importing the module (tests, tools) has no side effects.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
