// The exported JSON Schemas and catalogue.json: complete, identified, and plain JSON.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { catalogue } from './catalogue.js';
import { catalogueJson, jsonSchemas, writeJsonSchemas } from './export-json-schema.js';

test('every message schema is exported under its $id', () => {
  const schemas = jsonSchemas();
  for (const entry of Object.values(catalogue)) {
    expect(Object.keys(schemas)).toContain(entry.schema.$id);
  }
  for (const id of [
    'FedmsgEnvelope',
    'DatagrepperPage',
    'CancelRequest',
    'CancelReply',
    'PlannedJob',
    'Limits',
  ]) {
    expect(schemas).toHaveProperty(id);
  }
  for (const [id, schema] of Object.entries(schemas)) {
    expect(schema).toMatchObject({ $id: id, $schema: 'http://json-schema.org/draft-07/schema#' });
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    // Self-contained: the only $id is the top-level one, so validators see no competing definitions.
    expect(JSON.stringify(schema).match(/"\$id"/g)).toHaveLength(1);
  }
  // Embedded named schemas are inlined, not lost.
  expect(JSON.stringify(schemas.RunWorkItem)).toContain('"pattern":"^[0-9a-f]{64}$"');
});

test('every property is described, for OpenAPI', () => {
  const undocumented: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (typeof node !== 'object' || node === null) return;
    const { properties } = node as { properties?: Record<string, { description?: string }> };
    for (const [key, prop] of Object.entries(properties ?? {})) {
      if (!prop.description) undocumented.push(`${path}/${key}`);
    }
    for (const [key, child] of Object.entries(node)) walk(child, `${path}/${key}`);
  };
  for (const [id, schema] of Object.entries(jsonSchemas())) walk(schema, id);
  expect(undocumented).toEqual([]);
});

test('catalogue.json maps each subject pattern to its stream and schema', () => {
  expect(catalogueJson()['autocloud.work.run.*.*']).toEqual({
    name: 'workRun',
    stream: 'WORK',
    schema: 'RunWorkItem',
    description: expect.any(String) as string,
    public: false,
  });
  expect(catalogueJson()['autocloud.image.queued']).toMatchObject({
    stream: 'AUTOCLOUD',
    schema: 'ImageEvent',
    public: true,
  });
  expect(Object.keys(catalogueJson())).toHaveLength(Object.keys(catalogue).length);
});

test('the CLI writes one file per schema plus catalogue.json', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'autocloud-json-schema-'));
  try {
    await writeJsonSchemas(dir);
    const files = (await readdir(dir)).sort();
    expect(files).toContain('catalogue.json');
    expect(files).toContain('ImageEvent.schema.json');
    expect(files).toHaveLength(Object.keys(jsonSchemas()).length + 1);
    const image = JSON.parse(await readFile(join(dir, 'ImageEvent.schema.json'), 'utf8')) as {
      required: string[];
    };
    expect(image.required).toEqual([
      'compose_id',
      'compose_url',
      'image_name',
      'status',
      'job_id',
      'release',
      'family',
      'type',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
