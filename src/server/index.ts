/**
 * saslkit: the server side: server framework, server mechanisms, credential store and formats.
 *
 * ```ts
 * import { SASLServer, MemoryCredentialStore, PLAINServer, scramServerMechanisms } from 'saslkit/server';
 *
 * const credentials = new MemoryCredentialStore();
 * await credentials.addUser('user', 'pencil');
 * const server = new SASLServer({ mechanisms: [...scramServerMechanisms(), new PLAINServer()], credentials });
 * ```
 *
 * See the guide "Running a SASL server" (docs/server.md).
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
  type ServerMechanismDescriptor,
  type MechanismStep,
  type ServerChallenge,
  type ServerConnection,
  type ServerFailure,
  type ServerMechanism,
  type ServerMechanismContext,
  type ServerMechanismSession,
} from './mechanism.js';
export { DescribedServerMechanism, SERVER_DESCRIPTORS, serverDescriptor, type DescribedMechanismName } from './descriptors.js';
export {
  DEFAULT_MAX_AUTH_FAILURES,
  MemoryLoginThrottle,
  isFailedLogin,
  type LoginAttempt,
  type LoginThrottle,
  type MemoryLoginThrottleOptions,
  type ThrottleDecision,
  type ThrottleSize,
} from './throttle.js';
export { defaultAuthorizer, sameIdentity, type AuthorizationGrant, type AuthorizationRequest, type Authorizer, type AuthzidOf } from './authorization.js';
export { LoopbackInterface, type LoopbackOptions } from './loopback.js';
export { MemoryCredentialStore, type AddUserOptions, type CredentialStore } from './credentials/store.js';
export {
  DEFAULT_SALT_LENGTH,
  checkScramVerifier,
  defaultIterationCount,
  deriveScramVerifier,
  dummyVerifier,
  profileOf,
  unknownUserScramVerifier,
  verifyScramPassword,
  type DeriveScramOptions,
  type ScramVerifier,
  type VerifierProfile,
  // Deprecated earlier names ("credential" for what is a verifier):
  checkScramCredential,
  deriveScramCredentials,
  unknownUserCredential,
  type ScramCredential,
} from './credentials/scram.js';
export {
  formatScramVerifier,
  parseScramVerifier,
  type ScramVerifierFormat,
  // Deprecated earlier names:
  formatScramCredential,
  parseScramCredential,
  type ScramCredentialFormat,
} from './credentials/formats.js';
export { iterationCountWarning } from '../scram/iterations.js';

export { PLAINServer, decodePlainMessage, type PlainMessage } from '../../mechanisms/plain-server.js';
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
export { typicalVerifierProfiles, unknownUserVerifier, verifyPasswordWithStore } from './credentials/verify.js';
export { EXTERNALServer } from '../../mechanisms/external-server.js';
