/**
 * saslkit/node: Node-only helpers: TLS channel binding, socket transports and
 * connect helpers for the protocol adapters.
 *
 * @module saslkit/node
 */
export { SocketLineTransport, TransportError, type SocketLineTransportOptions } from './transport/socket-line-transport.js';
export { LineBuffer, type LineBufferOptions } from './transport/line-buffer.js';
export { StreamLineTransport, type StreamLineTransportOptions } from './transport/stream-line-transport.js';
export { ChildProcessLineTransport, type ChildProcessLineTransportOptions, type ChildExit } from './transport/child-process-line-transport.js';
export {
  ChannelBindingError,
  TlsUniqueBinding,
  TlsServerEndPointBinding,
  TlsExporterBinding,
  TlsChannelBinding,
  TLS_EXPORTER_LABEL,
  TLS_EXPORTER_LENGTH,
  tlsRoleOf,
  serverEndPointHash,
  endPointHashOf,
  availableChannelBindings,
  channelBindingProvider,
  tlsChannelBinding,
  serverChannelBindings,
  channelBindingFor,
  defaultChannelBindingType,
  type TlsRole,
  type ChannelBindingPolicy,
  type TlsChannelBindingOptions,
  type ChannelBindingForOptions,
  type EndPointHash,
} from '../channel-binding/tls/index.js';
export { serverConnectionOf, connectionIdentityOf, type ConnectionIdentity } from './server/connection.js';
export { connectSmtp, authenticateSmtp, SmtpConnection, type SmtpConnectOptions, type SmtpAuthenticateOptions, type SmtpSecurity } from './smtp/client.js';
export { startSmtpServer, type NodeSmtpServerOptions, type RunningSmtpServer } from './smtp/server.js';
export { connectLineTransport, tlsOptionsFor, type ConnectOptions, type ConnectionSecurity } from './transport/connect.js';
export { ImapClientSession, type ImapConnectOptions } from './imap/client.js';
export { startImapServer, type NodeImapServerOptions, type RunningImapServer } from './imap/server.js';
export { SocketXmppTransport, type SocketXmppTransportOptions, type XmppStartTLSOptions } from './xmpp/socket-transport.js';
export { connectXmpp, XmppClientConnection, type XmppChannelBindingOptions, type XmppConnectOptions, type XmppSecurity } from './xmpp/client.js';
export { startSessionServer, REFUSAL_GRACE_MS, type RunningServer, type ServedSession, type SessionContext, type SessionServerOptions } from './server/session-server.js';
export { startXmppServer, type NodeXmppServerOptions, type RunningXmppServer } from './xmpp/server.js';
export { upgradeToTLS, listenTo, type StartTLSOptions, type ClientStartTLSOptions, type ServerStartTLSOptions, type SocketHandlers } from './tls/upgrade.js';
export { clientCertificateIdentity, type ClientCertificateIdentityOptions } from './tls/client-certificate.js';
