// OpenSSH-style StrictModes for a daemon that runs as root: a config file, or the directory that
// holds it, that someone other than its owner and root can write lets that someone decide what
// root adds to the loopback interface and /etc/hosts. Such a file is refused, with the fix.
import { promises as fsp, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

const GROUP_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

/** Messages (one per unsafe path) for `file`; empty when it is safe to use. */
export async function unsafePermissions(file: string): Promise<string[]> {
  const problems: string[] = [];
  const fileStat = await statOrNull(file);
  if (fileStat && fileStat.isFile() && fileStat.mode & GROUP_OTHER_WRITE) {
    problems.push(`is writable by ${whoCanWrite(fileStat.mode)} (mode ${modeText(fileStat.mode)}) and loopkeeper runs as root, so it is refused; fix: chmod go-w ${shellQuote(file)}`);
  }
  const dirs = new Set([dirname(resolve(file))]);
  const real = await fsp.realpath(file).catch(() => null);
  if (real) dirs.add(dirname(real));
  for (const dir of dirs) {
    const st = await statOrNull(dir);
    if (!st || !(st.mode & GROUP_OTHER_WRITE)) continue;
    const who = whoCanWrite(st.mode);
    if (st.mode & STICKY) {
      // A sticky shared directory (/tmp): chmod would break it; the file belongs elsewhere.
      problems.push(`its directory ${dir} is writable by ${who} (mode ${modeText(st.mode)}) and loopkeeper runs as root, so it is refused; move the file to a directory only root can write, e.g. /etc/loopkeeper`);
    } else {
      problems.push(`its directory ${dir} is writable by ${who} (mode ${modeText(st.mode)}) and loopkeeper runs as root, so it is refused; fix: chmod go-w ${shellQuote(dir)}`);
    }
  }
  return problems;
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await fsp.stat(path);
  } catch {
    return null; // missing or unreadable: the reader reports that
  }
}

function whoCanWrite(mode: number): string {
  const group = (mode & 0o020) !== 0;
  const other = (mode & 0o002) !== 0;
  return group && other ? 'its group and others' : group ? 'its group' : 'others';
}

function modeText(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Quotes a path for a command line a person will paste into a shell. */
export function shellQuote(path: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
