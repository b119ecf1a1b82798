/**
 * saslkit/server: the server side: the server framework, the server
 * mechanisms, verifier stores and their formats (RFC 5803, PostgreSQL,
 * Dovecot), the login throttle.
 *
 * ```ts
 * import { SASLServer, MemoryCredentialStore, PLAINServer, scramServerMechanisms } from 'saslkit/server';
 *
 * const credentials = new MemoryCredentialStore();
 * await credentials.addUser('user', 'pencil');
 * const server = new SASLServer({ mechanisms: [...scramServerMechanisms(), new PLAINServer()], credentials });
 * ```
 *
 * A protocol runs one exchange with {@link SASLServer.start}; the protocol
 * entries (`saslkit/imap`, `saslkit/smtp`, `saslkit/xmpp`) do it for their
 * wire forms. See the guide "Running a SASL server" (docs/server.md).
 *
 * @module saslkit/server
 */
export { SASLServer, type SASLServerOptions } from './server.js';
export {
  ServerExchange,
  type AuthOutcome,
  type ExchangeEnd,
  type ExchangeOptions,
  type ServerResult,
  type ServerSuccess,
} from './exchange.js';
export {
  challenge,
  failure,
  success,
  type AuthIdentity,
  type MechanismDone,
  type MechanismSuccess,
  type MechanismStep,
  type ServerChallenge,
  type ServerConnection,
  type ServerFailure,
  type ServerMechanism,
  type ServerMechanismContext,
  type ServerMechanismDescriptor,
  type ServerMechanismSession,
} from './mechanism.js';
export {
  MemoryLoginThrottle,
  isFailedLogin,
  type LoginAttempt,
  type LoginThrottle,
  type MemoryLoginThrottleOptions,
  type ThrottleDecision,
  type ThrottleSize,
} from './throttle.js';
export { defaultAuthorizer, type AuthorizationGrant, type AuthorizationRequest, type Authorizer, type AuthzidOf } from './authorization.js';
export { LoopbackInterface, type LoopbackOptions } from './loopback.js';
export { MemoryCredentialStore, type AddUserOptions, type CredentialStore } from './credentials/store.js';
export { deriveScramVerifier, type DeriveScramOptions, type ScramVerifier, type VerifierProfile } from './credentials/scram.js';
export { formatScramVerifier, parseScramVerifier, type ScramVerifierFormat } from './credentials/formats.js';
export { unknownUserVerifier, verifyPasswordWithStore } from './credentials/verify.js';

export { PLAINServer } from '../../mechanisms/plain-server.js';
export { ANONYMOUSServer } from '../../mechanisms/anonymous-server.js';
export {
  SCRAMServer,
  SCRAMPLUSServer,
  scramServerMechanisms,
  type SCRAMServerOptions,
  type SCRAMServerFactoryOptions,
  type SCRAMServerSetOptions,
  type ScramServerError,
} from '../../mechanisms/scram-server.js';
export { CRAMMD5Server, type CRAMMD5ServerOptions } from '../../mechanisms/cram-md5-server.js';
export {
  OAUTHBEARERServer,
  type OAUTHBEARERServerOptions,
  type OAuthTokenRequest,
  type OAuthTokenValidator,
  type OAuthTokenVerdict,
} from '../../mechanisms/oauthbearer-server.js';
export { XOAUTH2Server, type XOAUTH2ServerOptions } from '../../mechanisms/xoauth2-server.js';
export { LOGINServer } from '../../mechanisms/login-server.js';
export { EXTERNALServer } from '../../mechanisms/external-server.js';
