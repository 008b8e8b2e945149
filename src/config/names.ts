// Host name syntax (RFC 1123 §2.1 / RFC 952): what may go into the hosts file as a name. Anything
// else would be mis-parsed by the resolver (whitespace and `#` split or end a hosts line) or never
// match a lookup (non-ASCII; resolvers look up the xn-- form).
import { isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';

export const MAX_NAME_LENGTH = 253;
export const MAX_LABEL_LENGTH = 63;

const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;

/** Returns null for a valid name, or why it is not one (the name is quoted by the caller). */
export function hostNameProblem(name: string): string | null {
  if (name.length === 0) return 'is empty';
  const address = addressReading(name);
  if (address !== null) {
    return (
      `is itself an ${address.family} address${address.reads === name ? '' : ` (the C library reads it as ${address.reads})`}, ` +
      'so the resolver never looks it up in the hosts file; use a name such as db.myteam.test and map it to the address'
    );
  }
  // gethostbyname() (getent hosts, older programs) takes any name of only digits and dots for an
  // address, valid or not, and never looks it up either (measured with glibc: `1.2.3.4.5`, `08.1`).
  if (/^[0-9.]+$/.test(name)) {
    return 'has only digits and dots, so resolvers take it for an address and never look it up in the hosts file; use a name with a letter in it, such as db.myteam.test';
  }
  const bad = /[^\x21-\x7e]|#/.exec(name);
  if (bad) return describeBadChar(name, bad[0]);
  if (name.length > MAX_NAME_LENGTH) return `is ${name.length} characters long; the limit is ${MAX_NAME_LENGTH}`;
  const labels = name.split('.');
  for (const label of labels) {
    if (label.length === 0) {
      return name.endsWith('.') && labels.length > 1
        ? 'ends with a dot; write it without the trailing dot'
        : 'has an empty label (a leading or doubled dot)';
    }
    if (label.length > MAX_LABEL_LENGTH) {
      return `has a label of ${label.length} characters (\`${label.slice(0, 12)}…\`); the limit per label is ${MAX_LABEL_LENGTH}`;
    }
    if (label.startsWith('-') || label.endsWith('-')) return `has a label that starts or ends with a hyphen (\`${label}\`)`;
    if (!LABEL.test(label)) {
      const c = /[^a-z0-9-]/i.exec(label)![0];
      return `contains \`${c}\`; a name may contain only letters, digits, hyphens and dots`;
    }
  }
  return null;
}

function describeBadChar(name: string, c: string): string {
  const code = c.codePointAt(0)!;
  if (code > 0x7e && code !== 0x7f) {
    const ascii = safeToAscii(name);
    const hint = ascii ? ` (here: ${ascii})` : '';
    return `contains non-ASCII characters; write an internationalised name in its xn-- (punycode) form${hint}`;
  }
  if (c === '#') return 'contains `#`, which starts a comment in the hosts file';
  if (c === ' ' || c === '\t') return 'contains whitespace, which separates names in the hosts file';
  return `contains the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

function safeToAscii(name: string): string | null {
  try {
    const ascii = domainToASCII(name);
    return ascii && hostNameProblem(ascii) === null ? ascii.toLowerCase() : null;
  } catch {
    return null;
  }
}

/**
 * How the C library reads `name` if it reads it as an address, else null. getaddrinfo() tries
 * inet_aton() on the whole name before any lookup (glibc's __inet_aton_exact): one to four parts
 * split by dots, each decimal, octal (leading 0) or hex (0x), the last filling the remaining
 * bytes — so `1.2.3.4`, but also `127.1`, `2130706433` and `0x7f.1`, are addresses and never
 * looked up in the file. IPv6 is inet_pton's syntax (with an optional %zone).
 */
export function addressReading(name: string): { family: 'IPv4' | 'IPv6'; reads: string } | null {
  if (name.includes(':')) {
    const bare = name.split('%')[0]!;
    return isIPv6(bare) ? { family: 'IPv6', reads: name } : null;
  }
  const parts = name.split('.');
  if (parts.length > 4) return null;
  const values: bigint[] = [];
  for (const part of parts) {
    let value: bigint;
    if (/^0[xX][0-9a-fA-F]+$/.test(part)) value = BigInt(`0x${part.slice(2)}`);
    else if (/^0[0-7]*$/.test(part)) value = part.length === 1 ? 0n : BigInt(`0o${part.slice(1)}`);
    else if (/^[1-9][0-9]*$/.test(part)) value = BigInt(part);
    else return null;
    values.push(value);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 255n)) return null;
  const lastBits = BigInt(8 * (4 - values.length));
  if (last >= 1n << lastBits) return null;
  let n = last;
  values.forEach((v, i) => (n |= v << BigInt(8 * (3 - i))));
  const reads = [24n, 16n, 8n, 0n].map((shift) => String((n >> shift) & 255n)).join('.');
  return { family: 'IPv4', reads };
}
