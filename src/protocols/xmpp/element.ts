/**
 * A small immutable XML element model for XMPP: what the parser yields and
 * the adapters send. Only what XMPP needs: namespaced elements, attributes
 * and text; no comments, processing instructions or DTDs (RFC 6120 §11.1
 * forbids them on a stream).
 *
 * @module
 */
import { SASLError } from '../../core/errors.js';
import { NS_STREAMS } from './namespaces.js';

/** A child of an element: an element or a run of character data. */
export type XmlNode = XmlElement | string;

/** An XML element with its namespace resolved. */
export interface XmlElement {
  /** The local name, e.g. `'auth'`. */
  readonly name: string;
  /** The namespace URI, e.g. `'urn:ietf:params:xml:ns:xmpp-sasl'` (`''` for none). */
  readonly xmlns: string;
  /**
   * Attributes by qualified name as written (`'mechanism'`, `'xml:lang'`),
   * namespace declarations excluded.
   */
  readonly attrs: Readonly<Record<string, string>>;
  /** Child elements and text, in document order. */
  readonly children: readonly XmlNode[];
}

/**
 * Build an element.
 *
 * @param name - local name
 * @param xmlns - namespace URI
 * @param attrs - attributes; `undefined` values are left out
 * @param children - child elements and text
 */
export function xmlElement(
  name: string,
  xmlns: string,
  attrs: Readonly<Record<string, string | undefined>> = {},
  children: readonly XmlNode[] = [],
): XmlElement {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) clean[k] = v;
  return { name, xmlns, attrs: clean, children };
}

/**
 * The first child element with this name (and namespace, default: the parent's).
 *
 * @param parent - the element to look in
 * @param name - the child's local name
 * @param xmlns - the child's namespace; default the parent's
 */
export function childElement(parent: XmlElement, name: string, xmlns: string = parent.xmlns): XmlElement | null {
  for (const c of parent.children) {
    if (typeof c !== 'string' && c.name === name && c.xmlns === xmlns) return c;
  }
  return null;
}

/**
 * The child elements of `parent` (text left out).
 *
 * @param parent - the element
 */
export function childElements(parent: XmlElement): XmlElement[] {
  return parent.children.filter((c): c is XmlElement => typeof c !== 'string');
}

/**
 * The concatenated character data directly inside `el`.
 *
 * @param el - the element
 */
export function textOf(el: XmlElement): string {
  let out = '';
  for (const c of el.children) if (typeof c === 'string') out += c;
  return out;
}

/**
 * Tell whether `el` is `name` in namespace `xmlns`.
 *
 * @param el - the element
 * @param name - the expected local name
 * @param xmlns - the expected namespace URI
 */
export function isElement(el: XmlElement, name: string, xmlns: string): boolean {
  return el.name === name && el.xmlns === xmlns;
}

// XML 1.0 Char production, minus what XMPP can never carry.
const INVALID_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NAME = /^[A-Za-z_][A-Za-z0-9._-]*(?::[A-Za-z_][A-Za-z0-9._-]*)?$/;

function checkText(value: string, what: string): string {
  if (typeof value !== 'string') throw new SASLError(null, 'invalid argument', `${what} must be a string`);
  if (INVALID_CHAR.test(value)) throw new SASLError(null, 'invalid argument', `${what} holds a character XML cannot carry`);
  return value;
}

/**
 * Escape character data for XML text content.
 *
 * @param value - the text
 * @throws {@link SASLError} for characters XML 1.0 cannot carry
 */
export function escapeText(value: string): string {
  return checkText(value, 'text').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Escape an attribute value (for single- or double-quoted attributes).
 *
 * @param value - the attribute value
 * @throws {@link SASLError} for characters XML 1.0 cannot carry
 */
export function escapeAttribute(value: string): string {
  return escapeText(value).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

function checkName(name: string, what: string): string {
  if (typeof name !== 'string' || !NAME.test(name) || /^xmlns(:|$)/.test(name)) {
    throw new SASLError(null, 'invalid argument', `not a valid XML ${what}: ${JSON.stringify(String(name)).slice(0, 40)}`);
  }
  return name;
}

/**
 * Serialize `el` as XML text.
 *
 * An element gets an `xmlns` declaration when its namespace differs from the
 * one in scope (`contextXmlns` for the top level: the stream's default
 * namespace, e.g. `jabber:client`). Elements of the streams namespace are
 * written with the conventional `stream:` prefix, declared unless the caller
 * says the stream header already declared it.
 *
 * @param el - the element
 * @param contextXmlns - the default namespace in scope where `el` is written
 * @param streamPrefixDeclared - `stream:` is bound in scope (true on a TCP
 *   stream inside `<stream:stream>`, false for RFC 7395 WebSocket frames)
 * @throws {@link SASLError} for invalid names or characters
 */
export function serializeElement(el: XmlElement, contextXmlns = '', streamPrefixDeclared = false): string {
  const local = checkName(el.name, 'element name');
  if (local.includes(':')) throw new SASLError(null, 'invalid argument', 'element names must be local (no prefix)');
  let open: string;
  let close: string;
  let inner = contextXmlns;
  if (el.xmlns === NS_STREAMS) {
    open = `<stream:${local}` + (streamPrefixDeclared ? '' : ` xmlns:stream='${NS_STREAMS}'`);
    close = `</stream:${local}>`;
  } else {
    open = `<${local}`;
    if (el.xmlns !== contextXmlns) open += ` xmlns='${escapeAttribute(el.xmlns)}'`;
    close = `</${local}>`;
    inner = el.xmlns;
  }
  for (const [k, v] of Object.entries(el.attrs)) {
    const name = checkName(k, 'attribute name');
    if (name.includes(':') && !name.startsWith('xml:')) {
      throw new SASLError(null, 'invalid argument', 'only the xml: attribute prefix is supported');
    }
    open += ` ${name}='${escapeAttribute(v)}'`;
  }
  if (el.children.length === 0) return `${open}/>`;
  let body = '';
  for (const c of el.children) {
    body += typeof c === 'string' ? escapeText(c) : serializeElement(c, inner, streamPrefixDeclared || el.xmlns === NS_STREAMS);
  }
  return `${open}>${body}${close}`;
}
