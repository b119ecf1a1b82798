/**
 * saslkit/node: Node-only code: socket and child-process line transports,
 * TLS channel binding (RFC 5929 tls-unique and tls-server-end-point,
 * RFC 9266 tls-exporter) and connection identity for `net`/`tls` sockets,
 * connect helpers for the IMAP, SMTP and XMPP clients, and the demo servers
 * (the protocol sessions and their listeners) used by the CLI and the tests.
 *
 * ```ts
 * import { connectSmtp, channelBindingFor } from 'saslkit/node';
 * ```
 *
 * @module saslkit/node
 */
export { SocketLineTransport, TransportError, type SocketLineTransportOptions } from './transport/socket-line-transport.js';
export { ChildProcessLineTransport, type ChildProcessLineTransportOptions, type ChildExit } from './transport/child-process-line-transport.js';
export type { StreamLineTransport, StreamLineTransportOptions } from './transport/stream-line-transport.js';
export {
  ChannelBindingError,
  availableChannelBindings,
  channelBindingProvider,
  serverChannelBindings,
  tlsChannelBinding,
  type TlsChannelBinding,
  channelBindingFor,
  type ChannelBindingPolicy,
  type TlsRole,
  type TlsChannelBindingOptions,
  type ChannelBindingForOptions,
} from '../channel-binding/tls/index.js';
export { serverConnectionOf, connectionIdentityOf, type ConnectionIdentity } from './server/connection.js';
export { connectSmtp, authenticateSmtp, type SmtpConnection, type SmtpConnectOptions, type SmtpAuthenticateOptions, type SmtpSecurity } from './smtp/client.js';
export { startSmtpServer, type NodeSmtpServerOptions, type RunningSmtpServer } from './smtp/server.js';
export { connectLineTransport, type ConnectOptions, type ConnectionSecurity } from './transport/connect.js';
export { ImapClientSession, type ImapConnectOptions } from './imap/client.js';
export { startImapServer, type NodeImapServerOptions, type RunningImapServer } from './imap/server.js';
export { SocketXmppTransport, type SocketXmppTransportOptions, type XmppStartTLSOptions } from './xmpp/socket-transport.js';
export { connectXmpp, type XmppClientConnection, type XmppChannelBindingOptions, type XmppConnectOptions, type XmppSecurity } from './xmpp/client.js';
export type { RunningServer, ServedSession, SessionContext, SessionServerOptions } from './server/session-server.js';
export { startXmppServer, type NodeXmppServerOptions, type RunningXmppServer } from './xmpp/server.js';
export type { FeatureSet } from '../protocols/xmpp/features.js';
export type { StartTLSOptions, ClientStartTLSOptions, ServerStartTLSOptions } from './tls/upgrade.js';
export { clientCertificateIdentity, type ClientCertificateIdentityOptions } from './tls/client-certificate.js';

// The demo servers' protocol sessions: they run over any transport (the
// listeners above give them Node sockets); a real server embeds the seams
// of saslkit/imap, saslkit/smtp and saslkit/xmpp instead.
export {
  ImapServerSession,
  type ImapServerSessionOptions,
  type ImapSessionEnd,
  type ImapSessionLogout,
  type ImapSessionClosed,
} from '../protocols/imap/server.js';
export { SmtpServerSession, type SmtpServerSessionOptions, type SmtpMessage } from '../protocols/smtp/server.js';
export { XmppServerSession, type XmppServerResult, type XmppServerSessionOptions } from '../protocols/xmpp/server.js';
export { serveResourceBinding, type ResourceBindingOptions } from '../protocols/xmpp/binding.js';
export type { LoginLimitOptions } from '../protocols/login-limits.js';
