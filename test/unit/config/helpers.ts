// Shared by the config tests: write config text to temp files and load them through the real
// pipeline (the same loadConfig the daemon uses).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type LoadedConfig } from '../../../src/config';
import type { Diagnostic } from '../../../src/model';

export function tempDir(prefix = 'lk-config-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes each `name: text` into a fresh directory and returns the paths in the given order. */
export function writeFiles(files: Record<string, string | Buffer>, dir = tempDir()): string[] {
  return Object.entries(files).map(([name, text]) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  });
}

export async function load(text: string, opts: { strictModes?: boolean } = {}): Promise<LoadedConfig & { file: string }> {
  const [file] = writeFiles({ 'loopkeeper.yaml': text });
  const loaded = await loadConfig([file!], { strictModes: opts.strictModes ?? false, platform: 'linux' });
  return { ...loaded, file: file! };
}

export async function loadMany(files: Record<string, string>): Promise<LoadedConfig & { paths: string[] }> {
  const paths = writeFiles(files);
  return { ...(await loadConfig(paths, { strictModes: false, platform: 'linux' })), paths };
}

/** "LINE:COL severity: message" for compact assertions. */
export function brief(d: Diagnostic): string {
  return `${d.line}:${d.col} ${d.severity}: ${d.message}`;
}

/** The diagnostics of a one-file config, as brief strings. */
export async function problems(text: string): Promise<string[]> {
  return (await load(text)).diagnostics.map(brief);
}
