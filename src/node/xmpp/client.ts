/**
 * Connect to an XMPP server from Node, with STARTTLS or direct TLS, and
 * authenticate with saslkit mechanisms.
 *
 * @module
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ChannelBindingProvider, ChannelBindingType } from '../../channel-binding/provider.js';
import { AuthenticationFailure, SASLFailure } from '../../core/errors.js';
import type { SASLMechanism } from '../../core/mechanism.js';
import {
  authenticateXmpp,
  clientStreamHeader,
  openClientStream,
  pickChannelBindingType,
  startTLSClient,
} from '../../protocols/xmpp/client.js';
import type { XmlElement } from '../../protocols/xmpp/element.js';
import { XmppStreamError } from '../../protocols/xmpp/errors.js';
import { readChannelBindingTypes, readMechanisms, readStartTLS } from '../../protocols/xmpp/features.js';
import type { StreamHeader } from '../../protocols/xmpp/parser.js';
import { availableChannelBindings, tlsChannelBinding, ChannelBindingError, type ChannelBindingPolicy, type TlsChannelBindingOptions } from '../../channel-binding/tls/index.js';
import { openSocket } from '../transport/connect.js';
import { SocketXmppTransport, type SocketXmppTransportOptions } from './socket-transport.js';

/**
 * How the connection is secured: `'starttls'` (RFC 6120 §5, the default; the
 * connection fails if the server does not offer it), `'implicit'` (direct
 * TLS, XEP-0368) or `'none'` (plaintext; tests and local sockets only).
 */
export type XmppSecurity = 'starttls' | 'implicit' | 'none';

/** Options of {@link connectXmpp}. */
export interface XmppConnectOptions extends SocketXmppTransportOptions {
  /** Host to connect to. */
  readonly host: string;
  /** TCP port (5222 for STARTTLS, 5223 for direct TLS by convention). */
  readonly port: number;
  /** The XMPP domain (the stream's `to`, and the TLS server name by default). */
  readonly domain: string;
  /** See {@link XmppSecurity}. Default `'starttls'`. */
  readonly security?: XmppSecurity;
  /** Extra `tls.connect` options (CA, versions, ...). */
  readonly tls?: tls.ConnectionOptions;
  /** Local address to connect from (default: chosen by the system). */
  readonly localAddress?: string;
  /** Milliseconds to wait for the TCP connection. Default 10000. */
  readonly connectTimeoutMs?: number;
}

/** Options of {@link XmppClientConnection.channelBinding}. */
export interface XmppChannelBindingOptions extends Pick<TlsChannelBindingOptions, 'allowExporterOnTls12'> {
  /** See {@link ChannelBindingPolicy}. Default `'prefer'`. */
  readonly policy?: ChannelBindingPolicy;
  /** Use this type (if the connection can give it) instead of choosing by XEP-0440. */
  readonly type?: ChannelBindingType;
}

/**
 * An open client stream, ready to authenticate. Created by {@link connectXmpp}.
 */
export class XmppClientConnection {
  /** The stream transport. */
  readonly transport: SocketXmppTransport;
  /** The header this client sends at each stream (re)start. */
  readonly header: StreamHeader;
  #features: XmlElement;

  /**
   * Wrap an open stream; {@link connectXmpp} makes these.
   *
   * @param transport - the connected stream
   * @param header - the client's stream header
   * @param features - the server's current features
   */
  constructor(transport: SocketXmppTransport, header: StreamHeader, features: XmlElement) {
    this.transport = transport;
    this.header = header;
    this.#features = features;
  }

  /** The server's current stream features. */
  get features(): XmlElement {
    return this.#features;
  }

  /** The SASL mechanisms currently offered. */
  get mechanisms(): string[] {
    return readMechanisms(this.#features);
  }

  /** The TLS socket, or `null` on a plaintext connection. */
  get tlsSocket(): tls.TLSSocket | null {
    return this.transport.secure ? (this.transport.socket as tls.TLSSocket) : null;
  }

  /**
   * A channel-binding provider for `SCRAMPLUS`: the strongest type this
   * connection can give that the server advertised with XEP-0440 (or
   * `tls-unique` when it advertised nothing, as RFC 5929 makes it the default).
   *
   * @param options - `policy`: `'prefer'` (default) gives `null` when no type
   *   fits, `'require'` throws, `'disable'` always gives `null`; `type`: use
   *   this type instead of choosing; `allowExporterOnTls12`: see
   *   {@link TlsChannelBindingOptions}
   * @throws {@link ChannelBindingError} under `'require'` when no type fits
   */
  channelBinding(options: XmppChannelBindingOptions = {}): ChannelBindingProvider | null {
    const policy = options.policy ?? 'prefer';
    if (policy === 'disable') return null;
    const socket = this.tlsSocket;
    const tlsOptions = { allowExporterOnTls12: options.allowExporterOnTls12 === true, role: 'client' as const };
    const available = socket ? availableChannelBindings(socket, tlsOptions) : [];
    const advertised = options.type !== undefined ? [options.type] : readChannelBindingTypes(this.#features);
    const chosen = pickChannelBindingType(advertised, available);
    if (socket && chosen) return tlsChannelBinding(socket, chosen, tlsOptions);
    if (policy === 'require') throw new ChannelBindingError(socket ? 'no channel-binding type both sides support' : 'the connection is not TLS');
    return null;
  }

  /**
   * Authenticate (negotiation loop, then stream restart). A broken stream
   * closes the connection; after a `SASLFailure` the stream stays open.
   *
   * @param mechanisms - mechanism implementations, strongest first
   * @returns the mechanism that succeeded
   */
  async authenticate(mechanisms: Iterable<SASLMechanism<unknown>>): Promise<string> {
    try {
      const result = await authenticateXmpp(this.transport, this.#features, mechanisms, this.header);
      this.#features = result.features;
      return result.mechanism;
    } catch (err) {
      // A SASL failure leaves a usable stream (the client may retry); anything else does not.
      if (!(err instanceof SASLFailure || err instanceof AuthenticationFailure)) this.close();
      throw err;
    }
  }

  /** Close the stream and the connection. */
  close(): void {
    this.transport.close();
  }
}

function connectSocket(options: XmppConnectOptions): Promise<net.Socket> {
  return openSocket(
    {
      host: options.host,
      port: options.port,
      tls: options.security === 'implicit' ? { servername: options.domain, ...options.tls } : null,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      timeoutMs: options.connectTimeoutMs ?? 10_000,
    },
    (why, timedOut) => new XmppStreamError(timedOut ? 'connection-timeout' : null, why),
  );
}

/**
 * Connect to an XMPP server, open the stream and (by default) negotiate
 * STARTTLS. The connection is closed on every error path.
 *
 * @param options - see {@link XmppConnectOptions}
 * @returns the connection, with the features of the (secured) stream
 */
export async function connectXmpp(options: XmppConnectOptions): Promise<XmppClientConnection> {
  const security = options.security ?? 'starttls';
  const socket = await connectSocket(options);
  const transport = new SocketXmppTransport(socket, options);
  const header = clientStreamHeader(options.domain);
  try {
    let features = await openClientStream(transport, header);
    if (security === 'starttls') {
      if (!readStartTLS(features)) throw new XmppStreamError(null, 'the server does not offer STARTTLS');
      features = await startTLSClient(transport, header, () => transport.startTLS({ servername: options.domain, ...options.tls }));
    }
    return new XmppClientConnection(transport, header, features);
  } catch (err) {
    transport.close();
    throw err;
  }
}
