/**
 * A small IMAP authentication server for Node, for tests, docs and trying
 * clients out: {@link ImapServerSession} on every connection of a `net`
 * (STARTTLS) or `tls` (implicit TLS) listener, with the connection's TLS channel
 * bindings (`src/channel-binding/tls/`) handed to the SASL server so SCRAM-PLUS works.
 *
 * @module
 */
import { ImapServerSession, type ImapServerSessionOptions, type ImapSessionEnd } from '../../protocols/imap/server.js';
import { startLineServer } from '../server/line-server.js';
import type { RunningServer, SessionServerOptions } from '../server/session-server.js';

/** Options of {@link startImapServer}. */
export interface NodeImapServerOptions extends Omit<ImapServerSessionOptions, 'connection' | 'startTLS'>, SessionServerOptions {
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
  /** Longest client line, in bytes. Default 16384 (AUTHENTICATE data included). */
  readonly maxLineLength?: number;
  /** Called when a session ends (e.g. for tests and logs). */
  readonly onSessionEnd?: (end: ImapSessionEnd) => void;
}

/** A listening server from {@link startImapServer}. */
export type RunningImapServer = RunningServer;

/**
 * Start an IMAP server that authenticates clients with `options.sasl`.
 * More than `maxConnections` connections get `* BYE` at once.
 *
 * ```ts
 * const server = await startImapServer({ sasl, tls: { key, cert } });
 * // ... connect to 127.0.0.1:server.port ...
 * await server.close();
 * ```
 *
 * @param options - see {@link NodeImapServerOptions}
 * @returns the running server once it listens
 */
export function startImapServer(options: NodeImapServerOptions): Promise<RunningImapServer> {
  return startLineServer(options, {
    refusal: '* BYE Too many connections\r\n',
    session(transport, connection, startTLS) {
      const session = new ImapServerSession(transport, { ...options, connection, startTLS });
      return { run: () => session.run().then((end) => options.onSessionEnd?.(end)), shutdown: () => session.shutdown() };
    },
  });
}
