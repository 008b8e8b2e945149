// A minimal, strict XML reader for property lists, enough to prove a plist is well-formed and to
// read it as data: elements, text, comments, the XML declaration and the DOCTYPE. Anything else
// (mismatched tags, stray '<', unknown entities) throws.
export type PlistValue = string | boolean | number | PlistValue[] | { [k: string]: PlistValue };

interface Node {
  name: string;
  children: Node[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&([a-z]+);|&/g, (whole, name: string | undefined) => {
    if (name === undefined || !(name in ENTITIES)) throw new Error(`bad entity near ${JSON.stringify(whole)}`);
    return ENTITIES[name]!;
  });
}

export function parseXml(xml: string): Node {
  let i = 0;
  const root: Node = { name: '#root', children: [], text: '' };
  const stack: Node[] = [root];
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt === -1 ? xml.length : lt);
    if (text.includes('>')) throw new Error(`stray '>' at ${i}`);
    stack[stack.length - 1]!.text += decode(text);
    if (lt === -1) break;
    if (xml.startsWith('<?xml', lt)) {
      if (lt !== 0) throw new Error('XML declaration not at the start');
      i = xml.indexOf('?>', lt) + 2;
    } else if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt + 4);
      if (end === -1) throw new Error('unterminated comment');
      if (xml.slice(lt + 4, end).includes('--')) throw new Error('"--" inside a comment');
      i = end + 3;
    } else if (xml.startsWith('<!DOCTYPE', lt)) {
      i = xml.indexOf('>', lt) + 1;
    } else {
      const gt = xml.indexOf('>', lt);
      if (gt === -1) throw new Error('unterminated tag');
      const tag = xml.slice(lt + 1, gt);
      const close = /^\/([A-Za-z]+)$/.exec(tag);
      const open = /^([A-Za-z]+)((?:\s+[a-z]+="[^"<&]*")*)\s*(\/?)$/.exec(tag);
      if (close) {
        const top = stack.pop();
        if (!top || top.name !== close[1]) throw new Error(`</${close[1]}> closes <${top?.name}>`);
      } else if (open) {
        const node: Node = { name: open[1]!, children: [], text: '' };
        stack[stack.length - 1]!.children.push(node);
        if (open[3] !== '/') stack.push(node);
      } else {
        throw new Error(`bad tag <${tag}>`);
      }
      i = gt + 1;
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root.text.trim() !== '') throw new Error('text outside the root element');
  return root;
}

function value(n: Node): PlistValue {
  switch (n.name) {
    case 'string':
      return n.text;
    case 'true':
      return true;
    case 'false':
      return false;
    case 'integer':
      return Number(n.text);
    case 'array':
      return n.children.map(value);
    case 'dict': {
      const out: { [k: string]: PlistValue } = {};
      for (let j = 0; j < n.children.length; j += 2) {
        const k = n.children[j]!;
        const v = n.children[j + 1];
        if (k.name !== 'key' || v === undefined) throw new Error('a dict must alternate <key> and a value');
        if (k.text in out) throw new Error(`duplicate key ${k.text}`);
        out[k.text] = value(v);
      }
      return out;
    }
    default:
      throw new Error(`unknown plist element <${n.name}>`);
  }
}

/** Parses a whole plist document to data. */
export function parsePlist(xml: string): PlistValue {
  const root = parseXml(xml);
  const [plist, ...more] = root.children;
  if (!plist || more.length > 0 || plist.name !== 'plist' || plist.children.length !== 1) throw new Error('expected one <plist> with one value');
  return value(plist.children[0]!);
}
