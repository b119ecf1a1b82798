/**
 * A small XMPP server for Node, up to authentication: {@link XmppServerSession}
 * on every connection of a `net` (STARTTLS) or `tls` (direct TLS) listener,
 * with the TLS channel bindings handed to the SASL server so SCRAM-PLUS works
 * and XEP-0440 can advertise them. For tests, docs and trying clients out.
 *
 * @module
 */
import type { ServerConnection } from '../../server/mechanism.js';
import type { AuthOutcome } from '../../server/exchange.js';
import { serveResourceBinding } from '../../protocols/xmpp/binding.js';
import { XmppServerSession, type XmppServerSessionOptions } from '../../protocols/xmpp/server.js';
import { startSessionServer, type RunningServer, type SessionServerOptions } from '../server/session-server.js';
import { SocketXmppTransport, type SocketXmppTransportOptions } from './socket-transport.js';
import { loginLimits } from '../../protocols/login-limits.js';

/** Options of {@link startXmppServer}. */
export interface NodeXmppServerOptions
  extends Omit<XmppServerSessionOptions, 'connection' | 'startTLS'>,
    SessionServerOptions,
    Omit<SocketXmppTransportOptions, 'readTimeoutMs'> {
  /** Milliseconds a read may wait for the client (one deadline per element, however its bytes trickle in). Default 60000. */
  readonly readTimeoutMs?: number;
  /**
   * Called once a client authenticated and restarted its stream; the stream
   * is the application's from then on (resource binding, stanzas), and is
   * closed when the returned promise settles. Default: answer resource
   * binding and the legacy session request with {@link serveResourceBinding}
   * (so real clients finish logging in) until the client closes its stream
   * (or the read times out).
   */
  readonly onAuthenticated?: (outcome: AuthOutcome, transport: SocketXmppTransport) => Promise<void> | void;
}

/** A listening server from {@link startXmppServer}. */
export type RunningXmppServer = RunningServer;

/**
 * Start an XMPP server that authenticates clients with saslkit.
 *
 * ```ts
 * const server = await startXmppServer({ sasl, domain: 'example.test', tls: { key, cert } });
 * // ... connect to 127.0.0.1:server.port ...
 * await server.close();
 * ```
 *
 * @param options - see {@link NodeXmppServerOptions}
 * @returns the running server once it listens
 */
export function startXmppServer(options: NodeXmppServerOptions): Promise<RunningXmppServer> {
  const transportOptions: SocketXmppTransportOptions = {
    readTimeoutMs: options.readTimeoutMs ?? 60_000,
    writeTimeoutMs: options.writeTimeoutMs ?? 30_000,
    ...(options.maxElementSize !== undefined ? { maxElementSize: options.maxElementSize } : {}),
    ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}),
    ...(options.maxAttributes !== undefined ? { maxAttributes: options.maxAttributes } : {}),
    ...(options.maxBuffered !== undefined ? { maxBuffered: options.maxBuffered } : {}),
  };
  try {
    // Bad bounds are the caller's error now, not a silent refusal per connection.
    loginLimits(options);
  } catch (err) {
    return Promise.reject(err);
  }
  const refusal = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>" +
    "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>";
  return startSessionServer(options, refusal, ({ socket, connection, startTLSOptions, connectionOf }) => {
    const transport = new SocketXmppTransport(socket, transportOptions);
    let current: ServerConnection = connection;
    const session = new XmppServerSession(transport, {
      ...options,
      connection: () => current,
      startTLS: startTLSOptions
        ? async () => {
            current = connectionOf(await transport.startTLS(startTLSOptions));
          }
        : undefined,
    });
    return {
      run: async () => {
        const result = await session.run();
        if (result.kind !== 'authenticated') return;
        try {
          await (options.onAuthenticated ?? ((o, t) => serveResourceBinding(t, o, { domain: options.domain })))(result.outcome, transport);
        } catch {
          // the client left or broke the stream
        } finally {
          transport.close();
        }
      },
      shutdown: () => transport.close(),
    };
  });
}
