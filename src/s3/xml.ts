import { XMLParser } from 'fast-xml-parser';
import { S3Error } from '../errors.js';

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** A value tree turned into XML: arrays repeat their element, undefined drops it. */
export type XmlValue = string | number | boolean | undefined | XmlNode | readonly XmlNode[] | readonly string[];
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
  if (Array.isArray(value)) return (value as readonly (XmlNode | string)[]).map((v) => element(name, v)).join('');
  if (typeof value === 'object') return `<${name}>${children(value as XmlNode)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  processEntities: false,
  ignoreDeclaration: true,
  parseTagValue: false,
  trimValues: false,
  removeNSPrefix: true,
});

/**
 * Parses a request body. DOCTYPE (and so any entity definition) is refused
 * outright: S3 bodies never need one, and entity expansion is an attack surface.
 */
export function parseXml(text: string): Record<string, unknown> {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new S3Error('MalformedXML');
  try {
    const parsed: unknown = parser.parse(text, true);
    if (parsed === null || typeof parsed !== 'object') throw new S3Error('MalformedXML');
    return parsed as Record<string, unknown>;
  } catch (e) {
    if (e instanceof S3Error) throw e;
    throw new S3Error('MalformedXML');
  }
}

/** One element or many, as fast-xml-parser gives either. */
export function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
