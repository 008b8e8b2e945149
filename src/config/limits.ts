// The config's size limits. A module of its own, without zod, so that the parts that need only
// the limits (reading files, watching them: the daemon) do not load the schema (schema.ts
// re-exports them).

/** The most addresses one `range:` entry may expand to (SPEC). */
export const MAX_RANGE_SIZE = 65_536;
/** The most alias addresses a whole merged config may expand to (guards against 1,000 × /16). */
export const MAX_TOTAL_ALIASES = 4 * MAX_RANGE_SIZE;
/** Config files larger than this are refused before they are read. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;
/** YAML alias (`*ref`) resolutions allowed per file; a config needs few, a "billion laughs" needs millions. */
export const MAX_YAML_ALIASES = 100;
