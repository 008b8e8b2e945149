// The shape of one desired-state file, as a zod schema: the single source of truth for which keys
// exist, their types and their documentation. The JSON Schema (`loopkeeper schema`) and the README's
// config reference are generated from it. What the values mean (address ranges, host name syntax,
// cron syntax, uniqueness across files) is checked by rules.ts, which can point at YAML positions
// and explain the way out.
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { DEFAULT_SETTINGS } from '../model';

export { MAX_FILE_BYTES, MAX_RANGE_SIZE, MAX_TOTAL_ALIASES, MAX_YAML_ALIASES } from './limits';

// zod/mini: the same zod (one schema, the same issues, z.toJSONSchema), with functions instead of
// methods, so that a bundle carries and a process evaluates only the parts used here: loading it
// costs a fraction of the classic API, on every command that reads a config. Its error messages
// come from the English locale, which zod/mini does not install by itself.
z.config(en());

/** A schema with its description (what `.describe()` is in the classic API). */
function described<T extends z.ZodMiniType>(schema: T, description: string): T {
  z.globalRegistry.add(schema, { description });
  return schema;
}

const rangeEntry = described(
  z.strictObject({
    range: described(
      z.string(),
      'An inclusive range `FIRST-LAST` (e.g. `127.0.1.10-127.0.1.20`) or a CIDR block (e.g. `127.0.2.0/28`, `fd00::/120`); at most 65,536 addresses.',
    ),
  }),
  'A block of consecutive alias addresses.',
);

export const aliasEntrySchema = described(
  z.union([
    described(z.string(), 'One address, e.g. `127.0.0.2` or `fd00::2`. `127.0.0.1` and `::1` are always present and are ignored.'),
    rangeEntry,
  ]),
  'An address, or `{range: FIRST-LAST | CIDR}`.',
);

const hostAddresses = described(
  z.union([
    described(z.string(), 'One address.'),
    described(z.array(z.string()).check(z.minLength(1)), 'Several addresses, returned by the resolver in this order.'),
  ]),
  'An address or a list of addresses (IPv4 or IPv6, any range).',
);

export const settingsSchema = described(
  z.strictObject({
    schedule: described(
      z._default(z.string(), DEFAULT_SETTINGS.schedule),
      'When the daemon checks for drift: a cron expression (5 fields, or 6 with seconds first).',
    ),
    prune: described(
      z._default(z.boolean(), DEFAULT_SETTINGS.prune),
      'Remove aliases and hosts entries that loopkeeper added and that are no longer desired.',
    ),
    allowAliasRanges: described(
      z._default(z.array(z.string()), [...DEFAULT_SETTINGS.allowAliasRanges]),
      'Extra CIDR blocks allowed as aliases besides `127.0.0.0/8` and `fc00::/7`, e.g. `10.99.0.0/24`.',
    ),
    aliasesFromHosts: described(
      z._default(z.boolean(), DEFAULT_SETTINGS.aliasesFromHosts),
      'Every address used under `hosts` that may be an alias (see `allowAliasRanges`) is ensured as an alias too.',
    ),
  }),
  'How loopkeeper enforces the state; all optional. With several files, a later file overrides `schedule`, `prune` and `aliasesFromHosts`; `allowAliasRanges` are combined.',
);

export const configFileSchema = described(
  z.strictObject({
    version: described(z.literal(1), 'The file format version; must be `1`.'),
    aliases: described(
      z._default(z.array(aliasEntrySchema), []),
      'Addresses that must exist on the loopback interface (`lo` on Linux, `lo0` on macOS).',
    ),
    hosts: described(
      z._default(z.record(z.string(), hostAddresses), {}),
      'Host name -> address(es), written to the managed block of /etc/hosts. Names follow RFC 1123, are case-insensitive and must be unique across all files.',
    ),
    settings: z.optional(settingsSchema),
  }),
  'A loopkeeper desired-state file.',
);

export type ConfigFileInput = z.input<typeof configFileSchema>;

/** Keys each strict object accepts, for "unknown key" messages (taken from the schema itself). */
export const KNOWN_KEYS = {
  root: Object.keys(configFileSchema.shape),
  settings: Object.keys(settingsSchema.shape),
  range: Object.keys(rangeEntry.shape),
} as const;
