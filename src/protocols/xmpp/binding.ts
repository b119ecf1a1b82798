/**
 * What an XMPP server does once SASL succeeded, for the demo server and the
 * CLI: resource binding (RFC 6120 §7) and the legacy session request
 * (RFC 3921 §3), apart from the SASL negotiation in `./server.ts`.
 *
 * @module
 */
import { randomBytes } from '../../crypto/random.js';
import type { AuthOutcome } from '../../server/exchange.js';
import { childElement, textOf, xmlElement, type XmlElement } from './element.js';
import { NS_BIND, NS_SESSION, NS_STREAMS } from './namespaces.js';
import type { XmppElementTransport } from './transport.js';

/** The stanza error namespace (RFC 6120 §8.3.3). */
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** The longest resource accepted, in UTF-8 bytes (RFC 7622 §3.4: 1023). */
const MAX_RESOURCE_BYTES = 1023;

/** Options of {@link serveResourceBinding}. */
export interface ResourceBindingOptions {
  /** The server's domain: the domainpart of bound JIDs whose authzid is not a JID. */
  readonly domain: string;
  /** Make a resource when the client asks for none. Default: `saslkit-` and 16 random hex digits. */
  readonly resource?: () => string;
  /** Told of the full JID once bound (e.g. for a log). */
  readonly onBound?: (jid: string) => void;
}

/**
 * The bare JID an authenticated identity binds to: the authzid itself when
 * it is a JID (has an `@`), else `authzid@domain`.
 */
function bareJidOf(outcome: AuthOutcome, domain: string): string {
  const id = outcome.authzid ?? outcome.authcid;
  // ANONYMOUS (RFC 4505) names no one: a fresh localpart, as Prosody gives.
  if (id === null) return `${randomHex(8)}@${domain}`;
  return id.includes('@') ? id.split('/')[0]! : `${id}@${domain}`;
}

function randomHex(bytes: number): string {
  return [...randomBytes(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** A reply to `iq`; once a resource is bound it is addressed `to` the full JID, as Prosody does. */
function iqReply(iq: XmlElement, type: 'result' | 'error', to: string | null, children: XmlElement[] = []): XmlElement {
  return xmlElement('iq', iq.xmlns, { type, id: iq.attrs.id, to: to ?? undefined }, children);
}

function iqError(iq: XmlElement, to: string | null, errorType: 'cancel' | 'modify', condition: string): XmlElement {
  return iqReply(iq, 'error', to, [xmlElement('error', iq.xmlns, { type: errorType }, [xmlElement(condition, NS_STANZAS)])]);
}

/**
 * The smallest post-authentication service a real XMPP client needs to
 * finish logging in: answer resource binding (RFC 6120 §7.6–7.7) with a
 * full JID `bare/resource` (the client's resource when it gave a usable
 * one, else a generated one), the legacy session request (RFC 3921 §3,
 * RFC 6121 Appendix E) with an empty result, and any other `get`/`set` IQ
 * with `service-unavailable` (RFC 6120 §8.4); messages, presences and IQ
 * results are dropped. Replies after binding carry `to` (the full JID),
 * as Prosody's do. A second bind is refused with `not-allowed` (one
 * resource per stream). Runs until the stream ends, then rejects with the
 * transport's error.
 *
 * @param transport - the restarted, authenticated stream
 * @param outcome - who authenticated (its authzid names the JID)
 * @param options - see {@link ResourceBindingOptions}
 */
export async function serveResourceBinding(transport: XmppElementTransport, outcome: AuthOutcome, options: ResourceBindingOptions): Promise<never> {
  const bare = bareJidOf(outcome, options.domain);
  let bound: string | null = null;
  for (;;) {
    const el = await transport.receive();
    if (el.name !== 'iq' || el.xmlns === NS_STREAMS) continue;
    const type = el.attrs.type;
    if (type !== 'get' && type !== 'set') continue;
    if (el.attrs.id === undefined) {
      await transport.send(xmlElement('iq', el.xmlns, { type: 'error' }, [xmlElement('error', el.xmlns, { type: 'modify' }, [xmlElement('bad-request', NS_STANZAS)])]));
      continue;
    }
    const bind = childElement(el, 'bind', NS_BIND);
    if (bind && type === 'set') {
      if (bound !== null) {
        await transport.send(iqError(el, bound, 'cancel', 'not-allowed'));
        continue;
      }
      const asked = childElement(bind, 'resource', NS_BIND);
      const wanted = asked ? textOf(asked).trim() : '';
      const usable = wanted.length > 0 && new TextEncoder().encode(wanted).length <= MAX_RESOURCE_BYTES && !/[\u0000-\u001f\u007f]/.test(wanted);
      if (asked && wanted.length > 0 && !usable) {
        await transport.send(iqError(el, null, 'modify', 'bad-request'));
        continue;
      }
      const resource = usable ? wanted : (options.resource?.() ?? `saslkit-${randomHex(8)}`);
      bound = `${bare}/${resource}`;
      // The bind result itself has no `to` (RFC 6120 §7.6.1 example; Prosody likewise).
      await transport.send(iqReply(el, 'result', null, [xmlElement('bind', NS_BIND, {}, [xmlElement('jid', NS_BIND, {}, [bound])])]));
      options.onBound?.(bound);
      continue;
    }
    if (childElement(el, 'session', NS_SESSION) && type === 'set') {
      await transport.send(iqReply(el, 'result', bound));
      continue;
    }
    await transport.send(iqError(el, bound, 'cancel', 'service-unavailable'));
  }
}
