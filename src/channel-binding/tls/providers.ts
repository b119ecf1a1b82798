/**
 * TLS channel binding for Node: {@link ChannelBindingProvider}s for a
 * `tls.TLSSocket`, on the client and on the server side.
 *
 * - `tls-unique` (RFC 5929 §3): the first Finished message of the latest
 *   handshake. TLS 1.2 and below only: TLS 1.3 has no such value, and asking
 *   for it there is an error, never silently different data.
 * - `tls-server-end-point` (RFC 5929 §4.1): a hash of the server
 *   certificate, with the hash of the certificate's signature algorithm (MD5
 *   and SHA-1 upgraded to SHA-256).
 * - `tls-exporter` (RFC 9266): 32 bytes from the TLS exporter with the label
 *   `EXPORTER-Channel-Binding` and an empty context. RFC 9266 allows it on
 *   TLS 1.2 only with the extended master secret (RFC 7627); Node has no way
 *   to tell whether that was negotiated, so saslkit offers tls-exporter on
 *   TLS 1.3 only unless the caller opts in with `allowExporterOnTls12`.
 *
 * This module is Node-only (entry point `saslkit/node`).
 *
 * @module
 */
import type { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ChannelBindingProvider, ChannelBindingType } from '../provider.js';
import type { ServerConnection } from '../../server/mechanism.js';
import { ChannelBindingError } from '../error.js';
import { clientCertificateIdentity } from '../../node/tls/client-certificate.js';
import { serverEndPointHash } from './server-end-point.js';

export { ChannelBindingError } from '../error.js';
export { endPointHashOf, serverEndPointHash, type EndPointHash } from './server-end-point.js';

/** Which end of the TLS connection a socket is. */
export type TlsRole = 'client' | 'server';

/**
 * What a client does about channel binding:
 * - `'disable'`: never bind (plain SCRAM only);
 * - `'prefer'`: bind when the connection can, else go without;
 * - `'require'`: bind or fail.
 */
export type ChannelBindingPolicy = 'disable' | 'prefer' | 'require';

/** Options shared by the providers and helpers of this module. */
export interface TlsChannelBindingOptions {
  /**
   * Which end `socket` is. Default: inferred from the socket (a socket
   * accepted by a `tls.Server` or made with `isServer: true` is the server).
   */
  readonly role?: TlsRole;
  /**
   * Offer `tls-exporter` on TLS 1.2 too. Only safe when the extended master
   * secret (RFC 7627) was negotiated, which Node cannot report (OpenSSL
   * negotiates it by default when the peer supports it). Default false.
   */
  readonly allowExporterOnTls12?: boolean;
}

/** The RFC 9266 exporter label. */
export const TLS_EXPORTER_LABEL = 'EXPORTER-Channel-Binding';
/** The RFC 9266 exporter output length, in bytes. */
export const TLS_EXPORTER_LENGTH = 32;


interface TlsSocketInternals {
  _tlsOptions?: { isServer?: unknown };
  server?: unknown;
}

/**
 * Tell which end of the connection `socket` is: `'server'` for a socket
 * accepted by a `tls.Server` or created with `isServer: true`.
 *
 * Node has no public property for this; saslkit reads the socket's own
 * construction options and falls back to `'client'`. Pass `role` explicitly
 * to the providers when in doubt.
 *
 * @param socket - a TLS socket
 * @returns the socket's role
 */
export function tlsRoleOf(socket: TLSSocket): TlsRole {
  const internals = socket as unknown as TlsSocketInternals;
  if (internals._tlsOptions && typeof internals._tlsOptions === 'object' && internals._tlsOptions.isServer === true) return 'server';
  return 'client';
}

function versionOf(socket: TLSSocket): string {
  const version = socket.getProtocol();
  if (!version || version === 'unknown') throw new ChannelBindingError('the TLS handshake is not complete');
  return version;
}

function isTls13(socket: TLSSocket): boolean {
  return versionOf(socket) === 'TLSv1.3';
}

function bytesOf(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/**
 * `tls-unique` (RFC 5929 §3): the first Finished message of the most recent
 * handshake. In a full handshake the client sends it first; in an
 * abbreviated (resumed) one the server does, so each end picks its own or
 * its peer's Finished accordingly.
 */
export class TlsUniqueBinding implements ChannelBindingProvider {
  /** Always `'tls-unique'`. */
  readonly cbName = 'tls-unique';
  readonly #socket: TLSSocket;
  readonly #role: TlsRole;

  /**
   * Give the `tls-unique` binding data of `socket`.
   *
   * @param socket - the connected TLS socket the exchange runs over
   * @param options - see {@link TlsChannelBindingOptions}
   */
  constructor(socket: TLSSocket, options: TlsChannelBindingOptions = {}) {
    this.#socket = socket;
    this.#role = options.role ?? tlsRoleOf(socket);
  }

  /**
   * The Finished message bytes.
   *
   * @throws {@link ChannelBindingError} on TLS 1.3 (RFC 9266 §3: tls-unique
   *   is undefined there) or before the handshake completed
   */
  extractCbData(): Uint8Array {
    if (isTls13(this.#socket)) throw new ChannelBindingError('tls-unique is not defined for TLS 1.3 (RFC 9266); use tls-exporter');
    const clientFirst = !this.#socket.isSessionReused();
    const ownFirst = (this.#role === 'client') === clientFirst;
    const finished = ownFirst ? this.#socket.getFinished() : this.#socket.getPeerFinished();
    if (!finished || finished.length === 0) throw new ChannelBindingError('no TLS Finished message available');
    return bytesOf(finished);
  }
}

/**
 * `tls-exporter` (RFC 9266): `TLS-Exporter("EXPORTER-Channel-Binding", "", 32)`.
 * The context is passed as a zero-length buffer (RFC 9266 §2: "a
 * zero-length context"); on TLS 1.3 that equals an absent context
 * (RFC 8446 §7.5), on TLS 1.2 it does not, and saslkit follows the RFC text.
 */
export class TlsExporterBinding implements ChannelBindingProvider {
  /** Always `'tls-exporter'`. */
  readonly cbName = 'tls-exporter';
  readonly #socket: TLSSocket;
  readonly #allowTls12: boolean;

  /**
   * Give the `tls-exporter` binding data of `socket`.
   *
   * @param socket - the connected TLS socket the exchange runs over
   * @param options - see {@link TlsChannelBindingOptions}
   */
  constructor(socket: TLSSocket, options: TlsChannelBindingOptions = {}) {
    this.#socket = socket;
    this.#allowTls12 = options.allowExporterOnTls12 ?? false;
  }

  /**
   * The 32 exporter bytes.
   *
   * @throws {@link ChannelBindingError} below TLS 1.3 unless
   *   `allowExporterOnTls12` was set, and below TLS 1.2 always
   */
  extractCbData(): Uint8Array {
    const version = versionOf(this.#socket);
    if (version !== 'TLSv1.3' && !(version === 'TLSv1.2' && this.#allowTls12)) {
      throw new ChannelBindingError(`tls-exporter is not offered on ${version} (RFC 9266 requires TLS 1.3, or TLS 1.2 with the extended master secret)`);
    }
    try {
      return bytesOf(this.#socket.exportKeyingMaterial(TLS_EXPORTER_LENGTH, TLS_EXPORTER_LABEL, Buffer.alloc(0)));
    } catch {
      throw new ChannelBindingError('the TLS exporter failed');
    }
  }
}

/**
 * `tls-server-end-point` (RFC 5929 §4.1): the hash of the server's
 * certificate (DER), with the hash function of the certificate's signature
 * algorithm, MD5 and SHA-1 replaced by SHA-256. The client hashes the
 * certificate its peer presented, the server its own.
 */
export class TlsServerEndPointBinding implements ChannelBindingProvider {
  /** Always `'tls-server-end-point'`. */
  readonly cbName = 'tls-server-end-point';
  readonly #socket: TLSSocket;
  readonly #role: TlsRole;

  /**
   * Give the `tls-server-end-point` binding data of `socket`.
   *
   * @param socket - the connected TLS socket the exchange runs over
   * @param options - see {@link TlsChannelBindingOptions}
   */
  constructor(socket: TLSSocket, options: TlsChannelBindingOptions = {}) {
    this.#socket = socket;
    this.#role = options.role ?? tlsRoleOf(socket);
  }

  /**
   * The certificate hash.
   *
   * @throws {@link ChannelBindingError} when there is no server certificate
   *   or its signature algorithm has no RFC 5929 hash (e.g. Ed25519)
   */
  extractCbData(): Uint8Array {
    versionOf(this.#socket);
    const der = this.#role === 'client' ? peerCertificateDer(this.#socket) : ownCertificateDer(this.#socket);
    if (!der) throw new ChannelBindingError('no server certificate on this connection');
    return serverEndPointHash(der);
  }
}

// The legacy certificate objects are read first: on Node 20, a call to
// getPeerX509Certificate() leaves the socket without a peer certificate for
// every later call (seen on v20.20), so the X509Certificate accessors are only
// a fallback.
function peerCertificateDer(socket: TLSSocket): Uint8Array | undefined {
  const legacy = socket.getPeerCertificate(false) as { raw?: unknown } | null;
  if (legacy && legacy.raw instanceof Uint8Array && legacy.raw.length > 0) return legacy.raw;
  return rawOf(socket.getPeerX509Certificate());
}

function ownCertificateDer(socket: TLSSocket): Uint8Array | undefined {
  const legacy = socket.getCertificate() as { raw?: unknown } | null;
  if (legacy && legacy.raw instanceof Uint8Array && legacy.raw.length > 0) return legacy.raw;
  return rawOf(socket.getX509Certificate());
}

function rawOf(cert: X509Certificate | undefined): Uint8Array | undefined {
  return cert ? cert.raw : undefined;
}

/**
 * The channel-binding types `socket` can give now: for a server, those it
 * can verify (to decide whether to offer -PLUS and, where the protocol can
 * say so, which types to advertise, e.g. XEP-0440). Order: strongest first
 * (tls-exporter, tls-unique, tls-server-end-point).
 *
 * @param socket - a TLS socket whose handshake is complete
 * @param options - see {@link TlsChannelBindingOptions}
 * @returns the available types; empty before the handshake
 */
export function availableChannelBindings(socket: TLSSocket, options: TlsChannelBindingOptions = {}): ChannelBindingType[] {
  const version = socket.getProtocol();
  if (!version || version === 'unknown') return [];
  const types: ChannelBindingType[] = [];
  if (version === 'TLSv1.3' || (version === 'TLSv1.2' && options.allowExporterOnTls12)) types.push('tls-exporter');
  if (version !== 'TLSv1.3') types.push('tls-unique');
  try {
    new TlsServerEndPointBinding(socket, options).extractCbData();
    types.push('tls-server-end-point');
  } catch {
    // no certificate, or one RFC 5929 gives no hash for
  }
  return types;
}

/**
 * The provider for one channel-binding type on `socket`.
 *
 * @param socket - the connected TLS socket
 * @param type - the binding type
 * @param options - see {@link TlsChannelBindingOptions}
 * @returns a provider (its data is computed on demand)
 */
export function channelBindingProvider(socket: TLSSocket, type: ChannelBindingType, options: TlsChannelBindingOptions = {}): ChannelBindingProvider {
  switch (type) {
    case 'tls-unique':
      return new TlsUniqueBinding(socket, options);
    case 'tls-exporter':
      return new TlsExporterBinding(socket, options);
    case 'tls-server-end-point':
      return new TlsServerEndPointBinding(socket, options);
    default:
      throw new ChannelBindingError(`unknown channel-binding type ${JSON.stringify(String(type)).slice(0, 40)}`);
  }
}

/**
 * Every available channel-binding type of `socket` as server-side providers,
 * strongest first: the shape of `ServerConnection.channelBindings` in
 * `saslkit/server`, so that SCRAM-PLUS can verify whichever type the client
 * chose.
 *
 * @param socket - a TLS socket whose handshake is complete (server side)
 * @param options - see {@link TlsChannelBindingOptions}; `role` defaults to `'server'`
 * @returns the providers; empty before the handshake
 */
export function serverChannelBindings(socket: TLSSocket, options: TlsChannelBindingOptions = {}): ChannelBindingProvider[] {
  const withRole = { ...options, role: options.role ?? ('server' as const) };
  return availableChannelBindings(socket, withRole).map((type) => channelBindingProvider(socket, type, withRole));
}

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
  return (Number.isSafeInteger(value) && (value as number) > 0 && (value as number) < 65536 ? { [key]: value } : {}) as { [P in K]?: number };
}

/** Options of {@link channelBindingFor}. */
export interface ChannelBindingForOptions extends TlsChannelBindingOptions {
  /** The type to use. Default: `tls-exporter` on TLS 1.3, `tls-unique` below. */
  readonly type?: ChannelBindingType;
  /** See {@link ChannelBindingPolicy}. Default `'prefer'`. */
  readonly policy?: ChannelBindingPolicy;
}

/**
 * The provider a client should give `SCRAMPLUS`, following a policy.
 *
 * @param socket - the client's TLS socket, or a plaintext socket / `null`
 *   when the connection is not encrypted
 * @param options - type, policy and role; see {@link ChannelBindingForOptions}
 * @returns a provider, or `null` when the policy allows going without
 *   (`'disable'`, or `'prefer'` and nothing suitable is available)
 * @throws {@link ChannelBindingError} under `'require'` when the requested
 *   (or default) type is not available on this connection
 */
export function channelBindingFor(socket: TLSSocket | Socket | null, options: ChannelBindingForOptions = {}): ChannelBindingProvider | null {
  const policy = options.policy ?? 'prefer';
  if (policy === 'disable') return null;
  const unavailable = (why: string): null => {
    if (policy === 'require') throw new ChannelBindingError(why);
    return null;
  };
  if (socket === null || (socket as { encrypted?: unknown }).encrypted !== true) return unavailable('the connection is not TLS');
  const tlsSocket = socket as TLSSocket;
  const available = availableChannelBindings(tlsSocket, options);
  const type = options.type ?? defaultChannelBindingType(tlsSocket, options);
  if (type === null) return unavailable('the TLS handshake is not complete');
  if (!available.includes(type)) return unavailable(`${type} is not available on ${tlsSocket.getProtocol() ?? 'this connection'}`);
  return channelBindingProvider(tlsSocket, type, options);
}

/**
 * The default type for a connection: `tls-exporter` on TLS 1.3 (RFC 9266),
 * `tls-unique` on TLS 1.2 and below (RFC 5929), which is what SCRAM-PLUS
 * peers expect by default.
 *
 * @param socket - a TLS socket
 * @param options - `allowExporterOnTls12` makes TLS 1.2 default to tls-exporter
 * @returns the type, or `null` before the handshake completed
 */
export function defaultChannelBindingType(socket: TLSSocket, options: TlsChannelBindingOptions = {}): ChannelBindingType | null {
  const version = socket.getProtocol();
  if (!version || version === 'unknown') return null;
  if (version === 'TLSv1.3') return 'tls-exporter';
  if (version === 'TLSv1.2' && options.allowExporterOnTls12) return 'tls-exporter';
  return 'tls-unique';
}
