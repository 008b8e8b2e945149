// Loads the configured desired state for a one-shot command, printing diagnostics the way
// `validate` does. A config that cannot be used is exit 2 (SPEC "Exit codes").
import { loadDesiredState, type LoadedConfig } from '../config';
import { EXIT } from '../exit-codes';
import { formatDiagnostic, type DesiredState } from '../model';
import { warn, type CommandContext } from './context';

export type Loaded = { ok: true; config: LoadedConfig; desired: DesiredState } | { ok: false; exitCode: number };

/**
 * `consequence`: what an invalid config means for this command ("nothing was changed").
 * `cache`: whether STATE_DIR's config cache (config/cache.ts) may stand in for parsing the same
 * bytes again ('read'), and be stored after a parse ('write': apply, which writes STATE_DIR anyway).
 */
export async function loadForCommand(
  ctx: CommandContext,
  json: boolean,
  consequence = 'nothing was changed',
  cache?: 'read' | 'write',
): Promise<Loaded> {
  const config = await loadDesiredState(ctx.runtime, { strictModes: process.getuid?.() === 0, cache });
  const errors = config.diagnostics.filter((d) => d.severity === 'error');
  if (config.desired === null || errors.length > 0) {
    if (json) {
      ctx.out(JSON.stringify({ error: 'config invalid', config: configSummary(config) }, null, 2) + '\n');
    } else {
      for (const d of config.diagnostics) (d.severity === 'error' ? ctx.err : (t: string) => warn(ctx, t))(formatDiagnostic(d) + '\n');
      const n = errors.length;
      ctx.err(`loopkeeper: the config is invalid (${n} error${n === 1 ? '' : 's'}), so ${consequence}\n`);
    }
    return { ok: false, exitCode: EXIT.USAGE };
  }
  if (!json) for (const d of config.diagnostics) warn(ctx, formatDiagnostic(d) + '\n');
  return { ok: true, config, desired: config.desired };
}

/** The config part of plan/apply JSON output. */
export function configSummary(config: LoadedConfig): { files: string[]; valid: boolean; diagnostics: string[] } {
  return {
    files: config.files,
    valid: config.desired !== null,
    diagnostics: config.diagnostics.map(formatDiagnostic),
  };
}
