// `loopkeeper profile list` / `profile enable NAME` / `profile disable NAME`. A profile is one file
// of the config directory's conf.d/: NAME.yaml is on; NAME.yaml.disabled is off (the loader reads
// only *.yaml and *.yml). Enabling and disabling rename the file — same bytes, same inode — after
// validating the config as it would be, and then reconcile like every edit.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { declarationsOf } from '../../config/edit-index';
import { isConfigName } from '../../config/files';
import { EXIT } from '../../exit-codes';
import type { CommandRun } from '../context';
import { commit, editDir, fail, profileNameProblem, type EditFlags } from '../edit-session';
import { painter, table } from '../render';
import { cliHint } from '../hint';

const DISABLED = '.disabled';

interface Profile {
  name: string;
  file: string;
  enabled: boolean;
}

function profilesIn(dir: string): Profile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`cannot list ${dir}: ${(e as Error).message}`);
  }
  const out: Profile[] = [];
  for (const n of names.sort()) {
    if (isConfigName(n)) out.push({ name: n.replace(/\.ya?ml$/, ''), file: join(dir, n), enabled: true });
    else if (n.endsWith(DISABLED) && isConfigName(n.slice(0, -DISABLED.length))) {
      out.push({ name: n.slice(0, -DISABLED.length).replace(/\.ya?ml$/, ''), file: join(dir, n), enabled: false });
    }
  }
  return out;
}

export const list: CommandRun<{ json?: boolean }> = async (ctx, flags) => {
  const dir = editDir(ctx);
  if (!dir.ok) return dir.code;
  const rows = profilesIn(dir.value).map((p) => {
    let text: string | null = null;
    try {
      text = readFileSync(p.file, 'utf8');
    } catch {
      text = null;
    }
    const d = text === null ? null : declarationsOf(p.file, text);
    const aliases = d ? d.aliases.reduce((n, a) => n + a.size, 0) : 0;
    return { ...p, readable: text !== null, valid: d?.parsed ?? false, aliases, ranges: d ? d.aliases.filter((a) => a.kind === 'range').length : 0, names: d?.hosts.length ?? 0 };
  });
  if (flags.json) {
    ctx.out(JSON.stringify({ dir: dir.value, profiles: rows }, null, 2) + '\n');
    return EXIT.OK;
  }
  const paint = painter(ctx.color);
  let out = paint('bold', `Profiles in ${dir.value}`) + ` (${rows.length})\n`;
  out += rows.length
    ? table(
        rows.map((r) => [
          r.enabled ? paint('green', 'enabled') : paint('dim', 'disabled'),
          r.name,
          !r.readable ? 'cannot be read' : !r.valid ? `not a valid config file (${cliHint('validate')})` : `${r.aliases} alias(es)${r.ranges ? ` (${r.ranges} range(s))` : ''}, ${r.names} name(s)`,
        ]),
      )
    : `  none (add one: ${cliHint('hosts add --profile NAME …')})\n`;
  ctx.out(out);
  return EXIT.OK;
};

async function toggle(ctx: Parameters<CommandRun>[0], flags: EditFlags, args: string[], enable: boolean): Promise<number> {
  const name = args[0];
  if (name === undefined) return fail(ctx, `usage: loopkeeper profile ${enable ? 'enable' : 'disable'} NAME`).code;
  const problem = profileNameProblem(name);
  if (problem) return fail(ctx, problem).code;
  const dir = editDir(ctx);
  if (!dir.ok) return dir.code;
  const all = profilesIn(dir.value);
  const mine = all.filter((p) => p.name === name);
  const on = mine.filter((p) => p.enabled);
  const off = mine.filter((p) => !p.enabled);
  if (mine.length === 0) {
    const known = [...new Set(all.map((p) => p.name))];
    return fail(ctx, `no profile ${name} in ${dir.value} (${known.length ? `profiles: ${known.join(', ')}` : 'it has none'})`).code;
  }
  if (mine.length > 1) return fail(ctx, `profile ${name} is more than one file (${mine.map((p) => p.file).join(', ')}); keep one`).code;
  const p = mine[0]!;
  if ((enable && on.length === 1) || (!enable && off.length === 1)) {
    return commit(ctx, { changes: [], notes: [`profile ${name} is already ${enable ? 'enabled' : 'disabled'} (${p.file})`] }, flags);
  }
  let text: string;
  try {
    text = readFileSync(p.file, 'utf8');
  } catch (e) {
    return fail(ctx, `cannot read ${p.file}: ${(e as Error).message}`, EXIT.FAILURE).code;
  }
  const to = enable ? p.file.slice(0, -DISABLED.length) : p.file + DISABLED;
  return commit(ctx, { changes: [{ kind: 'rename', from: p.file, to, text }], notes: [] }, flags);
}

export const enable: CommandRun<EditFlags> = (ctx, flags, args) => toggle(ctx, flags, args, true);
export const disable: CommandRun<EditFlags> = (ctx, flags, args) => toggle(ctx, flags, args, false);
