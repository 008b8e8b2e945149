'use strict';
// A strict reader for XML property lists, as launchd would read a LaunchDaemon: the XML
// declaration, Apple's DOCTYPE, comments, one <plist version="1.0"> holding one value, and the
// value types of plist(5). Anything else (mismatched tags, stray text or '<', unknown entities or
// elements, a dict whose keys and values do not alternate, a duplicate key) throws with where.
const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s, at) {
  return s.replace(/&(#x[0-9A-Fa-f]+|#\d+|[a-z]+);|&/g, (whole, name) => {
    if (name === undefined) throw new Error(`bare '&' near offset ${at}`);
    if (name[0] === '#') {
      const code = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      if (!Number.isFinite(code) || code > 0x10ffff) throw new Error(`bad character reference ${whole}`);
      return String.fromCodePoint(code);
    }
    if (!(name in ENTITIES)) throw new Error(`unknown entity ${whole} near offset ${at}`);
    return ENTITIES[name];
  });
}

function parseXml(xml) {
  if (typeof xml !== 'string') throw new Error('not text');
  let i = 0;
  const root = { name: '#root', attrs: '', children: [], text: '' };
  const stack = [root];
  let sawDecl = false;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt === -1 ? xml.length : lt);
    if (text.includes('>')) throw new Error(`stray '>' at offset ${i}`);
    stack[stack.length - 1].text += decode(text, i);
    if (lt === -1) break;
    if (xml.startsWith('<?xml', lt)) {
      if (lt !== 0 || sawDecl) throw new Error('the XML declaration must come first, once');
      sawDecl = true;
      const end = xml.indexOf('?>', lt);
      if (end === -1) throw new Error('unterminated XML declaration');
      i = end + 2;
    } else if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt + 4);
      if (end === -1) throw new Error('unterminated comment');
      if (xml.slice(lt + 4, end).includes('--')) throw new Error(`"--" inside a comment at offset ${lt}`);
      i = end + 3;
    } else if (xml.startsWith('<!DOCTYPE', lt)) {
      const end = xml.indexOf('>', lt);
      const doctype = xml.slice(lt, end + 1);
      if (doctype !== '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">') {
        throw new Error(`unexpected DOCTYPE ${doctype.slice(0, 120)}`);
      }
      i = end + 1;
    } else {
      const gt = xml.indexOf('>', lt);
      if (gt === -1) throw new Error(`unterminated tag at offset ${lt}`);
      const tag = xml.slice(lt + 1, gt);
      const close = /^\/([A-Za-z]+)$/.exec(tag);
      const open = /^([A-Za-z]+)((?:\s+[a-z]+="[^"<&]*")*)\s*(\/?)$/.exec(tag);
      if (close) {
        const top = stack.pop();
        if (!top || top.name !== close[1]) throw new Error(`</${close[1]}> closes <${top && top.name}> at offset ${lt}`);
      } else if (open) {
        const node = { name: open[1], attrs: open[2].trim(), children: [], text: '' };
        stack[stack.length - 1].children.push(node);
        if (open[3] !== '/') stack.push(node);
      } else {
        throw new Error(`bad tag <${tag.slice(0, 80)}> at offset ${lt}`);
      }
      i = gt + 1;
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  if (root.text.trim() !== '') throw new Error('text outside the root element');
  return root;
}

function noText(n) {
  if (n.text.trim() !== '') throw new Error(`text inside <${n.name}>: ${JSON.stringify(n.text.trim().slice(0, 40))}`);
}

function value(n) {
  if (n.attrs !== '') throw new Error(`<${n.name}> takes no attributes`);
  switch (n.name) {
    case 'string':
      if (n.children.length) throw new Error('<string> holds text only');
      return n.text;
    case 'true':
    case 'false':
      if (n.children.length || n.text !== '') throw new Error(`<${n.name}/> must be empty`);
      return n.name === 'true';
    case 'integer':
      if (!/^[+-]?\d+$/.test(n.text.trim())) throw new Error(`bad <integer> ${JSON.stringify(n.text)}`);
      return Number(n.text.trim());
    case 'real':
      if (!Number.isFinite(Number(n.text.trim())) || n.text.trim() === '') throw new Error(`bad <real> ${JSON.stringify(n.text)}`);
      return Number(n.text.trim());
    case 'date':
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(n.text.trim())) throw new Error(`bad <date> ${JSON.stringify(n.text)}`);
      return new Date(n.text.trim());
    case 'data':
      if (!/^[A-Za-z0-9+/=\s]*$/.test(n.text)) throw new Error('bad <data>');
      return Buffer.from(n.text.replace(/\s+/g, ''), 'base64');
    case 'array':
      noText(n);
      return n.children.map(value);
    case 'dict': {
      noText(n);
      const out = {};
      for (let j = 0; j < n.children.length; j += 2) {
        const k = n.children[j];
        const v = n.children[j + 1];
        if (k.name !== 'key' || v === undefined || v.name === 'key') throw new Error('a <dict> must alternate <key> and a value');
        if (k.children.length) throw new Error('<key> holds text only');
        if (Object.prototype.hasOwnProperty.call(out, k.text)) throw new Error(`duplicate key ${JSON.stringify(k.text)}`);
        out[k.text] = value(v);
      }
      return out;
    }
    default:
      throw new Error(`unknown plist element <${n.name}>`);
  }
}

/** Parses a whole XML plist document to data. */
function parsePlist(xml) {
  const root = parseXml(xml);
  const [plist, ...more] = root.children;
  if (!plist || more.length > 0 || plist.name !== 'plist') throw new Error('expected exactly one <plist> element');
  if (plist.attrs !== 'version="1.0"') throw new Error(`expected <plist version="1.0">, got <plist ${plist.attrs}>`);
  noText(plist);
  if (plist.children.length !== 1) throw new Error('<plist> must hold exactly one value');
  return value(plist.children[0]);
}

module.exports = { parsePlist, parseXml };
