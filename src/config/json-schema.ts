// The published JSON Schema of the config file, generated from the zod schema so that editors
// (yaml-language-server), `loopkeeper schema` and config/loopkeeper.schema.json never disagree.
import * as z from 'zod/mini';
import { configFileSchema } from './schema';

export const SCHEMA_ID = 'urn:loopkeeper:config:1';

export function configJsonSchema(): object {
  // io "input": keys that have defaults are optional for the person writing the file.
  const generated = z.toJSONSchema(configFileSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return { $schema, $id: SCHEMA_ID, title: 'loopkeeper desired-state file', ...rest };
}
