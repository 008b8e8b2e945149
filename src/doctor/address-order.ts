// Whether an address order that differs from the declared one is only the resolver's sorting.
// getaddrinfo merges every matching hosts line and sorts the answers (RFC 6724 destination
// address selection; glibc still ships RFC 3484's default precedences unless /etc/gai.conf says
// otherwise), so `web: [127.0.0.3, fd00::2]` comes back as fd00::2 first on glibc: the config is
// fine, the resolver reorders it. This models the rules that decide between loopback and ULA
// addresses without knowing the source addresses: precedence (rule 6), then smaller scope (rule 8),
// ties kept in declared order (rule 10, a stable sort).
import { parseCidr, parseIp, cidrContains, type Cidr, type ParsedIp } from '../net/ip';

export type SortPolicy = 'glibc' | 'rfc6724';

type Table = ReadonlyArray<readonly [Cidr, number]>;

function table(entries: ReadonlyArray<readonly [string, number]>): Table {
  return entries.map(([cidr, precedence]) => [parseCidr(cidr)!, precedence] as const);
}

/** RFC 6724 §2.1, the default policy table. */
const RFC6724: Table = table([
  ['::1/128', 50],
  ['::/0', 40],
  ['::ffff:0:0/96', 35],
  ['2002::/16', 30],
  ['2001::/32', 5],
  ['fc00::/7', 3],
  ['::/96', 1],
  ['fec0::/10', 1],
  ['3ffe::/16', 1],
]);

/** glibc's default_precedence (sysdeps/posix/getaddrinfo.c, RFC 3484), used without /etc/gai.conf. */
const GLIBC: Table = table([
  ['::1/128', 50],
  ['2002::/16', 30],
  ['::/96', 20],
  ['::ffff:0:0/96', 10],
  ['::/0', 40],
]);

const TABLES: Record<SortPolicy, Table> = { glibc: GLIBC, rfc6724: RFC6724 };

/** The address as IPv6 (IPv4 as ::ffff:a.b.c.d), as the policy table sees it. */
function asV6(ip: ParsedIp): ParsedIp {
  return ip.family === 6 ? ip : { family: 6, value: (0xffffn << 32n) | ip.value };
}

export function precedence(ip: ParsedIp, policy: SortPolicy): number {
  const v6 = asV6(ip);
  let best: readonly [Cidr, number] | null = null;
  for (const entry of TABLES[policy]) {
    if (cidrContains(entry[0], v6) && (best === null || entry[0].prefix > best[0].prefix)) best = entry;
  }
  return best?.[1] ?? 40;
}

/** RFC 6724 §3.1: 127/8, 169.254/16, ::1 and fe80::/10 are link-local (2); fec0::/10 site-local (5); the rest global (14). */
export function scope(ip: ParsedIp): number {
  if (ip.family === 4) {
    const top = ip.value >> 24n;
    return top === 127n || ip.value >> 16n === 0xa9fen ? 2 : 14;
  }
  if (ip.value === 1n || ip.value >> 118n === 0x3fan) return 2;
  if (ip.value >> 118n === 0x3fbn) return 5;
  if (ip.value >> 120n === 0xffn) return Number((ip.value >> 112n) & 0xfn); // multicast carries its scope
  return 14;
}

/** `addresses` in the order the policy's resolver returns them (unparsable ones keep their place at the end). */
export function resolverOrder(addresses: readonly string[], policy: SortPolicy): string[] {
  const keyed = addresses.map((a, i) => ({ a, i, ip: parseIp(a) }));
  return keyed
    .sort((x, y) => {
      if (!x.ip || !y.ip) return (x.ip ? 0 : 1) - (y.ip ? 0 : 1) || x.i - y.i;
      return precedence(y.ip, policy) - precedence(x.ip, policy) || scope(x.ip) - scope(y.ip) || x.i - y.i;
    })
    .map((k) => k.a);
}

/**
 * The policy whose sorting turns `declared` into `resolved` (same addresses, another order), or
 * null when sorting does not explain it.
 */
export function explainOrder(declared: readonly string[], resolved: readonly string[]): SortPolicy | null {
  if (declared.length !== resolved.length) return null;
  for (const policy of ['glibc', 'rfc6724'] as const) {
    const sorted = resolverOrder(declared, policy);
    if (sorted.every((a, i) => a === resolved[i])) return policy;
  }
  return null;
}
