/**
 * TLS channel binding for Node: one factory, {@link tlsChannelBinding}, makes
 * the {@link ChannelBindingProvider} of a `tls.TLSSocket` for each type, on
 * the client and on the server side. The types differ only in where their
 * bytes come from:
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
 * `./policy.ts` chooses among them; this folder is Node-only (entry point
 * `saslkit/node`).
 *
 * @module
 */
import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { ChannelBindingProvider, ChannelBindingType } from '../provider.js';
import { ChannelBindingError } from '../error.js';
import { serverEndPointHash } from './server-end-point.js';

/** Which end of the TLS connection a socket is. */
export type TlsRole = 'client' | 'server';

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

function bytesOf(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** Where each type's bytes come from; each throws {@link ChannelBindingError} when the connection cannot give them. */
const EXTRACT: Readonly<Record<ChannelBindingType, (socket: TLSSocket, role: TlsRole, options: TlsChannelBindingOptions) => Uint8Array>> = {
  // RFC 5929 §3: in a full handshake the client sends the first Finished, in
  // an abbreviated (resumed) one the server does.
  'tls-unique': (socket, role) => {
    if (versionOf(socket) === 'TLSv1.3') throw new ChannelBindingError('tls-unique is not defined for TLS 1.3 (RFC 9266); use tls-exporter');
    const ownFirst = (role === 'client') === !socket.isSessionReused();
    const finished = ownFirst ? socket.getFinished() : socket.getPeerFinished();
    if (!finished || finished.length === 0) throw new ChannelBindingError('no TLS Finished message available');
    return bytesOf(finished);
  },
  // RFC 9266 §2: "a zero-length context", passed as an empty buffer; on TLS 1.3
  // that equals an absent context (RFC 8446 §7.5), on TLS 1.2 it does not.
  'tls-exporter': (socket, _role, options) => {
    const version = versionOf(socket);
    if (version !== 'TLSv1.3' && !(version === 'TLSv1.2' && options.allowExporterOnTls12 === true)) {
      throw new ChannelBindingError(`tls-exporter is not offered on ${version} (RFC 9266 requires TLS 1.3, or TLS 1.2 with the extended master secret)`);
    }
    try {
      return bytesOf(socket.exportKeyingMaterial(TLS_EXPORTER_LENGTH, TLS_EXPORTER_LABEL, Buffer.alloc(0)));
    } catch {
      throw new ChannelBindingError('the TLS exporter failed');
    }
  },
  // RFC 5929 §4.1: the client hashes the certificate its peer presented, the server its own.
  'tls-server-end-point': (socket, role) => {
    versionOf(socket);
    const der = role === 'client' ? peerCertificateDer(socket) : ownCertificateDer(socket);
    if (!der) throw new ChannelBindingError('no server certificate on this connection');
    return serverEndPointHash(der);
  },
};

/**
 * The channel-binding provider of one type on a TLS socket; its data is
 * computed on demand, each time {@link extractCbData} is called. Made by
 * {@link tlsChannelBinding}, or by the per-type classes below.
 */
export class TlsChannelBinding implements ChannelBindingProvider {
  /** The channel-binding type, as sent in the GS2 header. */
  readonly cbName: ChannelBindingType;
  readonly #socket: TLSSocket;
  readonly #role: TlsRole;
  readonly #options: TlsChannelBindingOptions;

  /**
   * Give the binding data of `type` for `socket`.
   *
   * @param socket - the connected TLS socket the exchange runs over
   * @param type - the channel-binding type
   * @param options - see {@link TlsChannelBindingOptions}
   * @throws {@link ChannelBindingError} for a type saslkit does not know
   */
  constructor(socket: TLSSocket, type: ChannelBindingType, options: TlsChannelBindingOptions = {}) {
    if (!Object.prototype.hasOwnProperty.call(EXTRACT, type)) {
      throw new ChannelBindingError(`unknown channel-binding type ${JSON.stringify(String(type)).slice(0, 40)}`);
    }
    this.cbName = type;
    this.#socket = socket;
    this.#role = options.role ?? tlsRoleOf(socket);
    this.#options = options;
  }

  /**
   * The binding data.
   *
   * @throws {@link ChannelBindingError} before the handshake completed, and
   *   when the connection cannot give this type: `tls-unique` on TLS 1.3
   *   (RFC 9266 §3); `tls-exporter` below TLS 1.3 unless
   *   `allowExporterOnTls12` was set (below TLS 1.2 always);
   *   `tls-server-end-point` without a server certificate or with one whose
   *   signature algorithm has no RFC 5929 hash (e.g. Ed25519)
   */
  extractCbData(): Uint8Array {
    return EXTRACT[this.cbName](this.#socket, this.#role, this.#options);
  }
}

/**
 * The provider for one channel-binding type on `socket`: the one factory
 * for TLS channel binding.
 *
 * @param socket - the connected TLS socket
 * @param type - the binding type
 * @param options - see {@link TlsChannelBindingOptions}
 * @returns a provider (its data is computed on demand)
 * @throws {@link ChannelBindingError} for a type saslkit does not know
 */
export function tlsChannelBinding(socket: TLSSocket, type: ChannelBindingType, options: TlsChannelBindingOptions = {}): TlsChannelBinding {
  return new TlsChannelBinding(socket, type, options);
}

/**
 * The factory under its earlier name: see {@link tlsChannelBinding}.
 *
 * @param socket - the connected TLS socket
 * @param type - the binding type
 * @param options - see {@link TlsChannelBindingOptions}
 * @returns a provider (its data is computed on demand)
 */
export function channelBindingProvider(socket: TLSSocket, type: ChannelBindingType, options: TlsChannelBindingOptions = {}): ChannelBindingProvider {
  return new TlsChannelBinding(socket, type, options);
}

/** `tls-unique` (RFC 5929 §3) of a socket: `tlsChannelBinding(socket, 'tls-unique', options)`. */
export class TlsUniqueBinding extends TlsChannelBinding {
  /**
   * Give the `tls-unique` binding data of `socket`.
   *
   * @param socket - the connected TLS socket the exchange runs over
   * @param options - see {@link TlsChannelBindingOptions}
   */
  constructor(socket: TLSSocket, options: TlsChannelBindingOptions = {}) {
    super(socket, 'tls-unique', options);
  }
}

/** `tls-exporter` (RFC 9266) of a socket: `tlsChannelBinding(socket, 'tls-exporter', options)`. */
export class TlsExporterBinding extends TlsChannelBinding {
  /**
   * Give the `tls-exporter` binding data of `socket`.
   *
   * @param socket - the connected TLS socket the exchange runs over
   * @param options - see {@link TlsChannelBindingOptions}
   */
  constructor(socket: TLSSocket, options: TlsChannelBindingOptions = {}) {
    super(socket, 'tls-exporter', options);
  }
}

/** `tls-server-end-point` (RFC 5929 §4.1) of a socket: `tlsChannelBinding(socket, 'tls-server-end-point', options)`. */
export class TlsServerEndPointBinding extends TlsChannelBinding {
  /**
   * Give the `tls-server-end-point` binding data of `socket`.
   *
   * @param socket - the connected TLS socket the exchange runs over
   * @param options - see {@link TlsChannelBindingOptions}
   */
  constructor(socket: TLSSocket, options: TlsChannelBindingOptions = {}) {
    super(socket, 'tls-server-end-point', options);
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
