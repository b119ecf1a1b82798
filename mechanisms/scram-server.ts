/**
 * SCRAM (RFC 5802, RFC 7677) and SCRAM-PLUS, server side.
 *
 * The client side lives in scram.ts; the halves are apart so that the root
 * entry `saslkit` (clients only) never loads server code, and `saslkit/server`
 * re-exports this module.
 *
 * The server side of the exchange (RFC 5802 §5, §7), one handler per client
 * message, each returning the handler of the next with what it learnt:
 * 1. client-first: parse the GS2 header (channel-binding flag, authzid) and
 *    `n=<user>,r=<client nonce>`; look up the user's verifier, or make up a
 *    stable fake one for an unknown user; answer server-first
 *    `r=<client nonce + server nonce>,s=<salt>,i=<iterations>`;
 * 2. client-final: check `c=` is exactly the GS2 header plus this
 *    connection's binding data, `r=` the combined nonce, and the proof
 *    against StoredKey in constant time; answer `v=<ServerSignature>` with
 *    success, or fail with an `e=<server-error-value>` server-final-message.
 *
 * The messages' grammar lives in src/scram/messages.ts.
 *
 * @module
 */
import { concatBytes, utf8Encode } from '../src/core/bytes.js';
import { checkInteger } from '../src/core/checks.js';
import { isSASLCondition, type SASLCondition } from '../src/core/conditions.js';
import { SASLError, SASLFailure } from '../src/core/errors.js';
import { parseScramMechanismName, scramMechanismName } from '../src/core/mechanism-name.js';
import { saslprep } from '../src/core/saslprep.js';
import { timingSafeEqual, xorBytes } from '../src/crypto/constant-time.js';
import type { HashAlgorithm, HashName } from '../src/crypto/hashes.js';
import { randomNonce } from '../src/crypto/random.js';
import { checkNonce } from '../src/scram/attributes.js';
import {
  parseClientFinal,
  parseClientFirst,
  printServerFinal,
  printServerFirst,
  type ClientFinalMessage,
  type ClientFirstMessage,
  type ScramServerError,
} from '../src/scram/messages.js';
import { challenge, failure, success, type MechanismStep, type ServerFailure, type ServerMechanism, type ServerMechanismContext, type ServerMechanismSession } from '../src/server/mechanism.js';
import { checkScramCredential, requireHash, unknownUserCredential, type ScramCredential, type VerifierProfile } from '../src/server/credentials/scram.js';
import { observeVerifiers, typicalVerifierProfiles } from '../src/server/credentials/verify.js';

export type { ScramServerError } from '../src/scram/messages.js';

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
  return failure(condition, `SCRAM: ${text}`, utf8Encode(printServerFinal({ error })));
}

/** Run `parse`; turn a syntax error into a failure (carrying `e=<error>` unless `null`). */
function parsing<T>(error: ScramServerError | null, parse: () => T): T | ServerFailure {
  try {
    return parse();
  } catch (err) {
    if (err instanceof SASLFailure && isSASLCondition(err.opaqueError)) {
      return failure(err.opaqueError, err.text, error === null ? null : utf8Encode(printServerFinal({ error })));
    }
    throw err;
  }
}

function isFailure(value: unknown): value is ServerFailure {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'failure';
}

/** Is any SCRAM -PLUS mechanism advertised (so a `y` flag means a downgrade)? */
function offersScramPlus(advertised: readonly string[]): boolean {
  return advertised.some((name) => parseScramMechanismName(name)?.plus === true);
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
  const hash = requireHash(hashName);
  const { unknownUserIterations = null, unknownUserSaltLength = null } = options;
  if (unknownUserIterations !== null) checkInteger(unknownUserIterations, 'unknownUserIterations');
  if (unknownUserSaltLength !== null) checkInteger(unknownUserSaltLength, 'unknownUserSaltLength', 1, 32);
  const nonceLength = options.nonceLength ?? 24;
  if (options.generateNonce === undefined) randomNonce(nonceLength); // validate the length now
  const custom = options.generateNonce;
  return {
    name: scramMechanismName(hash.name, plus),
    hash,
    plus,
    unknownUserIterations,
    unknownUserSaltLength,
    // The built-in nonces are alphanumeric by construction; a caller's are checked
    // (a bad one is the server's fault, reported as such, not the client's).
    generateNonce:
      custom === undefined
        ? () => randomNonce(nonceLength)
        : () => {
            const nonce = custom();
            if (typeof nonce !== 'string' || nonce.length === 0) {
              throw new SASLError(null, 'invalid argument', 'generateNonce must return a non-empty string');
            }
            try {
              return checkNonce(nonce, 'server nonce');
            } catch {
              throw new SASLError(null, 'invalid argument', 'generateNonce must return printable ASCII without commas');
            }
          },
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

/** What a handler answers: the step, and the handler of the client's next message (`null`: none). */
interface Reply {
  readonly step: MechanismStep;
  readonly next: Handler | null;
}

/** The handler of one client message. */
interface Handler {
  /** Answer it (synchronously when the credential store and channel binding answer synchronously). */
  handle(response: Uint8Array): Reply | Promise<Reply>;
}

/** An answer that ends the exchange. */
const last = (step: MechanismStep): Reply => ({ step, next: null });

const isPromiseLike = <T>(value: T | PromiseLike<T>): value is PromiseLike<T> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/** `then(value)`, at once for a plain value, after it settles for a promise. */
const thenOf = <T, R>(value: T | PromiseLike<T>, then: (value: T) => R | Promise<R>): R | Promise<R> =>
  isPromiseLike(value) ? Promise.resolve(value).then(then) : then(value);

interface Verifier {
  readonly credential: ScramCredential;
  readonly known: boolean;
}

/**
 * The verifier to check the proof against: the user's, or a stable fake one.
 * Synchronous when the store answers synchronously.
 */
function verifierFor(config: ScramServerConfig, context: ServerMechanismContext, username: string): Verifier | Promise<Verifier> {
  const store = context.credentials;
  return thenOf(store.scramCredentials(username), (found) => {
    const all = found ?? [];
    const stored = all.find((c) => c.hash === config.hash.name);
    if (stored) {
      // Checked once: a verifier with prepared keys passed this check before.
      const credential = preparedKeys.has(stored) ? stored : checkScramCredential(stored);
      observeVerifiers(store, all);
      return { credential, known: true };
    }
    // Show what a typical user of this store shows: same count, same salt length.
    const profiles = config.unknownUserIterations === null || config.unknownUserSaltLength === null ? typicalVerifierProfiles(store) : [];
    return thenOf(profiles, (p) => unknownVerifier(config, context, username, p));
  });
}

function unknownVerifier(config: ScramServerConfig, context: ServerMechanismContext, username: string, profiles: readonly VerifierProfile[]): Verifier {
  const { hash } = config;
  const typical = profiles.find((p) => p.hash === hash.name);
  const credential = unknownUserCredential(
    context.secret,
    hash.name,
    username,
    config.unknownUserIterations ?? typical?.iterations ?? hash.minimumIterationCount,
    Math.min(32, config.unknownUserSaltLength ?? typical?.saltLength ?? 16),
  );
  return { credential, known: false };
}

/** Step 1: client-first-message → server-first-message. */
function clientFirstHandler(config: ScramServerConfig, context: ServerMechanismContext): Handler {
  return {
    handle(response) {
      // A syntax error here fails without e=: RFC 5802's values name specific
      // conditions (downgrade, binding type) that are reported below with one.
      const first = parsing(null, () => parseClientFirst(response));
      if (isFailure(first)) return last(first);
      // GS2 channel-binding rules (RFC 5802 §6).
      const { flag, cbName } = first.gs2;
      if (config.plus && flag !== 'p') {
        return last(failure('malformed-request', `SCRAM: ${config.name} requires the channel-binding flag 'p=<cb-name>'`));
      }
      if (!config.plus && flag === 'p') {
        return last(failure('malformed-request', `SCRAM: channel binding requested with ${config.name}; use the -PLUS mechanism`));
      }
      if (flag === 'y' && offersScramPlus(context.advertised)) {
        return last(scramFailure('not-authorized', 'server-does-support-channel-binding', 'the client thinks the server cannot bind to the channel, but it can: possible downgrade attack'));
      }
      if (flag === 'p' && !(context.connection.channelBindings ?? []).some((p) => p.cbName === cbName)) {
        return last(scramFailure('malformed-request', 'unsupported-channel-binding-type', 'channel-binding type not available on this connection'));
      }
      const username = parsing('invalid-username-encoding', () => saslprep(first.username, { allowUnassigned: true }));
      if (isFailure(username)) return last(username);
      if (username.length === 0) return last(scramFailure('malformed-request', 'invalid-username-encoding', 'the username is empty after SASLprep'));
      // Synchronous when the store answers synchronously (MemoryCredentialStore does).
      return thenOf(verifierFor(config, context, username), (verifier) => serverFirst(config, context, first, username, verifier));
    },
  };
}

/** Step 1's answer, once the verifier is known: server-first-message. */
function serverFirst(config: ScramServerConfig, context: ServerMechanismContext, first: ClientFirstMessage, username: string, { credential, known }: Verifier): Reply {
  const nonce = first.nonce + config.generateNonce();
  const serverFirst = printServerFirst(nonce, credential.salt, credential.iterations);
  const next = clientFinalHandler(config, context, { first, username, credential, known, nonce, serverFirst });
  return { step: challenge(utf8Encode(serverFirst)), next };
}

/** What step 1 settled, for step 2. */
interface AfterServerFirst {
  readonly first: ClientFirstMessage;
  /** The username after SASLprep. */
  readonly username: string;
  readonly credential: ScramCredential;
  /** Whether `credential` is the user's (else a fake one for an unknown user). */
  readonly known: boolean;
  /** The combined nonce. */
  readonly nonce: string;
  /** server-first-message, part of AuthMessage. */
  readonly serverFirst: string;
}

const NO_BINDING_DATA = new Uint8Array(0);

/** The channel-binding data `c=` must carry after the GS2 header, or a failure; at once without channel binding. */
function bindingData(context: ServerMechanismContext, first: ClientFirstMessage): Uint8Array | ServerFailure | Promise<Uint8Array | ServerFailure> {
  if (first.gs2.flag !== 'p') return NO_BINDING_DATA;
  const provider = context.connection.channelBindings!.find((p) => p.cbName === first.gs2.cbName)!;
  return Promise.resolve(provider.extractCbData()).then((data: unknown) =>
    data instanceof Uint8Array && data.length > 0 ? data : failure('temporary-auth-failure', `SCRAM: no ${provider.cbName} channel-binding data on this connection`),
  );
}

const encoder = new TextEncoder();
/** The largest AuthMessage (in UTF-8 bytes at most) encoded into the shared buffer; longer ones get their own. */
const AUTH_MESSAGE_BUFFER_SIZE = 2048;
const authMessageBuffer = new Uint8Array(AUTH_MESSAGE_BUFFER_SIZE);

/**
 * AuthMessage (RFC 5802 §3) as UTF-8, in a buffer every exchange reuses: it
 * is only fed to the two HMACs, synchronously, and never kept, and a fresh
 * array per login costs more than encoding it (about 600 ns in Node 20 for
 * an array over 64 bytes). Its parts are well-formed text (decoded from
 * strict UTF-8, or printed by this module), so nothing is replaced.
 *
 * @returns a view valid until the next call
 */
function authMessageBytes(text: string): Uint8Array {
  if (text.length * 3 > AUTH_MESSAGE_BUFFER_SIZE) return utf8Encode(text);
  return authMessageBuffer.subarray(0, encoder.encodeInto(text, authMessageBuffer).written);
}

/** Step 2: client-final-message → server-final-message with success, or failure. */
function clientFinalHandler(config: ScramServerConfig, context: ServerMechanismContext, state: AfterServerFirst): Handler {
  return {
    handle(response) {
      const final = parsing('invalid-encoding', () => parseClientFinal(response));
      if (isFailure(final)) return last(final);
      if (final.nonce !== state.nonce) return last(scramFailure('malformed-request', 'other-error', 'the nonce does not match'));
      return thenOf(bindingData(context, state.first), (cbData) => verifyProof(config, state, final, cbData));
    },
  };
}

/** Step 2's answer, once the channel-binding data is known: check `c=` and the proof. */
function verifyProof(config: ScramServerConfig, state: AfterServerFirst, final: ClientFinalMessage, cbData: Uint8Array | ServerFailure): Reply {
  const { hash } = config;
  const { first, username, credential, known } = state;
  if (isFailure(cbData)) return last(cbData);
  const gs2 = utf8Encode(first.gs2.text);
  if (!timingSafeEqual(final.channelBinding, cbData.length === 0 ? gs2 : concatBytes(gs2, cbData))) {
    return last(scramFailure('not-authorized', 'channel-bindings-dont-match', 'the channel bindings do not match'));
  }

  // Verify: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage), then
  // H(ClientKey) must equal StoredKey. The same work is done for an unknown
  // user (against fake keys), and both end in the same failure.
  const authMessage = authMessageBytes(`${first.bare},${state.serverFirst},${final.withoutProof}`);
  const keyed = preparedKeysOf(hash, credential);
  const clientSignature = keyed.storedKey(authMessage);
  const proofOk =
    final.proof.length === hash.outputLength &&
    timingSafeEqual(hash.digest(xorBytes(final.proof, clientSignature)), credential.storedKey);
  if (!(proofOk && known)) return last({ ...scramFailure('not-authorized', 'invalid-proof', 'authentication failed'), authcid: username });

  const serverSignature = keyed.serverKey(authMessage);
  return last(
    success({ authcid: username, authzid: first.gs2.authzid, channelBinding: first.gs2.cbName }, utf8Encode(printServerFinal({ verifier: serverSignature }))),
  );
}

/** One server exchange: the current handler, replaced by the one each step returns. */
function scramSession(config: ScramServerConfig, context: ServerMechanismContext): ServerMechanismSession {
  // The exchange sends the empty challenge when the client gave no initial
  // response (SCRAM speaks first as a client), so every call here carries a
  // real client message.
  let handler: Handler | null = clientFirstHandler(config, context);
  return {
    async next(response: Uint8Array): Promise<MechanismStep> {
      const current = handler;
      if (current === null) throw new SASLFailure('malformed-request', 'SCRAM: the exchange is over');
      handler = null;
      const pending = current.handle(response);
      const reply = isPromiseLike(pending) ? await pending : pending;
      handler = reply.next;
      return reply.step;
    },
  };
}

/** Options of the {@link SCRAMServer} constructor: {@link SCRAMServerOptions} and the -PLUS flag. */
export interface SCRAMServerFactoryOptions extends SCRAMServerOptions {
  /** Run the channel-binding variant (`SCRAM-<hash>-PLUS`); default false. */
  readonly plus?: boolean;
}

/**
 * SCRAM server side, one hash, with or without channel binding:
 * `new SCRAMServer('SHA-256')` runs SCRAM-SHA-256, `new SCRAMServer('SHA-256',
 * { plus: true })` SCRAM-SHA-256-PLUS (also {@link SCRAMPLUSServer}).
 *
 * Needs SCRAM verifiers for the hash in the {@link CredentialStore}; an
 * unknown user (or one without a verifier for this hash) gets a fake but
 * stable salt and the iteration count a typical user of the store has (see
 * {@link SCRAMServerOptions.unknownUserIterations}), and fails exactly like
 * a wrong password.
 *
 * Without `plus`, a client sending the GS2 flag `y` while this server offers
 * a -PLUS mechanism on the connection is refused (downgrade detected, RFC 5802
 * §6). With `plus`, it is offered only on connections with channel-binding
 * providers; the client's `p=<type>` must name one of them (else
 * `unsupported-channel-binding-type`), and its `c=` must carry exactly that
 * provider's data (else `channel-bindings-dont-match`).
 */
export class SCRAMServer implements ServerMechanism {
  /** E.g. `'SCRAM-SHA-256'` or `'SCRAM-SHA-256-PLUS'`. */
  readonly name: string;
  /** 100 + the hash's strength, +100 for -PLUS: every -PLUS ranks above every plain SCRAM. */
  readonly strength: number;
  /** False: the password never crosses the wire. */
  readonly plaintext = false;
  /** Whether this is the -PLUS variant. */
  readonly channelBinding: boolean;
  readonly #config: ScramServerConfig;

  /**
   * Configure the mechanism for one hash.
   *
   * @param hash - the SCRAM hash; default `'SHA-256'`
   * @param options - see {@link SCRAMServerFactoryOptions}
   * @throws {@link SASLError} for an unsupported hash or a bad option
   */
  constructor(hash: HashName = 'SHA-256', options: SCRAMServerFactoryOptions = {}) {
    const plus = options.plus === true;
    this.#config = resolveServerOptions(hash, plus, options);
    this.name = this.#config.name;
    this.channelBinding = plus;
    this.strength = (plus ? 200 : 100) + this.#config.hash.strength;
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

/** SCRAM with channel binding, server side: `new SCRAMPLUSServer('SHA-256')` is `new SCRAMServer('SHA-256', { plus: true })`. */
export class SCRAMPLUSServer extends SCRAMServer {
  /**
   * Configure SCRAM-`<hash>`-PLUS.
   *
   * @param hash - the SCRAM hash; default `'SHA-256'`
   * @param options - see {@link SCRAMServerOptions}
   * @throws {@link SASLError} for an unsupported hash or a bad option
   */
  constructor(hash: HashName = 'SHA-256', options: SCRAMServerOptions = {}) {
    super(hash, { ...options, plus: true });
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
  return hashes.flatMap((h) => (plus ? [new SCRAMServer(h, { ...rest, plus: true }), new SCRAMServer(h, rest)] : [new SCRAMServer(h, rest)]));
}
