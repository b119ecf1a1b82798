/**
 * saslkit/mechanism: tools for writing a SASL mechanism (RFC 4422 §5), kept
 * out of the root entry so an application's API stays small.
 *
 * - the exchange: {@link runMechanism} (one attempt as `authenticate()`
 *   runs it, with its chores), {@link NamedMechanism} (a mechanism with one
 *   name), {@link offeredSet}, {@link requireSuccess},
 *   {@link requireSecureChannel}, {@link stateFromReply},
 *   {@link resolveCredentials}, {@link localError};
 * - bytes: UTF-8 and strict base64 (RFC 4648 §4), input checks, concatenation;
 * - crypto that runs everywhere: {@link HASHES} / {@link hashByName} (HMAC and
 *   H of RFC 5802 §2.2), {@link pbkdf2} (Hi), {@link timingSafeEqual},
 *   {@link randomNonce};
 * - the message formats of the built-in mechanisms, for servers and tests
 *   that speak them without a state machine.
 *
 * ```ts
 * import { NamedMechanism, requireSuccess, utf8Encode } from 'saslkit/mechanism';
 * ```
 *
 * See the guide "Writing a mechanism" (docs/writing-a-mechanism.md).
 *
 * @module saslkit/mechanism
 */
export { stateFromReply } from './core/state.js';
export { localError } from './core/errors.js';
export { NamedMechanism, offeredSet, requireSuccess, requireSecureChannel } from './core/mechanism.js';
export { runMechanism } from './core/negotiate.js';
export { resolveCredentials } from './core/credentials.js';
export { base64Decode, base64Encode, utf8Decode, utf8Encode, concatBytes, toBytes, toBytesOrNull } from './core/bytes.js';
export { HASHES, hashByName, type HashAlgorithm } from './crypto/hashes.js';
export { pbkdf2 } from './crypto/pbkdf2.js';
export { timingSafeEqual } from './crypto/constant-time.js';
export { randomNonce } from './crypto/random.js';

export { encodePlainMessage } from '../mechanisms/plain.js';
export { cramMd5Response } from '../mechanisms/cram-md5.js';
export { encodeOAuthBearerMessage, parseOAuthError } from '../mechanisms/oauthbearer.js';
export { encodeXOAuth2Message } from '../mechanisms/xoauth2.js';
