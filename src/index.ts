/**
 * saslkit: pluggable SASL (RFC 4422) authentication for TypeScript.
 *
 * The root entry runs in every JavaScript runtime (browsers included): the
 * client core modelled on aiosasl, the mechanisms, SASLprep and the crypto.
 * Node-only code (TLS channel binding, sockets, the CLI) has its own entry
 * points.
 *
 * @module saslkit
 */
export { SASLState, stateFromReply, type NextStateTuple, type ReplyState } from './core/state.js';
export { SASLError, SASLFailure, AuthenticationFailure, promoteCredentialFailure, localError, type MechanismAttempt } from './core/errors.js';
export { SASL_CONDITIONS, isSASLCondition, type SASLCondition } from './core/conditions.js';
export { SASLInterface } from './core/interface.js';
export { SASLStateMachine, type ChannelBindingContext, type SASLStateMachineOptions } from './core/state-machine.js';
export { SASLMechanism, NamedMechanism, offeredSet, requireSuccess, requireSecureChannel } from './core/mechanism.js';
export { authenticate, runMechanism } from './core/negotiate.js';
export { resolveCredentials, type CredentialProvider } from './core/credentials.js';
export { saslprep, SASLPREP_MAX_LENGTH, type SASLprepOptions } from './core/saslprep.js';
export { base64Decode, base64Encode, utf8Decode, utf8Encode, concatBytes, toBytes, toBytesOrNull } from './core/bytes.js';
export type { ChannelBindingProvider, ChannelBindingType } from './channel-binding/provider.js';
export { HASHES, hashByName, type HashAlgorithm, type HashName } from './crypto/hashes.js';
export { pbkdf2, pbkdf2Native, pbkdf2Portable, PBKDF2_HARD_LIMIT } from './crypto/pbkdf2.js';
export { timingSafeEqual } from './crypto/constant-time.js';
export { randomBytes, randomNonce } from './crypto/random.js';
export { saltPassword, scramKeysOf, clientKeyOf, serverKeyOf, type ScramKeys } from './scram/keys.js';
export {
  ScramKeyCache,
  defaultScramKeyCache,
  DEFAULT_KEY_CACHE_ENTRIES,
  type ScramClientKeys,
  type ScramKeyCacheOptions,
} from './scram/key-cache.js';

export { PLAIN, encodePlainMessage, type PLAINOptions } from '../mechanisms/plain.js';
export { ANONYMOUS, checkTraceToken } from '../mechanisms/anonymous.js';
export { EXTERNAL, type EXTERNALOptions } from '../mechanisms/external.js';
export { SCRAM, SCRAMPLUS, DEFAULT_MAX_ITERATION_COUNT, DEFAULT_MIN_ITERATION_COUNT, type SCRAMOptions, type ScramChoice } from '../mechanisms/scram.js';
export { LOGIN, type LOGINOptions } from '../mechanisms/login.js';
export { CRAMMD5, cramMd5Response } from '../mechanisms/cram-md5.js';
export { OAUTHBEARER, encodeOAuthBearerMessage, parseOAuthError, type OAUTHBEAREROptions, type OAuthErrorResponse } from '../mechanisms/oauthbearer.js';
export { XOAUTH2, encodeXOAuth2Message } from '../mechanisms/xoauth2.js';
