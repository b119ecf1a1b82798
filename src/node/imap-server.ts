/**
 * A small IMAP authentication server for Node, for tests, docs and trying
 * clients out: {@link ImapServerSession} on every connection of a `net`
 * (STARTTLS) or `tls` (implicit TLS) listener, with the TLS channel bindings
 * of `./channel-binding.js` handed to the SASL server so SCRAM-PLUS works.
 *
 * @module
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { SASLError } from '../core/errors.js';
import type { ServerConnection } from '../server/mechanism.js';
import { ImapServerSession, type ImapServerSessionOptions, type ImapSessionEnd } from '../protocols/imap/server.js';
import { serverConnectionOf, type TlsChannelBindingOptions } from './channel-binding.js';
import { SocketLineTransport } from './socket-line-transport.js';

/** Options of {@link startImapServer}. */
export interface NodeImapServerOptions extends Omit<ImapServerSessionOptions, 'connection' | 'startTLS'> {
  /** Address to listen on. Default `'127.0.0.1'`. */
  readonly host?: string;
  /** Port; default 0 (a free port, see {@link RunningImapServer.port}). */
  readonly port?: number;
  /**
   * TLS configuration (key, cert, minVersion, maxVersion...). With it the
   * server offers STARTTLS, or speaks TLS from the first byte when
   * {@link NodeImapServerOptions.implicitTLS} is set.
   */
  readonly tls?: tls.SecureContextOptions;
  /** Implicit TLS (port 993 style) instead of STARTTLS. Default false. */
  readonly implicitTLS?: boolean;
  /** Options for the channel-binding providers (e.g. `allowExporterOnTls12`). */
  readonly channelBinding?: TlsChannelBindingOptions;
  /** Milliseconds a read may wait for a client line. Default 60000. */
  readonly readTimeoutMs?: number;
  /** Longest client line, in bytes. Default 16384 (AUTHENTICATE data included). */
  readonly maxLineLength?: number;
  /** Most simultaneous connections; more get `* BYE` at once. Default 64. */
  readonly maxConnections?: number;
  /** Called when a session ends (e.g. for tests and logs). */
  readonly onSessionEnd?: (end: ImapSessionEnd) => void;
}

/** A listening server from {@link startImapServer}. */
export interface RunningImapServer {
  /** The address it listens on. */
  readonly host: string;
  /** The port it listens on. */
  readonly port: number;
  /** Connections currently open. */
  readonly connections: number;
  /** Stop listening and close every open connection. */
  close(): Promise<void>;
}

/**
 * Start an IMAP server that authenticates clients with `options.sasl`.
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
export async function startImapServer(options: NodeImapServerOptions): Promise<RunningImapServer> {
  const host = options.host ?? '127.0.0.1';
  const maxConnections = options.maxConnections ?? 64;
  if (options.implicitTLS && !options.tls) throw new SASLError(null, 'invalid argument', 'implicitTLS needs tls options');
  const secureContext = options.tls ? tls.createSecureContext(options.tls) : null;
  const sockets = new Set<net.Socket>();
  const sessions = new Set<ImapServerSession>();
  const transportOptions = { readTimeoutMs: options.readTimeoutMs ?? 60_000, maxLineLength: options.maxLineLength ?? 16_384 };

  const serve = (socket: net.Socket, initial: ServerConnection): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // reported through the transport; must not crash the process
    if (sockets.size > maxConnections) {
      socket.end('* BYE Too many connections\r\n');
      return;
    }
    const transport = new SocketLineTransport(socket, transportOptions);
    const session = new ImapServerSession(transport, {
      ...options,
      connection: initial,
      startTLS:
        secureContext && !initial.secure
          ? async () => serverConnectionOf(await transport.startTLS({ isServer: true, secureContext }), { ...options.channelBinding, role: 'server' })
          : undefined,
    });
    sessions.add(session);
    void session
      .run()
      .then((end) => options.onSessionEnd?.(end))
      .finally(() => sessions.delete(session));
  };

  const server = options.implicitTLS
    ? // tls.Server builds its context from the key/cert options
      tls.createServer({ ...options.tls }, (s) => serve(s, serverConnectionOf(s, { ...options.channelBinding, role: 'server' })))
    : net.createServer((s) => serve(s, { secure: false }));
  // A failed TLS handshake on the implicit-TLS listener must not crash the process.
  server.on('tlsClientError', () => {});

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new SASLError(null, 'transport error', `cannot listen on ${host}: ${err.message}`)));
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address() as net.AddressInfo;

  return {
    host,
    port: address.port,
    get connections() {
      return sockets.size;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sessions) void s.shutdown();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
