/**
 * The wire form of RFC 6120 §6.4 SASL elements: payload encoding, failure
 * conditions, and the stream error element.
 *
 * @module
 */
import { isSASLCondition, type SASLCondition } from '../../core/conditions.js';
import { base64Decode, base64Encode } from '../../core/bytes.js';
import { SASLFailure } from '../../core/errors.js';
import { peerText } from '../../core/peer-text.js';
import { decodeSpacedBase64 } from '../challenge-text.js';
import { childElement, childElements, isElement, textOf, xmlElement, type XmlElement } from './element.js';
import { XmppStreamError } from './errors.js';
import { NS_SASL, NS_STREAMS, NS_STREAM_ERRORS } from './namespaces.js';

/**
 * Encode a SASL payload as the character data of `<auth/>`, `<challenge/>`,
 * `<response/>` or `<success/>`: `null` (no data) as no text, an empty
 * payload as `=` (RFC 6120 §6.4.2, §6.3.10), anything else as base64.
 *
 * @param payload - the bytes, or `null` for none
 */
export function encodeSaslPayload(payload: Uint8Array | null): string {
  if (payload === null) return '';
  return payload.length === 0 ? '=' : base64Encode(payload);
}

/**
 * Decode the character data of a SASL element: no text is `null` (no data),
 * `=` is an empty payload, anything else must be strict base64.
 * Whitespace around the text is ignored (pretty-printing peers).
 *
 * @param el - the element
 * @param what - what it is, for the error message
 * @param options - `spaced: true` accepts XML whitespace inside the base64
 *   (the client does, for a server's challenge and success data); default strict
 * @throws {@link SASLFailure} with condition `incorrect-encoding` for bad base64
 */
export function decodeSaslPayload(el: XmlElement, what: string = `<${el.name}/>`, options: { readonly spaced?: boolean } = {}): Uint8Array | null {
  if (childElements(el).length > 0) throw new SASLFailure('malformed-request', `${what} must hold only character data`);
  const text = textOf(el).trim();
  if (text === '') return null;
  if (text === '=') return new Uint8Array(0);
  return options.spaced === true ? decodeSpacedBase64(text, what) : base64Decode(text, what);
}

/**
 * Build a SASL element (`auth`, `challenge`, `response`, `success`, ...) with
 * its payload.
 *
 * @param name - the element name
 * @param payload - the payload, `null` for none
 * @param attrs - attributes (e.g. `mechanism`)
 */
export function saslElement(name: string, payload: Uint8Array | null, attrs: Readonly<Record<string, string>> = {}): XmlElement {
  const text = encodeSaslPayload(payload);
  return xmlElement(name, NS_SASL, attrs, text === '' ? [] : [text]);
}

/**
 * Build `<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><condition/>[<text/>]</failure>`.
 *
 * @param condition - the RFC 6120 §6.5 condition
 * @param text - optional human-readable text (never a secret)
 */
export function failureElement(condition: SASLCondition, text: string | null = null): XmlElement {
  const children: XmlElement[] = [xmlElement(condition, NS_SASL)];
  if (text) children.push(xmlElement('text', NS_SASL, { 'xml:lang': 'en' }, [text.slice(0, 512)]));
  return xmlElement('failure', NS_SASL, {}, children);
}

/**
 * Read a `<failure/>` element: its condition and optional text.
 * A missing condition counts as `not-authorized` (the safe reading: the
 * credentials are not retried); an unknown one is passed on as it is.
 *
 * @param el - the `<failure/>` element
 */
export function parseFailure(el: XmlElement): {
  /** The condition element's name. */
  condition: string;
  /** The `<text/>`, or `null`. */
  text: string | null;
} {
  let condition: string | null = null;
  let text: string | null = null;
  for (const c of childElements(el)) {
    if (c.xmlns !== NS_SASL) continue;
    if (c.name === 'text') text = peerText(textOf(c), 512);
    else if (condition === null) condition = c.name.slice(0, 64);
  }
  return { condition: condition ?? 'not-authorized', text };
}

/**
 * The {@link SASLFailure} a `<failure/>` element reports.
 *
 * @param el - the `<failure/>` element
 */
export function failureOf(el: XmlElement): SASLFailure {
  const { condition, text } = parseFailure(el);
  return new SASLFailure(condition, text ?? (isSASLCondition(condition) ? null : 'unknown SASL failure condition'));
}

/** RFC 6120 §4.9.3 stream error conditions saslkit sends. */
export type StreamErrorCondition =
  | 'bad-format'
  | 'connection-timeout'
  | 'host-unknown'
  | 'internal-server-error'
  | 'invalid-namespace'
  | 'not-authorized'
  | 'not-well-formed'
  | 'policy-violation'
  | 'restricted-xml'
  | 'unsupported-version';

/**
 * Build `<stream:error><condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`.
 *
 * @param condition - the stream error condition
 * @param text - optional text (never a secret)
 */
export function streamErrorElement(condition: StreamErrorCondition | string, text: string | null = null): XmlElement {
  const children: XmlElement[] = [xmlElement(condition, NS_STREAM_ERRORS)];
  if (text) children.push(xmlElement('text', NS_STREAM_ERRORS, { 'xml:lang': 'en' }, [text.slice(0, 512)]));
  return xmlElement('error', NS_STREAMS, {}, children);
}

/**
 * If `el` is a `<stream:error/>`, the {@link XmppStreamError} it reports; else `null`.
 *
 * @param el - a top-level element
 */
export function streamErrorOf(el: XmlElement): XmppStreamError | null {
  if (!isElement(el, 'error', NS_STREAMS)) return null;
  let condition: string | null = null;
  for (const c of childElements(el)) {
    if (c.xmlns === NS_STREAM_ERRORS && c.name !== 'text') {
      condition = c.name.slice(0, 64);
      break;
    }
  }
  const textEl = childElement(el, 'text', NS_STREAM_ERRORS);
  const text = textEl ? peerText(textOf(textEl), 512) : '';
  return new XmppStreamError(condition ?? 'undefined-condition', `the peer sent a stream error${text ? `: ${text}` : ''}`);
}
