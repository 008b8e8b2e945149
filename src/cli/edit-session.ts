// What every editing command (hosts/aliases add|remove, profile enable|disable) does after it has
// worked out the new text of a file: validate the whole config with the edit in memory (the
// same pipeline as `validate`), get root if needed (as `apply` does), write atomically, then
// reconcile — through the daemon when it answers, else once here. Exit codes as `apply`.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadDesiredState, type LoadedConfig } from '../config';
import { editDirOf, isConfigName, namedConfigFiles, resolveConfigFiles, type ConfigOverlay } from '../config/files';
import { declarationsOf, placeText, type FileDeclarations, type Place } from '../config/edit-index';
import { canWriteHere, renameConfigFile, writeConfigFile } from '../config/edit-write';
import { NEW_FILE_TEXT } from '../config/edit';
import { EXIT } from '../exit-codes';
import { diffLines } from '../hosts/block-diff';
import { formatDiagnostic, type DesiredState } from '../model';
import type { ReconcileReport } from '../reconcile/types';
import { resolveRuntime } from '../runtime';
import { callDaemon, DaemonUnreachable } from './client';
import type { CommandContext } from './context';
import { configSummary } from './load-config';
import { renderSummary, describeChange } from './render';
import { cliHint, quoteWord } from './hint';
import { currentPause, pausedLine, pauseInfo, upHint } from './pause';
import type { ErrorDocument, ReconcileAnswer } from '../api/types';

export interface EditFlags {
  file?: string;
  profile?: string;
  json?: boolean;
}

/** The file one `add` writes to, as it is now. */
export interface EditTarget {
  path: string;
  /** Current text, or the text a new file starts with. */
  text: string;
  exists: boolean;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: number };

/** A profile name is a file name in conf.d: no path, no dot first, not the `.yaml` suffix itself. */
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export function profileNameProblem(name: string): string | null {
  if (!PROFILE_NAME.test(name) || name.endsWith('.yaml') || name.endsWith('.yml') || name.endsWith('.disabled')) {
    return `\`${name}\` is not a profile name: use letters, digits, '.', '_' and '-' (the file is conf.d/NAME.yaml)`;
  }
  return null;
}

export function fail(ctx: CommandContext, message: string, code: number = EXIT.USAGE): { ok: false; code: number } {
  ctx.err(`loopkeeper: ${message}\n`);
  return { ok: false, code };
}

/** The conf.d/ edits go to, or an explanation of why there is none. */
export function editDir(ctx: CommandContext): Outcome<string> {
  const dir = editDirOf(ctx.runtime);
  if (dir === null) {
    return fail(ctx, 'only files were given with --config, so there is no conf.d/ to write to; name the file to edit with --file PATH, or pass a config directory (--config DIR)');
  }
  return { ok: true, value: dir };
}

/** `--file PATH`, else `--profile P` (conf.d/P.yaml), else conf.d/local.yaml. */
export async function chooseTarget(ctx: CommandContext, flags: EditFlags): Promise<Outcome<EditTarget>> {
  if (flags.file !== undefined && flags.profile !== undefined) return fail(ctx, 'give --file or --profile, not both');
  let path: string;
  if (flags.file !== undefined) {
    path = resolve(flags.file);
  } else {
    const dir = editDir(ctx);
    if (!dir.ok) return dir;
    const name = flags.profile ?? 'local';
    const problem = profileNameProblem(name);
    if (problem) return fail(ctx, problem);
    path = resolve(join(dir.value, `${name}.yaml`));
    if (!existsSync(path) && existsSync(`${path}.disabled`)) {
      return fail(ctx, `profile ${name} is disabled (${path}.disabled); enable it first: ${cliHint(`profile enable ${quoteWord(name)}`)}`);
    }
  }
  const exists = existsSync(path);
  let text = NEW_FILE_TEXT;
  if (exists) {
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      return fail(ctx, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
    }
  }
  // The file must be (or, once created, become) one of the files the config is made of.
  const overlay: ConfigOverlay = new Map([[path, text]]);
  const { files } = await resolveConfigFiles(ctx.runtime, overlay);
  if (!files.some((f) => resolve(f) === path)) {
    const hint = isConfigName(basename(path)) ? '' : ' (config files end in .yaml or .yml)';
    return fail(ctx, `${path} is not one of the config files, so editing it would change nothing${hint}; pass it with --config too, or use a file in ${editDirOf(ctx.runtime) ?? 'a config directory'}`);
  }
  return { ok: true, value: { path, text, exists } };
}

/** One change to the config files. */
export type FileChange =
  | { kind: 'write'; path: string; before: string | null; after: string }
  | { kind: 'rename'; from: string; to: string; text: string };

export interface EditReport {
  changes: FileChange[];
  /** Lines for the person (what was found, why nothing changed, …). */
  notes: string[];
  /** More notes once the new desired state is known (e.g. an alias that stays desired). */
  check?: (desired: DesiredState) => string[];
}

function overlayOf(changes: readonly FileChange[]): ConfigOverlay {
  const overlay = new Map<string, string | null>();
  for (const c of changes) {
    if (c.kind === 'write') overlay.set(resolve(c.path), c.after);
    else {
      overlay.set(resolve(c.from), null);
      overlay.set(resolve(c.to), c.text);
    }
  }
  return overlay;
}

function isRoot(): boolean {
  return (process.geteuid?.() ?? 0) === 0;
}

/** Validates, elevates when needed, writes, reconciles. */
export async function commit(ctx: CommandContext, edit: EditReport, flags: EditFlags): Promise<number> {
  const json = Boolean(flags.json);
  const config = await loadDesiredState(ctx.runtime, { strictModes: isRoot(), overlay: overlayOf(edit.changes) });
  const errors = config.diagnostics.filter((d) => d.severity === 'error');
  if (config.desired === null || errors.length > 0) {
    if (json) ctx.out(JSON.stringify({ error: 'config invalid', config: configSummary(config), notes: edit.notes }, null, 2) + '\n');
    else {
      for (const d of config.diagnostics) ctx.err(formatDiagnostic(d) + '\n');
      const what = edit.changes.length > 0 ? 'this edit would make the config invalid' : 'the config is invalid';
      ctx.err(`loopkeeper: ${what} (${errors.length} error(s)); nothing was written\n`);
    }
    return EXIT.USAGE;
  }
  if (!json) for (const d of config.diagnostics) ctx.err(formatDiagnostic(d) + '\n');
  edit.notes.push(...(edit.check?.(config.desired) ?? []));

  if (edit.changes.length > 0 && !isRoot() && !edit.changes.every((c) => (c.kind === 'write' ? canWriteHere(c.path) : canWriteHere(c.from)))) {
    // Nothing is written yet: the command runs again as root and finds the same state.
    const { elevateOrExplain } = require('./elevate') as typeof import('./elevate');
    return elevateOrExplain(ctx);
  }
  try {
    for (const c of edit.changes) {
      if (c.kind === 'write') writeConfigFile(c.path, c.after);
      else renameConfigFile(c.from, c.to);
    }
  } catch (e) {
    return fail(ctx, (e as Error).message, EXIT.FAILURE).code;
  }
  if (!json) {
    for (const note of edit.notes) ctx.err(`${note}\n`);
    ctx.out(describeFileChanges(edit.changes));
  }
  return reconcileNow(ctx, config, edit, json);
}

/** The edits as short line diffs: `path` then `  12 + text` / `  12 - text`. */
export function describeFileChanges(changes: readonly FileChange[]): string {
  let out = '';
  for (const c of changes) {
    if (c.kind === 'rename') {
      out += `Renamed ${c.from} → ${basename(c.to)}\n`;
      continue;
    }
    out += `${c.before === null ? 'Created' : 'Edited'} ${c.path}\n`;
    const before = splitLines(c.before ?? '');
    const after = splitLines(c.after);
    let oldLine = 0;
    let newLine = 0;
    // Within a run of changes, the old lines first, then the new ones (how people read a diff).
    let removed: string[] = [];
    let added: string[] = [];
    const flush = (): void => {
      out += removed.join('') + added.join('');
      removed = [];
      added = [];
    };
    for (const l of diffLines(before, after)) {
      if (l.startsWith('  ')) {
        flush();
        oldLine++;
        newLine++;
      } else if (l.startsWith('+')) added.push(`  ${String(++newLine).padStart(4)} ${l}\n`);
      else removed.push(`  ${String(++oldLine).padStart(4)} ${l}\n`);
    }
    flush();
  }
  return out;
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}


async function reconcileNow(ctx: CommandContext, config: LoadedConfig, edit: EditReport, json: boolean): Promise<number> {
  const emit = (via: string, report: ReconcileReport | null, extra: Record<string, unknown> = {}): void => {
    if (!json) return;
    const changes = edit.changes.map((c) => (c.kind === 'write' ? { kind: c.kind, path: c.path, created: c.before === null } : { kind: c.kind, from: c.from, to: c.to }));
    ctx.out(JSON.stringify({ changes, notes: edit.notes, config: configSummary(config), via, reconcile: report, ...extra }, null, 2) + '\n');
  };
  // Paused (`loopkeeper down`): the edit is written and valid, and that is all until `up`.
  const pause = currentPause(ctx);
  if (pause !== null) {
    emit('paused', null, { paused: pauseInfo(pause) });
    if (!json) ctx.err(`loopkeeper: ${pausedLine(pause)}: the config is written but not applied; \`${upHint()}\` ends the pause and applies it\n`);
    return EXIT.OK;
  }
  let res;
  try {
    res = await callDaemon<ReconcileAnswer | ErrorDocument>(ctx.runtime.socket, 'POST', '/v1/reconcile', 300000);
  } catch (e) {
    if (!(e instanceof DaemonUnreachable)) throw e;
    return applyHere(ctx, emit, json);
  }
  if (res.status !== 200) {
    const err = (res.body as Partial<ErrorDocument>).error;
    emit('daemon', null, { error: err?.message ?? `status ${res.status}` });
    ctx.err(`loopkeeper: the config is written, but loopkeeperd refused to reconcile (${res.status}): ${err?.message ?? 'unknown error'}; it also reconciles on its own when it sees the change\n`);
    return EXIT.FAILURE;
  }
  const report = res.body as ReconcileAnswer;
  const daemonFiles = report.config?.files;
  // A file the daemon does not read (it runs with other --config paths) is worth a word.
  const edited = edit.changes.map((c) => resolve(c.kind === 'write' ? c.path : c.to)).filter((p) => isConfigName(basename(p)));
  const unseen = daemonFiles ? edited.filter((p) => !daemonFiles.some((f) => resolve(f) === p)) : [];
  emit('daemon', report);
  if (!json) {
    printOutcome(ctx, report, 'loopkeeperd');
    if (report.config && !report.config.valid) ctx.err(`loopkeeper: loopkeeperd reports its config invalid: ${report.config.error ?? ''}\n`);
    if (unseen.length > 0) {
      ctx.err(`loopkeeper: note: loopkeeperd reads other config files (${daemonFiles!.join(', ') || 'none'}), not ${unseen.join(', ')}: it was started with other --config paths\n`);
    }
  }
  return report.result === 'ok' && report.config?.valid !== false ? EXIT.OK : EXIT.FAILURE;
}

async function applyHere(ctx: CommandContext, emit: (via: string, report: ReconcileReport | null) => void, json: boolean): Promise<number> {
  const loaded = await loadDesiredState(ctx.runtime, { strictModes: isRoot() });
  if (loaded.desired === null) {
    // Written and valid a moment ago: someone changed the files meanwhile.
    for (const d of loaded.diagnostics) ctx.err(formatDiagnostic(d) + '\n');
    ctx.err('loopkeeper: the config changed meanwhile and is invalid now; nothing was applied\n');
    return EXIT.USAGE;
  }
  const { createReconciler } = require('../reconcile/reconciler') as typeof import('../reconcile/reconciler');
  const reconciler = createReconciler(ctx.runtime);
  if (!isRoot()) {
    const preview = await reconciler.reconcile(loaded.desired, { trigger: 'cli', dryRun: true });
    if (preview.changes.length > 0) {
      // The files are written; what is left is one `apply`, which needs root.
      const { elevateOrExplain } = require('./elevate') as typeof import('./elevate');
      return elevateOrExplain({ ...ctx, argv: applyArgv(ctx) });
    }
    emit('apply', preview);
    if (!json) printOutcome(ctx, preview, null);
    return preview.result === 'ok' ? EXIT.OK : EXIT.FAILURE;
  }
  const report = await reconciler.reconcile(loaded.desired, { trigger: 'cli' });
  emit('apply', report);
  if (!json) printOutcome(ctx, report, null);
  return report.result === 'ok' ? EXIT.OK : EXIT.FAILURE;
}

/** `loopkeeper [the paths this run uses] apply`, for elevating only the part that needs root. */
function applyArgv(ctx: CommandContext): string[] {
  const [node, script] = ctx.argv;
  const defaults = resolveRuntime({}, {}, ctx.runtime.platform);
  const r = ctx.runtime;
  const flags: string[] = [];
  for (const p of r.configPaths ?? []) flags.push('--config', resolve(p));
  if (r.hostsFile !== defaults.hostsFile) flags.push('--hosts-file', resolve(r.hostsFile));
  if (r.socket !== defaults.socket) flags.push('--socket', resolve(r.socket));
  if (r.stateDir !== defaults.stateDir) flags.push('--state-dir', resolve(r.stateDir));
  if (r.interfaceName !== defaults.interfaceName) flags.push('--interface', r.interfaceName);
  return [node ?? process.execPath, script ?? 'loopkeeper', ...flags, 'apply'];
}

function printOutcome(ctx: CommandContext, report: ReconcileReport, by: string | null): void {
  for (const c of report.changes) ctx.out(`  ${describeChange(c)}\n`);
  for (const p of report.problems) ctx.err(`  ! ${p}\n`);
  const summary = renderSummary(report, ctx.color);
  ctx.out(by && !report.dryRun ? `${by}: ${summary}` : summary);
}

/** The declarations of every config file as it is now (files that cannot be read declare nothing). */
export async function currentDeclarations(ctx: CommandContext): Promise<FileDeclarations[]> {
  const { files } = await resolveConfigFiles(ctx.runtime);
  return files.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return { file, parsed: false, hosts: [], aliases: [] };
    }
    return declarationsOf(file, text);
  });
}

/**
 * Where an entry to remove is declared, or why it is not removed: not declared, declared in
 * several files (which one is meant?), or only in a file named with --config (the user's own file,
 * which the CLI edits only when told to with --file).
 */
export function removalFile(
  ctx: CommandContext,
  what: string,
  places: readonly Place[],
  flags: EditFlags,
): { ok: true; file: string } | { ok: false; message: string } {
  const files = [...new Set(places.map((p) => resolve(p.file)))];
  const where = places.map(placeText).join(', ');
  if (files.length === 0) return { ok: false, message: `${what} is not declared in ${flags.file ? resolve(flags.file) : 'any config file'}; nothing to remove` };
  if (files.length > 1) {
    return { ok: false, message: `${what} is declared in ${files.length} files (${where}); say which with --file PATH, or edit them by hand` };
  }
  if (flags.file === undefined && namedConfigFiles(ctx.runtime).has(files[0]!)) {
    return { ok: false, message: `${what} is declared only at ${where}, a file given with --config, which loopkeeper does not edit unless told to: pass --file ${files[0]} to remove it there` };
  }
  return { ok: true, file: files[0]! };
}
