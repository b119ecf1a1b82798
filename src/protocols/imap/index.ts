/**
 * saslkit: IMAP (RFC 9051, RFC 4959) client SASLInterface and server adapter.
 *
 * @module saslkit/imap
 */
export {};
