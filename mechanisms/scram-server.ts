/**
 * SCRAM (RFC 5802, RFC 7677) and SCRAM-PLUS, server side.
 *
 * The client side lives in scram.ts; the halves are apart so that the root
 * entry `saslkit` (clients only) never loads server code, and `saslkit/server`
 * re-exports this module.
 *
 * @module
 */
import { base64Encode, concatBytes, utf8Encode } from '../src/core/bytes.js';
import { SASLError, SASLFailure } from '../src/core/errors.js';
import { saslprep } from '../src/core/saslprep.js';
import { timingSafeEqual, xorBytes } from '../src/crypto/constant-time.js';
import { HASHES, type HashAlgorithm, type HashName } from '../src/crypto/hashes.js';
import { randomNonce } from '../src/crypto/random.js';
import {
  CB_NAME,
  checkNonce,
  decodeBase64Field,
  decodeMessage,
  expectAttribute,
  malformed,
  parseAttributes,
} from '../src/scram/attributes.js';
import { isSASLCondition, type SASLCondition } from '../src/core/conditions.js';
import { unescapeSaslname } from '../src/scram/attributes.js';
import { challenge, failure, type MechanismStep, type ServerFailure, type ServerMechanism, type ServerMechanismContext, type ServerMechanismSession } from '../src/server/mechanism.js';
import { checkScramCredential, unknownUserCredential, type ScramCredential, type VerifierProfile } from '../src/server/credentials/scram.js';
import { observeVerifiers, typicalVerifierProfiles } from '../src/server/credentials/verify.js';

// ---------------------------------------------------------------------------
// Server side
//
// The server side of the same exchange (RFC 5802 §5, §7):
// 1. client-first: parse the GS2 header (channel-binding flag, authzid) and
//    `n=<user>,r=<client nonce>`; look up the user's verifier, or make up a
//    stable fake one for an unknown user; answer server-first
//    `r=<client nonce + server nonce>,s=<salt>,i=<iterations>`;
// 2. client-final: check `c=` is exactly the GS2 header plus this
//    connection's binding data, `r=` the combined nonce, and the proof
//    against StoredKey in constant time; answer `v=<ServerSignature>` with
//    success, or fail with an `e=<server-error-value>` server-final-message.

/** The server-error-values of RFC 5802 §7, sent as `e=<value>` in server-final-message. */
export type ScramServerError =
  | 'invalid-encoding'
  | 'extensions-not-supported'
  | 'invalid-proof'
  | 'channel-bindings-dont-match'
  | 'server-does-support-channel-binding'
  | 'channel-binding-not-supported'
  | 'unsupported-channel-binding-type'
  | 'unknown-user'
  | 'invalid-username-encoding'
  | 'no-resources'
  | 'other-error';

/** Options of {@link SCRAMServer} and {@link SCRAMPLUSServer}. */
export interface SCRAMServerOptions {
  /**
   * The iteration count shown for unknown users. Default: what a typical
   * user of the store has for this hash ({@link CredentialStore.verifierProfiles},
   * else the last known user seen), else `defaultIterationCount` of the hash.
   */
  readonly unknownUserIterations?: number;
  /** The salt length (bytes) shown for unknown users. Default: as for the iteration count, else 16 (what saslkit makes). */
  readonly unknownUserSaltLength?: number;
  /** Length of the server nonce in characters. Default 24. */
  readonly nonceLength?: number;
  /** Make the server nonce; for reproducing test vectors. Default: random. */
  readonly generateNonce?: () => string;
}

/** A failure with the matching server-final-message `e=<error>` as its data. */
function scramFailure(condition: SASLCondition, error: ScramServerError, text: string): ServerFailure {
  return failure(condition, `SCRAM: ${text}`, utf8Encode(`e=${error}`));
}

/** Run `parse`; turn a syntax error into a failure (carrying `e=<error>` unless `null`). */
function parsing<T>(error: ScramServerError | null, parse: () => T): T | ServerFailure {
  try {
    return parse();
  } catch (err) {
    if (err instanceof SASLFailure && isSASLCondition(err.opaqueError)) {
      return failure(err.opaqueError, err.text, error === null ? null : utf8Encode(`e=${error}`));
    }
    throw err;
  }
}

function isFailure(value: unknown): value is ServerFailure {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'failure';
}

/** A parsed client-first-message. */
interface ClientFirst {
  /** `n,,` / `y,a=x,` / `p=tls-exporter,,` as sent, for the `c=` check. */
  readonly gs2Header: string;
  /** `n`, `y` or `p`. */
  readonly flag: 'n' | 'y' | 'p';
  /** The `p=` channel-binding type, else `null`. */
  readonly cbName: string | null;
  readonly authzid: string | null;
  /** The `saslname` after unescaping, before SASLprep. */
  readonly username: string;
  readonly clientNonce: string;
  /** client-first-message-bare, part of AuthMessage. */
  readonly bare: string;
}

function parseClientFirst(response: Uint8Array): ClientFirst {
  const text = decodeMessage(response, 'client-first-message');
  const c1 = text.indexOf(',');
  const c2 = c1 < 0 ? -1 : text.indexOf(',', c1 + 1);
  if (c2 < 0) malformed('client-first-message lacks the GS2 header');
  const flagText = text.slice(0, c1);
  const authzText = text.slice(c1 + 1, c2);
  let flag: ClientFirst['flag'];
  let cbName: string | null = null;
  if (flagText === 'n' || flagText === 'y') flag = flagText;
  else if (flagText.startsWith('p=') && CB_NAME.test(flagText.slice(2))) {
    flag = 'p';
    cbName = flagText.slice(2);
  } else malformed("the GS2 channel-binding flag must be 'n', 'y' or 'p=<cb-name>'");
  let authzid: string | null = null;
  if (authzText !== '') {
    if (!authzText.startsWith('a=')) malformed("the GS2 authzid must be 'a=<saslname>'");
    authzid = unescapeSaslname(authzText.slice(2), 'authzid');
  }
  const bare = text.slice(c2 + 1);
  const attrs = parseAttributes(bare, 'client-first-message');
  if (attrs[0]?.name === 'm') throw new SASLFailure('malformed-request', 'SCRAM: mandatory extension (m=) not supported');
  const username = unescapeSaslname(expectAttribute(attrs, 0, 'n', 'client-first-message'), 'username');
  const clientNonce = checkNonce(expectAttribute(attrs, 1, 'r', 'client-first-message'), 'client nonce');
  return { gs2Header: text.slice(0, c2 + 1), flag, cbName, authzid, username, clientNonce, bare };
}

/** A parsed client-final-message. */
interface ClientFinal {
  readonly channelBinding: Uint8Array;
  readonly nonce: string;
  readonly proof: Uint8Array;
  /** client-final-message-without-proof, part of AuthMessage. */
  readonly withoutProof: string;
}

function parseClientFinal(response: Uint8Array): ClientFinal {
  const text = decodeMessage(response, 'client-final-message');
  const attrs = parseAttributes(text, 'client-final-message');
  const channelBinding = decodeBase64Field(expectAttribute(attrs, 0, 'c', 'client-final-message'), 'channel binding');
  const nonce = expectAttribute(attrs, 1, 'r', 'client-final-message');
  const last = attrs[attrs.length - 1]!;
  if (attrs.length < 3 || last.name !== 'p') malformed("client-final-message must end with the proof 'p='");
  const proof = decodeBase64Field(last.value, 'proof');
  return { channelBinding, nonce, proof, withoutProof: text.slice(0, text.length - last.value.length - 3) };
}

/** Is any SCRAM -PLUS mechanism advertised (so a `y` flag means a downgrade)? */
function offersScramPlus(advertised: readonly string[]): boolean {
  return advertised.some((name) => name.startsWith('SCRAM-') && name.endsWith('-PLUS'));
}

interface ScramServerConfig {
  readonly name: string;
  readonly hash: HashAlgorithm;
  readonly plus: boolean;
  /** `null`: from the store's typical profile. */
  readonly unknownUserIterations: number | null;
  /** `null`: from the store's typical profile. */
  readonly unknownUserSaltLength: number | null;
  readonly generateNonce: () => string;
}

function resolveServerOptions(hashName: HashName, plus: boolean, options: SCRAMServerOptions): ScramServerConfig {
  const hash = HASHES.find((h) => h.name === hashName);
  if (!hash) throw new SASLError(null, 'invalid argument', `unsupported SCRAM hash: ${String(hashName)}`);
  const unknownUserIterations = options.unknownUserIterations ?? null;
  if (unknownUserIterations !== null && (!Number.isSafeInteger(unknownUserIterations) || unknownUserIterations < 1)) {
    throw new SASLError(null, 'invalid argument', 'unknownUserIterations must be a positive integer');
  }
  const unknownUserSaltLength = options.unknownUserSaltLength ?? null;
  if (unknownUserSaltLength !== null && (!Number.isSafeInteger(unknownUserSaltLength) || unknownUserSaltLength < 1 || unknownUserSaltLength > 32)) {
    throw new SASLError(null, 'invalid argument', 'unknownUserSaltLength must be an integer from 1 to 32');
  }
  const nonceLength = options.nonceLength ?? 24;
  if (options.generateNonce === undefined) randomNonce(nonceLength); // validate the length now
  return {
    name: `SCRAM-${hash.name}${plus ? '-PLUS' : ''}`,
    hash,
    plus,
    unknownUserIterations,
    unknownUserSaltLength,
    generateNonce: options.generateNonce ?? (() => randomNonce(nonceLength)),
  };
}

/** HMAC under a verifier's StoredKey and ServerKey, each key prepared once. */
interface PreparedKeys {
  readonly storedKey: (data: Uint8Array) => Uint8Array;
  readonly serverKey: (data: Uint8Array) => Uint8Array;
}

// Keys imported once per stored verifier (a Node KeyObject, or noble's keyed
// state), not once per authentication. A verifier object is read-only by
// type; a store that hands out new objects per lookup just misses here.
const preparedKeys = new WeakMap<ScramCredential, PreparedKeys>();

function preparedKeysOf(hash: HashAlgorithm, credential: ScramCredential): PreparedKeys {
  let keys = preparedKeys.get(credential);
  if (!keys) {
    keys = { storedKey: hash.hmacWithKey(credential.storedKey), serverKey: hash.hmacWithKey(credential.serverKey) };
    preparedKeys.set(credential, keys);
  }
  return keys;
}

/** One server exchange; shared by SCRAMServer and SCRAMPLUSServer. */
function scramSession(config: ScramServerConfig, context: ServerMechanismContext): ServerMechanismSession {
  const { hash } = config;
  let phase: 'start' | 'first' | 'final' | 'done' = 'start';
  let first: ClientFirst;
  let username: string;
  let credential: ScramCredential;
  let known: boolean;
  let serverFirst: string;
  let combinedNonce: string;

  async function onClientFirst(response: Uint8Array): Promise<MechanismStep> {
    // A syntax error here fails without e=: RFC 5802's values name specific
    // conditions (downgrade, binding type) that are reported below with one.
    const parsed = parsing(null, () => parseClientFirst(response));
    if (isFailure(parsed)) return parsed;
    first = parsed;
    // GS2 channel-binding rules (RFC 5802 §6).
    if (config.plus && first.flag !== 'p') {
      return failure('malformed-request', `SCRAM: ${config.name} requires the channel-binding flag 'p=<cb-name>'`);
    }
    if (!config.plus && first.flag === 'p') {
      return failure('malformed-request', `SCRAM: channel binding requested with ${config.name}; use the -PLUS mechanism`);
    }
    if (first.flag === 'y' && offersScramPlus(context.advertised)) {
      return scramFailure('not-authorized', 'server-does-support-channel-binding', 'the client thinks the server cannot bind to the channel, but it can: possible downgrade attack');
    }
    if (first.flag === 'p' && !(context.connection.channelBindings ?? []).some((p) => p.cbName === first.cbName)) {
      return scramFailure('malformed-request', 'unsupported-channel-binding-type', 'channel-binding type not available on this connection');
    }
    const prepared = parsing('invalid-username-encoding', () => saslprep(first.username, { allowUnassigned: true }));
    if (isFailure(prepared)) return prepared;
    if (prepared.length === 0) return scramFailure('malformed-request', 'invalid-username-encoding', 'the username is empty after SASLprep');
    username = prepared;

    const store = context.credentials;
    const all = (await store.scramCredentials(username)) ?? [];
    const stored = all.find((c) => c.hash === hash.name);
    known = stored !== undefined;
    if (stored) {
      credential = checkScramCredential(stored);
      observeVerifiers(store, all);
    } else {
      // Show what a typical user of this store shows: same count, same salt length.
      let profiles = config.unknownUserIterations === null || config.unknownUserSaltLength === null ? typicalVerifierProfiles(store) : [];
      if (!Array.isArray(profiles)) profiles = await profiles;
      const typical = (profiles as readonly VerifierProfile[]).find((p) => p.hash === hash.name);
      credential = unknownUserCredential(
        context.secret,
        hash.name,
        username,
        config.unknownUserIterations ?? typical?.iterations ?? hash.minimumIterationCount,
        Math.min(32, config.unknownUserSaltLength ?? typical?.saltLength ?? 16),
      );
    }

    const serverNonce = config.generateNonce();
    if (typeof serverNonce !== 'string' || serverNonce.length === 0) {
      throw new SASLError(null, 'invalid argument', 'generateNonce must return a non-empty string');
    }
    checkNonce(serverNonce, 'server nonce');
    combinedNonce = first.clientNonce + serverNonce;
    serverFirst = `r=${combinedNonce},s=${base64Encode(credential.salt)},i=${credential.iterations}`;
    return challenge(utf8Encode(serverFirst));
  }

  async function onClientFinal(response: Uint8Array): Promise<MechanismStep> {
    const final = parsing('invalid-encoding', () => parseClientFinal(response));
    if (isFailure(final)) return final;
    if (final.nonce !== combinedNonce) return scramFailure('malformed-request', 'other-error', 'the nonce does not match');

    let cbData: Uint8Array = new Uint8Array(0);
    if (first.flag === 'p') {
      const provider = context.connection.channelBindings!.find((p) => p.cbName === first.cbName)!;
      const data: unknown = await provider.extractCbData();
      if (!(data instanceof Uint8Array) || data.length === 0) {
        return failure('temporary-auth-failure', `SCRAM: no ${provider.cbName} channel-binding data on this connection`);
      }
      cbData = data;
    }
    if (!timingSafeEqual(final.channelBinding, concatBytes(utf8Encode(first.gs2Header), cbData))) {
      return scramFailure('not-authorized', 'channel-bindings-dont-match', 'the channel bindings do not match');
    }

    // Verify: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage), then
    // H(ClientKey) must equal StoredKey. The same work is done for an unknown
    // user (against fake keys), and both end in the same failure.
    const authMessage = utf8Encode(`${first.bare},${serverFirst},${final.withoutProof}`);
    const keyed = preparedKeysOf(hash, credential);
    const clientSignature = keyed.storedKey(authMessage);
    const proofOk =
      final.proof.length === hash.outputLength &&
      timingSafeEqual(hash.digest(xorBytes(final.proof, clientSignature)), credential.storedKey);
    if (!(proofOk && known)) return { ...scramFailure('not-authorized', 'invalid-proof', 'authentication failed'), authcid: username };

    const serverSignature = keyed.serverKey(authMessage);
    return {
      kind: 'done',
      data: utf8Encode(`v=${base64Encode(serverSignature)}`),
      identity: { authcid: username, authzid: first.authzid, channelBinding: first.cbName },
    };
  }

  return {
    async next(response: Uint8Array | null): Promise<MechanismStep> {
      switch (phase) {
        case 'start':
          if (response === null) {
            phase = 'first';
            return challenge(new Uint8Array(0));
          }
          phase = 'final';
          return onClientFirst(response);
        case 'first':
          if (response === null) throw new SASLFailure('malformed-request', 'SCRAM: expected client-first-message');
          phase = 'final';
          return onClientFirst(response);
        case 'final':
          if (response === null) throw new SASLFailure('malformed-request', 'SCRAM: expected client-final-message');
          phase = 'done';
          return onClientFinal(response);
        default:
          throw new SASLFailure('malformed-request', 'SCRAM: the exchange is over');
      }
    },
  };
}

/**
 * SCRAM without channel binding, server side: `new SCRAMServer('SHA-256')`
 * runs SCRAM-SHA-256. Needs SCRAM verifiers for the hash in the
 * {@link CredentialStore}; an unknown user (or one without a verifier for
 * this hash) gets a fake but stable salt and the iteration count a typical
 * user of the store has (see {@link SCRAMServerOptions.unknownUserIterations}),
 * and fails exactly like a wrong password.
 *
 * A client sending the GS2 flag `y` while this server offers a -PLUS
 * mechanism on the connection is refused (downgrade detected, RFC 5802 §6).
 */
export class SCRAMServer implements ServerMechanism {
  /** E.g. `'SCRAM-SHA-256'`. */
  readonly name: string;
  /** 100 + the hash's strength. */
  readonly strength: number;
  /** False: the password never crosses the wire. */
  readonly plaintext = false;
  /** False. */
  readonly channelBinding: boolean = false;
  readonly #config: ScramServerConfig;

  /**
   * Configure the mechanism for one hash.
   *
   * @param hash - the SCRAM hash; default `'SHA-256'`
   * @param options - see {@link SCRAMServerOptions}
   * @throws {@link SASLError} for an unsupported hash or a bad option
   */
  constructor(hash: HashName = 'SHA-256', options: SCRAMServerOptions = {}) {
    this.#config = resolveServerOptions(hash, false, options);
    this.name = this.#config.name;
    this.strength = 100 + this.#config.hash.strength;
  }

  /**
   * Begin one exchange.
   *
   * @param context - the connection, credentials and server facts
   */
  start(context: ServerMechanismContext): ServerMechanismSession {
    return scramSession(this.#config, context);
  }
}

/**
 * SCRAM with channel binding, server side: `new SCRAMPLUSServer('SHA-256')`
 * runs SCRAM-SHA-256-PLUS. Offered only on connections with channel-binding
 * providers; the client's `p=<type>` must name one of them
 * (else `unsupported-channel-binding-type`), and its `c=` must carry exactly
 * that provider's data (else `channel-bindings-dont-match`).
 */
export class SCRAMPLUSServer implements ServerMechanism {
  /** E.g. `'SCRAM-SHA-256-PLUS'`. */
  readonly name: string;
  /** 200 + the hash's strength: every -PLUS ranks above every plain SCRAM. */
  readonly strength: number;
  /** False: the password never crosses the wire. */
  readonly plaintext = false;
  /** True. */
  readonly channelBinding: boolean = true;
  readonly #config: ScramServerConfig;

  /**
   * Configure the mechanism for one hash.
   *
   * @param hash - the SCRAM hash; default `'SHA-256'`
   * @param options - see {@link SCRAMServerOptions}
   * @throws {@link SASLError} for an unsupported hash or a bad option
   */
  constructor(hash: HashName = 'SHA-256', options: SCRAMServerOptions = {}) {
    this.#config = resolveServerOptions(hash, true, options);
    this.name = this.#config.name;
    this.strength = 200 + this.#config.hash.strength;
  }

  /**
   * Begin one exchange.
   *
   * @param context - the connection, credentials and server facts
   */
  start(context: ServerMechanismContext): ServerMechanismSession {
    return scramSession(this.#config, context);
  }
}

/** Options of {@link scramServerMechanisms}. */
export interface SCRAMServerSetOptions extends SCRAMServerOptions {
  /** The hashes; default SHA-1, SHA-256, SHA-512 and SHA3-512. */
  readonly hashes?: readonly HashName[];
  /** Include the -PLUS variants; default true. */
  readonly plus?: boolean;
}

/**
 * The SCRAM server mechanisms for several hashes at once, -PLUS variants
 * included: `scramServerMechanisms({ hashes: ['SHA-256', 'SHA-512'] })`.
 *
 * @param options - see {@link SCRAMServerSetOptions}
 */
export function scramServerMechanisms(options: SCRAMServerSetOptions = {}): ServerMechanism[] {
  const { hashes = ['SHA-1', 'SHA-256', 'SHA-512', 'SHA3-512'], plus = true, ...rest } = options;
  return hashes.flatMap((h) => (plus ? [new SCRAMPLUSServer(h, rest), new SCRAMServer(h, rest)] : [new SCRAMServer(h, rest)]));
}
