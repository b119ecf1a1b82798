/**
 * saslkit/gsasl: an interop harness, not a protocol: SASL in GNU SASL's
 * command-line format (one base64 line per message, as `gsasl --client` and
 * `gsasl --server` read and print them), over any {@link LineTransport}.
 * {@link LinesSASLInterface} runs saslkit's client mechanisms against
 * `gsasl --server`; {@link serveLines} lets `gsasl --client` (or any peer in
 * this format) authenticate against a `SASLServer`; {@link GsaslDiagnostics}
 * reads gsasl's stderr for its verdict. With `ChildProcessLineTransport`
 * from `saslkit/node` it tests a mechanism against an independent
 * implementation over pipes, which is how saslkit's own interop suite uses
 * it. See the guide `docs/protocol-adapter.md`, "Second worked example".
 *
 * @module saslkit/gsasl
 */
export type { LineTransport } from './protocols/transport.js';
export { GsaslDiagnostics, type PeerStatus, type PeerStatusEvent, type PeerOutputEvent, type PeerFinishedEvent, type PeerFailedEvent, type LineReader } from './protocols/lines/status.js';
export { LinesSASLInterface, type LinesClientOptions } from './protocols/lines/client.js';
export { serveLines, type LinesServerExchange, type LinesServerOptions, type LinesServerResult } from './protocols/lines/server.js';
