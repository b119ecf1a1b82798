/**
 * The identity a verified TLS client certificate names: what a server hands
 * to SASL EXTERNAL (RFC 4422 Appendix A) as
 * {@link ServerConnection.externalIdentity}.
 *
 * @module
 */
import type { TLSSocket } from 'node:tls';

/** Options of {@link clientCertificateIdentity}. */
export interface ClientCertificateIdentityOptions {
  /**
   * The subject attribute naming the user, e.g. `'CN'` (default) or
   * `'emailAddress'`. When the subject has it more than once the first is used.
   */
  readonly field?: string;
}

/** No controls, no bidi/format characters: the value reaches logs and authorizers. */
const SAFE_IDENTITY = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{1,255}$/u;

/**
 * Read the user's identity from the client certificate of `socket`, only if
 * the TLS layer verified it against the server's trusted CAs
 * (`requestCert: true` and `ca` on the server; `socket.authorized`). An
 * unverified, absent or odd certificate gives `null`, and EXTERNAL is then
 * not offered.
 *
 * @param socket - the server side of a TLS connection
 * @param options - see {@link ClientCertificateIdentityOptions}
 * @returns the identity, or `null`
 */
export function clientCertificateIdentity(socket: TLSSocket, options: ClientCertificateIdentityOptions = {}): string | null {
  if (socket.encrypted !== true || socket.authorized !== true) return null;
  const cert = socket.getPeerCertificate();
  const subject = cert && typeof cert === 'object' ? (cert.subject as Record<string, string | string[] | undefined> | undefined) : undefined;
  const raw = subject?.[options.field ?? 'CN'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return typeof value === 'string' && SAFE_IDENTITY.test(value) ? value : null;
}
