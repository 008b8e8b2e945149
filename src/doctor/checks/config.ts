// The config loads, is valid, and is safe to trust (strict modes: no file or directory writable
// by anyone but its owner and root) — the daemon refuses it otherwise.
import { formatDiagnostic } from '../../model';
import type { CheckResult, DoctorCheck, LoadedConfigView } from '../types';
import { firstLines, plural, resultOf } from '../util';
import { cliHint } from '../../cli/hint';

const self = { id: 'config', title: 'config' };

export function judgeConfig(config: LoadedConfigView): CheckResult {
  const errors = config.diagnostics.filter((d) => d.severity === 'error');
  const warnings = config.diagnostics.filter((d) => d.severity === 'warning');
  const data = { files: config.files, diagnostics: config.diagnostics.map(formatDiagnostic) };
  if (errors.length > 0 || config.desired === null) {
    return resultOf(
      self,
      'fail',
      errors.length > 0
        ? `${plural(errors.length, 'error')} (the daemon refuses this config and keeps the last valid one):\n` + firstLines(errors.map(formatDiagnostic))
        : 'the config could not be loaded',
      { hints: [`\`${cliHint('validate')}\` lists every problem with its location`], data },
    );
  }
  const d = config.desired;
  const summary = `${plural(config.files.length, 'file')} valid (${plural(d.aliases.length, 'alias', 'aliases')}, ${plural(d.hosts.length, 'host name')})`;
  if (warnings.length > 0) {
    return resultOf(self, 'warn', `${summary}, with ${plural(warnings.length, 'warning')}:\n${firstLines(warnings.map(formatDiagnostic))}`, { data });
  }
  return resultOf(self, 'ok', `${summary}: ${config.files.join(', ')}`, { data });
}

export const check: DoctorCheck = {
  ...self,
  about: 'the config loads, is valid, and passes the permission check the daemon makes as root',
  run: async (ctx) => judgeConfig(await ctx.config()),
};
