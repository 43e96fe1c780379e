/** MJCF as data: typed elements and a writer with stable number formatting (scene XML keys caches). */

export type AttributeValue = string | number | boolean | readonly number[];

/** One MJCF element: tag, attributes (undefined ones are left out) and child elements. */
export interface XmlElement {
  tag: string;
  attrs: Record<string, AttributeValue | undefined>;
  children: XmlElement[];
}

export function el(tag: string, attrs: Record<string, AttributeValue | undefined> = {}, children: XmlElement[] = []): XmlElement {
  return { tag, attrs, children };
}

/** Numbers are written with at most 6 decimals so the XML (and therefore cache keys built from it) is stable. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`MJCF attribute value must be finite, got ${x}`);
  const s = x.toFixed(6).replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}

function formatAttribute(value: AttributeValue): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return value.map(formatNumber).join(' ');
}

export function renderXml(element: XmlElement, indent = ''): string {
  const attrs = Object.entries(element.attrs)
    .filter((entry): entry is [string, AttributeValue] => entry[1] !== undefined)
    .map(([k, v]) => ` ${k}="${formatAttribute(v)}"`)
    .join('');
  if (element.children.length === 0) return `${indent}<${element.tag}${attrs}/>`;
  const inner = element.children.map((c) => renderXml(c, `${indent}  `)).join('\n');
  return `${indent}<${element.tag}${attrs}>\n${inner}\n${indent}</${element.tag}>`;
}

/**
 * A copy of `elements` with `child` added as the first child of the body named `body`, or null when no such body
 * exists. Only the path to that body is copied; the rest of the tree is shared (the input is never modified).
 */
export function insertIntoBody(elements: readonly XmlElement[], body: string, child: XmlElement): XmlElement[] | null {
  for (let i = 0; i < elements.length; i++) {
    const e = elements[i]!;
    let replaced: XmlElement | null = null;
    if (e.tag === 'body' && e.attrs.name === body) replaced = { ...e, children: [child, ...e.children] };
    else {
      const children = insertIntoBody(e.children, body, child);
      if (children) replaced = { ...e, children };
    }
    if (replaced) return [...elements.slice(0, i), replaced, ...elements.slice(i + 1)];
  }
  return null;
}
