/**
 * The client's side of stream negotiation around SASL (RFC 6120 §4–6):
 * open a stream, STARTTLS, authenticate, restart. Transport-agnostic: works
 * over a Node socket or a browser WebSocket alike.
 *
 * @module
 */
import { authenticate } from '../../core/negotiate.js';
import type { SASLMechanism } from '../../core/mechanism.js';
import { isElement, xmlElement, type XmlElement } from './element.js';
import { XmppStreamError } from './errors.js';
import { expectFeatures, readMechanisms } from './features.js';
import { NS_CLIENT, NS_TLS } from './namespaces.js';
import type { StreamHeader } from './parser.js';
import { XmppSASLInterface } from './sasl-client.js';
import type { XmppStreamTransport } from './transport.js';
import { streamErrorOf } from './wire.js';

/**
 * The stream header a client sends to `domain`.
 *
 * @param domain - the server's domain (the `to` attribute)
 * @param lang - the `xml:lang`; default `'en'`
 */
export function clientStreamHeader(domain: string, lang = 'en'): StreamHeader {
  return { xmlns: NS_CLIENT, to: domain, version: '1.0', lang };
}

/** Throw the `<stream:error/>` if `el` is one. */
function checkStreamError(el: XmlElement): XmlElement {
  const err = streamErrorOf(el);
  if (err) throw err;
  return el;
}

/**
 * Open a stream: send our header, read the server's header and its
 * `<stream:features/>`.
 *
 * @param transport - the stream
 * @param header - our header, e.g. {@link clientStreamHeader}
 * @returns the server's features element
 * @throws {@link XmppStreamError} on a stream error, a pre-1.0 server or a malformed answer
 */
export async function openClientStream(transport: XmppStreamTransport, header: StreamHeader): Promise<XmlElement> {
  await transport.sendStreamHeader(header);
  const theirs = await transport.receiveStreamHeader();
  if (theirs.version === undefined || !/^1\.\d+$/.test(theirs.version)) {
    throw new XmppStreamError('unsupported-version', 'the server does not speak XMPP 1.0 streams (no SASL)');
  }
  return expectFeatures(checkStreamError(await transport.receive()));
}

/**
 * Restart the stream (after `<proceed/>` once TLS is up, or after
 * `<success/>`) and read the new features.
 *
 * @param transport - the stream
 * @param header - our header
 * @returns the server's new features element
 */
export async function restartClientStream(transport: XmppStreamTransport, header: StreamHeader): Promise<XmlElement> {
  transport.resetStream();
  return openClientStream(transport, header);
}

/**
 * Negotiate STARTTLS (RFC 6120 §5.4): send `<starttls/>`, wait for
 * `<proceed/>`, let `upgrade` run the TLS handshake on the underlying
 * connection, then restart the stream.
 *
 * @param transport - the stream
 * @param header - our header, for the restart
 * @param upgrade - performs the TLS handshake on the connection
 * @returns the features of the encrypted stream
 * @throws {@link XmppStreamError} when the server answers `<failure/>` (it then closes the stream)
 */
export async function startTLSClient(transport: XmppStreamTransport, header: StreamHeader, upgrade: () => Promise<unknown>): Promise<XmlElement> {
  await transport.send(xmlElement('starttls', NS_TLS));
  const reply = checkStreamError(await transport.receive());
  if (!isElement(reply, 'proceed', NS_TLS)) {
    throw new XmppStreamError(null, isElement(reply, 'failure', NS_TLS) ? 'the server refused STARTTLS' : `unexpected <${reply.name.slice(0, 40)}/> after <starttls/>`);
  }
  await upgrade();
  return restartClientStream(transport, header);
}

/** The result of {@link authenticateXmpp}. */
export interface XmppAuthResult {
  /** The mechanism that succeeded. */
  readonly mechanism: string;
  /** The features of the restarted, authenticated stream (resource binding, ...). */
  readonly features: XmlElement;
}

/**
 * Authenticate with the first of `mechanisms` the server offers that works
 * (the negotiation loop of `authenticate`), then restart the stream as RFC
 * 6120 §6.4.6 requires.
 *
 * @param transport - the stream
 * @param features - the current features (with `<mechanisms/>`)
 * @param mechanisms - the mechanism implementations, strongest first
 * @param header - our header, for the restart
 * @returns the mechanism used and the new features
 * @throws `AuthenticationFailure` when the credentials were refused,
 *   `SASLFailure` when no mechanism worked, {@link XmppStreamError} when the stream broke
 */
export async function authenticateXmpp(
  transport: XmppStreamTransport,
  features: XmlElement,
  mechanisms: Iterable<SASLMechanism<unknown>>,
  header: StreamHeader,
): Promise<XmppAuthResult> {
  const mechanism = await authenticate(new XmppSASLInterface(transport), readMechanisms(features), mechanisms);
  return { mechanism, features: await restartClientStream(transport, header) };
}

/**
 * Choose a channel-binding type: the first of `available` (the types this
 * connection can give, strongest first) that the server advertised with
 * XEP-0440. Without an advertisement only `tls-unique`, RFC 5929's default
 * and the only type older servers know, is a safe choice.
 *
 * @param advertised - from {@link readChannelBindingTypes}; `null` when the server said nothing
 * @param available - the types the client can compute on this connection
 * @returns the type to use, or `null` when none fits
 */
export function pickChannelBindingType<T extends string>(advertised: readonly string[] | null, available: readonly T[]): T | null {
  if (advertised === null) return available.find((t) => t === 'tls-unique') ?? null;
  return available.find((t) => advertised.includes(t)) ?? null;
}
