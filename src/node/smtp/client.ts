/**
 * Connect to an SMTP server from Node and authenticate with saslkit:
 * connection, greeting, EHLO, STARTTLS or implicit TLS, AUTH through
 * `authenticate()`, QUIT. Every read has a timeout and a size bound (those
 * of {@link SocketLineTransport}), and the connection is closed on every
 * error path.
 *
 * @module
 */
import * as tls from 'node:tls';
import { SASLError } from '../../core/errors.js';
import type { SASLMechanism } from '../../core/mechanism.js';
import { authenticate } from '../../core/negotiate.js';
import type { EhloResponse } from '../../protocols/smtp/ehlo.js';
import { SmtpClient, SmtpSASLInterface, type SmtpClientOptions } from '../../protocols/smtp/client.js';
import { connectLineTransport, tlsOptionsFor, type ConnectOptions } from '../transport/connect.js';
import type { SocketLineTransport } from '../transport/socket-line-transport.js';

/** How the connection is secured. */
export type SmtpSecurity = 'starttls' | 'implicit' | 'none';

/**
 * Options of {@link connectSmtp}: where to connect and how (`host`, `port`,
 * `tls`, `localAddress` and the transport bounds, as for
 * `connectLineTransport`), plus SMTP's own.
 */
export interface SmtpConnectOptions extends SmtpClientOptions, Omit<ConnectOptions, 'security' | 'connectTimeoutMs'> {
  /**
   * `'starttls'` (default; fails when the server does not offer STARTTLS),
   * `'implicit'` (TLS from the first byte, RFC 8314) or `'none'`.
   */
  readonly security?: SmtpSecurity;
  /** The name sent with EHLO. Default `'localhost'`. */
  readonly ehloDomain?: string;
  /** Milliseconds to wait for the TCP (and implicit TLS) connection. Default 30000. */
  readonly connectTimeoutMs?: number;
}

/**
 * An open SMTP connection, greeted and EHLO'd (over TLS unless `security`
 * was `'none'`). Close it with {@link SmtpConnection.quit} or
 * {@link SmtpConnection.close}.
 */
export class SmtpConnection {
  /** The SMTP client (for further commands). */
  readonly client: SmtpClient;
  /** The line transport. */
  readonly transport: SocketLineTransport;

  /**
   * Wrap an open connection; {@link connectSmtp} makes one.
   *
   * @param client - the client
   * @param transport - its transport
   */
  constructor(client: SmtpClient, transport: SocketLineTransport) {
    this.client = client;
    this.transport = transport;
  }

  /** The extensions of the latest EHLO. */
  get extensions(): EhloResponse {
    return this.client.extensions!;
  }

  /** The TLS socket, or `null` on a plaintext connection (for channel binding). */
  get tlsSocket(): tls.TLSSocket | null {
    const s = this.transport.socket;
    return s instanceof tls.TLSSocket ? s : null;
  }

  /**
   * Authenticate with the first of `mechanisms` that the server offers and
   * that succeeds (saslkit's `authenticate()` over `AUTH`). On failure the
   * connection stays open (the server may allow another attempt).
   *
   * @param mechanisms - client mechanisms in order of preference
   * @returns the mechanism name used
   * @throws {@link AuthenticationFailure} when the credentials were refused;
   *   {@link SASLFailure} when no mechanism succeeded
   */
  async authenticate(mechanisms: Iterable<SASLMechanism<unknown>>): Promise<string> {
    return authenticate(new SmtpSASLInterface(this.client), this.extensions.authMechanisms, mechanisms);
  }

  /** Send QUIT (ignoring its reply) and close the connection. */
  async quit(): Promise<void> {
    try {
      await this.client.quit();
    } catch {
      // the server may already have closed; we are leaving anyway
    } finally {
      this.close();
    }
  }

  /** Close the connection at once. */
  close(): void {
    this.transport.close();
  }
}

/**
 * Connect, read the greeting, send EHLO and, for `'starttls'`, upgrade to
 * TLS and send EHLO again.
 *
 * @param options - see {@link SmtpConnectOptions}
 * @returns the open connection
 * @throws {@link SASLError} (closing the connection) on any failure, e.g.
 *   STARTTLS not offered, a certificate that does not verify, a timeout
 */
export async function connectSmtp(options: SmtpConnectOptions): Promise<SmtpConnection> {
  const security = options.security ?? 'starttls';
  if (security !== 'starttls' && security !== 'implicit' && security !== 'none') {
    throw new SASLError(null, 'invalid argument', 'security must be starttls, implicit or none');
  }
  const transport = await connectLineTransport({ ...options, security, connectTimeoutMs: options.connectTimeoutMs ?? 30_000 });
  const client = new SmtpClient(transport, options);
  try {
    await client.readGreeting();
    const domain = options.ehloDomain ?? 'localhost';
    const extensions = await client.ehlo(domain);
    if (security === 'starttls') {
      if (!extensions.startTLS) throw new SASLError(null, 'encryption required', 'the server does not offer STARTTLS');
      await client.startTLS(() => transport.startTLS(tlsOptionsFor(options)));
    }
    return new SmtpConnection(client, transport);
  } catch (err) {
    transport.close();
    throw err;
  }
}

/** Options of {@link authenticateSmtp}. */
export interface SmtpAuthenticateOptions extends SmtpConnectOptions {
  /**
   * The client mechanisms in order of preference, or a function making them
   * from the connection (for SCRAM-PLUS, which needs the TLS socket's
   * channel binding: `(c) => [new SCRAMPLUS(creds, channelBindingFor(c.tlsSocket)!), ...]`).
   */
  readonly mechanisms: Iterable<SASLMechanism<unknown>> | ((connection: SmtpConnection) => Iterable<SASLMechanism<unknown>>);
}

/**
 * Connect, authenticate and QUIT: a login check in one call.
 *
 * @param options - see {@link SmtpAuthenticateOptions}
 * @returns the mechanism used
 * @throws the error of whichever step failed; the connection is closed in every case
 */
export async function authenticateSmtp(options: SmtpAuthenticateOptions): Promise<string> {
  const connection = await connectSmtp(options);
  try {
    const mechanisms = typeof options.mechanisms === 'function' ? options.mechanisms(connection) : options.mechanisms;
    const used = await connection.authenticate(mechanisms);
    await connection.quit();
    return used;
  } finally {
    connection.close();
  }
}
