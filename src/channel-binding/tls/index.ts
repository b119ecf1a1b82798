/**
 * TLS channel binding for Node, in one place: the providers of a
 * `tls.TLSSocket` made by one factory (`./providers.ts`), the RFC 5929 hash
 * rules for `tls-server-end-point` (`./server-end-point.ts`) and the choice
 * of type (`./policy.ts`). Node-only: reachable through `saslkit/node`.
 *
 * @module
 */
export { ChannelBindingError } from '../error.js';
export {
  TLS_EXPORTER_LABEL,
  TLS_EXPORTER_LENGTH,
  TlsChannelBinding,
  TlsExporterBinding,
  TlsServerEndPointBinding,
  TlsUniqueBinding,
  channelBindingProvider,
  tlsChannelBinding,
  tlsRoleOf,
  type TlsChannelBindingOptions,
  type TlsRole,
} from './providers.js';
export {
  availableChannelBindings,
  channelBindingFor,
  defaultChannelBindingType,
  serverChannelBindings,
  type ChannelBindingForOptions,
  type ChannelBindingPolicy,
} from './policy.js';
export { endPointHashOf, serverEndPointHash, type EndPointHash } from './server-end-point.js';
