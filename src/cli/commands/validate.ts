// `loopkeeper validate [FILES…]`: runs the real config pipeline (the one the daemon and `apply`
// use) and stops before any effect. Problems go to stderr as FILE:LINE:COL: message; a valid
// config prints a one-line summary on stdout. Exit 0 when valid (warnings allowed), 2 when not.
import { loadDesiredState } from '../../config';
import { EXIT } from '../../exit-codes';
import { formatDiagnostic } from '../../model';
import type { CommandRun } from '../context';

export const run: CommandRun = async (ctx, _opts, args) => {
  // Named files are resolved like --config paths: a directory stands for its *.yaml files.
  const runtime = args.length > 0 ? { ...ctx.runtime, configPaths: args } : ctx.runtime;
  const loaded = await loadDesiredState(runtime, { strictModes: process.getuid?.() === 0 });
  for (const d of loaded.diagnostics) ctx.err(formatDiagnostic(d) + '\n');
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error').length;
  if (loaded.desired === null) {
    ctx.err(`loopkeeper: the config is invalid: ${errors} error(s), ${loaded.diagnostics.length - errors} warning(s)\n`);
    return EXIT.USAGE;
  }
  const { aliases, hosts } = loaded.desired;
  ctx.out(`${loaded.files.length} file(s) valid: ${aliases.length} aliases, ${hosts.length} hosts\n`);
  return EXIT.OK;
};
