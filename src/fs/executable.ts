// Whether a path names a program this process could run: a regular file (after links) with the
// execute permission for us. Used to pick setpriv, pkexec and the command name hints print.
import { accessSync, constants, statSync } from 'node:fs';

export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
