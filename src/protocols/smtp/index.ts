/**
 * saslkit: SMTP AUTH (RFC 4954) client SASLInterface and server adapter.
 *
 * @packageDocumentation
 */
export {};
