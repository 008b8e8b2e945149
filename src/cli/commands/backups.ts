// `loopkeeper backups list` / `backups restore ID [--yes] [--expect SHA256]`: the earlier versions
// of the hosts file that the writer keeps under STATE_DIR/backups (the last 10), and putting one
// back. Restore shows the line diff against the current file first, then writes only with --yes
// or a "y" on a terminal, and only if the file still is what the diff was made from (its SHA-256,
// also given with --expect): the current version becomes a backup first.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { canWriteHere } from '../../config/edit-write';
import { EXIT } from '../../exit-codes';
import { backupDir, listBackups } from '../../hosts/backups';
import { diffLines } from '../../hosts/block-diff';
import { parseEntries } from '../../hosts/entries';
import { locateBlock } from '../../hosts/layout';
import { bytesToText } from '../../hosts/text';
import { HostsChangedError, replaceHostsFile } from '../../hosts/writer';
import type { CommandContext, CommandRun } from '../context';
import { painter, table } from '../render';
import { cliHint, quoteWord } from '../hint';

interface Backup {
  id: string;
  file: string;
  /** ISO time the version was replaced. */
  at: string;
  size: number;
  /** Names in that version's managed block (null: no block, or a damaged one). */
  names: string[] | null;
}

const PREFIX = 'hosts.';

/** `2026-12-01T10-00-00.123Z[.N]` (the file name's stamp) → `2026-12-01T10:00:00.123Z`. */
function timeOf(id: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d\.\d{3}Z)/.exec(id);
  return m ? `${m[1]}T${m[2]}:${m[3]}:${m[4]}` : id;
}

function namesInBlock(content: Buffer): string[] | null {
  const layout = locateBlock(bytesToText(content));
  return layout.kind === 'block' ? [...parseEntries(layout.body).keys()] : null;
}

/** The kept versions, newest first. Throws (with the reason) when the directory cannot be read. */
function readBackups(stateDir: string): Backup[] {
  const dir = backupDir(stateDir);
  try {
    statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new Error(code === 'EACCES' ? `cannot read ${dir}: permission denied (backups are readable by root only; run it with sudo)` : `cannot read ${dir}: ${(e as Error).message}`);
  }
  return listBackups(stateDir)
    .reverse()
    .map((name) => {
      const file = join(dir, name);
      let content: Buffer;
      try {
        content = readFileSync(file);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new Error(code === 'EACCES' ? `cannot read ${file}: permission denied (backups are readable by root only; run it with sudo)` : `cannot read ${file}: ${(e as Error).message}`);
      }
      const id = name.slice(PREFIX.length);
      return { id, file, at: timeOf(id), size: content.length, names: namesInBlock(content) };
    });
}

function summarize(names: string[] | null): string {
  if (names === null) return '(no managed block)';
  if (names.length === 0) return '(empty block)';
  return names.length <= 4 ? names.join(' ') : `${names.slice(0, 3).join(' ')} … (${names.length} names)`;
}

export const list: CommandRun<{ json?: boolean }> = async (ctx, flags) => {
  let backups: Backup[];
  try {
    backups = readBackups(ctx.runtime.stateDir);
  } catch (e) {
    ctx.err(`loopkeeper: ${(e as Error).message}\n`);
    return EXIT.FAILURE;
  }
  if (flags.json) {
    ctx.out(JSON.stringify({ hostsFile: ctx.runtime.hostsFile, dir: backupDir(ctx.runtime.stateDir), backups }, null, 2) + '\n');
    return EXIT.OK;
  }
  const paint = painter(ctx.color);
  let out = paint('bold', `Backups of ${ctx.runtime.hostsFile}`) + ` (${backups.length}, newest first, in ${backupDir(ctx.runtime.stateDir)})\n`;
  out += backups.length
    ? table(backups.map((b) => [b.id, b.at.replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC'), `${b.size.toLocaleString('en-US')} bytes`, summarize(b.names)]))
    : '  none yet (a backup is taken each time loopkeeper rewrites the file)\n';
  if (backups.length) out += `Restore one with: ${cliHint('backups restore ID')}\n`;
  ctx.out(out);
  return EXIT.OK;
};

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The changed lines with two lines of context, in hunks headed by their line number in the current file. */
export function renderDiff(current: Buffer, wanted: Buffer, color: boolean): string {
  const paint = painter(color);
  const diff = minusFirst(diffLines(splitLines(bytesToText(current)), splitLines(bytesToText(wanted))));
  const CONTEXT = 2;
  const near = diff.map(() => false);
  diff.forEach((l, i) => {
    if (l.startsWith('  ')) return;
    for (let k = Math.max(0, i - CONTEXT); k <= Math.min(diff.length - 1, i + CONTEXT); k++) near[k] = true;
  });
  let out = '';
  let line = 0;
  let inHunk = false;
  diff.forEach((l, i) => {
    if (!l.startsWith('+')) line++;
    if (!near[i]) {
      inHunk = false;
      return;
    }
    if (!inHunk) out += paint('dim', `@@ line ${l.startsWith('+') ? line + 1 : line} @@`) + '\n';
    inHunk = true;
    // Bytes as they are (latin1 text); a control character is shown, not sent to the terminal.
    const shown = l.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
    out += `${l.startsWith('+') ? paint('green', shown) : l.startsWith('-') ? paint('red', shown) : shown}\n`;
  });
  return out;
}

/** Within each run of changed lines, the removed ones first (how people read a diff). */
function minusFirst(diff: string[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  const flush = (): void => {
    out.push(...run.filter((l) => l.startsWith('-')), ...run.filter((l) => l.startsWith('+')));
    run = [];
  };
  for (const l of diff) {
    if (l.startsWith('  ')) {
      flush();
      out.push(l);
    } else run.push(l);
  }
  flush();
  return out;
}

function ask(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    rl.question(question, (answer) => {
      resolve(answer);
      rl.close();
    });
    // End of input (Ctrl-D) is a "no".
    rl.once('close', () => resolve(''));
  });
}

export interface RestoreFlags {
  yes?: boolean;
  expect?: string;
}

function readCurrent(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
}

export const restore: CommandRun<RestoreFlags> = async (ctx, flags, args) => {
  const id = args[0] ?? '';
  const hostsFile = ctx.runtime.hostsFile;
  let backup: Backup;
  let wanted: Buffer;
  let current: Buffer;
  try {
    const all = readBackups(ctx.runtime.stateDir);
    const matches = all.filter((b) => b.id === id).length > 0 ? all.filter((b) => b.id === id) : all.filter((b) => id !== '' && b.id.startsWith(id));
    if (matches.length !== 1) {
      const ids = all.map((b) => b.id).join(', ') || 'none';
      ctx.err(`loopkeeper: ${matches.length === 0 ? `no backup ${id}` : `${id} matches ${matches.length} backups`} (backups: ${ids}); see ${cliHint('backups list')}\n`);
      return EXIT.USAGE;
    }
    backup = matches[0]!;
    wanted = readFileSync(backup.file);
    current = readCurrent(hostsFile);
  } catch (e) {
    ctx.err(`loopkeeper: ${(e as Error).message}\n`);
    return EXIT.FAILURE;
  }
  const shownAgainst = sha256(current);
  if (flags.expect !== undefined && flags.expect !== shownAgainst) return changedSinceDiff(ctx, backup.id);
  if (current.equals(wanted)) {
    ctx.out(`${hostsFile} already is backup ${backup.id}; nothing to restore\n`);
    return EXIT.OK;
  }
  ctx.out(`${hostsFile} → backup ${backup.id} (${backup.at}):\n`);
  ctx.out(renderDiff(current, wanted, ctx.color));
  if (!flags.yes) {
    if (!ctx.interactive) {
      ctx.err(
        `loopkeeper: not restored: there is no terminal to confirm on. To restore exactly this diff:\n  ${cliHint(`backups restore ${quoteWord(backup.id)} --yes --expect ${shownAgainst}`)}\n`,
      );
      return EXIT.FAILURE;
    }
    const answer = await ask(`Write backup ${backup.id} to ${hostsFile}? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) {
      ctx.err('loopkeeper: not restored\n');
      return EXIT.FAILURE;
    }
  }
  if (!canWriteHere(hostsFile) || !canWriteHere(join(ctx.runtime.stateDir, 'backups'))) {
    // Confirmed here, written as root: the elevated run writes only over what was shown.
    const { elevateOrExplain } = require('../elevate') as typeof import('../elevate');
    const extra = flags.expect === undefined ? ['--expect', shownAgainst] : [];
    return elevateOrExplain({ ...ctx, argv: [...ctx.argv, ...(flags.yes ? [] : ['--yes']), ...extra] });
  }
  try {
    const r = replaceHostsFile(hostsFile, current, wanted, { stateDir: ctx.runtime.stateDir });
    ctx.out(`Restored backup ${backup.id} to ${hostsFile}${r.backupPath ? `; the version it replaced is backup ${r.backupPath.slice(r.backupPath.lastIndexOf(PREFIX) + PREFIX.length)}` : ''}.\n`);
    ctx.out(`loopkeeperd (or \`${cliHint('apply')}\`) brings the managed block back to the desired state; the rest of the file stays as restored.\n`);
    return EXIT.OK;
  } catch (e) {
    if (e instanceof HostsChangedError) return changedSinceDiff(ctx, backup.id);
    ctx.err(`loopkeeper: ${(e as Error).message}\n`);
    return EXIT.FAILURE;
  }
};

function changedSinceDiff(ctx: CommandContext, id: string): number {
  ctx.err(
    `loopkeeper: ${ctx.runtime.hostsFile} changed since the diff was shown; nothing was written. Run \`${cliHint(`backups restore ${quoteWord(id)}`)}\` again to see the diff against its current content.\n`,
  );
  return EXIT.FAILURE;
}
