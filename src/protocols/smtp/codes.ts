/**
 * The SMTP AUTH reply codes of RFC 4954 §6 and the mapping between them and
 * saslkit's condition vocabulary (RFC 6120 §6.5), in both directions.
 *
 * @module
 */
import type { SASLCondition } from '../../core/conditions.js';

/** A reply code with its RFC 3463 enhanced status code and a default text. */
export interface SmtpStatus {
  /** The three-digit reply code. */
  readonly code: number;
  /** The enhanced status code, e.g. `'5.7.8'`. */
  readonly enhanced: string;
  /** A default human-readable text. */
  readonly text: string;
}

/** The replies of {@link SMTP_AUTH_STATUS}, by meaning. */
export interface SmtpAuthStatuses {
  /** 235: authentication succeeded. */
  readonly success: SmtpStatus;
  /** 432: a password transition is needed. */
  readonly passwordTransition: SmtpStatus;
  /** 454: temporary failure. */
  readonly temporary: SmtpStatus;
  /** 500: a line of the exchange was too long. */
  readonly lineTooLong: SmtpStatus;
  /** 501: the client's data could not be decoded or parsed. */
  readonly malformed: SmtpStatus;
  /** 501: the client cancelled the exchange with `*`. */
  readonly aborted: SmtpStatus;
  /** 503: AUTH out of sequence (already authenticated, or in a transaction). */
  readonly badSequence: SmtpStatus;
  /** 504: unknown or unavailable mechanism. */
  readonly invalidMechanism: SmtpStatus;
  /** 534: mechanism too weak for this user. */
  readonly tooWeak: SmtpStatus;
  /** 535: credentials invalid. */
  readonly invalidCredentials: SmtpStatus;
  /** 538: the mechanism needs an encrypted connection. */
  readonly encryptionRequired: SmtpStatus;
}

/** The replies an SMTP AUTH server sends, by meaning (RFC 4954 §4 and §6). */
export const SMTP_AUTH_STATUS: SmtpAuthStatuses = Object.freeze({
  success: { code: 235, enhanced: '2.7.0', text: 'Authentication successful' },
  passwordTransition: { code: 432, enhanced: '4.7.12', text: 'A password transition is needed' },
  temporary: { code: 454, enhanced: '4.7.0', text: 'Temporary authentication failure' },
  lineTooLong: { code: 500, enhanced: '5.5.6', text: 'Authentication exchange line is too long' },
  malformed: { code: 501, enhanced: '5.5.2', text: 'Cannot decode response' },
  aborted: { code: 501, enhanced: '5.7.0', text: 'Authentication aborted' },
  badSequence: { code: 503, enhanced: '5.5.1', text: 'Bad sequence of commands' },
  invalidMechanism: { code: 504, enhanced: '5.5.4', text: 'Unrecognized authentication type' },
  tooWeak: { code: 534, enhanced: '5.7.9', text: 'Authentication mechanism is too weak' },
  invalidCredentials: { code: 535, enhanced: '5.7.8', text: 'Authentication credentials invalid' },
  encryptionRequired: { code: 538, enhanced: '5.7.11', text: 'Encryption required for requested authentication mechanism' },
});

/**
 * The reply a server sends for a failure condition. Conditions that SMTP has
 * no own code for fall back to the closest one: credential problems to 535,
 * encoding problems to 501.
 *
 * @param condition - the failure's condition (`null` or unknown → 535)
 */
export function statusForCondition(condition: string | null): SmtpStatus {
  switch (condition as SASLCondition | null) {
    case 'aborted':
      return SMTP_AUTH_STATUS.aborted;
    case 'encryption-required':
      return SMTP_AUTH_STATUS.encryptionRequired;
    case 'incorrect-encoding':
    case 'malformed-request':
      return SMTP_AUTH_STATUS.malformed;
    case 'invalid-mechanism':
      return SMTP_AUTH_STATUS.invalidMechanism;
    case 'mechanism-too-weak':
      return SMTP_AUTH_STATUS.tooWeak;
    case 'temporary-auth-failure':
      return SMTP_AUTH_STATUS.temporary;
    default:
      // not-authorized, account-disabled, credentials-expired, invalid-authzid:
      // one answer, so a client learns nothing about which one it was.
      return SMTP_AUTH_STATUS.invalidCredentials;
  }
}

/**
 * The condition a client reports for a failed AUTH reply.
 *
 * @param code - the reply code (4xx or 5xx)
 * @param enhancedStatus - the reply's enhanced status code, if any
 * @param aborting - true when the client had sent `*`: a 501 then
 *   acknowledges the abort
 */
export function conditionForReply(code: number, enhancedStatus: string | null, aborting = false): SASLCondition {
  switch (code) {
    case 535:
      return 'not-authorized';
    case 534:
      return 'mechanism-too-weak';
    case 538:
      return 'encryption-required';
    case 454:
      return 'temporary-auth-failure';
    case 432:
      return 'credentials-expired';
    case 504:
      return 'invalid-mechanism';
    case 501:
      return aborting ? 'aborted' : 'malformed-request';
    case 500:
      return 'malformed-request';
    case 530:
      return 'encryption-required';
  }
  // Other codes: the enhanced status code is more telling than the basic one.
  if (enhancedStatus === '5.7.8') return 'not-authorized';
  if (enhancedStatus === '5.7.9') return 'mechanism-too-weak';
  if (enhancedStatus === '5.7.11') return 'encryption-required';
  if (code >= 400 && code < 500) return 'temporary-auth-failure';
  return 'malformed-request';
}
