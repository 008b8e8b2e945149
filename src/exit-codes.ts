// Exit codes of both binaries (SPEC "Exit codes").
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  /** Usage error, or a config that cannot be used (invalid, missing, unreadable, a directory). */
  USAGE: 2,
  /** `plan --exit-code`: changes are pending. */
  PENDING: 3,
  /** The daemon did not answer. */
  UNREACHABLE: 4,
} as const;
