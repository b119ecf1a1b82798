/**
 * saslkit/xmpp: SASL for XMPP (RFC 6120 §6), as a seam between saslkit and
 * an XMPP library, over any XML stream (a Node socket, XMPP over WebSocket
 * per RFC 7395, a test pipe).
 *
 * - Client: {@link XmppSASLInterface}, the `SASLInterface` that
 *   `authenticate()` drives, over an {@link XmppElementTransport} (two
 *   methods: send an element, receive the next one); stream helpers for a
 *   client that has no stream of its own ({@link openClientStream},
 *   {@link startTLSClient}, {@link authenticateXmpp}).
 * - Server: {@link serveXmppAuth} runs one SASL negotiation for a client's
 *   `<auth/>` on the library's own stream.
 * - Elements: {@link xmlElement}, {@link parseXmlElement},
 *   {@link serializeElement}, {@link readMechanisms}.
 *
 * Runs in browsers. The demo server (`XmppServerSession`, `startXmppServer`)
 * and the socket helpers are in `saslkit/node`. See the guide docs/xmpp.md.
 *
 * @module saslkit/xmpp
 */
export { xmlElement, serializeElement, type XmlElement, type XmlNode } from './element.js';
export { XmppStreamError } from './errors.js';
export { parseXmlElement, type StreamHeader, type XmlLimits } from './parser.js';
export type { XmppElementTransport, XmppStreamTransport } from './transport.js';
export { readMechanisms } from './features.js';
export { XmppSASLInterface } from './sasl-client.js';
export { authenticateXmpp, clientStreamHeader, openClientStream, startTLSClient, type XmppAuthResult } from './client.js';
export { serveXmppAuth, type XmppAuthRequest, type XmppServeAuthResult } from './auth.js';
export type { AuthCommandSuccess, AuthCommandFailure } from '../auth-result.js';
export { FramedXmppTransport, webSocketXmppTransport, type FramedXmppTransportOptions, type WebSocketLike } from './framed.js';
