// `loopkeeper hosts add NAME ADDR…` / `hosts remove NAME…` / `hosts list [--all]`: host names in
// the desired state. Edits go to one file (--file, --profile, else conf.d/local.yaml) and are
// validated with every other file before anything is written; see ../edit-session.ts.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkAddress } from '../../config/addresses';
import { setHost, removeHost } from '../../config/edit';
import { placeText, type HostDeclaration } from '../../config/edit-index';
import { EXIT } from '../../exit-codes';
import { unmanagedEntries, type UnmanagedEntry } from '../../hosts/unmanaged';
import type { HostEntry } from '../../model';
import { formatIp } from '../../net/ip';
import type { CommandRun } from '../context';
import { chooseTarget, commit, currentDeclarations, fail, removalFile, type EditFlags, type FileChange } from '../edit-session';
import { loadForCommand } from '../load-config';
import { painter, table } from '../render';
import { cliHint, quoteWord } from '../hint';

/** A valid address in its canonical form; anything else as typed (validation reports it at its line). */
function canonicalOrAsTyped(text: string): string {
  const ip = checkAddress(text);
  return ip.ok ? formatIp(ip.value) : text;
}

export const add: CommandRun<EditFlags> = async (ctx, flags, args) => {
  const [rawName, ...rawAddresses] = args;
  if (rawName === undefined || rawAddresses.length === 0) return fail(ctx, 'usage: loopkeeper hosts add NAME ADDR…').code;
  const name = rawName.toLowerCase();
  const addresses = [...new Set(rawAddresses.map(canonicalOrAsTyped))];
  const target = await chooseTarget(ctx, flags);
  if (!target.ok) return target.code;
  const { path, text, exists } = target.value;

  const declared = (await currentDeclarations(ctx)).flatMap((f) => f.hosts.filter((h) => h.name === name));
  const sameAddresses = (h: HostDeclaration): boolean => h.addresses.map(canonicalOrAsTyped).join(' ') === addresses.join(' ');
  const inTarget = declared.filter((h) => resolve(h.file) === path);
  const elsewhere = declared.filter((h) => resolve(h.file) !== path);
  // Already as asked: in this file, or (when this file does not mention it) in another one.
  const satisfied = inTarget.length > 0 ? inTarget.every(sameAddresses) : elsewhere.some(sameAddresses);
  if (satisfied) {
    const where = (inTarget.length > 0 ? inTarget : elsewhere.filter(sameAddresses)).map(placeText).join(', ');
    return commit(ctx, { changes: [], notes: [`${name} is already declared with ${addresses.join(', ')} at ${where}; nothing to write`] }, flags);
  }
  const edited = setHost(text, name, addresses);
  if (!edited.ok) return fail(ctx, `cannot edit ${path}: ${edited.message}`, EXIT.FAILURE).code;
  const changes: FileChange[] = edited.changed ? [{ kind: 'write', path, before: exists ? text : null, after: edited.text }] : [];
  const code = await commit(ctx, { changes, notes: [] }, flags);
  if (code === EXIT.USAGE && elsewhere.length > 0) {
    // The usual cause: the name maps elsewhere in another file. Say how to change it there.
    ctx.err(`hint: ${name} is declared at ${elsewhere.map(placeText).join(', ')}; to change it there: ${cliHint(['hosts', 'add', '--file', elsewhere[0]!.file, name, ...addresses].map(quoteWord).join(' '))}\n`);
  }
  return code;
};

export const remove: CommandRun<EditFlags> = async (ctx, flags, args) => {
  if (args.length === 0) return fail(ctx, 'usage: loopkeeper hosts remove NAME…').code;
  if (flags.profile !== undefined) return fail(ctx, 'hosts remove takes the name out of whichever file declares it; use --file PATH to pick one').code;
  const only = flags.file === undefined ? null : resolve(flags.file);
  const decls = (await currentDeclarations(ctx)).filter((f) => only === null || resolve(f.file) === only);
  const byFile = new Map<string, string[]>();
  const refusals: string[] = [];
  for (const raw of new Set(args.map((a) => a.toLowerCase()))) {
    const places = decls.flatMap((f) => f.hosts.filter((h) => h.name === raw));
    const chosen = removalFile(ctx, raw, places, flags);
    if (!chosen.ok) refusals.push(chosen.message);
    else byFile.set(chosen.file, [...(byFile.get(chosen.file) ?? []), raw]);
  }
  if (refusals.length > 0) {
    for (const r of refusals) ctx.err(`loopkeeper: ${r}\n`);
    ctx.err('loopkeeper: nothing was written\n');
    return EXIT.USAGE;
  }
  const changes: FileChange[] = [];
  for (const [file, names] of byFile) {
    const before = readFileSync(file, 'utf8');
    let text = before;
    for (const name of names) {
      const edited = removeHost(text, name);
      if (!edited.ok) return fail(ctx, `cannot edit ${file}: ${edited.message}; nothing was written`, EXIT.FAILURE).code;
      text = edited.text;
    }
    if (text !== before) changes.push({ kind: 'write', path: file, before, after: text });
  }
  return commit(ctx, { changes, notes: [] }, flags);
};

export interface ListFlags {
  all?: boolean;
  json?: boolean;
}

export const list: CommandRun<ListFlags> = async (ctx, flags) => {
  const json = Boolean(flags.json);
  const loaded = await loadForCommand(ctx, json);
  if (!loaded.ok) return loaded.exitCode;
  const { createReconciler } = require('../../reconcile/reconciler') as typeof import('../../reconcile/reconciler');
  const plan = await createReconciler(ctx.runtime).reconcile(loaded.desired, { trigger: 'cli', dryRun: true });
  const decls = (await currentDeclarations(ctx)).flatMap((f) => f.hosts);
  const rows = plan.hosts.map((h) => ({ ...h, declaredAt: decls.filter((d) => d.name === h.name) }));
  let unmanaged: UnmanagedEntry[] | null = null;
  if (flags.all) {
    try {
      unmanaged = unmanagedEntries(readFileSync(ctx.runtime.hostsFile));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      unmanaged = code === 'ENOENT' ? [] : null;
      if (unmanaged === null) return fail(ctx, `cannot read ${ctx.runtime.hostsFile}: ${code === 'EACCES' ? 'permission denied' : (e as Error).message}`, EXIT.FAILURE).code;
    }
  }
  if (json) {
    const hosts = rows.map((r) => ({ name: r.name, addresses: r.addresses, state: r.state, detail: r.detail, declaredAt: r.declaredAt.map(placeOf) }));
    const doc: Record<string, unknown> = { hostsFile: ctx.runtime.hostsFile, hosts };
    if (unmanaged) doc.unmanaged = unmanaged.map((u) => ({ ...u, managed: false }));
    ctx.out(JSON.stringify(doc, null, 2) + '\n');
  } else {
    ctx.out(renderHostList(rows, unmanaged, ctx.runtime.hostsFile, ctx.color));
  }
  return plan.result === 'error' ? EXIT.FAILURE : EXIT.OK;
};

function placeOf(d: HostDeclaration): { file: string; line: number; col: number } {
  return { file: d.file, line: d.line, col: d.col };
}

function renderHostList(rows: Array<HostEntry & { declaredAt: HostDeclaration[] }>, unmanaged: UnmanagedEntry[] | null, hostsFile: string, color: boolean): string {
  const paint = painter(color);
  let out = paint('bold', `Hosts in the desired state`) + ` (${rows.length}), live in ${hostsFile}\n`;
  out += rows.length
    ? table(
        rows.map((r) => [
          r.state === 'present' ? paint('green', r.state) : paint(r.state === 'shadowed' ? 'red' : 'yellow', r.state),
          r.name,
          r.addresses.join(' '),
          r.declaredAt.map((d) => `${d.file}:${d.line}`).join(', '),
          r.state === 'present' ? '' : r.detail,
        ]),
      )
    : '  none declared\n';
  if (unmanaged) {
    out += paint('bold', `Not managed by loopkeeper`) + ` (${unmanaged.length} line(s) of ${hostsFile} outside its block)\n`;
    out += unmanaged.length
      ? table(unmanaged.map((u) => [paint('dim', 'not managed'), `line ${u.line}`, u.address, u.names.join(' '), u.section ? `(${u.section})` : '(hand-written)']))
      : '  none\n';
  }
  return out;
}
