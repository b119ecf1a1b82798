/**
 * saslkit/smtp: SMTP AUTH (RFC 4954), as a seam between saslkit and an SMTP
 * library.
 *
 * - Client: {@link SmtpSASLInterface}, the `SASLInterface` that
 *   `authenticate()` drives, over an {@link SmtpSASLPort} (one method: send
 *   a command line, read its reply) or over saslkit's own {@link SmtpClient}
 *   (greeting, EHLO, STARTTLS, QUIT over any `LineTransport`).
 * - Server: {@link serveSmtpAuth} runs one `AUTH` command on the library's
 *   own connection.
 *
 * Runs in browsers too. The demo server (`SmtpServerSession`,
 * `startSmtpServer`) and the socket helpers are in `saslkit/node`. See the
 * guide "SMTP" (docs/smtp.md).
 *
 * @module saslkit/smtp
 */
export type { LineTransport } from '../transport.js';
export { SmtpProtocolError, readReply, type SmtpReply, type SmtpReplyLine, type SmtpReplyLimits } from './reply.js';
export type { EhloResponse } from './ehlo.js';
export { SmtpClient, SmtpSASLInterface, SmtpReplyError, type SmtpClientOptions, type SmtpSASLPort } from './client.js';
export { serveSmtpAuth, type SmtpAuthRequest, type SmtpAuthResult } from './auth.js';
export type { AuthCommandSuccess, AuthCommandFailure } from '../auth-result.js';
