/**
 * Stream features (RFC 6120 §4.3.2) as the SASL adapters need them:
 * `<starttls/>`, `<mechanisms/>` and XEP-0440's `<sasl-channel-binding/>`.
 *
 * @module
 */
import { childElement, childElements, isElement, textOf, xmlElement, type XmlElement } from './element.js';
import { XmppStreamError } from './errors.js';
import { NS_BIND, NS_SASL, NS_SASL_CB, NS_STREAMS, NS_TLS } from './namespaces.js';
import { CB_NAME } from '../../core/gs2.js';
import { isMechanismName } from '../../core/mechanism-name.js';


/**
 * Check that `el` is `<stream:features/>`.
 *
 * @param el - a top-level element
 * @throws {@link XmppStreamError} otherwise
 */
export function expectFeatures(el: XmlElement): XmlElement {
  if (!isElement(el, 'features', NS_STREAMS)) {
    throw new XmppStreamError('bad-format', `expected <stream:features/>, got <${el.name.slice(0, 40)}/>`);
  }
  return el;
}

/**
 * The SASL mechanisms a server offers in its stream features, in its order.
 * Names that are not valid SASL mechanism names are skipped.
 *
 * @param features - the `<stream:features/>` element
 * @returns the names (empty when SASL is not offered)
 */
export function readMechanisms(features: XmlElement): string[] {
  const mechanisms = childElement(features, 'mechanisms', NS_SASL);
  if (!mechanisms) return [];
  const out: string[] = [];
  for (const m of childElements(mechanisms)) {
    if (!isElement(m, 'mechanism', NS_SASL)) continue;
    const name = textOf(m).trim().toUpperCase();
    if (isMechanismName(name) && !out.includes(name)) out.push(name);
  }
  return out;
}

/**
 * The channel-binding types the server supports, from XEP-0440's
 * `<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'>` feature (a direct
 * child of the features since XEP-0440 0.4; earlier versions put it inside
 * `<mechanisms/>`, which is read too).
 *
 * @param features - the `<stream:features/>` element
 * @returns the advertised types, or `null` when the server does not say
 *   (then RFC 5929's default, tls-unique, is the only safe guess)
 */
export function readChannelBindingTypes(features: XmlElement): string[] | null {
  const mechanisms = childElement(features, 'mechanisms', NS_SASL);
  const cb = childElement(features, 'sasl-channel-binding', NS_SASL_CB) ?? (mechanisms && childElement(mechanisms, 'sasl-channel-binding', NS_SASL_CB));
  if (!cb) return null;
  const out: string[] = [];
  for (const c of childElements(cb)) {
    const type = c.attrs.type;
    if (isElement(c, 'channel-binding', NS_SASL_CB) && type && CB_NAME.test(type) && !out.includes(type)) out.push(type);
  }
  return out;
}

/**
 * Whether the server offers STARTTLS, and whether it requires it.
 *
 * @param features - the `<stream:features/>` element
 * @returns `null` when STARTTLS is not offered
 */
export function readStartTLS(features: XmlElement): {
  /** The server marked STARTTLS `<required/>`. */
  required: boolean;
} | null {
  const starttls = childElement(features, 'starttls', NS_TLS);
  if (!starttls) return null;
  return { required: childElement(starttls, 'required', NS_TLS) !== null };
}

/** What a server advertises in one features element; see `featuresElement`. */
export interface FeatureSet {
  /** Offer STARTTLS; `'required'` adds `<required/>`. */
  readonly startTLS?: boolean | 'required';
  /** SASL mechanism names to offer (none: no `<mechanisms/>`). */
  readonly mechanisms?: readonly string[];
  /** XEP-0440 channel-binding types to advertise (none: no `<sasl-channel-binding/>`). */
  readonly channelBindings?: readonly string[];
  /** Offer resource binding (after authentication). */
  readonly bind?: boolean;
  /** Further feature elements, appended as they are. */
  readonly extra?: readonly XmlElement[];
}

/**
 * Build a `<stream:features/>` element.
 *
 * @param set - what to advertise
 */
export function featuresElement(set: FeatureSet): XmlElement {
  const children: XmlElement[] = [];
  if (set.startTLS) {
    children.push(xmlElement('starttls', NS_TLS, {}, set.startTLS === 'required' ? [xmlElement('required', NS_TLS)] : []));
  }
  if (set.mechanisms && set.mechanisms.length > 0) {
    children.push(xmlElement('mechanisms', NS_SASL, {}, set.mechanisms.map((m) => xmlElement('mechanism', NS_SASL, {}, [m]))));
  }
  if (set.channelBindings && set.channelBindings.length > 0) {
    children.push(
      xmlElement('sasl-channel-binding', NS_SASL_CB, {}, set.channelBindings.map((type) => xmlElement('channel-binding', NS_SASL_CB, { type }))),
    );
  }
  if (set.bind) children.push(xmlElement('bind', NS_BIND));
  if (set.extra) children.push(...set.extra);
  return xmlElement('features', NS_STREAMS, {}, children);
}
