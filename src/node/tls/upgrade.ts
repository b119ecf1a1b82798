/**
 * What the Node socket transports (lines, XMPP) share: in-place TLS upgrades
 * for STARTTLS, client or server side, and the set of socket listeners a
 * transport moves from the plain socket to the TLS one.
 *
 * @module
 */
import type { Socket } from 'node:net';
import * as tls from 'node:tls';

/** Client side of an in-place TLS upgrade: `tls.connect` options. */
export interface ClientStartTLSOptions extends tls.ConnectionOptions {
  /** Client side (the default). */
  readonly isServer?: false;
}

/** Server side of an in-place TLS upgrade: `tls.TLSSocket` options. */
export interface ServerStartTLSOptions extends tls.TLSSocketOptions {
  /** Server side. */
  readonly isServer: true;
}

/**
 * Options of an in-place TLS upgrade: {@link ClientStartTLSOptions} for a
 * client (default), or {@link ServerStartTLSOptions} for a server.
 */
export type StartTLSOptions = ClientStartTLSOptions | ServerStartTLSOptions;

/**
 * Run the TLS handshake over an already connected plain socket.
 *
 * @param plain - the connected socket (its own listeners already removed)
 * @param options - see {@link StartTLSOptions}
 * @param timeoutMs - how long the handshake may take
 * @returns the TLS socket once the handshake is complete
 * @throws Error with a message naming the cause (timeout or TLS alert); the
 *   caller wraps it in its own error class and destroys `plain`
 */
export function upgradeToTLS(plain: Socket, options: StartTLSOptions, timeoutMs: number): Promise<tls.TLSSocket> {
  return new Promise<tls.TLSSocket>((resolve, reject) => {
    let s: tls.TLSSocket;
    const timer = setTimeout(() => reject(new Error('TLS handshake timed out')), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      resolve(s);
    };
    if (options.isServer) {
      s = new tls.TLSSocket(plain, { ...options, isServer: true });
      s.once('secure', () => {
        const refusal = options.requestCert === true ? checkClientCertificate(s, options.rejectUnauthorized !== false) : null;
        if (refusal !== null) {
          clearTimeout(timer);
          s.destroy();
          reject(new Error(`TLS client certificate refused: ${refusal}`));
          return;
        }
        done();
      });
    } else {
      const { isServer: _ignored, ...clientOptions } = options;
      s = tls.connect({ ...clientOptions, socket: plain }, done);
    }
    s.once('error', (err: Error) => {
      clearTimeout(timer);
      reject(new Error(`TLS handshake failed: ${err.message}`));
    });
  });
}

/**
 * Decide `socket.authorized` for a server socket made by hand (STARTTLS):
 * Node does this only for sockets a `tls.Server` accepted, so an upgraded
 * socket would otherwise never count as authorized. Same rule as Node's own
 * (its internal `verifyError()`); when that is unavailable the certificate
 * counts as unverified, so the check fails closed.
 *
 * @returns why the certificate must be refused (`reject` set and not
 *   verified), or `null` to go on
 */
function checkClientCertificate(socket: tls.TLSSocket, reject: boolean): string | null {
  const handle = (socket as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } })._handle;
  const error: (Error & { code?: string }) | null =
    typeof handle?.verifyError === 'function' ? handle.verifyError() : new Error('verification unavailable');
  if (error) {
    socket.authorizationError = error;
    return reject ? (error.code ?? 'not verified') : null;
  }
  socket.authorized = true;
  return null;
}

/** The socket events a transport listens to. */
export interface SocketHandlers {
  /** Bytes arrived. */
  readonly data: (chunk: Buffer) => void;
  /** The peer ended or the socket closed. */
  readonly end: () => void;
  /** A socket error. */
  readonly error: (err: Error) => void;
}

/**
 * Attach `handlers` to `socket`; returns the function that detaches them
 * (before a TLS upgrade, or on teardown).
 *
 * @param socket - the socket
 * @param handlers - see {@link SocketHandlers}
 */
export function listenTo(socket: Socket, handlers: SocketHandlers): () => void {
  socket.on('data', handlers.data);
  socket.on('end', handlers.end);
  socket.on('close', handlers.end);
  socket.on('error', handlers.error);
  return () => {
    socket.off('data', handlers.data);
    socket.off('end', handlers.end);
    socket.off('close', handlers.end);
    socket.off('error', handlers.error);
  };
}
