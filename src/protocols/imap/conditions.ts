/**
 * IMAP's wire form of SASL failures: tagged `NO`/`BAD` with the response
 * codes of RFC 5530, mapped to and from RFC 6120 §6.5's conditions.
 *
 * @module
 */
import type { SASLCondition } from '../../core/conditions.js';
import type { ImapResponseCode, ImapStatus } from './response.js';

/** How a server reports one condition: a status and an optional response code. */
export interface ImapFailureForm {
  /** `NO` for a refusal, `BAD` for a broken or cancelled command. */
  readonly status: Exclude<ImapStatus, 'OK'>;
  /** The RFC 5530 response code, or `null`. */
  readonly code: string | null;
  /** A default human-readable text. */
  readonly text: string;
}

/** Each condition's IMAP form (server side). */
export const IMAP_FAILURE_FORMS: Readonly<Record<SASLCondition, ImapFailureForm>> = Object.freeze({
  'not-authorized': { status: 'NO', code: 'AUTHENTICATIONFAILED', text: 'Authentication failed' },
  'invalid-authzid': { status: 'NO', code: 'AUTHORIZATIONFAILED', text: 'Authorization failed' },
  'credentials-expired': { status: 'NO', code: 'EXPIRED', text: 'Credentials expired' },
  'account-disabled': { status: 'NO', code: 'CONTACTADMIN', text: 'Account disabled' },
  'temporary-auth-failure': { status: 'NO', code: 'UNAVAILABLE', text: 'Temporary authentication failure' },
  'encryption-required': { status: 'NO', code: 'PRIVACYREQUIRED', text: 'Encryption required' },
  'mechanism-too-weak': { status: 'NO', code: 'CANNOT', text: 'Mechanism too weak' },
  'invalid-mechanism': { status: 'NO', code: null, text: 'Unsupported authentication mechanism' },
  'malformed-request': { status: 'BAD', code: null, text: 'Malformed authentication request' },
  'incorrect-encoding': { status: 'BAD', code: null, text: 'Invalid base64 encoding' },
  aborted: { status: 'BAD', code: null, text: 'AUTHENTICATE cancelled' },
});

const CODE_CONDITIONS: ReadonlyMap<string, SASLCondition> = new Map([
  ['AUTHENTICATIONFAILED', 'not-authorized'],
  ['AUTHORIZATIONFAILED', 'invalid-authzid'],
  ['EXPIRED', 'credentials-expired'],
  ['CONTACTADMIN', 'account-disabled'],
  ['UNAVAILABLE', 'temporary-auth-failure'],
  ['PRIVACYREQUIRED', 'encryption-required'],
  ['CANNOT', 'mechanism-too-weak'],
  ['LIMIT', 'temporary-auth-failure'],
  ['SERVERBUG', 'temporary-auth-failure'],
  ['CLIENTBUG', 'malformed-request'],
]);

/**
 * The condition a client reads from a tagged `NO`/`BAD` ending AUTHENTICATE.
 *
 * - A known RFC 5530 code decides (`AUTHENTICATIONFAILED` → `not-authorized`,
 *   `AUTHORIZATIONFAILED` → `invalid-authzid`, `EXPIRED` →
 *   `credentials-expired`, `UNAVAILABLE` → `temporary-auth-failure`, ...).
 * - Without one, IMAP cannot say more than NO or BAD; the text is read only
 *   to spot an unsupported mechanism (RFC 9051 §6.2.2's "NO - unsupported
 *   authentication mechanism"), and otherwise `NO` is `not-authorized` and
 *   `BAD` is `malformed-request`.
 *
 * @param status - `NO` or `BAD`
 * @param code - the response code, if any
 * @param text - the human-readable text
 * @returns the condition
 */
export function imapFailureCondition(status: 'NO' | 'BAD', code: ImapResponseCode | null, text: string): SASLCondition {
  const byCode = code ? CODE_CONDITIONS.get(code.name) : undefined;
  if (byCode) return byCode;
  if (/mechanism/i.test(text) && /(unsupported|unknown|not supported|invalid|unrecogni[sz]ed)/i.test(text)) return 'invalid-mechanism';
  return status === 'NO' ? 'not-authorized' : 'malformed-request';
}
