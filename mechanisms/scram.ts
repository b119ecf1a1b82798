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
import { AuthenticationFailure, SASLError, SASLFailure, localError } from '../src/core/errors.js';
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
  type Attribute,
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
import { DEFAULT_MAX_ITERATION_COUNT, DEFAULT_MIN_ITERATION_COUNT } from '../src/scram/iterations.js';
import { checkClientKeys, clientKeysFor, defaultScramKeyCache, type ClientKeySource, type ScramClientKeys, type ScramKeyCache } from '../src/scram/key-cache.js';

/** Options shared by {@link SCRAM} and {@link SCRAMPLUS}. */
export interface SCRAMOptions {
  /** Authorization identity to request (`a=`); default none. */
  readonly authzid?: string | null;
  /**
   * Always send the GS2 flag `y` ("I support channel binding but think you
   * do not") instead of `n`. Rarely needed: `authenticate` already makes
   * SCRAM send `y` when a mechanism in its list can bind (a {@link SCRAMPLUS}
   * whose provider gives data) and the server offered no -PLUS mechanism, so
   * a server that does support binding detects a man in the middle that
   * stripped -PLUS from the offer (RFC 5802 §6). Set it when running SCRAM
   * outside `authenticate` on a channel the client could bind.
   */
  readonly afterScramPlus?: boolean;
  /**
   * Refuse iteration counts below {@link DEFAULT_MIN_ITERATION_COUNT} (4096,
   * for every hash). Default true.
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

export { DEFAULT_MAX_ITERATION_COUNT, DEFAULT_MIN_ITERATION_COUNT } from '../src/scram/iterations.js';

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

interface Binding {
  /** `n`, `y` or `p=<name>`. */
  readonly flag: string;
  /** Channel-binding data (empty unless flag is `p=`). */
  readonly data: Uint8Array;
}

/**
 * Run one client exchange; shared by SCRAM and SCRAM-PLUS. Only the RFC 5802
 * steps live here: aborting an exchange left open and promoting the server's
 * credential verdicts are the framework's (`runMechanism`).
 */
async function runClient(
  sm: SASLStateMachine,
  mechanism: string,
  hash: HashAlgorithm,
  credentials: CredentialProvider,
  options: ResolvedOptions,
  binding: Binding,
): Promise<void> {
  const [rawUser, rawPassword] = await resolveCredentials(credentials);
  let username: string;
  let password: string;
  try {
    username = saslprep(rawUser, { allowUnassigned: true });
    password = saslprep(rawPassword);
  } catch (err) {
    throw localError(err);
  }
  if (username.length === 0) throw new SASLError(null, 'invalid argument', 'username is empty after SASLprep');

  const clientNonce = options.generateNonce();
  if (typeof clientNonce !== 'string' || clientNonce.length === 0) {
    throw new SASLError(null, 'invalid argument', 'generateNonce must return a non-empty string');
  }
  try {
    checkNonce(clientNonce, 'client nonce');
  } catch (err) {
    throw localError(err);
  }

  // 1. client-first-message.
  const gs2Header = `${binding.flag},${options.authzid === null ? '' : `a=${escapeSaslname(options.authzid)}`},`;
  const clientFirstBare = `n=${escapeSaslname(username)},r=${clientNonce}`;
  let [, payload] = await sm.initiate(mechanism, utf8Encode(gs2Header + clientFirstBare));
  if (sm.state !== SASLState.CHALLENGE || payload === null) {
    throw new SASLFailure(null, 'SCRAM: protocol violation: the server did not send server-first-message');
  }

  // 2. server-first-message: nonce, salt, iteration count.
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
    if (options.enforceMinimumIterationCount && iterations < DEFAULT_MIN_ITERATION_COUNT) {
      throw new SASLFailure(null, `SCRAM: iteration count ${iterations} is below the minimum of ${DEFAULT_MIN_ITERATION_COUNT} for ${hash.name}`);
    }
    if (iterations > options.maxIterationCount) {
      throw new SASLFailure(
        null,
        `SCRAM: iteration count ${iterations} exceeds the maximum of ${options.maxIterationCount} that this client accepts (option maxIterationCount)`,
      );
    }
    ({ keys, derived } = await clientKeysFor(hash, password, salt, iterations, options.keySource));
  } catch (err) {
    const local = localError(err);
    // With channel binding on offer, this failure has nothing to do with the
    // binding: a fallback to SCRAM without it would be refused as a downgrade
    // (or, with `n`, would be one), and would hide the cause. End here.
    if (binding.flag.startsWith('p=') && local instanceof SASLFailure) throw local.promoteToAuthenticationFailure();
    throw local;
  }

  // 3. client-final-message with the proof.
  const channelBinding = base64Encode(concatBytes(utf8Encode(gs2Header), binding.data));
  const clientFinalWithoutProof = `c=${channelBinding},r=${combinedNonce}`;
  const authMessage = utf8Encode(`${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`);
  const clientProof = xorBytes(keys.clientKey, hash.hmac(hash.digest(keys.clientKey), authMessage));
  const expectedServerSignature = hash.hmac(keys.serverKey, authMessage);
  [, payload] = await sm.response(utf8Encode(`${clientFinalWithoutProof},p=${base64Encode(clientProof)}`));

  // 4. server-final-message, as a challenge or as success's additional data.
  //    Our proof is out: from here on a server that does not prove itself
  //    ends negotiation (no fallback to a weaker mechanism).
  const afterProof = sm.state as SASLState;
  if (afterProof === SASLState.SUCCESS) {
    throw new AuthenticationFailure(null, 'SCRAM: the server reported success without server-final-message, so it did not prove it knows the password');
  }
  if (payload === null) {
    throw new AuthenticationFailure(null, 'SCRAM: the server did not send server-final-message after the client proof');
  }
  verifyServerFinal(payload, expectedServerSignature);
  [, payload] = await sm.response(new Uint8Array(0));
  // An empty challenge here is zero-length success data (IMAP, SMTP): the framework answers it.
  const afterFinal = sm.state as SASLState;
  if (afterFinal === SASLState.CHALLENGE && payload !== null && payload.length > 0) {
    throw new AuthenticationFailure(null, 'SCRAM: the server did not report success after server-final-message');
  }
  // The server proved it knows these keys: worth remembering (RFC 5802 §5.1).
  if (derived) options.keySource.cache?.set(password, keys);
  options.onKeys?.(keys);
}

function verifyServerFinal(payload: Uint8Array, expected: Uint8Array): void {
  let attrs: Attribute[];
  try {
    attrs = parseAttributes(decodeMessage(payload, 'server-final-message'), 'server-final-message');
  } catch (err) {
    const local = localError(err);
    throw local instanceof SASLFailure ? local.promoteToAuthenticationFailure() : local;
  }
  const first = attrs[0]!;
  if (first.name === 'e') {
    // RFC 5802's server-error-values are short tokens; anything else is
    // reported as 'other-error' so a hostile server cannot put arbitrary
    // text (newlines, megabytes) into the caller's logs.
    const value = /^[a-z0-9-]{1,64}$/.test(first.value) ? first.value : 'other-error';
    throw new AuthenticationFailure(value, `SCRAM: the server reported an error: ${value}`);
  }
  let signature: Uint8Array;
  try {
    signature = decodeBase64Field(expectAttribute(attrs, 0, 'v', 'server-final-message'), 'server signature');
    checkExtensions(attrs, 1, 'server-final-message');
  } catch (err) {
    const local = localError(err);
    throw local instanceof SASLFailure ? local.promoteToAuthenticationFailure() : local;
  }
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

  /** True: a refusal is a verdict on the credentials. */
  override get sendsCredentials(): boolean {
    return true;
  }

  /**
   * Run the exchange.
   *
   * @param sm - a fresh state machine
   * @param token - the mechanism name from {@link SCRAM.anySupported}
   */
  override async authenticate(sm: SASLStateMachine, token: string): Promise<void> {
    const hash = hashOfMechanism(this.#options.hashes, token, false);
    // RFC 5802 §6: a client that could bind must not send `n` when the server
    // did not offer -PLUS.
    const { clientSupports, serverOffers } = sm.channelBinding;
    const flag = this.#options.afterScramPlus || (clientSupports && !serverOffers) ? 'y' : 'n';
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
 *
 * When the binding data cannot be had, it fails before sending anything
 * (a {@link SASLFailure}: the negotiation loop moves on, and SCRAM then
 * sends `n`, since the client cannot bind). Once the server has accepted
 * the channel-binding type, a failure that has nothing to do with channel
 * binding (an unusable server-first-message: iteration count outside the
 * client's bounds, bad nonce, malformed) is an {@link AuthenticationFailure}
 * that ends negotiation: a fallback to SCRAM would be refused as a
 * downgrade by a server that supports binding, and would hide the cause.
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

  /** True: a refusal is a verdict on the credentials. */
  override get sendsCredentials(): boolean {
    return true;
  }

  /**
   * @returns whether the provider gives channel-binding data now (so the
   *   client supports channel binding on this connection, RFC 5802 §6)
   */
  override async canBindChannel(): Promise<boolean> {
    try {
      const data = await this.#cbProvider.extractCbData();
      return data instanceof Uint8Array && data.length > 0;
    } catch {
      return false;
    }
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
