/**
 * The transport abstraction of the XMPP adapters: an XML stream seen as
 * whole top-level elements, so that any XMPP implementation (a Node socket,
 * XMPP over WebSocket per RFC 7395 in a browser, BOSH, a test pipe) can
 * plug in.
 *
 * @module
 */
import type { XmlElement } from './element.js';
import type { StreamHeader } from './parser.js';

/**
 * What the SASL adapters need: send one element, receive the next top-level
 * element. `receive` rejects with an {@link XmppStreamError} when the stream
 * ends, breaks or times out.
 */
export interface XmppElementTransport {
  /** Send one top-level element. */
  send(element: XmlElement): Promise<void>;
  /** The next top-level element the peer sent (a `<stream:error/>` included). */
  receive(): Promise<XmlElement>;
  /**
   * Whether the stream is protected from eavesdroppers (TLS, `wss:`).
   * Absent means not known to be secure; {@link XmppSASLInterface.secure}
   * reports it, and PLAIN checks it before sending a password.
   */
  readonly secure?: boolean;
}

/**
 * A whole XMPP stream: elements plus stream headers and restarts
 * (RFC 6120 §4.3.3). Over TCP the header is `<stream:stream ...>`; over
 * WebSocket (RFC 7395) it is an `<open/>` frame.
 */
export interface XmppStreamTransport extends XmppElementTransport {
  /** Send our stream header. */
  sendStreamHeader(header: StreamHeader): Promise<void>;
  /** Wait for the peer's stream header. */
  receiveStreamHeader(): Promise<StreamHeader>;
  /**
   * Forget the current stream in both directions: the next header sent and
   * the next input received start a new stream. Called after `<proceed/>`
   * (once TLS is up) and after `<success/>`.
   */
  resetStream(): void;
  /** Close the stream (sending its end where possible) and the connection. */
  close(): void;
}
