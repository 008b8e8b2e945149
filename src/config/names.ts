// Host name syntax (RFC 1123 §2.1 / RFC 952): what may go into the hosts file as a name. Anything
// else would be mis-parsed by the resolver (whitespace and `#` split or end a hosts line) or never
// match a lookup (non-ASCII; resolvers look up the xn-- form).
import { domainToASCII } from 'node:url';

export const MAX_NAME_LENGTH = 253;
export const MAX_LABEL_LENGTH = 63;

const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;

/** Returns null for a valid name, or why it is not one (the name is quoted by the caller). */
export function hostNameProblem(name: string): string | null {
  if (name.length === 0) return 'is empty';
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
