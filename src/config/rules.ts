// The meaning of the config, checked across all files in order: settings merge first (the alias
// rules need `allowAliasRanges`), then aliases and hosts. Each rule reads the YAML nodes directly so
// that every problem points at the value that causes it. Values of the wrong type are skipped here:
// shape.ts has already reported them.
import { isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import { validate as validateCron, validateDetailed } from 'node-cron';
import { DEFAULT_SETTINGS, type DesiredHost, type Diagnostic, type Settings } from '../model';
import { formatCidr, formatIp, isAlwaysPresent, parseCidr, type Cidr, type ParsedIp } from '../net/ip';
import {
  allowedAliasCidrs,
  checkAddress,
  checkRange,
  describeAllowed,
  expandRange,
  firstDisallowed,
  isInside,
  rangeSize,
} from './addresses';
import { deref, diagnostic, findPair, keyText, nodePos, shownKey, type ConfigDocument, type Position } from './document';
import { hostNameProblem } from './names';
import { MAX_RANGE_SIZE, MAX_TOTAL_ALIASES } from './schema';

export interface RulesResult {
  aliases: string[];
  hosts: DesiredHost[];
  settings: Settings;
  diagnostics: Diagnostic[];
}

interface Place {
  file: string;
  pos: Position;
}

interface HostRecord {
  host: DesiredHost;
  place: Place;
  /** Where each address was written (same order as host.addresses). */
  addressPlaces: Place[];
}

const fmtCount = (n: bigint | number): string => n.toLocaleString('en-US');
const where = (p: Place): string => `${p.file}:${p.pos.line}:${p.pos.col}`;

export function applyRules(docs: readonly ConfigDocument[]): RulesResult {
  const diagnostics: Diagnostic[] = [];
  for (const cd of docs) diagnostics.push(...duplicateKeys(cd));
  const settings = mergeSettings(docs, diagnostics);
  const cidrs = allowedAliasCidrs(settings.allowAliasRanges);
  const aliases = collectAliases(docs, settings, cidrs, diagnostics);
  const hosts = collectHosts(docs, diagnostics);

  const aliasSet = new Set(aliases);
  for (const record of hosts) {
    const { host, place } = record;
    if (host.name.endsWith('.local') && !host.addresses.some((a) => a.includes(':'))) {
      diagnostics.push(
        diagnostic(
          place.file,
          place.pos,
          'warning',
          `host \`${host.name}\` ends in .local: macOS asks mDNS (Bonjour) first, so lookups take 5 seconds unless the name also has an IPv6 entry; add one (e.g. fd00::2) or use another suffix such as .test`,
        ),
      );
    }
    host.addresses.forEach((address, i) => {
      if (isAlwaysPresent(address) || aliasSet.has(address)) return;
      const ip = checkAddress(address);
      if (!ip.ok || !isInside(ip.value, cidrs)) return;
      if (settings.aliasesFromHosts) {
        aliases.push(address);
        aliasSet.add(address);
        return;
      }
      const at = record.addressPlaces[i]!;
      diagnostics.push(
        diagnostic(
          at.file,
          at.pos,
          'warning',
          `host \`${host.name}\` maps to ${address}, which is not a desired alias while settings.aliasesFromHosts is false: nothing may answer there (on macOS only 127.0.0.1 exists on lo0); add it under aliases`,
        ),
      );
    });
  }
  return { aliases, hosts: hosts.map((r) => r.host), settings, diagnostics };
}

// ---- helpers over YAML nodes ----

function valueOf(cd: ConfigDocument, map: YAMLMap, key: string): Node | null {
  const pair = findPair(map, key);
  return pair ? deref(cd.doc, pair.value) : null;
}

function stringScalar(cd: ConfigDocument, node: unknown): { text: string; node: Node } | null {
  const n = deref(cd.doc, node);
  return isScalar(n) && typeof n.value === 'string' ? { text: n.value, node: n } : null;
}

function placeOf(cd: ConfigDocument, node: Node | null | undefined): Place {
  return { file: cd.file, pos: nodePos(cd.lineCounter, node) };
}

// ---- duplicate keys (hosts are handled by collectHosts, case-insensitively) ----

function duplicateKeys(cd: ConfigDocument): Diagnostic[] {
  const maps: YAMLMap[] = [cd.root];
  const settings = valueOf(cd, cd.root, 'settings');
  if (isMap(settings)) maps.push(settings);
  const aliases = valueOf(cd, cd.root, 'aliases');
  if (isSeq(aliases)) for (const item of aliases.items) if (isMap(item)) maps.push(item);
  const out: Diagnostic[] = [];
  for (const map of maps) {
    const seen = new Map<string, Pair<unknown, unknown>>();
    for (const pair of map.items) {
      const key = keyText(pair.key);
      const first = seen.get(key);
      if (first) {
        const firstPos = nodePos(cd.lineCounter, first.key as Node);
        out.push(
          diagnostic(cd.file, nodePos(cd.lineCounter, pair.key as Node), 'error', `duplicate key \`${shownKey(key)}\` (first at line ${firstPos.line}, column ${firstPos.col}); keep one`),
        );
      } else {
        seen.set(key, pair);
      }
    }
  }
  return out;
}

// ---- settings ----

function mergeSettings(docs: readonly ConfigDocument[], out: Diagnostic[]): Settings {
  const settings: Settings = { ...DEFAULT_SETTINGS, allowAliasRanges: [] };
  const ranges = new Set<string>();
  for (const cd of docs) {
    const node = valueOf(cd, cd.root, 'settings');
    if (!isMap(node)) continue;
    const schedule = stringScalar(cd, findPair(node, 'schedule')?.value);
    if (schedule) {
      const problem = cronProblem(schedule.text);
      if (problem) out.push(diagnostic(cd.file, nodePos(cd.lineCounter, schedule.node), 'error', problem));
      else settings.schedule = schedule.text;
    }
    for (const key of ['prune', 'aliasesFromHosts'] as const) {
      const v = valueOf(cd, node, key);
      if (isScalar(v) && typeof v.value === 'boolean') settings[key] = v.value;
    }
    const list = valueOf(cd, node, 'allowAliasRanges');
    if (!isSeq(list)) continue;
    for (const item of list.items) {
      const s = stringScalar(cd, item);
      if (!s) continue;
      const cidr = s.text.includes('/') ? parseCidr(s.text.trim()) : null;
      const at = placeOf(cd, s.node);
      if (!cidr || !checkAddress(s.text.trim().slice(0, s.text.trim().indexOf('/'))).ok) {
        out.push(
          diagnostic(at.file, at.pos, 'error', `settings.allowAliasRanges: \`${s.text}\` is not a CIDR block (write ADDRESS/PREFIX, e.g. 10.99.0.0/24 or fd12:3456::/64)`),
        );
        continue;
      }
      const canonical = formatCidr(cidr);
      if (!sameCidrText(s.text.trim(), cidr)) {
        out.push(diagnostic(at.file, at.pos, 'warning', `settings.allowAliasRanges: \`${s.text}\` has host bits set; it means ${canonical}`));
      }
      ranges.add(canonical);
    }
  }
  settings.allowAliasRanges = [...ranges];
  return settings;
}

function sameCidrText(text: string, cidr: Cidr): boolean {
  const ip = checkAddress(text.slice(0, text.indexOf('/')));
  return ip.ok && ip.value.value === cidr.base;
}

function cronProblem(expr: string): string | null {
  if (validateCron(expr)) return null;
  let detail = '';
  try {
    const d = validateDetailed(expr);
    detail = d.errors.map((e) => e.message).join('; ');
  } catch {
    detail = '';
  }
  return `settings.schedule \`${expr}\` is not a valid cron expression${detail ? ` (${detail})` : ''}; write 5 fields "minute hour day-of-month month day-of-week", e.g. "*/5 * * * *"`;
}

// ---- aliases ----

function collectAliases(docs: readonly ConfigDocument[], settings: Settings, cidrs: Cidr[], out: Diagnostic[]): string[] {
  const aliases: string[] = [];
  const seen = new Set<string>();
  let total = 0;
  let overTotal = false;
  const add = (address: string): void => {
    if (isAlwaysPresent(address) || seen.has(address)) return;
    seen.add(address);
    aliases.push(address);
  };
  const allowedText = describeAllowed(settings.allowAliasRanges);
  const outside = (ip: ParsedIp, what: string): string => {
    const block = `${formatIp(ip)}/${ip.family === 4 ? 32 : 128}`;
    return `${what} is outside the ranges aliases may use (allowed: ${allowedText}); to allow it, add a block that contains it (e.g. ${block}) to settings.allowAliasRanges`;
  };

  for (const cd of docs) {
    const list = valueOf(cd, cd.root, 'aliases');
    if (!isSeq(list)) continue;
    for (const raw of list.items) {
      const item = deref(cd.doc, raw);
      const at = placeOf(cd, raw as Node);
      const plain = stringScalar(cd, item);
      if (plain) {
        const ip = checkAddress(plain.text);
        if (!ip.ok) {
          out.push(diagnostic(at.file, at.pos, 'error', `alias ${ip.message}`));
          continue;
        }
        const canonical = formatIp(ip.value);
        if (isAlwaysPresent(canonical)) continue;
        if (!isInside(ip.value, cidrs)) {
          out.push(diagnostic(at.file, at.pos, 'error', outside(ip.value, `alias ${plain.text}`)));
          continue;
        }
        if (total + 1 > MAX_TOTAL_ALIASES) {
          if (!overTotal) out.push(diagnostic(at.file, at.pos, 'error', tooMany(`alias ${plain.text}`)));
          overTotal = true;
          continue;
        }
        total++;
        add(canonical);
        continue;
      }
      if (!isMap(item)) continue;
      const range = stringScalar(cd, findPair(item, 'range')?.value);
      if (!range) continue;
      const rat = placeOf(cd, range.node);
      const parsed = checkRange(range.text);
      if (!parsed.ok) {
        out.push(diagnostic(rat.file, rat.pos, 'error', parsed.message));
        continue;
      }
      const r = parsed.value.range;
      const size = rangeSize(r);
      if (size > BigInt(MAX_RANGE_SIZE)) {
        out.push(
          diagnostic(
            rat.file,
            rat.pos,
            'error',
            `range \`${range.text}\` expands to ${fmtCount(size)} addresses; the limit is ${fmtCount(MAX_RANGE_SIZE)} per range (use a smaller block or split it)`,
          ),
        );
        continue;
      }
      const bad = firstDisallowed(r, cidrs);
      if (bad) {
        out.push(diagnostic(rat.file, rat.pos, 'error', outside(bad, `range \`${range.text}\` includes ${formatIp(bad)}, which`)));
        continue;
      }
      if (parsed.value.normalizedCidr) {
        out.push(diagnostic(rat.file, rat.pos, 'warning', `range \`${range.text}\` has host bits set; it means ${parsed.value.normalizedCidr}`));
      }
      if (total + Number(size) > MAX_TOTAL_ALIASES) {
        if (!overTotal) out.push(diagnostic(rat.file, rat.pos, 'error', tooMany(`range \`${range.text}\``)));
        overTotal = true;
        continue;
      }
      total += Number(size);
      for (const address of expandRange(r)) add(address);
    }
  }
  return aliases;
}

function tooMany(what: string): string {
  return `aliases expand to more than ${fmtCount(MAX_TOTAL_ALIASES)} addresses in total with ${what}; that is the limit for one config`;
}

// ---- hosts ----

function collectHosts(docs: readonly ConfigDocument[], out: Diagnostic[]): HostRecord[] {
  const byName = new Map<string, HostRecord>();
  const records: HostRecord[] = [];
  for (const cd of docs) {
    const map = valueOf(cd, cd.root, 'hosts');
    if (!isMap(map)) continue;
    for (const pair of map.items) {
      const keyNode = pair.key as Node;
      const place = placeOf(cd, keyNode);
      const written = keyText(pair.key);
      let valid = true;
      if (!isScalar(pair.key)) {
        out.push(diagnostic(place.file, place.pos, 'error', `a host name must be a plain name such as api.myteam.test, not a YAML ${isSeq(pair.key) ? 'list' : 'mapping'}`));
        valid = false;
      } else {
        const problem = hostNameProblem(written);
        if (problem) {
          out.push(diagnostic(place.file, place.pos, 'error', `host name ${JSON.stringify(written)} ${problem}`));
          valid = false;
        }
      }
      const name = written.toLowerCase();
      const addresses = hostAddresses(cd, name, pair.value, out);
      if (!valid || !addresses) continue;

      const previous = byName.get(name);
      if (previous) {
        if (previous.place.file === cd.file) {
          out.push(
            diagnostic(place.file, place.pos, 'error', `host \`${name}\` is declared twice in this file (first at ${where(previous.place)}; names are case-insensitive); keep one`),
          );
        } else if (previous.host.addresses.join(' ') !== addresses.list.join(' ')) {
          out.push(
            diagnostic(
              place.file,
              place.pos,
              'error',
              `host \`${name}\` maps to ${addresses.list.join(', ')} here but to ${previous.host.addresses.join(', ')} at ${where(previous.place)}; a name must map to the same addresses in every file`,
            ),
          );
        }
        continue;
      }
      const record: HostRecord = { host: { name, addresses: addresses.list }, place, addressPlaces: addresses.places };
      byName.set(name, record);
      records.push(record);
    }
  }
  return records;
}

/** The canonical addresses of one host, de-duplicated, or null when one of them is invalid. */
function hostAddresses(cd: ConfigDocument, name: string, value: unknown, out: Diagnostic[]): { list: string[]; places: Place[] } | null {
  const node = deref(cd.doc, value);
  const items: unknown[] = isSeq(node) ? node.items : [value];
  const list: string[] = [];
  const places: Place[] = [];
  let ok = true;
  for (const item of items) {
    const s = stringScalar(cd, item);
    if (!s) {
      ok = false; // wrong type: shape.ts reported it
      continue;
    }
    const at = placeOf(cd, item as Node);
    const ip = checkAddress(s.text);
    if (!ip.ok) {
      out.push(diagnostic(at.file, at.pos, 'error', `host \`${name}\`: ${ip.message}`));
      ok = false;
      continue;
    }
    const canonical = formatIp(ip.value);
    if (list.includes(canonical)) {
      out.push(diagnostic(at.file, at.pos, 'warning', `host \`${name}\` lists ${canonical} twice; the second is ignored`));
      continue;
    }
    list.push(canonical);
    places.push(at);
  }
  return ok && list.length > 0 ? { list, places } : null;
}
