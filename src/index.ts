/**
 * saslkit: pluggable SASL (RFC 4422) authentication for TypeScript.
 *
 * The root entry is the application API, modelled on aiosasl: a protocol
 * gives a {@link SASLInterface}, {@link authenticate} tries the mechanisms in
 * order over a {@link SASLStateMachine}, and failures come back as
 * {@link SASLError} / {@link SASLFailure} / {@link AuthenticationFailure}
 * carrying one of the {@link SASL_CONDITIONS}.
 *
 * ```ts
 * import { authenticate, PLAIN, SCRAM } from 'saslkit';
 *
 * const credentials = () => ['user', 'pencil'] as const;
 * const used = await authenticate(intf, offered, [new SCRAM(credentials), new PLAIN(credentials)]);
 * ```
 *
 * It runs in every JavaScript runtime (browsers included). The other entries,
 * by audience:
 * - `saslkit/mechanism`: tools for writing a mechanism (state-machine
 *   helpers, bytes, hashes, PBKDF2, nonces, the mechanisms' message formats);
 * - `saslkit/server`: the server framework, server mechanisms, verifier
 *   stores and formats;
 * - `saslkit/imap`, `saslkit/smtp`, `saslkit/xmpp`: each protocol's SASL
 *   seam, client and server, over small ports a protocol library implements;
 * - `saslkit/node`: Node-only code (sockets, TLS channel binding, the demo
 *   servers);
 * - `saslkit/gsasl`: GNU SASL's command-line format over pipes, an interop
 *   harness.
 *
 * @module saslkit
 */
export { SASLState, type NextStateTuple, type ReplyState } from './core/state.js';
export { SASLError, SASLFailure, AuthenticationFailure, type MechanismAttempt } from './core/errors.js';
export { SASL_CONDITIONS, isSASLCondition, type SASLCondition } from './core/conditions.js';
export { SASLInterface } from './core/interface.js';
export { SASLStateMachine, type ChannelBindingContext, type SASLStateMachineOptions } from './core/state-machine.js';
export { SASLMechanism } from './core/mechanism.js';
export { authenticate } from './core/negotiate.js';
export type { CredentialProvider } from './core/credentials.js';
export { saslprep, type SASLprepOptions } from './core/saslprep.js';
export type { ChannelBindingProvider, ChannelBindingType } from './channel-binding/provider.js';
export type { HashName } from './crypto/hashes.js';
export type { LineTransport } from './protocols/transport.js';
export { ScramKeyCache, defaultScramKeyCache, type ScramClientKeys, type ScramKeyCacheOptions } from './scram/key-cache.js';

export { PLAIN, type PLAINOptions } from '../mechanisms/plain.js';
export { ANONYMOUS } from '../mechanisms/anonymous.js';
export { EXTERNAL, type EXTERNALOptions } from '../mechanisms/external.js';
export { SCRAM, SCRAMPLUS, DEFAULT_MAX_ITERATION_COUNT, DEFAULT_MIN_ITERATION_COUNT, type SCRAMOptions, type ScramChoice } from '../mechanisms/scram.js';
export { LOGIN, type LOGINOptions } from '../mechanisms/login.js';
export { CRAMMD5 } from '../mechanisms/cram-md5.js';
export { OAUTHBEARER, type OAUTHBEAREROptions, type OAuthErrorResponse } from '../mechanisms/oauthbearer.js';
export { XOAUTH2 } from '../mechanisms/xoauth2.js';
