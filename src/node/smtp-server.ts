/**
 * A small SMTP AUTH server for Node, for tests, docs and trying clients out:
 * {@link SmtpServerSession} on every connection of a `net` (STARTTLS) or
 * `tls` (implicit TLS) listener, with the TLS channel bindings of
 * `./channel-binding.js` handed to the SASL server so SCRAM-PLUS works.
 *
 * @module
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { SASLError } from '../core/errors.js';
import type { ServerConnection } from '../server/mechanism.js';
import { SmtpServerSession, type SmtpServerSessionOptions } from '../protocols/smtp/server.js';
import { serverChannelBindings, type TlsChannelBindingOptions } from './channel-binding.js';
import { SocketLineTransport } from './socket-line-transport.js';

/** Options of {@link startSmtpServer}. */
export interface NodeSmtpServerOptions extends Omit<SmtpServerSessionOptions, 'connection' | 'startTLS'> {
  /** Address to listen on. Default `'127.0.0.1'`. */
  readonly host?: string;
  /** Port; default 0 (a free port, see {@link RunningSmtpServer.port}). */
  readonly port?: number;
  /**
   * TLS configuration (key, cert, minVersion, maxVersion...). With it the
   * server offers STARTTLS, or speaks TLS from the first byte when
   * {@link NodeSmtpServerOptions.implicitTLS} is set.
   */
  readonly tls?: tls.SecureContextOptions & Pick<tls.TlsOptions, 'requestCert' | 'rejectUnauthorized'>;
  /** Implicit TLS (RFC 8314, port 465 style) instead of STARTTLS. Default false. */
  readonly implicitTLS?: boolean;
  /** Options for the channel-binding providers (e.g. `allowExporterOnTls12`). */
  readonly channelBinding?: TlsChannelBindingOptions;
  /** Milliseconds a read may wait for a client line. Default 60000. */
  readonly readTimeoutMs?: number;
  /** Most simultaneous connections; more are closed at once with 421. Default 64. */
  readonly maxConnections?: number;
}

/** A listening server from {@link startSmtpServer}. */
export interface RunningSmtpServer {
  /** The address it listens on. */
  readonly host: string;
  /** The port it listens on. */
  readonly port: number;
  /** Connections currently open. */
  readonly connections: number;
  /** Stop listening and close every open connection. */
  close(): Promise<void>;
}

function connectionOf(socket: tls.TLSSocket, options: TlsChannelBindingOptions | undefined): ServerConnection {
  return { secure: true, channelBindings: [...serverChannelBindings(socket, { ...options, role: 'server' }).values()] };
}

/**
 * Start an SMTP server.
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
export async function startSmtpServer(options: NodeSmtpServerOptions): Promise<RunningSmtpServer> {
  const host = options.host ?? '127.0.0.1';
  const maxConnections = options.maxConnections ?? 64;
  if (options.implicitTLS && !options.tls) throw new SASLError(null, 'invalid argument', 'implicitTLS needs tls options');
  const secureContext = options.tls ? tls.createSecureContext(options.tls) : null;
  const sockets = new Set<net.Socket>();
  const sessions = new Set<SmtpServerSession>();
  const transportOptions = { readTimeoutMs: options.readTimeoutMs ?? 60_000, maxLineLength: (options.maxLineLength ?? 16_384) + 2 };

  const serve = (socket: net.Socket, initial: ServerConnection): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // reported through the transport; must not crash the process
    if (sockets.size > maxConnections) {
      socket.end('421 4.7.0 Too many connections\r\n');
      return;
    }
    const transport = new SocketLineTransport(socket, transportOptions);
    const session = new SmtpServerSession(transport, {
      ...options,
      connection: initial,
      startTLS:
        secureContext && !initial.secure
          ? async () => {
              const secure = await transport.startTLS({
                isServer: true,
                secureContext,
                requestCert: options.tls?.requestCert ?? false,
                rejectUnauthorized: options.tls?.rejectUnauthorized ?? false,
              });
              return connectionOf(secure, options.channelBinding);
            }
          : undefined,
    });
    sessions.add(session);
    void session.run().finally(() => sessions.delete(session));
  };

  const server = options.implicitTLS
    ? // tls.Server builds its context from the key/cert options (it ignores `secureContext`)
      tls.createServer({ ...options.tls, requestCert: options.tls?.requestCert ?? false, rejectUnauthorized: options.tls?.rejectUnauthorized ?? false }, (s) =>
        serve(s, connectionOf(s, options.channelBinding)),
      )
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
