/**
 * SCRAM (RFC 5802, RFC 7677) and SCRAM-PLUS: the client side.
 *
 * A SCRAM exchange, step by step (client view):
 *
 * 1. client-first: GS2 header (`n,,`, `y,,` or `p=<cb-name>,,`, with `a=` for
 *    an authzid) followed by `n=<user>,r=<client nonce>`;
 * 2. server-first: `r=<client nonce + server nonce>,s=<salt>,i=<iterations>`;
 * 3. client-final: `c=<base64(GS2 header + cb data)>,r=<nonce>,p=<proof>`,
 *    where the proof shows knowledge of `SaltedPassword = PBKDF2(password)`
 *    without revealing it;
 * 4. server-final: `v=<server signature>`, proving the server holds the
 *    user's keys too (or `e=<error>`).
 *
 * @module
 */
import { base64Encode, concatBytes, utf8Encode } from '../src/core/bytes.js';
import { resolveCredentials, type CredentialProvider } from '../src/core/credentials.js';
import { AuthenticationFailure, SASLError, SASLFailure, promoteCredentialFailure } from '../src/core/errors.js';
import { SASLMechanism, offeredSet } from '../src/core/mechanism.js';
import { saslprep } from '../src/core/saslprep.js';
import { SASLState } from '../src/core/state.js';
import type { SASLStateMachine } from '../src/core/state-machine.js';
import type { ChannelBindingProvider } from '../src/channel-binding/provider.js';
import { timingSafeEqual, xorBytes } from '../src/crypto/constant-time.js';
import { HASHES, type HashAlgorithm, type HashName } from '../src/crypto/hashes.js';
import { randomNonce } from '../src/crypto/random.js';
import {
  CB_NAME,
  checkExtensions,
  checkNonce,
  decodeBase64Field,
  decodeMessage,
  escapeSaslname,
  expectAttribute,
  malformed,
  parseAttributes,
  parsePositiveInteger,
} from '../src/scram/attributes.js';
import { checkClientKeys, clientKeysFor, defaultScramKeyCache, type ClientKeySource, type ScramClientKeys, type ScramKeyCache } from '../src/scram/key-cache.js';
import { isSASLCondition, type SASLCondition } from '../src/core/conditions.js';
import { unescapeSaslname } from '../src/scram/attributes.js';
import { challenge, failure, type MechanismStep, type ServerFailure, type ServerMechanism, type ServerMechanismContext, type ServerMechanismSession } from '../src/server/mechanism.js';
import { checkScramCredential, unknownUserCredential, type ScramCredential } from '../src/server/credentials/scram.js';

/** Options shared by {@link SCRAM} and {@link SCRAMPLUS}. */
export interface SCRAMOptions {
  /** Authorization identity to request (`a=`); default none. */
  readonly authzid?: string | null;
  /**
   * Send the GS2 flag `y` ("I support channel binding but think you do not")
   * instead of `n`. Set it when this non-PLUS attempt follows a SCRAM-PLUS
   * that was not possible because the server offered no -PLUS mechanism, so
   * a server that does support binding can detect a downgrade (RFC 5802 §6).
   */
  readonly afterScramPlus?: boolean;
  /**
   * Refuse iteration counts below the hash's minimum (4096 for SHA-1 and
   * SHA-256, 10000 for SHA-512 and SHA3-512). Default true.
   */
  readonly enforceMinimumIterationCount?: boolean;
  /**
   * The largest iteration count accepted, so a hostile server cannot make the
   * client spin. Default 100000.
   */
  readonly maxIterationCount?: number;
  /** Length of the client nonce in characters. Default 24. */
  readonly nonceLength?: number;
  /** Make the client nonce; for reproducing test vectors. Default: random. */
  readonly generateNonce?: () => string;
  /**
   * The hashes this client may use, e.g. `['SHA-256', 'SHA-512']`. Default:
   * all of SHA-1, SHA-256, SHA-512 and SHA3-512.
   */
  readonly hashes?: readonly HashName[];
  /**
   * Where ClientKey and ServerKey are remembered between logins (RFC 5802
   * §5.1), so that a new login with the same password, salt and iteration
   * count costs a few HMACs instead of a PBKDF2: a {@link ScramKeyCache},
   * or `false` for none. Default {@link defaultScramKeyCache}.
   */
  readonly cache?: ScramKeyCache | false;
  /**
   * Keys the caller already has, e.g. from {@link SCRAMOptions.onKeys} of a
   * previous login: used (without the password) when the server sends their
   * hash, salt and iteration count. Keep them as secret as the password.
   */
  readonly keys?: ScramClientKeys | readonly ScramClientKeys[];
  /**
   * Called after each login whose server proved itself, with the keys used,
   * for the caller to keep (as secrets) and hand back in {@link SCRAMOptions.keys}.
   */
  readonly onKeys?: (keys: ScramClientKeys) => void;
}

/** Default for {@link SCRAMOptions.maxIterationCount}. */
export const DEFAULT_MAX_ITERATION_COUNT = 100_000;

interface ResolvedOptions {
  readonly authzid: string | null;
  readonly afterScramPlus: boolean;
  readonly enforceMinimumIterationCount: boolean;
  readonly maxIterationCount: number;
  readonly generateNonce: () => string;
  readonly hashes: readonly HashAlgorithm[];
  readonly keySource: ClientKeySource;
  readonly onKeys: ((keys: ScramClientKeys) => void) | null;
}

function resolveOptions(options: SCRAMOptions): ResolvedOptions {
  const { authzid = null, nonceLength = 24 } = options;
  if (authzid !== null && (typeof authzid !== 'string' || authzid.length === 0 || authzid.includes('\0'))) {
    throw new SASLError(null, 'invalid argument', 'authzid must be a non-empty string without NUL');
  }
  const maxIterationCount = options.maxIterationCount ?? DEFAULT_MAX_ITERATION_COUNT;
  if (!Number.isSafeInteger(maxIterationCount) || maxIterationCount < 1) {
    throw new SASLError(null, 'invalid argument', 'maxIterationCount must be a positive integer');
  }
  let hashes = HASHES;
  if (options.hashes !== undefined) {
    const wanted = new Set<string>(options.hashes);
    hashes = HASHES.filter((h) => wanted.has(h.name));
    if (hashes.length !== wanted.size) {
      throw new SASLError(null, 'invalid argument', `unsupported hash in ${[...wanted].join(', ')}`);
    }
  }
  const generateNonce = options.generateNonce ?? (() => randomNonce(nonceLength));
  if (options.generateNonce === undefined) randomNonce(nonceLength); // validate the length now
  const given = options.keys === undefined ? [] : Array.isArray(options.keys) ? options.keys : [options.keys as ScramClientKeys];
  if (options.onKeys !== undefined && typeof options.onKeys !== 'function') {
    throw new SASLError(null, 'invalid argument', 'onKeys must be a function');
  }
  return {
    keySource: { keys: given.map(checkClientKeys), cache: options.cache === false ? null : (options.cache ?? defaultScramKeyCache) },
    onKeys: options.onKeys ?? null,
    authzid,
    afterScramPlus: options.afterScramPlus === true,
    enforceMinimumIterationCount: options.enforceMinimumIterationCount !== false,
    maxIterationCount,
    generateNonce,
    hashes,
  };
}

function pick(hashes: readonly HashAlgorithm[], mechanisms: Iterable<string>, plus: boolean): string | null {
  const offered = offeredSet(mechanisms);
  for (const h of hashes) {
    const name = `SCRAM-${h.name}${plus ? '-PLUS' : ''}`;
    if (offered.has(name)) return name;
  }
  return null;
}

/** Parse `SCRAM-<hash>[-PLUS]` into the hash. */
function hashOfMechanism(hashes: readonly HashAlgorithm[], mechanism: string, plus: boolean): HashAlgorithm {
  const suffix = plus ? '-PLUS' : '';
  const h = hashes.find((x) => `SCRAM-${x.name}${suffix}` === String(mechanism).toUpperCase());
  if (!h) throw new SASLError(null, 'invalid argument', `not a mechanism this SCRAM${plus ? 'PLUS' : ''} instance can run: ${String(mechanism)}`);
  return h;
}

/** Abort an exchange we are walking out of, without masking the real error. */
async function abandon(sm: SASLStateMachine): Promise<void> {
  if (sm.state !== SASLState.CHALLENGE) return;
  try {
    await sm.abort();
  } catch {
    // The original error is what the caller needs to see.
  }
}

interface Binding {
  /** `n`, `y` or `p=<name>`. */
  readonly flag: string;
  /** Channel-binding data (empty unless flag is `p=`). */
  readonly data: Uint8Array;
}

/** Run one client exchange; shared by SCRAM and SCRAM-PLUS. */
async function runClient(
  sm: SASLStateMachine,
  mechanism: string,
  hash: HashAlgorithm,
  credentials: CredentialProvider,
  options: ResolvedOptions,
  binding: Binding,
): Promise<void> {
  const [rawUser, rawPassword] = await resolveCredentials(credentials);
  const username = saslprep(rawUser, { allowUnassigned: true });
  const password = saslprep(rawPassword);
  if (username.length === 0) throw new SASLError(null, 'invalid argument', 'username is empty after SASLprep');

  const clientNonce = options.generateNonce();
  if (typeof clientNonce !== 'string' || clientNonce.length === 0) {
    throw new SASLError(null, 'invalid argument', 'generateNonce must return a non-empty string');
  }
  checkNonce(clientNonce, 'client nonce');

  const gs2Header = `${binding.flag},${options.authzid === null ? '' : `a=${escapeSaslname(options.authzid)}`},`;
  const clientFirstBare = `n=${escapeSaslname(username)},r=${clientNonce}`;

  let state: SASLState;
  let payload: Uint8Array | null;
  try {
    [state, payload] = await sm.initiate(mechanism, utf8Encode(gs2Header + clientFirstBare));
  } catch (err) {
    // A server may refuse the user name already (Dovecot does for unknown
    // users): that is a verdict on the credentials, so no other mechanism
    // should be tried with them.
    throw promoteCredentialFailure(err);
  }
  if (state !== SASLState.CHALLENGE || payload === null) {
    await abandon(sm);
    throw new SASLFailure(null, 'SCRAM: protocol violation: the server did not send server-first-message');
  }

  let serverFirst: string;
  let keys: ScramClientKeys;
  let derived: boolean;
  let combinedNonce: string;
  try {
    serverFirst = decodeMessage(payload, 'server-first-message');
    const attrs = parseAttributes(serverFirst, 'server-first-message');
    if (attrs[0]?.name === 'm') throw new SASLFailure(null, 'SCRAM: the server requires an unsupported mandatory extension (m=)');
    combinedNonce = checkNonce(expectAttribute(attrs, 0, 'r', 'server-first-message'), 'nonce');
    if (!combinedNonce.startsWith(clientNonce) || combinedNonce.length === clientNonce.length) {
      throw new SASLFailure(null, 'SCRAM: the server nonce does not extend the client nonce');
    }
    const salt = decodeBase64Field(expectAttribute(attrs, 1, 's', 'server-first-message'), 'salt');
    if (salt.length === 0) malformed('salt is empty');
    const iterations = parsePositiveInteger(expectAttribute(attrs, 2, 'i', 'server-first-message'), 'iteration count');
    checkExtensions(attrs, 3, 'server-first-message');
    if (options.enforceMinimumIterationCount && iterations < hash.minimumIterationCount) {
      throw new SASLFailure(null, `SCRAM: iteration count ${iterations} is below the minimum of ${hash.minimumIterationCount} for ${hash.name}`);
    }
    if (iterations > options.maxIterationCount) {
      throw new SASLFailure(null, `SCRAM: iteration count ${iterations} exceeds the maximum of ${options.maxIterationCount}`);
    }
    ({ keys, derived } = await clientKeysFor(hash, password, salt, iterations, options.keySource));
  } catch (err) {
    await abandon(sm);
    throw err;
  }

  const channelBinding = base64Encode(concatBytes(utf8Encode(gs2Header), binding.data));
  const clientFinalWithoutProof = `c=${channelBinding},r=${combinedNonce}`;
  const authMessage = utf8Encode(`${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`);
  const clientProof = xorBytes(keys.clientKey, hash.hmac(hash.digest(keys.clientKey), authMessage));
  const expectedServerSignature = hash.hmac(keys.serverKey, authMessage);

  try {
    [state, payload] = await sm.response(utf8Encode(`${clientFinalWithoutProof},p=${base64Encode(clientProof)}`));
  } catch (err) {
    throw promoteCredentialFailure(err);
  }

  if (state === SASLState.SUCCESS && payload === null) {
    throw new AuthenticationFailure(null, 'SCRAM: the server reported success without server-final-message, so it did not prove it knows the password');
  }
  if (state !== SASLState.CHALLENGE || payload === null) {
    await abandon(sm);
    throw new AuthenticationFailure(null, 'SCRAM: the server failed the exchange after the client proof');
  }
  try {
    verifyServerFinal(payload, expectedServerSignature);
  } catch (err) {
    await abandon(sm);
    // Our proof is out: a server-final we cannot verify means the server did
    // not prove itself, so stop rather than fall back to a weaker mechanism.
    throw err instanceof SASLFailure ? err.promoteToAuthenticationFailure() : err;
  }

  try {
    [state] = await sm.response(new Uint8Array(0));
  } catch (err) {
    throw promoteCredentialFailure(err);
  }
  if (state !== SASLState.SUCCESS) {
    await abandon(sm);
    throw new AuthenticationFailure(null, 'SCRAM: the server did not report success after server-final-message');
  }
  // The server proved it knows these keys: worth remembering (RFC 5802 §5.1).
  if (derived) options.keySource.cache?.set(password, keys);
  options.onKeys?.(keys);
}

function verifyServerFinal(payload: Uint8Array, expected: Uint8Array): void {
  const serverFinal = decodeMessage(payload, 'server-final-message');
  const attrs = parseAttributes(serverFinal, 'server-final-message');
  const first = attrs[0]!;
  if (first.name === 'e') {
    // RFC 5802's server-error-values are short tokens; anything else is
    // reported as 'other-error' so a hostile server cannot put arbitrary
    // text (newlines, megabytes) into the caller's logs.
    const value = /^[a-z0-9-]{1,64}$/.test(first.value) ? first.value : 'other-error';
    throw new AuthenticationFailure(value, `SCRAM: the server reported an error: ${value}`);
  }
  const signature = decodeBase64Field(expectAttribute(attrs, 0, 'v', 'server-final-message'), 'server signature');
  checkExtensions(attrs, 1, 'server-final-message');
  if (!timingSafeEqual(signature, expected)) {
    throw new AuthenticationFailure(null, 'SCRAM: wrong server signature: the server does not know the credentials');
  }
}

/**
 * The SCRAM mechanism family without channel binding: SCRAM-SHA-1,
 * SCRAM-SHA-256 (RFC 7677), SCRAM-SHA-512 and SCRAM-SHA3-512.
 *
 * {@link SCRAM.anySupported} picks the strongest offered hash and never a
 * -PLUS variant (use {@link SCRAMPLUS} for those, listed before this one).
 */
export class SCRAM extends SASLMechanism<string> {
  readonly #credentials: CredentialProvider;
  readonly #options: ResolvedOptions;

  /**
   * Configure SCRAM; credentials are asked for only when it is used.
   *
   * @param credentials - supplies `[username, password]`
   * @param options - see {@link SCRAMOptions}
   */
  constructor(credentials: CredentialProvider, options: SCRAMOptions = {}) {
    super();
    this.#credentials = credentials;
    this.#options = resolveOptions(options);
  }

  /**
   * @param mechanisms - the offered mechanism names
   * @returns the strongest offered non-PLUS SCRAM mechanism name, or `null`
   */
  override anySupported(mechanisms: Iterable<string>): string | null {
    return pick(this.#options.hashes, mechanisms, false);
  }

  /**
   * Run the exchange.
   *
   * @param sm - a fresh state machine
   * @param token - the mechanism name from {@link SCRAM.anySupported}
   */
  override async authenticate(sm: SASLStateMachine, token: string): Promise<void> {
    const hash = hashOfMechanism(this.#options.hashes, token, false);
    const flag = this.#options.afterScramPlus ? 'y' : 'n';
    await runClient(sm, `SCRAM-${hash.name}`, hash, this.#credentials, this.#options, {
      flag,
      data: new Uint8Array(0),
    });
  }
}

/**
 * SCRAM with channel binding: SCRAM-SHA-1-PLUS, SCRAM-SHA-256-PLUS, ...
 * The proof is bound to the secure channel given by `cbProvider`, so a
 * man-in-the-middle that terminates TLS cannot relay the exchange.
 *
 * {@link SCRAMPLUS.anySupported} only ever picks -PLUS mechanisms.
 */
export class SCRAMPLUS extends SASLMechanism<string> {
  readonly #credentials: CredentialProvider;
  readonly #cbProvider: ChannelBindingProvider;
  readonly #options: ResolvedOptions;

  /**
   * Configure SCRAM-PLUS; credentials are asked for only when it is used.
   *
   * @param credentials - supplies `[username, password]`
   * @param cbProvider - the channel-binding data of the connection
   * @param options - see {@link SCRAMOptions} (`afterScramPlus` is ignored)
   */
  constructor(credentials: CredentialProvider, cbProvider: ChannelBindingProvider, options: SCRAMOptions = {}) {
    super();
    if (!cbProvider || typeof cbProvider.cbName !== 'string' || !CB_NAME.test(cbProvider.cbName) || typeof cbProvider.extractCbData !== 'function') {
      throw new SASLError(null, 'invalid argument', 'cbProvider must be a ChannelBindingProvider with a valid cbName');
    }
    this.#credentials = credentials;
    this.#cbProvider = cbProvider;
    this.#options = resolveOptions(options);
  }

  /**
   * @param mechanisms - the offered mechanism names
   * @returns the strongest offered SCRAM -PLUS mechanism name, or `null`
   */
  override anySupported(mechanisms: Iterable<string>): string | null {
    return pick(this.#options.hashes, mechanisms, true);
  }

  /**
   * Run the exchange.
   *
   * @param sm - a fresh state machine
   * @param token - the mechanism name from {@link SCRAMPLUS.anySupported}
   */
  override async authenticate(sm: SASLStateMachine, token: string): Promise<void> {
    const hash = hashOfMechanism(this.#options.hashes, token, true);
    let data: Uint8Array;
    try {
      data = await this.#cbProvider.extractCbData();
    } catch (err) {
      if (err instanceof SASLError) throw err;
      throw new SASLFailure(null, `SCRAM-PLUS: no ${this.#cbProvider.cbName} channel-binding data: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!(data instanceof Uint8Array) || data.length === 0) {
      throw new SASLFailure(null, `SCRAM-PLUS: the ${this.#cbProvider.cbName} provider gave no data`);
    }
    await runClient(sm, `SCRAM-${hash.name}-PLUS`, hash, this.#credentials, { ...this.#options }, {
      flag: `p=${this.#cbProvider.cbName}`,
      data,
    });
  }
}

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
   * The iteration count shown for unknown users; set it to what your real
   * users have. Default {@link defaultIterationCount} of the hash.
   */
  readonly unknownUserIterations?: number;
  /** The salt length (bytes) shown for unknown users; default 16, as saslkit makes. */
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
  readonly unknownUserIterations: number;
  readonly unknownUserSaltLength: number;
  readonly generateNonce: () => string;
}

function resolveServerOptions(hashName: HashName, plus: boolean, options: SCRAMServerOptions): ScramServerConfig {
  const hash = HASHES.find((h) => h.name === hashName);
  if (!hash) throw new SASLError(null, 'invalid argument', `unsupported SCRAM hash: ${String(hashName)}`);
  const unknownUserIterations = options.unknownUserIterations ?? hash.minimumIterationCount;
  if (!Number.isSafeInteger(unknownUserIterations) || unknownUserIterations < 1) {
    throw new SASLError(null, 'invalid argument', 'unknownUserIterations must be a positive integer');
  }
  const unknownUserSaltLength = options.unknownUserSaltLength ?? 16;
  if (!Number.isSafeInteger(unknownUserSaltLength) || unknownUserSaltLength < 1 || unknownUserSaltLength > 32) {
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

    const stored = ((await context.credentials.scramCredentials(username)) ?? []).find((c) => c.hash === hash.name);
    known = stored !== undefined;
    credential = stored
      ? checkScramCredential(stored)
      : unknownUserCredential(context.secret, hash.name, username, config.unknownUserIterations, config.unknownUserSaltLength);

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
    const clientSignature = hash.hmac(credential.storedKey, authMessage);
    const proofOk =
      final.proof.length === hash.outputLength &&
      timingSafeEqual(hash.digest(xorBytes(final.proof, clientSignature)), credential.storedKey);
    if (!(proofOk && known)) return scramFailure('not-authorized', 'invalid-proof', 'authentication failed');

    const serverSignature = hash.hmac(credential.serverKey, authMessage);
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
 * this hash) gets a fake but stable salt and the default iteration count,
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
