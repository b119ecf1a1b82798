/**
 * saslkit: XMPP (RFC 6120 §6) client SASLInterface and server adapter.
 *
 * @module saslkit/xmpp
 */
export {};
