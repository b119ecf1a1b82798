/**
 * What user name an XMPP authzid denotes.
 *
 * @module
 */
import type { AuthzidOf } from '../../server/authorization.js';

/**
 * The {@link AuthzidOf} of an XMPP server for `domain`: in XMPP the authzid
 * is a bare JID (RFC 6120 §6.3.8), so `user@example.test` denotes the local
 * user `user` on the server for `example.test`, and the client that
 * authenticated as `user` acts as itself. The domainpart is compared without
 * ASCII case and without a trailing dot (RFC 7622 §3.2); the exchange then
 * compares the localpart with the authcid after SASLprep. A full JID (with
 * `/resource`), a JID of another domain or a domain JID denotes no local
 * user. Liberal where harmless, a bare user name (`user`) denotes that user,
 * as in IMAP and SMTP.
 *
 * The XMPP server adapter passes it to every exchange
 * (`ExchangeOptions.authzidOf`); do the same in an XMPP server of your own.
 * It imports nothing, so saslkit/xmpp stays small in browsers.
 *
 * @param domain - the domain the server serves, e.g. `'example.test'`
 * @returns the mapping
 */
export function xmppAuthzidOf(domain: string): AuthzidOf {
  const ours = normalizeDomain(domain);
  return (authzid: string): string | null => {
    if (authzid.includes('/')) return null;
    const at = authzid.indexOf('@');
    if (at < 0) return authzid;
    if (at === 0) return null;
    return normalizeDomain(authzid.slice(at + 1)) === ours ? authzid.slice(0, at) : null;
  };
}

/** ASCII case-folded, without one trailing dot. */
function normalizeDomain(domain: string): string {
  const lower = domain.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
