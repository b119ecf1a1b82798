/**
 * Connecting to a server over `net` or `tls` as a {@link SocketLineTransport}:
 * the shared first step of the Node protocol helpers (IMAP, SMTP, ...).
 *
 * @module
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { SocketLineTransport, TransportError, type SocketLineTransportOptions } from './socket-line-transport.js';
import { checkInteger } from '../../core/checks.js';

/**
 * How a connection is secured:
 * - `'implicit'`: TLS from the first byte (IMAPS 993, SMTPS 465);
 * - `'starttls'`: plaintext first, upgraded by the protocol's STARTTLS
 *   command (the protocol helper does the upgrade; it fails if the server
 *   cannot);
 * - `'none'`: plaintext throughout (tests, or a trusted local socket).
 */
export type ConnectionSecurity = 'implicit' | 'starttls' | 'none';

/** Options of {@link connectLineTransport}. */
export interface ConnectOptions extends SocketLineTransportOptions {
  /** Host name or address. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** See {@link ConnectionSecurity}. Default `'starttls'`. */
  readonly security?: ConnectionSecurity;
  /**
   * Options for `tls.connect` (e.g. `ca`, `minVersion`, `maxVersion`,
   * `rejectUnauthorized`), for implicit TLS and STARTTLS. `servername`
   * defaults to `host` when it is a name.
   */
  readonly tls?: tls.ConnectionOptions;
  /** Local address to connect from (default: chosen by the system). */
  readonly localAddress?: string;
  /** Milliseconds to wait for the TCP connection (and TLS handshake). Default 10000. */
  readonly connectTimeoutMs?: number;
}

/**
 * The `tls.connect` options for `options`: the caller's TLS options, with
 * SNI set to the host unless it is an IP address.
 *
 * @param options - the connect options
 */
export function tlsOptionsFor(options: ConnectOptions): tls.ConnectionOptions {
  const servername = options.tls?.servername ?? (net.isIP(options.host) === 0 ? options.host : undefined);
  return { ...options.tls, ...(servername === undefined ? {} : { servername }) };
}

/** Where and how {@link openSocket} connects. */
export interface SocketConnectOptions {
  /** Host name or address. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** TLS from the first byte, with these `tls.connect` options; `null` for plain TCP. */
  readonly tls: tls.ConnectionOptions | null;
  /** Local address to connect from (default: chosen by the system). */
  readonly localAddress?: string;
  /** Milliseconds to wait for the TCP connection (and TLS handshake). */
  readonly timeoutMs: number;
}

/**
 * Open a TCP (or implicit-TLS) connection, the first step of every Node
 * client helper. On an error or timeout the socket is destroyed (and later
 * socket errors are absorbed) and the promise rejects with `fail(why)`.
 *
 * @param options - see {@link SocketConnectOptions}
 * @param fail - makes the rejection (a {@link TransportError} by default);
 *   `timedOut` tells a timeout from a refused or failed connection
 */
export function openSocket(
  options: SocketConnectOptions,
  fail: (why: string, timedOut: boolean) => Error = (why) => new TransportError(why),
): Promise<net.Socket> {
  const { host, port, timeoutMs } = options;
  const local = options.localAddress === undefined ? {} : { localAddress: options.localAddress };
  return new Promise<net.Socket>((resolve, reject) => {
    let settled = false;
    const s: net.Socket = options.tls
      ? tls.connect({ ...options.tls, host, port, ...local }, () => done(null))
      : net.connect({ host, port, ...local }, () => done(null));
    const timer = setTimeout(() => done(fail(`connecting to ${host}:${port} timed out after ${timeoutMs} ms`, true)), timeoutMs);
    const onError = (err: Error): void => done(fail(`connecting to ${host}:${port} failed: ${err.message}`, false));
    s.once('error', onError);
    function done(err: Error | null): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.off('error', onError);
      if (err) {
        s.on('error', () => {}); // late errors after destroy must not crash the process
        s.destroy();
        reject(err);
      } else {
        resolve(s);
      }
    }
  });
}

/**
 * Open a TCP connection (with TLS at once for `security: 'implicit'`) and
 * wrap it in a {@link SocketLineTransport}. On any error or timeout the
 * socket is destroyed and the promise rejects with a {@link TransportError}.
 *
 * @param options - see {@link ConnectOptions}
 * @returns the transport; for `'starttls'` still plaintext
 */
export async function connectLineTransport(options: ConnectOptions): Promise<SocketLineTransport> {
  const { host, port } = options;
  if (typeof host !== 'string' || host.length === 0) throw new TransportError('host must be a non-empty string');
  checkInteger(port, 'port', 1, 65535, (t) => new TransportError(t));
  const socket = await openSocket({
    host,
    port,
    tls: options.security === 'implicit' ? tlsOptionsFor(options) : null,
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    timeoutMs: options.connectTimeoutMs ?? 10_000,
  });
  // Every SocketLineTransportOption a caller gave (read and write timeouts,
  // buffer bounds, line terminator) reaches the transport.
  const { host: _host, port: _port, security: _security, tls: _tls, localAddress: _local, connectTimeoutMs: _connect, ...transportOptions } = options;
  try {
    return new SocketLineTransport(socket, transportOptions satisfies SocketLineTransportOptions);
  } catch (err) {
    // A bad bound: the socket is open already and must not be left so.
    socket.destroy();
    throw err;
  }
}
