/**
 * What the Node IMAP and SMTP servers share: a {@link SocketLineTransport}
 * per connection with the connection's read and write deadlines and input
 * bounds, bounds checked before listening, and STARTTLS wired to the
 * session.
 *
 * @module
 */
import type { ServerConnection } from '../../server/mechanism.js';
import { loginLimits, type LoginLimitOptions } from '../../protocols/login-limits.js';
import { LineBuffer } from '../transport/line-buffer.js';
import { SocketLineTransport } from '../transport/socket-line-transport.js';
import { startSessionServer, type RunningServer, type ServedSession, type SessionServerOptions } from './session-server.js';

/** The per-connection bounds of a line-based server (see each server's options for their meaning). */
export interface LineServerOptions extends SessionServerOptions, LoginLimitOptions {
  /** Milliseconds a read may wait for a client line. Default 60000. */
  readonly readTimeoutMs?: number;
  /** Milliseconds a write may wait for the client to take the data. Default 30000. */
  readonly writeTimeoutMs?: number;
  /** Most bytes of unprocessed input held per connection. */
  readonly maxBufferedBytes?: number;
  /** Longest client line, in bytes, before `lineAllowance`. Default 16384. */
  readonly maxLineLength?: number;
}

/** What a protocol gives {@link startLineServer}. */
export interface LineProtocol {
  /** Sent to a connection refused for `maxConnections`, e.g. `'* BYE Too many connections\r\n'`. */
  readonly refusal: string;
  /** Bytes the protocol adds to `maxLineLength` (SMTP counts its CRLF). Default 0. */
  readonly lineAllowance?: number;
  /**
   * Make the session of one connection.
   *
   * @param transport - the connection's line transport
   * @param connection - what the SASL server knows about the connection
   * @param startTLS - upgrades the connection and gives its new state; absent when STARTTLS is not available
   */
  session(transport: SocketLineTransport, connection: ServerConnection, startTLS: (() => Promise<ServerConnection>) | undefined): ServedSession;
}

/**
 * Start a line-based protocol server (IMAP, SMTP) on `options`.
 *
 * @param options - listener, TLS and per-connection bounds
 * @param protocol - the refusal line and the session of each connection
 * @returns the running server once it listens
 * @throws (rejects with) a `SASLError` for invalid bounds, before listening
 */
export function startLineServer(options: LineServerOptions, protocol: LineProtocol): Promise<RunningServer> {
  const transportOptions = {
    readTimeoutMs: options.readTimeoutMs ?? 60_000,
    writeTimeoutMs: options.writeTimeoutMs ?? 30_000,
    ...(options.maxBufferedBytes !== undefined ? { maxBufferedBytes: options.maxBufferedBytes } : {}),
    maxLineLength: (options.maxLineLength ?? 16_384) + (protocol.lineAllowance ?? 0),
  };
  try {
    // Bad bounds are the caller's error now, not a silent refusal per connection.
    loginLimits(options);
    new LineBuffer(transportOptions, () => {});
  } catch (err) {
    return Promise.reject(err);
  }
  return startSessionServer(options, protocol.refusal, ({ socket, connection, startTLSOptions, connectionOf }) => {
    const transport = new SocketLineTransport(socket, transportOptions);
    const startTLS = startTLSOptions ? async () => connectionOf(await transport.startTLS(startTLSOptions)) : undefined;
    return protocol.session(transport, connection, startTLS);
  });
}
