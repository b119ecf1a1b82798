/**
 * The listener shared by the Node protocol servers (IMAP, SMTP, XMPP): a
 * `net` (STARTTLS) or `tls` (implicit TLS) server that tracks its sockets and
 * sessions, refuses connections beyond a limit, hands each session what it
 * needs for STARTTLS and channel binding, and closes everything on `close()`.
 *
 * @module
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { SASLError } from '../../core/errors.js';
import type { ServerConnection } from '../../server/mechanism.js';
import type { TlsChannelBindingOptions } from '../../channel-binding/tls/providers.js';
import { serverConnectionOf } from './connection.js';
import type { ServerStartTLSOptions } from '../tls/upgrade.js';
import type { clientCertificateIdentity } from '../tls/client-certificate.js';

/** Listener options common to every Node protocol server. */
export interface SessionServerOptions {
  /** Address to listen on. Default `'127.0.0.1'`. */
  readonly host?: string;
  /** Port; default 0 (a free port, see {@link RunningServer.port}). */
  readonly port?: number;
  /**
   * TLS configuration (key, cert, minVersion, maxVersion, and whether to ask
   * for client certificates). With it the server offers STARTTLS, or speaks
   * TLS from the first byte when `implicitTLS` is set.
   */
  readonly tls?: tls.SecureContextOptions & Pick<tls.TlsOptions, 'requestCert' | 'rejectUnauthorized'>;
  /** Implicit TLS instead of STARTTLS. Default false. */
  readonly implicitTLS?: boolean;
  /** Options for the channel-binding providers (e.g. `allowExporterOnTls12`). */
  readonly channelBinding?: TlsChannelBindingOptions;
  /**
   * Most simultaneous sessions; a connection beyond it gets the protocol's
   * refusal and is destroyed after `REFUSAL_GRACE_MS`, whatever the
   * client does. Refused connections and sessions that already ended (their
   * socket still closing) are not counted. Default 64.
   */
  readonly maxConnections?: number;
  /**
   * The identity established by TLS for SASL EXTERNAL, e.g.
   * {@link clientCertificateIdentity} (with `tls.requestCert` and `tls.ca`
   * set so client certificates are asked for and verified). Default: none,
   * so EXTERNAL is never offered.
   */
  readonly externalIdentity?: (socket: tls.TLSSocket) => string | null;
  /**
   * Told of every connection accepted within `maxConnections`, synchronously
   * before its session starts (so an `AsyncLocalStorage.enterWith` here is
   * seen by the session's hooks): for connection logs, from
   * `socket.remoteAddress`/`remotePort` and the socket's `'close'` event.
   * An error it throws is ignored.
   */
  readonly onConnection?: (socket: net.Socket) => void;
}

/** A listening server. */
export interface RunningServer {
  /** The address it listens on. */
  readonly host: string;
  /** The port it listens on. */
  readonly port: number;
  /**
   * Sessions currently running: refused connections and sockets whose close
   * is pending are not counted (this is the number `maxConnections` bounds).
   */
  readonly connections: number;
  /** Stop listening and close every open connection. */
  close(): Promise<void>;
}

/** What a protocol session needs to know about its new connection. */
export interface SessionContext {
  /** The accepted socket (a `tls.TLSSocket` under implicit TLS). */
  readonly socket: net.Socket;
  /** The connection as the SASL server should see it now. */
  readonly connection: ServerConnection;
  /**
   * Options for upgrading this socket in place (STARTTLS), or `undefined`
   * when no TLS is configured or the socket is already secure.
   */
  readonly startTLSOptions: ServerStartTLSOptions | undefined;
  /**
   * The connection as the SASL server should see it after STARTTLS.
   *
   * @param secure - the upgraded socket
   */
  connectionOf(secure: tls.TLSSocket): ServerConnection;
}

/** A running protocol session, as the listener manages it. */
export interface ServedSession {
  /** Serve the connection until it ends; must not reject. */
  run(): Promise<unknown>;
  /** End the session promptly (server shutdown). */
  shutdown(): unknown;
}

/**
 * Milliseconds a refused connection (over `maxConnections`) is given to read
 * the refusal before its socket is destroyed: 1000.
 */
export const REFUSAL_GRACE_MS = 1000;

/**
 * Listen and run one session per connection.
 *
 * @param options - see {@link SessionServerOptions}
 * @param tooManyConnections - what to send a connection over the limit
 *   before closing it (e.g. `'* BYE Too many connections\r\n'`)
 * @param createSession - makes the session for a new connection
 * @returns the running server once it listens
 */
export async function startSessionServer(
  options: SessionServerOptions,
  tooManyConnections: string,
  createSession: (context: SessionContext) => ServedSession,
): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const maxConnections = options.maxConnections ?? 64;
  if (options.implicitTLS && !options.tls) throw new SASLError(null, 'invalid argument', 'implicitTLS needs tls options');
  const clientCertificates = {
    requestCert: options.tls?.requestCert ?? false,
    rejectUnauthorized: options.tls?.rejectUnauthorized ?? false,
  };
  const secureContext = options.tls ? tls.createSecureContext(options.tls) : null;
  const connectionOf = (socket: net.Socket): ServerConnection => {
    const connection = serverConnectionOf(socket, { ...options.channelBinding, role: 'server' });
    const external = connection.secure && options.externalIdentity ? options.externalIdentity(socket as tls.TLSSocket) : null;
    return external ? { ...connection, externalIdentity: external } : connection;
  };
  /** Every open socket, refused ones included (all destroyed by close()). */
  const sockets = new Set<net.Socket>();
  /** Sockets of running sessions: what maxConnections bounds. */
  const counted = new Set<net.Socket>();
  const sessions = new Set<ServedSession>();

  const serve = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      counted.delete(socket);
    });
    socket.on('error', () => {}); // reported through the session's transport; must not crash the process
    if (counted.size >= maxConnections) {
      // Answer, discard whatever the client sends (so its FIN is seen), and
      // destroy after a short grace whether or not the client closes.
      socket.resume();
      socket.end(tooManyConnections);
      const grace = setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS).unref();
      socket.once('close', () => clearTimeout(grace));
      return;
    }
    counted.add(socket);
    try {
      options.onConnection?.(socket);
    } catch {
      // a logging hook must not stop the session
    }
    const connection = connectionOf(socket);
    let session: ServedSession;
    try {
      session = createSession({
        socket,
        connection,
        startTLSOptions: secureContext && !connection.secure ? { isServer: true, secureContext, ...clientCertificates } : undefined,
        connectionOf,
      });
    } catch {
      counted.delete(socket);
      socket.destroy();
      return;
    }
    sessions.add(session);
    void Promise.resolve()
      .then(() => session.run())
      .catch(() => undefined)
      .finally(() => {
        sessions.delete(session);
        // The session is over: its slot is free even while the socket closes;
        // make sure that close does not linger.
        counted.delete(socket);
        if (!socket.destroyed) {
          // Cleared once the socket closes: until then it keeps the session reachable.
          const timer = setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS).unref();
          socket.once('close', () => clearTimeout(timer));
        }
      });
  };

  const server = options.implicitTLS
    ? // tls.Server builds its context from the key/cert options
      tls.createServer({ ...options.tls, ...clientCertificates }, serve)
    : net.createServer(serve);
  // A failed TLS handshake on the implicit-TLS listener must not crash the process.
  server.on('tlsClientError', () => {});

  await new Promise<void>((resolve, reject) => {
    // Kept for the server's lifetime: a later listener error (e.g. EMFILE on
    // accept) must not crash the process; once listening, reject is a no-op.
    server.on('error', (err) => reject(new SASLError(null, 'transport error', `cannot listen on ${host}: ${err.message}`)));
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address() as net.AddressInfo;

  return {
    host,
    port: address.port,
    get connections() {
      return counted.size;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Each session says goodbye first (IMAP `* BYE`, SMTP 421, XMPP stream end), for at most
      // REFUSAL_GRACE_MS in all; then every socket goes.
      const goodbyes = [...sessions].map((s) => Promise.resolve().then(() => s.shutdown()).catch(() => undefined));
      // A goodbye written with end() is flushed once the socket's writable side finishes.
      const flushed = (socket: net.Socket): Promise<unknown> =>
        socket.destroyed || socket.writableFinished || !socket.writableEnded ? Promise.resolve() : new Promise((resolve) => socket.once('finish', resolve).once('close', resolve));
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(goodbyes).then(() => Promise.all([...sockets].map(flushed))),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, REFUSAL_GRACE_MS))),
      ]);
      clearTimeout(timer);
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
