// The doctor's report as text (a readable list) or as one JSON document. Pure.
import type { CheckResult, CheckStatus, DoctorReport } from './types';

const LABEL: Record<CheckStatus, string> = { ok: 'ok', warn: 'warn', fail: 'FAIL', skip: 'skip' };
const COLOR: Record<CheckStatus, number> = { ok: 32, warn: 33, fail: 31, skip: 2 };

/** Control characters from a hostile hosts file or config must not drive the terminal. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function paint(color: boolean, code: number, text: string): string {
  return color ? `\u001b[${code}m${text}\u001b[0m` : text;
}

export function formatCheck(c: CheckResult, titleWidth: number, color: boolean): string {
  const label = paint(color, COLOR[c.status], LABEL[c.status].padEnd(4));
  const indent = ' '.repeat(2 + 4 + 2 + titleWidth + 2);
  const [first = '', ...rest] = printable(c.detail).split('\n');
  let out = `  ${label}  ${c.title.padEnd(titleWidth)}  ${first}\n`;
  for (const line of rest) out += `${indent}${line}\n`;
  for (const hint of c.hints ?? []) out += `${indent}${paint(color, 2, `→ ${printable(hint)}`)}\n`;
  return out;
}

export function formatReport(report: DoctorReport, color: boolean): string {
  const width = Math.max(0, ...report.checks.map((c) => c.title.length));
  let out = report.checks.map((c) => formatCheck(c, width, color)).join('');
  const count = (s: CheckStatus) => report.checks.filter((c) => c.status === s).length;
  const parts = [`${count('ok')} ok`, `${count('warn')} warning(s)`, `${count('fail')} problem(s)`];
  if (count('skip') > 0) parts.push(`${count('skip')} skipped`);
  const verdict = report.ok ? paint(color, 32, 'healthy') : paint(color, 31, 'problems found');
  out += `\n${verdict}: ${parts.join(', ')}\n`;
  return out;
}

export function formatJson(report: DoctorReport): string {
  return JSON.stringify({ checks: report.checks, ok: report.ok }, null, 2) + '\n';
}
