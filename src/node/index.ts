/**
 * saslkit/node: Node-only helpers: TLS channel binding, socket transports and
 * connect helpers for the protocol adapters.
 *
 * @packageDocumentation
 */
export { SocketLineTransport, TransportError, type SocketLineTransportOptions } from './socket-line-transport.js';
