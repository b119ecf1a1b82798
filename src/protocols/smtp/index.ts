/**
 * saslkit: SMTP AUTH (RFC 4954) client SASLInterface and server adapter.
 *
 * Client: {@link SmtpClient} (greeting, EHLO, STARTTLS, QUIT) and
 * {@link SmtpSASLInterface} for `authenticate()`. Server:
 * {@link SmtpServerSession} on top of a `SASLServer`. Both run over any
 * `LineTransport`; `saslkit/node` has the socket helpers. See the guide
 * "SMTP" (docs/smtp.md).
 *
 * @module saslkit/smtp
 */
export type { LineTransport } from '../transport.js';
export {
  SmtpReplyParser,
  SmtpProtocolError,
  readReply,
  parseReplyLine,
  parseEnhancedStatus,
  replyText,
  formatReply,
  DEFAULT_MAX_REPLY_LINES,
  DEFAULT_MAX_REPLY_LINE_LENGTH,
  type SmtpReply,
  type SmtpReplyLine,
  type SmtpReplyLimits,
} from './reply.js';
export { EhloResponse, parseEhlo } from './ehlo.js';
export { SMTP_AUTH_STATUS, statusForCondition, conditionForReply, type SmtpStatus, type SmtpAuthStatuses } from './codes.js';
export {
  SmtpClient,
  SmtpSASLInterface,
  SmtpReplyError,
  DEFAULT_MAX_COMMAND_LENGTH,
  type SmtpClientOptions,
} from './client.js';
export { SmtpServerSession, type SmtpServerSessionOptions, type SmtpMessage } from './server.js';
export { DEFAULT_LOGIN_TIMEOUT_MS, DEFAULT_MAX_LOGIN_COMMANDS, type LoginLimitOptions } from '../login-limits.js';
