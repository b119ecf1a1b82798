/**
 * The {@link ServerConnection} of an accepted Node socket: whether it is
 * secure, its channel bindings, and who is on the other end (addresses,
 * TLS version, client certificate identity).
 *
 * @module
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ServerConnection } from '../../server/mechanism.js';
import type { TlsChannelBindingOptions } from '../../channel-binding/tls/providers.js';
import { serverChannelBindings } from '../../channel-binding/tls/policy.js';
import { clientCertificateIdentity } from '../tls/client-certificate.js';
import { isIntegerIn } from '../../core/checks.js';

/**
 * The `ServerConnection` (see `saslkit/server`) of a server-side socket:
 * secure and with its channel bindings when it is a TLS socket whose
 * handshake is complete, else insecure without bindings.
 *
 * @param socket - the accepted socket (plain, or TLS after the handshake)
 * @param options - see {@link TlsChannelBindingOptions}
 * @returns what to pass to `SASLServer.advertise` and `SASLServer.start`
 */
export function serverConnectionOf(socket: Socket, options: TlsChannelBindingOptions = {}): ServerConnection {
  const identity = connectionIdentityOf(socket);
  if ((socket as TLSSocket).encrypted !== true) return { secure: false, channelBindings: [], ...identity };
  return { secure: true, channelBindings: serverChannelBindings(socket as TLSSocket, options), ...identity };
}

/** The identity fields of a {@link ServerConnection}. */
export type ConnectionIdentity = Pick<
  ServerConnection,
  'peerAddress' | 'peerPort' | 'localAddress' | 'localPort' | 'tlsVersion' | 'clientCertificateIdentity'
>;

/**
 * Who is on the other end of a server-side socket, and how: the peer's and
 * the local address and port, the TLS version (`null` without TLS), and the
 * identity of a client certificate the TLS layer verified (its subject CN,
 * see {@link clientCertificateIdentity}; `null` when there is none). Fields
 * the socket cannot tell (a closed socket, a pipe) are left out.
 * {@link serverConnectionOf} includes them, so every SASL server hook
 * (`authorize`, `onExchangeEnd`, the throttle) sees them.
 *
 * @param socket - the accepted socket (plain, or TLS after the handshake)
 * @returns the identity fields
 */
export function connectionIdentityOf(socket: Socket): ConnectionIdentity {
  const tlsSocket = (socket as TLSSocket).encrypted === true ? (socket as TLSSocket) : null;
  // After STARTTLS the TLS socket wraps the accepted one; either may know the addresses.
  const parent = (socket as unknown as { _parent?: unknown })._parent;
  const raw = parent && typeof parent === 'object' && 'remoteAddress' in parent ? (parent as Socket) : null;
  const pick = <K extends 'remoteAddress' | 'remotePort' | 'localAddress' | 'localPort'>(key: K): Socket[K] => socket[key] ?? raw?.[key];
  const version = tlsSocket?.getProtocol();
  return {
    ...definedString('peerAddress', pick('remoteAddress')),
    ...definedPort('peerPort', pick('remotePort')),
    ...definedString('localAddress', pick('localAddress')),
    ...definedPort('localPort', pick('localPort')),
    tlsVersion: tlsSocket ? (typeof version === 'string' && version !== 'unknown' ? version : null) : null,
    clientCertificateIdentity: tlsSocket ? clientCertificateIdentity(tlsSocket) : null,
  };
}

function definedString<K extends string>(key: K, value: unknown): { [P in K]?: string } {
  return (typeof value === 'string' && value !== '' ? { [key]: value } : {}) as { [P in K]?: string };
}

function definedPort<K extends string>(key: K, value: unknown): { [P in K]?: number } {
  return (isIntegerIn(value, 1, 65535) ? { [key]: value } : {}) as { [P in K]?: number };
}
