/**
 * The channel-binding abstraction SCRAM-PLUS uses (RFC 5056, RFC 5929, RFC 9266).
 *
 * @module
 */

/** The channel-binding types saslkit knows by name. Others can be used too. */
export type ChannelBindingType = 'tls-unique' | 'tls-server-end-point' | 'tls-exporter';

/**
 * Gives the channel-binding data of the secure channel an exchange runs over.
 * Node providers for a `tls.TLSSocket` live in `saslkit/node`; a browser has
 * no access to TLS internals, so there SCRAM-PLUS cannot be used.
 */
export interface ChannelBindingProvider {
  /** The channel-binding type name sent in the GS2 header, e.g. `'tls-exporter'`. */
  readonly cbName: string;
  /** The binding data for this channel (e.g. 32 exporter bytes). */
  extractCbData(): Uint8Array | Promise<Uint8Array>;
}
