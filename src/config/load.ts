// The whole config pipeline: for each file, permissions (StrictModes), bytes, YAML, shape; then the
// rules across all files in order. Any error means no desired state at all: a config that is
// partly wrong is never partly applied. StrictModes comes first: a refused file is never opened,
// so nothing it contains can appear in a message.
import { resolve } from 'node:path';
import type { DesiredState, Diagnostic } from '../model';
import type { Runtime } from '../runtime';
import type { ConfigDocument } from './document';
import { overlayText, resolveConfigFiles, type ConfigOverlay } from './files';
import { readConfigText } from './read';
import { configFileProblems, onlyNotAFile } from './strict-modes';
import type { TrustProblem } from '../fs/trust';
import { readConfigCache, writeConfigCache, type CachedText } from './cache';

// Here rather than from ./document: that module loads yaml, which a cache hit never needs.
const FILE_START = { line: 1, col: 1 };
function diagnostic(file: string, pos: { line: number; col: number }, severity: Diagnostic['severity'], message: string): Diagnostic {
  return { file, line: pos.line, col: pos.col, severity, message };
}

export interface LoadedConfig {
  files: string[];
  desired: DesiredState | null;
  diagnostics: Diagnostic[];
}

export interface LoadOptions {
  /**
   * Refuse, before reading, files that anyone but root (or this process's user) could change or
   * replace — the file, every directory up to /, every symlink on the way; set when running as root.
   */
  strictModes: boolean;
  /** Mode bits mean nothing on Windows, so StrictModes is skipped there. */
  platform?: NodeJS.Platform;
  /** Candidate texts that stand in for files on disk (an edit validated before it is written). */
  overlay?: ConfigOverlay;
  /**
   * STATE_DIR, whose config-cache.json (config/cache.ts) may stand in for parsing the very same
   * bytes again; `write` also stores a valid result there. Never used with an overlay.
   */
  cache?: { stateDir: string; write: boolean };
}

/** Per file, at most this many problems are listed; a file of junk must not print a million lines. */
export const MAX_DIAGNOSTICS_PER_FILE = 100;

export async function loadConfig(files: string[], opts: LoadOptions): Promise<LoadedConfig> {
  const platform = opts.platform ?? process.platform;
  const perFile = new Map<string, Diagnostic[]>();
  const docs: ConfigDocument[] = [];
  const seen = new Set<string>();
  const unique = files.filter((f) => !seen.has(resolve(f)) && seen.add(resolve(f)));
  const trustCache = new Map<string, TrustProblem[]>();

  // First what looks at the machine, for every file: StrictModes, then the bytes.
  const texts: CachedText[] = [];
  for (const file of unique) {
    const list: Diagnostic[] = [];
    perFile.set(file, list);
    if (opts.strictModes && platform !== 'win32') {
      const problems = configFileProblems(file, { cache: trustCache });
      if (!onlyNotAFile(problems)) {
        for (const p of problems) list.push(diagnostic(file, FILE_START, 'error', p.message));
        continue; // refused: not read, not parsed
      }
    }
    const read = overlayText(opts.overlay, file) ?? (await readConfigText(file));
    if (!read.ok) {
      list.push(diagnostic(file, FILE_START, 'error', read.message));
      continue;
    }
    texts.push({ file, text: read.text });
  }

  const cache = opts.overlay === undefined && unique.length > 0 && texts.length === unique.length ? opts.cache : undefined;
  if (cache) {
    const hit = readConfigCache(cache.stateDir, texts);
    if (hit) return { files: unique, desired: hit.desired, diagnostics: hit.diagnostics };
  }

  // Then the pure part: YAML, shape, rules (loaded only now: a cache hit needs none of them).
  const { parseConfigDocument } = require('./document') as typeof import('./document');
  const { shapeDiagnostics } = require('./shape') as typeof import('./shape');
  const { applyRules } = require('./rules') as typeof import('./rules');
  for (const { file, text } of texts) {
    const list = perFile.get(file)!;
    const parsed = parseConfigDocument(file, text);
    if (!parsed.ok) {
      list.push(...parsed.diagnostics);
      continue;
    }
    list.push(...parsed.warnings, ...shapeDiagnostics(parsed.value));
    docs.push(parsed.value);
  }

  const rules = applyRules(docs);
  for (const d of rules.diagnostics) perFile.get(d.file)?.push(d);

  const diagnostics: Diagnostic[] = [];
  if (unique.length === 0) {
    diagnostics.push(diagnostic('(config)', FILE_START, 'error', 'no config files to read; pass --config FILE'));
  }
  for (const [file, list] of perFile) diagnostics.push(...capped(file, sortByPosition(list)));

  const failed = diagnostics.some((d) => d.severity === 'error');
  const desired: DesiredState | null = failed ? null : { aliases: rules.aliases, hosts: rules.hosts, settings: rules.settings };
  if (cache?.write && desired !== null) writeConfigCache(cache.stateDir, texts, { desired, diagnostics });
  return { files: unique, desired, diagnostics };
}

export async function loadDesiredState(
  runtime: Runtime,
  opts: { strictModes: boolean; overlay?: ConfigOverlay; cache?: 'read' | 'write' },
): Promise<LoadedConfig> {
  const resolved = await resolveConfigFiles(runtime, opts.overlay);
  if (resolved.files.length === 0 && resolved.diagnostics.length > 0) return { files: [], desired: null, diagnostics: resolved.diagnostics };
  const cache = opts.cache ? { stateDir: runtime.stateDir, write: opts.cache === 'write' } : undefined;
  const loaded = await loadConfig(resolved.files, { strictModes: opts.strictModes, platform: runtime.platform, overlay: opts.overlay, cache });
  const diagnostics = [...resolved.diagnostics, ...loaded.diagnostics];
  const failed = diagnostics.some((d) => d.severity === 'error');
  return { files: loaded.files, desired: failed ? null : loaded.desired, diagnostics };
}

function sortByPosition(list: Diagnostic[]): Diagnostic[] {
  // Stable: problems at one position keep the order in which they were found.
  return list.map((d, i) => ({ d, i })).sort((a, b) => a.d.line - b.d.line || a.d.col - b.d.col || a.i - b.i).map((x) => x.d);
}

function capped(file: string, list: Diagnostic[]): Diagnostic[] {
  if (list.length <= MAX_DIAGNOSTICS_PER_FILE) return list;
  const shown = list.slice(0, MAX_DIAGNOSTICS_PER_FILE);
  const hidden = list.slice(MAX_DIAGNOSTICS_PER_FILE);
  const errors = hidden.filter((d) => d.severity === 'error').length;
  const last = shown[shown.length - 1]!;
  shown.push({
    file,
    line: last.line,
    col: last.col,
    severity: errors > 0 ? 'error' : 'warning',
    message: `${hidden.length} more problem(s) in this file not shown (${errors} error(s)); fix the ones above first`,
  });
  return shown;
}
