/**
 * saslkit/imap: IMAP's SASL profile (RFC 9051 §6.2.2, RFC 3501, RFC 4959
 * SASL-IR): a client {@link ImapSASLInterface} and a server adapter, over
 * any {@link LineTransport}. Runs in browsers too; the Node socket helpers
 * live in `saslkit/node`. See the guide `docs/imap.md`.
 *
 * @packageDocumentation
 */
export type { LineTransport } from '../transport.js';
export { ImapCapabilities } from './capabilities.js';
export {
  ImapProtocolError,
  parseServerResponse,
  parseResponseCode,
  type ImapCodeAndText,
  isImapTag,
  quoteImapText,
  type ImapResponseCode,
  type ImapStatus,
  type ImapTaggedResponse,
  type ImapUntaggedResponse,
  type ImapContinuation,
  type ImapServerResponse,
} from './response.js';
export { IMAP_FAILURE_FORMS, imapFailureCondition, type ImapFailureForm } from './conditions.js';
export {
  ImapClientChannel,
  ImapByeError,
  type ImapClientChannelOptions,
  type ImapGreeting,
  type ImapCommandResult,
} from './channel.js';
export { ImapSASLInterface, type ImapSASLInterfaceOptions } from './client.js';
export {
  serveAuthenticate,
  imapCapabilities,
  type ImapCapabilityOptions,
  type ImapAuthResult,
  type ImapAuthSuccess,
  type ImapAuthFailure,
  type ImapAuthenticateRequest,
} from './sasl-server.js';
export {
  ImapServerSession,
  type ImapServerSessionOptions,
  type ImapSessionEnd,
  type ImapSessionLogout,
  type ImapSessionClosed,
} from './server.js';
export { DEFAULT_LOGIN_TIMEOUT_MS, DEFAULT_MAX_LOGIN_COMMANDS, type LoginLimitOptions } from '../login-limits.js';
