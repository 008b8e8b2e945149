// The pause record: STATE_DIR/paused (SPEC "Pausing: down and up"). `loopkeeper down` writes it,
// `loopkeeper up` removes it, and every reconcile of the daemon reads it first: while it is there
// nothing is added or repaired, whatever the trigger. It is a file in the state dir, so the pause
// survives a daemon restart and a reboot, and it does not matter whether `down`'s message to the
// daemon arrives.
//
// The file's EXISTENCE is the pause; its content only says since when and by whom. A user can
// edit it, so its content is judged like any input: broken JSON, wrong types, a huge file, a
// symlink or a directory in its place never end the pause and never throw — the pause then holds
// with what could be read, plus a problem saying what is wrong with the record. (Failing the other
// way, reading a damaged record as "not paused", would undo a `down` the user asked for.)
//
// Reading does not require a trusted state dir (unlike the ledger): a planted pause can only stop
// loopkeeper from changing things, which is the safe direction. Writing goes through the shared
// atomic writer after the state-dir checks, as every file of ours does.
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { FileReadError, readRegularFile, writeFileAtomic } from '../fs/atomic';
import { codeOf, explain, realFs, type FileSystem } from '../fs/seam';
import { ensureStateDir } from '../fs/state-dir';

export const PAUSE_FILE = 'paused';
/** A record is under 200 bytes; a bigger file is not one we wrote, and is not read. */
export const MAX_PAUSE_BYTES = 64 * 1024;

export interface PauseRecord {
  /** When the pause began (ISO 8601). */
  at: string;
  /** The uid that ran `down` (0 under sudo). */
  by: number;
  /** The login name behind it, when known (SUDO_USER under sudo, else the uid's name). */
  user?: string;
}

export type PauseState =
  | { paused: false }
  | {
      paused: true;
      /** null when the record does not say (or says nonsense). */
      at: string | null;
      by: number | null;
      user: string | null;
      /** What is wrong with the record itself (the pause holds regardless); null when it is fine. */
      problem: string | null;
    };

/** The pause as the status document carries it. */
export type PauseInfo = Omit<Extract<PauseState, { paused: true }>, 'paused'>;

export function pausePath(stateDir: string): string {
  return join(stateDir, PAUSE_FILE);
}

/** Pure: the text of a pause file -> what it says. Always a pause: the file exists. */
export function parsePause(text: string, file = PAUSE_FILE): Extract<PauseState, { paused: true }> {
  const unknown = (why: string): Extract<PauseState, { paused: true }> => ({
    paused: true,
    at: null,
    by: null,
    user: null,
    problem: `${file} ${why}; the pause holds anyway (\`loopkeeper up\` ends it)`,
  });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return unknown('is not valid JSON');
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return unknown('is not a JSON object');
  const o = data as Record<string, unknown>;
  const bad: string[] = [];
  let at: string | null = null;
  if (typeof o.at === 'string' && o.at.length <= 64 && Number.isFinite(Date.parse(o.at))) {
    at = new Date(Date.parse(o.at)).toISOString();
  } else {
    bad.push('"at" is not a time');
  }
  let by: number | null = null;
  if (typeof o.by === 'number' && Number.isInteger(o.by) && o.by >= 0 && o.by <= 0xffffffff) by = o.by;
  else bad.push('"by" is not a uid');
  // Printed on terminals: a name with control characters (escape sequences) is not shown at all.
  const user = typeof o.user === 'string' && USER_NAME.test(o.user) ? o.user : null;
  if (o.user !== undefined && user === null) bad.push('"user" is not a login name');
  return {
    paused: true,
    at,
    by,
    user,
    problem: bad.length > 0 ? `${file}: ${bad.join(', ')}; the pause holds anyway (\`loopkeeper up\` ends it)` : null,
  };
}

/** What POSIX and the common tools allow in a login name (plus the `$` of machine accounts). */
const USER_NAME = /^[A-Za-z0-9._@][A-Za-z0-9._@-]{0,63}\$?$/;

/**
 * Whether STATE_DIR/paused exists, and what it says. Never throws: anything in its place (a
 * symlink, a directory, an unreadable or huge file) is a pause whose record cannot be read.
 */
export function readPause(stateDir: string, fs: FileSystem = realFs): PauseState {
  const file = pausePath(stateDir);
  let bytes: Buffer;
  try {
    bytes = readRegularFile(file, { maxBytes: MAX_PAUSE_BYTES, fs });
  } catch (e) {
    const why = (text: string): PauseState => ({
      paused: true,
      at: null,
      by: null,
      user: null,
      problem: `${file} ${text}; the pause holds anyway (\`loopkeeper up\` ends it)`,
    });
    if (!(e instanceof FileReadError)) return why(`cannot be read (${explain(e)})`);
    switch (e.kind) {
      case 'missing':
        return { paused: false };
      case 'symlink':
        return why('is a symbolic link (not followed)');
      case 'not-regular':
        return why('is not a regular file');
      case 'too-big':
        return why(`is more than ${MAX_PAUSE_BYTES} bytes (not read)`);
      default:
        return why(`cannot be read (${e.message})`);
    }
  }
  return parsePause(bytes.toString('utf8'), file);
}

export function renderPause(record: PauseRecord): string {
  const out: Record<string, unknown> = { at: record.at, by: record.by };
  if (record.user !== undefined && USER_NAME.test(record.user)) out.user = record.user;
  return `${JSON.stringify(out)}\n`;
}

/** Writes STATE_DIR/paused atomically (mode 0644: any user's `status` may read it). */
export function writePause(stateDir: string, record: PauseRecord, fs: FileSystem = realFs): void {
  ensureStateDir(stateDir, { fs });
  writeFileAtomic(pausePath(stateDir), renderPause(record), { mode: 0o644, keepOwner: false, fs });
}

/** Removes STATE_DIR/paused. false when there was none. Throws (with the fix) when it cannot. */
export function clearPause(stateDir: string, fs: FileSystem = realFs): boolean {
  const file = pausePath(stateDir);
  try {
    fs.unlink(file); // unlink never follows a symlink: a link in its place is removed, not its target
    return true;
  } catch (e) {
    const code = codeOf(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    if (code === 'EISDIR' || code === 'EPERM') {
      let dir = false;
      try {
        dir = fs.lstat(file).isDirectory();
      } catch {
        /* judged by the unlink error alone */
      }
      if (dir) throw new Error(`cannot end the pause: ${file} is a directory, not loopkeeper's record — remove it (rm -r ${file})`);
    }
    throw new Error(`cannot end the pause: cannot remove ${file}: ${explain(e)}`);
  }
}

/** The record for a pause beginning now, by this process's user. */
export function pauseNow(now: Date = new Date(), env: NodeJS.ProcessEnv = process.env): PauseRecord {
  const by = process.getuid?.() ?? 0;
  let user: string | undefined;
  if (by === 0 && env.SUDO_USER && USER_NAME.test(env.SUDO_USER)) user = env.SUDO_USER;
  else {
    try {
      const name = userInfo().username;
      if (USER_NAME.test(name)) user = name;
    } catch {
      /* a uid without a passwd entry (containers): the uid says it */
    }
  }
  return { at: now.toISOString(), by, ...(user ? { user } : {}) };
}

/** "since 2026-12-02T03:00:00.000Z by uid 0 (alice)", as far as the record says. */
export function describePause(p: Extract<PauseState, { paused: true }>): string {
  const since = p.at ? `since ${p.at}` : 'since an unknown time';
  const who = p.by === null ? 'by an unknown user' : `by uid ${p.by}${p.user ? ` (${p.user})` : ''}`;
  return `${since} ${who}`;
}

/** The message of the Paused condition (daemon) and of every refusal (CLI); `up` is how to end it. */
export function pausedMessage(p: Extract<PauseState, { paused: true }>, up = 'loopkeeper up'): string {
  return `paused by \`loopkeeper down\` ${describePause(p)}: nothing is added or repaired until \`${up}\``;
}
