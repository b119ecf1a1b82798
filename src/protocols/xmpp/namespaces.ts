/**
 * The XML namespaces the XMPP adapters speak.
 *
 * @module
 */

/** Stream elements: `<stream:stream>`, `<stream:features>`, `<stream:error>` (RFC 6120 §4). */
export const NS_STREAMS = 'http://etherx.jabber.org/streams';
/** Stream error conditions (RFC 6120 §4.9.3). */
export const NS_STREAM_ERRORS = 'urn:ietf:params:xml:ns:xmpp-streams';
/** Client-to-server stream content (RFC 6120 §4.8.3). */
export const NS_CLIENT = 'jabber:client';
/** STARTTLS negotiation (RFC 6120 §5). */
export const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
/** SASL negotiation (RFC 6120 §6). */
export const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
/** Resource binding (RFC 6120 §7), offered after authentication. */
export const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';
/** XEP-0440: the channel-binding types a server supports. */
export const NS_SASL_CB = 'urn:xmpp:sasl-cb:0';
/** XMPP over WebSocket framing: `<open/>` and `<close/>` (RFC 7395). */
export const NS_FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
/** The namespace of the `xml:` prefix (`xml:lang`). */
export const NS_XML = 'http://www.w3.org/XML/1998/namespace';
/** The legacy session-establishment namespace (RFC 3921 §3; optional per RFC 6121 Appendix E). */
export const NS_SESSION = 'urn:ietf:params:xml:ns:xmpp-session';
