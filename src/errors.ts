// The text of anything thrown, for messages a user reads.
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
