// Validates rendered objects against the Kubernetes OpenAPI schemas: kubernetes-models' validators (types, formats,
// required fields), a TypeScript check of each object against the same models (unknown fields: a typo'd field is
// silently dropped by the API server), and the CloudNativePG Cluster against its CRD's schema.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import ts from 'typescript';
import { type K8sObject } from './objects.js';
import { deployDir } from './repo.js';

interface ModelClass {
  new (data: unknown): { validate(): void };
}

/** Kinds the CRD schemas in tests/fixtures cover; everything else must be a built-in Kubernetes kind. */
const CRD_SCHEMAS: Record<string, string> = {
  'postgresql.cnpg.io/v1/Cluster': 'cnpg-cluster-v1.schema.json',
};

export function isCustomResource(object: K8sObject): boolean {
  return `${object.apiVersion}/${object.kind}` in CRD_SCHEMAS;
}

/** Problems with one object, as `Kind/name: message` lines (empty when it is valid). */
export async function validateObject(object: K8sObject): Promise<string[]> {
  const id = `${object.kind}/${object.metadata?.name ?? '(no name)'}`;
  const crd = CRD_SCHEMAS[`${object.apiVersion}/${object.kind}`];
  if (crd) {
    const validate = crdValidator(crd);
    return validate(object)
      ? []
      : (validate.errors ?? []).map((e) => `${id}: ${e.instancePath} ${e.message}`);
  }
  let model: ModelClass | undefined;
  try {
    const module = (await import(
      /* @vite-ignore */ `kubernetes-models/${object.apiVersion}/${object.kind}`
    )) as Record<string, unknown>;
    model = module[object.kind] as ModelClass | undefined;
  } catch {
    model = undefined;
  }
  if (!model)
    return [`${id}: ${object.apiVersion} ${object.kind} is neither a Kubernetes kind nor a known CRD`];
  try {
    new model(object).validate();
    return [];
  } catch (err) {
    return [`${id}: ${(err as Error).message}`];
  }
}

const validators = new Map<string, ValidateFunction>();

function crdValidator(file: string): ValidateFunction {
  let validate = validators.get(file);
  if (!validate) {
    const { schema } = JSON.parse(readFileSync(join(deployDir, 'tests', 'fixtures', file), 'utf8')) as {
      schema: object;
    };
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    validate = ajv.compile(closeObjects(schema) as object);
    validators.set(file, validate);
  }
  return validate;
}

/** A CRD schema with unknown fields refused where the API server would prune them. */
function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) out[key] = closeObjects(value);
  if (
    out.properties !== undefined &&
    out.additionalProperties === undefined &&
    out['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

/**
 * Type-checks every built-in object against kubernetes-models' interfaces as an object literal, so fields the API
 * does not have are reported (excess property checks); returns `Kind/name: message` lines.
 */
export function unknownFieldProblems(objects: K8sObject[]): string[] {
  const checked = objects.filter((o) => !isCustomResource(o));
  const fileName = join(deployDir, 'tests', '__rendered_objects__.ts');
  const source = checked
    .map(
      (o, i) =>
        `export const o${i}: import('kubernetes-models/${o.apiVersion}/${o.kind}').I${o.kind} = ${JSON.stringify(o)};`,
    )
    .join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
    lib: ['lib.es2022.d.ts'],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) =>
    name === fileName
      ? ts.createSourceFile(name, source, languageVersion)
      : getSourceFile(name, languageVersion, ...rest);
  host.fileExists = (name) => name === fileName || fileExists(name);
  host.readFile = (name) => (name === fileName ? source : readFile(name));
  const program = ts.createProgram([fileName], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === fileName)
    .map((d) => {
      const line = d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line;
      const object = checked[line];
      const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
      return `${object?.kind}/${object?.metadata.name}: ${message}`;
    });
}
