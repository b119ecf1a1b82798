/**
 * saslkit/xmpp: SASL for XMPP (RFC 6120 §6), client and server, over any XML
 * stream (a Node socket, XMPP over WebSocket per RFC 7395, a test pipe).
 * Runs in browsers; the Node socket helpers are in `saslkit/node`.
 *
 * See the guide docs/xmpp.md.
 *
 * @module saslkit/xmpp
 */
export {
  NS_BIND,
  NS_CLIENT,
  NS_FRAMING,
  NS_SASL,
  NS_SASL_CB,
  NS_SESSION,
  NS_STREAMS,
  NS_STREAM_ERRORS,
  NS_TLS,
  NS_XML,
} from './namespaces.js';
export {
  childElement,
  childElements,
  escapeAttribute,
  escapeText,
  isElement,
  serializeElement,
  textOf,
  xmlElement,
  type XmlElement,
  type XmlNode,
} from './element.js';
export { XmppStreamError } from './errors.js';
export { xmppAuthzidOf } from './authzid.js';
export { XmppStreamParser, parseXmlElement, type StreamHeader, type XmlLimits, type XmppStreamEvent } from './parser.js';
export type { XmppElementTransport, XmppStreamTransport } from './transport.js';
export {
  decodeSaslPayload,
  encodeSaslPayload,
  failureElement,
  failureOf,
  parseFailure,
  saslElement,
  streamErrorElement,
  streamErrorOf,
  type StreamErrorCondition,
} from './wire.js';
export {
  expectFeatures,
  featuresElement,
  readChannelBindingTypes,
  readMechanisms,
  readStartTLS,
  type FeatureSet,
} from './features.js';
export { XmppSASLInterface } from './sasl-client.js';
export {
  authenticateXmpp,
  clientStreamHeader,
  openClientStream,
  pickChannelBindingType,
  restartClientStream,
  startTLSClient,
  type XmppAuthResult,
} from './client.js';
export { serveResourceBinding, type ResourceBindingOptions } from './binding.js';
export {
  XmppServerSession,
  type XmppServerResult,
  type XmppServerSessionOptions,
} from './server.js';
export {
  FramedXmppTransport,
  webSocketXmppTransport,
  type FramedXmppTransportOptions,
  type WebSocketLike,
} from './framed.js';
export { DEFAULT_LOGIN_TIMEOUT_MS, DEFAULT_MAX_LOGIN_COMMANDS, type LoginLimitOptions } from '../login-limits.js';
