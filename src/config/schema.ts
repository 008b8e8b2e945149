// The shape of one desired-state file, as a zod schema: the single source of truth for which keys
// exist, their types and their documentation. The JSON Schema (`loopkeeper schema`) and the README's
// config reference are generated from it. What the values mean (address ranges, host name syntax,
// cron syntax, uniqueness across files) is checked by rules.ts, which can point at YAML positions
// and explain the way out.
import { z } from 'zod';
import { DEFAULT_SETTINGS } from '../model';

/** The most addresses one `range:` entry may expand to (SPEC). */
export const MAX_RANGE_SIZE = 65_536;
/** The most alias addresses a whole merged config may expand to (guards against 1,000 × /16). */
export const MAX_TOTAL_ALIASES = 4 * MAX_RANGE_SIZE;
/** Config files larger than this are refused before they are read. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;
/** YAML alias (`*ref`) resolutions allowed per file; a config needs few, a "billion laughs" needs millions. */
export const MAX_YAML_ALIASES = 100;

const rangeEntry = z
  .strictObject({
    range: z
      .string()
      .describe(
        'An inclusive range `FIRST-LAST` (e.g. `127.0.1.10-127.0.1.20`) or a CIDR block (e.g. `127.0.2.0/28`, `fd00::/120`); at most 65,536 addresses.',
      ),
  })
  .describe('A block of consecutive alias addresses.');

export const aliasEntrySchema = z
  .union([
    z
      .string()
      .describe('One address, e.g. `127.0.0.2` or `fd00::2`. `127.0.0.1` and `::1` are always present and are ignored.'),
    rangeEntry,
  ])
  .describe('An address, or `{range: FIRST-LAST | CIDR}`.');

const hostAddresses = z
  .union([
    z.string().describe('One address.'),
    z.array(z.string()).min(1).describe('Several addresses, returned by the resolver in this order.'),
  ])
  .describe('An address or a list of addresses (IPv4 or IPv6, any range).');

export const settingsSchema = z
  .strictObject({
    schedule: z
      .string()
      .default(DEFAULT_SETTINGS.schedule)
      .describe('When the daemon checks for drift: a cron expression (5 fields, or 6 with seconds first).'),
    prune: z
      .boolean()
      .default(DEFAULT_SETTINGS.prune)
      .describe('Remove aliases and hosts entries that loopkeeper added and that are no longer desired.'),
    allowAliasRanges: z
      .array(z.string())
      .default([...DEFAULT_SETTINGS.allowAliasRanges])
      .describe('Extra CIDR blocks allowed as aliases besides `127.0.0.0/8` and `fc00::/7`, e.g. `10.99.0.0/24`.'),
    aliasesFromHosts: z
      .boolean()
      .default(DEFAULT_SETTINGS.aliasesFromHosts)
      .describe('Every address used under `hosts` that may be an alias (see `allowAliasRanges`) is ensured as an alias too.'),
  })
  .describe(
    'How loopkeeper enforces the state; all optional. With several files, a later file overrides `schedule`, `prune` and `aliasesFromHosts`; `allowAliasRanges` are combined.',
  );

export const configFileSchema = z
  .strictObject({
    version: z.literal(1).describe('The file format version; must be `1`.'),
    aliases: z
      .array(aliasEntrySchema)
      .default([])
      .describe('Addresses that must exist on the loopback interface (`lo` on Linux, `lo0` on macOS).'),
    hosts: z
      .record(z.string(), hostAddresses)
      .default({})
      .describe(
        'Host name -> address(es), written to the managed block of /etc/hosts. Names follow RFC 1123, are case-insensitive and must be unique across all files.',
      ),
    settings: settingsSchema.optional(),
  })
  .describe('A loopkeeper desired-state file.');

export type ConfigFileInput = z.input<typeof configFileSchema>;

/** Keys each strict object accepts, for "unknown key" messages (taken from the schema itself). */
export const KNOWN_KEYS = {
  root: Object.keys(configFileSchema.shape),
  settings: Object.keys(settingsSchema.shape),
  range: Object.keys(rangeEntry.shape),
} as const;
