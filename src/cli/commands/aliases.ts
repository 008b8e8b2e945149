// `loopkeeper aliases add ADDR|RANGE…` / `aliases remove ADDR|RANGE…` / `aliases list`: loopback
// aliases in the desired state. A RANGE is FIRST-LAST or a CIDR block and is written as a
// `range:` entry. Edits go through ../edit-session.ts like the hosts commands.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkAddress, checkRange, expandRange, type AddressRange } from '../../config/addresses';
import { addAlias, removeAliases, type AliasItem } from '../../config/edit';
import { covers, placeText, sameRange, type AliasDeclaration } from '../../config/edit-index';
import { EXIT } from '../../exit-codes';
import type { AliasEntry, DesiredState } from '../../model';
import { formatIp, isAlwaysPresent } from '../../net/ip';
import type { CommandRun } from '../context';
import { chooseTarget, commit, currentDeclarations, fail, removalFile, type EditFlags, type FileChange } from '../edit-session';
import { loadForCommand } from '../load-config';
import { painter, table } from '../render';
import { cliHint, quoteWord } from '../hint';

interface Argument {
  text: string;
  item: AliasItem;
  /** The addresses it stands for; null when it is not a valid address or range. */
  range: AddressRange | null;
}

function parseArgument(raw: string): Argument {
  const text = raw.trim();
  if (/[-/]/.test(text)) {
    const r = checkRange(text);
    return { text, item: { range: text }, range: r.ok ? r.value.range : null };
  }
  const ip = checkAddress(text);
  if (!ip.ok) return { text, item: { address: text }, range: null };
  const canonical = formatIp(ip.value);
  return { text: canonical, item: { address: canonical }, range: { family: ip.value.family, first: ip.value.value, last: ip.value.value } };
}

/** Whether a config entry (plain data: a string or `{range}`) stands for exactly `range`. */
function entryIs(entry: unknown, range: AddressRange): boolean {
  if (typeof entry === 'string') {
    const ip = checkAddress(entry);
    return ip.ok && sameRange({ family: ip.value.family, first: ip.value.value, last: ip.value.value }, range);
  }
  const text = (entry as { range?: unknown } | null)?.range;
  if (typeof text !== 'string') return false;
  const r = checkRange(text);
  return r.ok && sameRange(r.value.range, range);
}

export const add: CommandRun<EditFlags> = async (ctx, flags, args) => {
  if (args.length === 0) return fail(ctx, 'usage: loopkeeper aliases add ADDR|RANGE…').code;
  const target = await chooseTarget(ctx, flags);
  if (!target.ok) return target.code;
  const { path, exists } = target.value;
  const declared = (await currentDeclarations(ctx)).flatMap((f) => f.aliases);
  const notes: string[] = [];
  let text = target.value.text;
  const seen: AddressRange[] = [];
  for (const arg of args.map(parseArgument)) {
    const r = arg.range;
    if (r) {
      // An address inside a declared range, or the same range again, is already desired.
      const already = declared.find((d) => d.range && ('range' in arg.item ? sameRange(d.range, r) : covers(d.range, r)));
      if (already) {
        notes.push(`${arg.text} is already declared at ${placeText(already)}${already.kind === 'range' && 'address' in arg.item ? ` (range ${already.text})` : ''}; nothing to add`);
        continue;
      }
      if (seen.some((s) => sameRange(s, r))) continue;
      seen.push(r);
    }
    const edited = addAlias(text, arg.item);
    if (!edited.ok) return fail(ctx, `cannot edit ${path}: ${edited.message}`, EXIT.FAILURE).code;
    text = edited.text;
  }
  const changes: FileChange[] = text !== target.value.text ? [{ kind: 'write', path, before: exists ? target.value.text : null, after: text }] : [];
  return commit(ctx, { changes, notes }, flags);
};

export const remove: CommandRun<EditFlags> = async (ctx, flags, args) => {
  if (args.length === 0) return fail(ctx, 'usage: loopkeeper aliases remove ADDR|RANGE…').code;
  if (flags.profile !== undefined) return fail(ctx, 'aliases remove takes the entry out of whichever file declares it; use --file PATH to pick one').code;
  const only = flags.file === undefined ? null : resolve(flags.file);
  const declared = (await currentDeclarations(ctx)).filter((f) => only === null || resolve(f.file) === only).flatMap((f) => f.aliases);
  const refusals: string[] = [];
  const byFile = new Map<string, AddressRange[]>();
  const removed: Argument[] = [];
  for (const arg of args.map(parseArgument)) {
    const r = arg.range;
    if (!r) {
      refusals.push(`${arg.text} is not an address or a range (FIRST-LAST or CIDR); nothing to remove`);
      continue;
    }
    const exact = declared.filter((d) => d.range && sameRange(d.range, r));
    if (exact.length === 0) {
      const inside = declared.find((d) => d.kind === 'range' && d.range && covers(d.range, r));
      if (inside) {
        refusals.push(
          `${arg.text} is part of the range ${inside.text} at ${placeText(inside)}; remove the whole range (${cliHint(`aliases remove ${quoteWord(inside.text)}`)}) or split it by hand`,
        );
        continue;
      }
    }
    const chosen = removalFile(ctx, arg.text, exact, flags);
    if (!chosen.ok) refusals.push(chosen.message);
    else {
      byFile.set(chosen.file, [...(byFile.get(chosen.file) ?? []), r]);
      removed.push(arg);
    }
  }
  if (refusals.length > 0) {
    for (const m of refusals) ctx.err(`loopkeeper: ${m}\n`);
    ctx.err('loopkeeper: nothing was written\n');
    return EXIT.USAGE;
  }
  const changes: FileChange[] = [];
  for (const [file, ranges] of byFile) {
    const before = readFileSync(file, 'utf8');
    const edited = removeAliases(before, (entry) => ranges.some((r) => entryIs(entry, r)));
    if (!edited.ok) return fail(ctx, `cannot edit ${file}: ${edited.message}; nothing was written`, EXIT.FAILURE).code;
    if (edited.changed) changes.push({ kind: 'write', path: file, before, after: edited.text });
  }
  const check = (desired: DesiredState): string[] => stillDesired(removed, desired);
  return commit(ctx, { changes, notes: [], check }, flags);
};

/** Removed entries whose addresses stay desired, and why (a host maps to them). */
function stillDesired(removed: readonly Argument[], desired: DesiredState): string[] {
  const wanted = new Set(desired.aliases);
  const notes: string[] = [];
  for (const arg of removed) {
    const kept = expandRange(arg.range!).filter((a) => wanted.has(a));
    if (kept.length === 0) continue;
    const hosts = desired.hosts.filter((h) => h.addresses.some((a) => kept.includes(a))).map((h) => h.name);
    const why = hosts.length > 0 ? `host ${hosts.join(', ')} map(s) to it (settings.aliasesFromHosts)` : 'another entry declares it';
    notes.push(`note: ${kept.length === 1 ? kept[0] : `${kept.length} addresses of ${arg.text}`} stay(s) an alias: ${why}`);
  }
  return notes;
}

export interface ListFlags {
  json?: boolean;
  verbose?: boolean;
}

interface Row {
  decl: AliasDeclaration | null;
  entry: string;
  addresses: string[];
  present: string[];
  hosts?: string[];
}

export const list: CommandRun<ListFlags> = async (ctx, flags) => {
  const json = Boolean(flags.json);
  const loaded = await loadForCommand(ctx, json);
  if (!loaded.ok) return loaded.exitCode;
  const { createReconciler } = require('../../reconcile/reconciler') as typeof import('../../reconcile/reconciler');
  const plan = await createReconciler(ctx.runtime).reconcile(loaded.desired, { trigger: 'cli', dryRun: true });
  const live = new Map<string, AliasEntry>(plan.aliases.map((a) => [a.address, a]));
  const isPresent = (a: string): boolean => isAlwaysPresent(a) || live.get(a)?.state === 'present';
  const decls = (await currentDeclarations(ctx)).flatMap((f) => f.aliases);
  const rows: Row[] = [];
  const covered = new Set<string>();
  for (const d of decls) {
    const addresses = d.range ? expandRange(d.range) : [];
    for (const a of addresses) covered.add(a);
    rows.push({ decl: d, entry: d.text, addresses, present: addresses.filter(isPresent) });
  }
  for (const a of loaded.desired.aliases) {
    if (covered.has(a)) continue;
    const hosts = loaded.desired.hosts.filter((h) => h.addresses.includes(a)).map((h) => h.name);
    rows.push({ decl: null, entry: a, addresses: [a], present: [a].filter(isPresent), hosts });
  }
  const stateOf = (r: Row): string => (r.present.length === r.addresses.length ? 'present' : r.present.length === 0 ? 'missing' : 'partial');
  if (json) {
    const aliases = rows.map((r) => ({
      entry: r.entry,
      kind: r.decl?.kind ?? 'address',
      declaredAt: r.decl ? { file: r.decl.file, line: r.decl.line, col: r.decl.col } : null,
      fromHosts: r.hosts ?? [],
      size: r.addresses.length,
      present: r.present.length,
      state: stateOf(r),
      missing: r.addresses.filter((a) => !r.present.includes(a)),
    }));
    ctx.out(JSON.stringify({ interface: ctx.runtime.interfaceName, addresses: loaded.desired.aliases.length, aliases }, null, 2) + '\n');
    return plan.result === 'error' ? EXIT.FAILURE : EXIT.OK;
  }
  const paint = painter(ctx.color);
  const paintState = (s: string): string => (s === 'present' ? paint('green', s) : paint('yellow', s));
  let out = paint('bold', 'Aliases in the desired state') + ` (${loaded.desired.aliases.length} address(es)), live on ${ctx.runtime.interfaceName}\n`;
  const lines: string[][] = [];
  for (const r of rows) {
    const where = r.decl ? `${r.decl.file}:${r.decl.line}` : `from host ${r.hosts!.join(', ')} (aliasesFromHosts)`;
    const isRange = r.decl?.kind === 'range';
    const missing = r.addresses.filter((a) => !r.present.includes(a));
    const detail = isRange && missing.length > 0 && r.present.length > 0 ? `${r.present.length} of ${r.addresses.length} present` : isAlwaysPresent(r.addresses[0] ?? '') ? 'always present' : '';
    lines.push([paintState(stateOf(r)), isRange ? `${r.entry} (${r.addresses.length})` : r.entry, where, detail]);
    if (isRange && flags.verbose) for (const a of r.addresses) lines.push(['', `  ${a}`, isPresent(a) ? 'present' : 'missing', '']);
  }
  out += lines.length ? table(lines) : '  none declared\n';
  ctx.out(out);
  return plan.result === 'error' ? EXIT.FAILURE : EXIT.OK;
};
