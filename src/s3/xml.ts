import { XMLParser } from 'fast-xml-parser';
import { S3Error } from '../errors.js';
import { escapeXml } from '../xml-text.js';

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

export { escapeXml };

/**
 * Elements of different names in one given order, where S3 interleaves them
 * (ListObjectVersions' Version and DeleteMarker entries): the key it is held
 * under names no element of its own.
 */
export class XmlSequence {
  constructor(readonly entries: readonly (readonly [name: string, node: XmlNode])[]) {}
}

/** A value tree turned into XML: arrays repeat their element, undefined drops it. */
export type XmlValue = string | number | boolean | undefined | XmlNode | XmlSequence | readonly XmlNode[] | readonly string[];
export interface XmlNode {
  readonly [name: string]: XmlValue;
}

export function toXml(root: string, body: XmlNode, namespaced = true): string {
  const ns = namespaced ? ` xmlns="${S3_NAMESPACE}"` : '';
  return `${XML_DECLARATION}<${root}${ns}>${children(body)}</${root}>`;
}

function children(node: XmlNode): string {
  let out = '';
  for (const [name, value] of Object.entries(node)) out += element(name, value);
  return out;
}

function element(name: string, value: XmlValue): string {
  if (value === undefined) return '';
  if (value instanceof XmlSequence) return value.entries.map(([entry, node]) => element(entry, node)).join('');
  if (Array.isArray(value)) return (value as readonly (XmlNode | string)[]).map((v) => element(name, v)).join('');
  if (typeof value === 'object') return `<${name}>${children(value as XmlNode)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/**
 * The library's own entity handling stays off: it decodes numeric references
 * only together with HTML's named entities, which XML does not have. Text
 * reaches `decodeReferences` with its references as written instead.
 */
const parser = new XMLParser({
  ignoreAttributes: true,
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  trimValues: false,
  removeNSPrefix: true,
  tagValueProcessor: (_name, value) => decodeReferences(value),
});

/**
 * Parses a request body as XML 1.0 reads it: line ends normalised, CDATA
 * taken literally, the five predefined entities and character references
 * decoded. DOCTYPE (and so any entity definition) is refused outright: S3
 * bodies never need one, and entity expansion is an attack surface.
 */
export function parseXml(text: string): Record<string, unknown> {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new S3Error('MalformedXML');
  try {
    const parsed: unknown = parser.parse(escapeCdata(text.replace(/\r\n?/g, '\n')), true);
    if (parsed === null || typeof parsed !== 'object') throw new S3Error('MalformedXML');
    return parsed as Record<string, unknown>;
  } catch (e) {
    if (e instanceof S3Error) throw e;
    throw new S3Error('MalformedXML');
  }
}

const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const REFERENCE = /&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|([A-Za-z_][\w.-]*))?;?/g;

/** XML 1.0's Char production: what a character reference may name. */
function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

/** Character data with its references replaced; a bare '&', an unknown entity or a reference to a non-character is not well-formed. */
export function decodeReferences(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(REFERENCE, (match: string, hex?: string, decimal?: string, name?: string) => {
    if (!match.endsWith(';')) throw new S3Error('MalformedXML');
    if (name !== undefined) {
      const value = PREDEFINED[name];
      if (value === undefined) throw new S3Error('MalformedXML');
      return value;
    }
    const digits = hex ?? decimal;
    if (digits === undefined || digits.length > 8) throw new S3Error('MalformedXML');
    const code = parseInt(digits, hex === undefined ? 10 : 16);
    if (!isXmlChar(code)) throw new S3Error('MalformedXML');
    return String.fromCodePoint(code);
  });
}

const CDATA_OR_SKIPPED = /<!\[CDATA\[([\s\S]*?)\]\]>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>/g;

/**
 * CDATA sections rewritten as the escaped text they stand for, so all
 * character data reaches `decodeReferences` in one form (a comment or
 * processing instruction that only looks like CDATA is left alone).
 */
// escapeXml also escapes quotes, which decodeReferences reads back as they were.
function escapeCdata(text: string): string {
  if (!text.includes('<![CDATA[')) return text;
  return text.replace(CDATA_OR_SKIPPED, (match: string, cdata?: string) => (cdata === undefined ? match : escapeXml(cdata)));
}

/** One element or many, as fast-xml-parser gives either. */
export function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
