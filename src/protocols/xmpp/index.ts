/**
 * saslkit: XMPP (RFC 6120 §6) client SASLInterface and server adapter.
 *
 * @packageDocumentation
 */
export {};
