/**
 * saslkit/lines: SASL in gsasl's command-line format: one base64 line per
 * message, over any {@link LineTransport}. The client side talks to
 * `gsasl --server`; the server side lets `gsasl --client` (or any peer in
 * this format) authenticate against a saslkit server. See the guide
 * `docs/protocol-adapter.md`, "Second worked example".
 *
 * @module saslkit/lines
 */
export type { LineTransport } from '../transport.js';
export { encodeLine, decodeLine, checkMechanismName, quotePeerText } from './format.js';
export { GsaslDiagnostics, gsaslErrorCondition, type PeerStatus, type PeerStatusEvent, type PeerOutputEvent, type PeerFinishedEvent, type PeerFailedEvent, type LineReader } from './status.js';
export { LinesSASLInterface, type LinesClientOptions } from './client.js';
export { serveLines, type LinesServerExchange, type LinesServerOptions, type LinesServerResult } from './server.js';
