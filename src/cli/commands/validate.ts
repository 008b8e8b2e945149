// `loopkeeper validate [FILES…] [--json]`: runs the real config pipeline (the one the daemon and
// `apply` use) and stops before any effect. Problems go to stderr as FILE:LINE:COL: message; a
// valid config prints a one-line summary on stdout. Exit 0 when valid (warnings allowed), 2 when
// not. `--json`: one document `{valid, files, errors: [{file, line, col, message}], warnings}` on
// stdout and nothing else there.
import { loadDesiredState } from '../../config';
import { EXIT } from '../../exit-codes';
import { formatDiagnostic, type Diagnostic } from '../../model';
import { warn, type CommandRun } from '../context';

export interface ValidateOptions {
  json?: boolean;
}

export interface ValidateDocument {
  valid: boolean;
  files: string[];
  errors: Problem[];
  warnings: Problem[];
}

type Problem = Pick<Diagnostic, 'file' | 'line' | 'col' | 'message'>;

function problem(d: Diagnostic): Problem {
  return { file: d.file, line: d.line, col: d.col, message: d.message };
}

export const run: CommandRun<ValidateOptions> = async (ctx, opts, args) => {
  // Named files are resolved like --config paths: a directory stands for its *.yaml files.
  const runtime = args.length > 0 ? { ...ctx.runtime, configPaths: args } : ctx.runtime;
  const loaded = await loadDesiredState(runtime, { strictModes: process.getuid?.() === 0 });
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  const warnings = loaded.diagnostics.filter((d) => d.severity !== 'error');
  const valid = loaded.desired !== null && errors.length === 0;
  if (opts.json) {
    const doc: ValidateDocument = { valid, files: loaded.files, errors: errors.map(problem), warnings: warnings.map(problem) };
    ctx.out(JSON.stringify(doc, null, 2) + '\n');
    return valid ? EXIT.OK : EXIT.USAGE;
  }
  for (const d of loaded.diagnostics) (d.severity === 'error' ? ctx.err : (t: string) => warn(ctx, t))(formatDiagnostic(d) + '\n');
  if (!valid) {
    ctx.err(`loopkeeper: the config is invalid: ${errors.length} error(s), ${warnings.length} warning(s)\n`);
    return EXIT.USAGE;
  }
  const { aliases, hosts } = loaded.desired!;
  ctx.out(`${loaded.files.length} file(s) valid: ${aliases.length} aliases, ${hosts.length} hosts\n`);
  return EXIT.OK;
};
