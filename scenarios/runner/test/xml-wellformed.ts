/**
 * A strict XML 1.0 well-formedness check for the reporter tests (xmlbuilder2's parser is
 * lenient: it reads mismatched tags and unknown entities without complaint). Covers what a
 * reporter can get wrong: tag nesting, one root, attribute quoting and uniqueness, entity
 * references, characters XML cannot carry. Returns the problems found (none = well-formed).
 */
const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
const ENTITY = /^&(lt|gt|amp|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/;
// eslint-disable-next-line no-control-regex
const BAD_CHAR = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function checkText(text: string, where: string, problems: string[]): void {
  if (BAD_CHAR.test(text)) problems.push(`${where}: character not allowed in XML`);
  for (let i = text.indexOf('&'); i >= 0; i = text.indexOf('&', i + 1)) {
    if (!ENTITY.test(text.slice(i))) problems.push(`${where}: bad entity reference near ${JSON.stringify(text.slice(i, i + 12))}`);
  }
}

export function wellFormednessProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) return ['unterminated XML declaration'];
    i = end + 2;
  }
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (!stack.length && text.trim()) problems.push(`text outside the root element: ${JSON.stringify(text.trim().slice(0, 20))}`);
    checkText(text, `text at ${i}`, problems);
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i + 4);
      if (end < 0) return [...problems, 'unterminated comment'];
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<![CDATA[', i)) {
      const end = xml.indexOf(']]>', i);
      if (end < 0) return [...problems, 'unterminated CDATA'];
      i = end + 3;
      continue;
    }
    if (xml.startsWith('</', i)) {
      const name = NAME.exec(xml.slice(i + 2))?.[0];
      const end = xml.indexOf('>', i);
      if (!name || end < 0 || xml.slice(i + 2 + name.length, end).trim()) return [...problems, `bad end tag at ${i}`];
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}>`);
      i = end + 1;
      continue;
    }
    const name = NAME.exec(xml.slice(i + 1))?.[0];
    if (!name) return [...problems, `bad start tag at ${i}`];
    let j = i + 1 + name.length;
    const attrs = new Set<string>();
    for (;;) {
      const ws = /^\s*/.exec(xml.slice(j))![0].length;
      j += ws;
      if (xml.startsWith('/>', j) || xml[j] === '>') break;
      if (!ws) return [...problems, `no space before attribute in <${name}> at ${j}`];
      const attr = NAME.exec(xml.slice(j))?.[0];
      if (!attr) return [...problems, `bad attribute in <${name}> at ${j}`];
      if (attrs.has(attr)) problems.push(`duplicate attribute ${attr} in <${name}>`);
      attrs.add(attr);
      j += attr.length;
      const m = /^\s*=\s*(["'])/.exec(xml.slice(j));
      if (!m) return [...problems, `attribute ${attr} of <${name}> has no quoted value`];
      j += m[0].length;
      const close = xml.indexOf(m[1]!, j);
      if (close < 0) return [...problems, `unterminated value of ${attr}`];
      const value = xml.slice(j, close);
      if (value.includes('<')) problems.push(`'<' in the value of ${attr}`);
      checkText(value, `attribute ${attr} of <${name}>`, problems);
      j = close + 1;
    }
    const selfClosing = xml.startsWith('/>', j);
    if (!stack.length) roots += 1;
    if (!selfClosing) stack.push(name);
    i = j + (selfClosing ? 2 : 1);
  }
  if (stack.length) problems.push(`unclosed elements: ${stack.join(' > ')}`);
  if (roots !== 1) problems.push(`expected one root element, found ${roots}`);
  return problems;
}
