/**
 * Which TLS channel binding to use: the types a socket can give now, the
 * default per TLS version, a client's policy (`disable` / `prefer` /
 * `require`) and a server's list of providers for SCRAM-PLUS.
 *
 * Node-only (entry point `saslkit/node`).
 *
 * @module
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ChannelBindingProvider, ChannelBindingType } from '../provider.js';
import { ChannelBindingError } from '../error.js';
import { TlsServerEndPointBinding, tlsChannelBinding, type TlsChannelBindingOptions } from './providers.js';

/**
 * What a client does about channel binding:
 * - `'disable'`: never bind (plain SCRAM only);
 * - `'prefer'`: bind when the connection can, else go without;
 * - `'require'`: bind or fail.
 */
export type ChannelBindingPolicy = 'disable' | 'prefer' | 'require';

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
  return availableChannelBindings(socket, withRole).map((type) => tlsChannelBinding(socket, type, withRole));
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
  return tlsChannelBinding(tlsSocket, type, options);
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
