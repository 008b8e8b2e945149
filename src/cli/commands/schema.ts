// `loopkeeper schema`: the JSON Schema of the config file, generated from the zod schema
// (`npm run schema:write` stores it as config/loopkeeper.schema.json).
import { configJsonSchema } from '../../config';
import { EXIT } from '../../exit-codes';
import type { CommandRun } from '../context';

export const run: CommandRun = async (ctx) => {
  ctx.out(JSON.stringify(configJsonSchema(), null, 2) + '\n');
  return EXIT.OK;
};
