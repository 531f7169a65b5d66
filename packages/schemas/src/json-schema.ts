// JSON Schemas of every named schema, for services in other languages and for documentation.
// Each is self-contained: embedded named schemas are inlined without their $id, which validators such as ajv would
// otherwise see as a second, different definition of that id once the top level carries $schema.
import { KindGuard, type TSchema } from '@sinclair/typebox';
import { catalogue, type StreamName } from './catalogue.js';
import * as common from './common.js';
import * as composeEvents from './compose-events.js';
import * as control from './control.js';
import * as fedmsg from './fedmsg.js';
import * as imageEvents from './image-events.js';
import * as output from './output.js';
import * as pungi from './pungi.js';
import * as resolved from './resolved.js';
import * as work from './work.js';

const modules: readonly object[] = [
  common,
  pungi,
  fedmsg,
  imageEvents,
  composeEvents,
  resolved,
  work,
  output,
  control,
];

const JSON_SCHEMA_DIALECT = 'http://json-schema.org/draft-07/schema#';

/** Every exported schema with an $id, keyed by $id, as plain JSON (TypeBox's symbol keys dropped). */
export function jsonSchemas(): Record<string, object> {
  const out: Record<string, object> = {};
  for (const mod of modules) {
    for (const value of Object.values(mod)) {
      if (!KindGuard.IsSchema(value) || typeof value.$id !== 'string') continue;
      if (value.$id in out) throw new Error(`two schemas share the $id ${value.$id}`);
      const json = JSON.parse(JSON.stringify(value, withoutNestedIds(value))) as Record<string, unknown>;
      out[value.$id] = { $schema: JSON_SCHEMA_DIALECT, ...json };
    }
  }
  return out;
}

/** A JSON.stringify replacer dropping `$id` everywhere but on `root` (symbol keys are dropped by JSON itself). */
function withoutNestedIds(root: object) {
  return function (this: unknown, key: string, value: unknown): unknown {
    return key === '$id' && this !== root ? undefined : value;
  };
}

export interface CatalogueJsonEntry {
  name: string;
  stream: StreamName;
  schema: string;
  description: string;
  public: boolean;
}

/** Subject pattern → stream and schema $id, the catalogue for readers outside TypeScript. */
export function catalogueJson(): Record<string, CatalogueJsonEntry> {
  const out: Record<string, CatalogueJsonEntry> = {};
  for (const [name, e] of Object.entries(catalogue)) {
    const schema: TSchema = e.schema;
    out[e.pattern] = {
      name,
      stream: e.stream,
      schema: String(schema.$id),
      description: e.description,
      public: e.public === true,
    };
  }
  return out;
}
