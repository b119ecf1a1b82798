/**
 * saslkit/imap: IMAP's SASL profile (RFC 9051 §6.2.2, RFC 3501, RFC 4959
 * SASL-IR), as a seam between saslkit and an IMAP library.
 *
 * - Client: {@link ImapSASLInterface}, the `SASLInterface` that
 *   `authenticate()` drives, over an {@link ImapSASLPort} (two methods: send
 *   a line, read a parsed response, see {@link parseServerResponse}) or over
 *   saslkit's own {@link ImapClientChannel}.
 * - Server: {@link serveAuthenticate} runs one `AUTHENTICATE` command on the
 *   library's own connection; {@link imapCapabilities} lists what to
 *   advertise for the connection's state.
 *
 * Runs in browsers too. The demo server (`ImapServerSession`,
 * `startImapServer`) and the socket helpers are in `saslkit/node`. See the
 * guide `docs/imap.md`.
 *
 * @module saslkit/imap
 */
export type { LineTransport } from '../transport.js';
export type { ImapCapabilities } from './capabilities.js';
export {
  ImapProtocolError,
  parseServerResponse,
  type ImapResponseCode,
  type ImapStatus,
  type ImapTaggedResponse,
  type ImapUntaggedResponse,
  type ImapContinuation,
  type ImapServerResponse,
} from './response.js';
export { ImapClientChannel, ImapByeError, type ImapClientChannelOptions, type ImapGreeting, type ImapCommandResult } from './channel.js';
export { ImapSASLInterface, type ImapSASLInterfaceOptions, type ImapSASLPort } from './client.js';
export {
  serveAuthenticate,
  imapCapabilities,
  type ImapCapabilityOptions,
  type ImapAuthResult,
  type ImapAuthSuccess,
  type ImapAuthFailure,
  type ImapAuthenticateRequest,
} from './sasl-server.js';
