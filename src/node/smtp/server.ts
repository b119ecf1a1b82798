/**
 * A small SMTP AUTH server for Node, for tests, docs and trying clients out:
 * {@link SmtpServerSession} on every connection of a `net` (STARTTLS) or
 * `tls` (implicit TLS) listener, with the connection's TLS channel bindings
 * (`src/channel-binding/tls/`) handed to the SASL server so SCRAM-PLUS works.
 *
 * @module
 */
import { SmtpServerSession, type SmtpServerSessionOptions } from '../../protocols/smtp/server.js';
import { startLineServer } from '../server/line-server.js';
import type { RunningServer, SessionServerOptions } from '../server/session-server.js';

/** Options of {@link startSmtpServer}. */
export interface NodeSmtpServerOptions extends Omit<SmtpServerSessionOptions, 'connection' | 'startTLS'>, SessionServerOptions {
  /** Milliseconds a read may wait for a client line (one deadline per line, however its bytes trickle in). Default 60000. */
  readonly readTimeoutMs?: number;
  /** Milliseconds a write may wait for the client to take the data; a client that stops reading is dropped after it. Default 30000. */
  readonly writeTimeoutMs?: number;
  /**
   * Most bytes of received, unprocessed input held per connection; past it
   * the server stops reading from that client until it caught up
   * (back-pressure). Default: twice the longest line, at least 65536.
   */
  readonly maxBufferedBytes?: number;
}

/** A listening server from {@link startSmtpServer}. */
export type RunningSmtpServer = RunningServer;

/**
 * Start an SMTP server. More than `maxConnections` connections are closed
 * at once with 421.
 *
 * ```ts
 * const server = await startSmtpServer({ sasl, tls: { key, cert } });
 * // ... connect to 127.0.0.1:server.port ...
 * await server.close();
 * ```
 *
 * @param options - see {@link NodeSmtpServerOptions}
 * @returns the running server once it listens
 */
export function startSmtpServer(options: NodeSmtpServerOptions): Promise<RunningSmtpServer> {
  return startLineServer(options, {
    refusal: '421 4.7.0 Too many connections\r\n',
    // A little above the session's own limit, so the session sees an over-long line and answers it itself.
    lineAllowance: 2,
    session(transport, connection, startTLS) {
      const session = new SmtpServerSession(transport, { ...options, connection, startTLS });
      return { run: () => session.run(), shutdown: () => session.shutdown() };
    },
  });
}
