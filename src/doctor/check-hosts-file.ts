// The hosts file as the resolver reads it: desired names shadowed by an earlier line, a damaged
// managed block; on macOS a symlinked /etc/hosts (the resolver ignores it) and the immutable flags.
import type { DesiredHost } from '../model';
import type { CheckResult, DoctorSeams } from './types';
import { errorCode, messageOf, firstLines, plural } from './util';

export async function checkHostsShadowed(
  seams: Pick<DoctorSeams, 'readFile' | 'planHosts'>,
  hostsFile: string,
  hosts: readonly DesiredHost[],
): Promise<CheckResult> {
  const base = { id: 'hosts-shadowed', title: 'hosts file' };
  let content: Buffer;
  try {
    content = await seams.readFile(hostsFile);
  } catch (e) {
    return { ...base, status: 'fail', detail: `cannot read ${hostsFile}: ${errorCode(e)}` };
  }
  const plan = seams.planHosts(content, [...hosts]);
  const shadowed = plan.entries.filter((e) => e.state === 'shadowed');
  const data = { shadowed, damage: plan.damage };
  if (plan.damage !== null) {
    return {
      ...base,
      status: 'fail',
      detail: `${hostsFile}: the managed block is damaged: ${plan.damage.message} (lines ${plan.damage.lines.join(', ')})`,
      hints: ['fix or remove the loopkeeper markers by hand; loopkeeper never guesses and writes nothing until then'],
      data,
    };
  }
  if (shadowed.length > 0) {
    return {
      ...base,
      status: 'fail',
      detail: `${plural(shadowed.length, 'desired name')} shadowed by an earlier line in ${hostsFile} (the resolver takes the first match):\n` +
        firstLines(shadowed.map((e) => `${e.name}: ${e.detail}`)),
      hints: ['remove or change the earlier line'],
      data,
    };
  }
  return { ...base, status: 'ok', detail: `no desired name is shadowed in ${hostsFile}`, data };
}

export async function checkHostsSymlink(seams: Pick<DoctorSeams, 'symlinkTarget'>, hostsFile: string): Promise<CheckResult> {
  const base = { id: 'hosts-symlink', title: 'hosts file is a file' };
  try {
    const target = await seams.symlinkTarget(hostsFile);
    if (target === null) return { ...base, status: 'ok', detail: `${hostsFile} is a regular file` };
    return {
      ...base,
      status: 'fail',
      detail: `${hostsFile} is a symlink to ${target}: macOS's resolver ignores a symlinked hosts file`,
      hints: [`replace it with a regular file: sudo cp ${target} ${hostsFile}.new && sudo mv ${hostsFile}.new ${hostsFile}`],
      data: { target },
    };
  } catch (e) {
    return { ...base, status: 'fail', detail: `cannot examine ${hostsFile}: ${errorCode(e)}` };
  }
}

/**
 * The flags column of `ls -lO FILE` (macOS): mode, links, owner, group, flags, size, … .
 * Returns null when the line does not look like that.
 */
export function parseLsFlags(output: string): string[] | null {
  const line = output.split('\n').find((l) => l.trim() !== '');
  if (line === undefined || line.length > 4096) return null;
  const fields = line.trim().split(/\s+/);
  if (fields.length < 6 || !/^[-dlbcps][-rwxsStT]{9}[@+.]?$/.test(fields[0]!) || !/^\d+$/.test(fields[1]!)) return null;
  const flags = fields[4]!;
  if (flags === '-') return [];
  if (!/^[a-z_,-]+$/.test(flags)) return null;
  return flags.split(',').filter((f) => f !== '');
}

const IMMUTABLE = ['uchg', 'schg', 'uappnd', 'sappnd'];

export async function checkHostsFlags(seams: Pick<DoctorSeams, 'runner'>, hostsFile: string): Promise<CheckResult> {
  const base = { id: 'hosts-flags', title: 'hosts file flags' };
  const argv = ['/bin/ls', '-lO', hostsFile];
  let output: string;
  try {
    const r = await seams.runner.run(argv);
    if (r.code !== 0) return { ...base, status: 'warn', detail: `\`${argv.join(' ')}\` exited with ${r.code}: ${r.stderr.trim()}` };
    output = r.stdout;
  } catch (e) {
    return { ...base, status: 'warn', detail: `cannot run \`${argv.join(' ')}\`: ${messageOf(e)}` };
  }
  const flags = parseLsFlags(output);
  if (flags === null) return { ...base, status: 'warn', detail: `cannot read the flags from ${JSON.stringify(output.slice(0, 120))}` };
  const blocking = flags.filter((f) => IMMUTABLE.includes(f));
  if (blocking.length === 0) return { ...base, status: 'ok', detail: flags.length ? `flags: ${flags.join(',')}` : 'no file flags', data: { flags } };
  return {
    ...base,
    status: 'fail',
    detail: `${hostsFile} has the ${blocking.join(', ')} flag: nothing can change it, loopkeeper included`,
    hints: [`sudo chflags no${blocking[0]} ${hostsFile}${blocking.some((f) => f.startsWith('s')) ? ' (system flags clear only in single-user mode)' : ''}`],
    data: { flags },
  };
}
