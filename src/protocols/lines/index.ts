/**
 * saslkit/lines: SASL over a line-based base64 stream (the gsasl command-line format).
 *
 * @packageDocumentation
 */
export type { LineTransport } from '../transport.js';
