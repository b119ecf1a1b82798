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
 * The messages' grammar (parse and print) lives in src/scram/messages.ts and
 * the GS2 header in src/core/gs2.ts; this module keeps the steps and checks
 * of RFC 5802 §3 and §5.
 *
 * @module
 */
import { concatBytes, utf8Encode } from '../src/core/bytes.js';
import { resolveCredentials, type CredentialProvider } from '../src/core/credentials.js';
import { AuthenticationFailure, SASLError, SASLFailure, localError } from '../src/core/errors.js';
import { CB_NAME, type Gs2Fields } from '../src/core/gs2.js';
import { SASLMechanism, offeredSet } from '../src/core/mechanism.js';
import { parseScramMechanismName, scramMechanismName } from '../src/core/mechanism-name.js';
import { saslprep } from '../src/core/saslprep.js';
import { SASLState } from '../src/core/state.js';
import type { SASLStateMachine } from '../src/core/state-machine.js';
import type { ChannelBindingProvider } from '../src/channel-binding/provider.js';
import { timingSafeEqual, xorBytes } from '../src/crypto/constant-time.js';
import type { HashAlgorithm } from '../src/crypto/hashes.js';
import { resolveOptions, type ResolvedOptions, type SCRAMOptions } from '../src/scram/client-options.js';
import { checkNonce } from '../src/scram/attributes.js';
import { DEFAULT_MIN_ITERATION_COUNT } from '../src/scram/iterations.js';
import { clientKeysFor, type ScramClientKeys } from '../src/scram/key-cache.js';
import {
  parseServerFinal,
  parseServerFirst,
  printClientFinal,
  printClientFinalWithoutProof,
  printClientFirst,
  type ServerFirstMessage,
} from '../src/scram/messages.js';

export type { SCRAMOptions } from '../src/scram/client-options.js';
export { DEFAULT_MAX_ITERATION_COUNT, DEFAULT_MIN_ITERATION_COUNT } from '../src/scram/iterations.js';

/**
 * The token of {@link SCRAM.anySupported} and {@link SCRAMPLUS.anySupported}:
 * the mechanism chosen and the hash it names (as aiosasl's SCRAM token).
 */
export interface ScramChoice {
  /** The mechanism name, e.g. `'SCRAM-SHA-256-PLUS'`. */
  readonly name: string;
  /** Its hash. */
  readonly hash: HashAlgorithm;
}

/** The strongest offered `SCRAM-<hash>[-PLUS]` among `hashes` (strongest first). */
function pick(hashes: readonly HashAlgorithm[], mechanisms: Iterable<string>, plus: boolean): ScramChoice | null {
  const offered = offeredSet(mechanisms);
  for (const hash of hashes) {
    const name = scramMechanismName(hash.name, plus);
    if (offered.has(name)) return { name, hash };
  }
  return null;
}

/** The choice a token stands for: a {@link ScramChoice}, or a mechanism name this instance could have picked. */
function choiceOf(hashes: readonly HashAlgorithm[], token: ScramChoice | string, plus: boolean): ScramChoice {
  const parsed = parseScramMechanismName(typeof token === 'string' ? token : token?.name);
  const hash = parsed?.plus === plus ? hashes.find((h) => h.name === parsed.hash) : undefined;
  if (!hash || (typeof token !== 'string' && token.hash !== hash)) {
    const name = typeof token === 'string' ? token : String(token?.name);
    throw new SASLError(null, 'invalid argument', `not a mechanism this SCRAM${plus ? 'PLUS' : ''} instance can run: ${name}`);
  }
  return { name: scramMechanismName(hash.name, plus), hash };
}

/** How the client binds: the GS2 header's fields and the channel-binding data (empty unless `p`). */
interface Binding {
  readonly gs2: Gs2Fields;
  readonly data: Uint8Array;
}

/** The prepared (SASLprep) username and password. */
async function preparedCredentials(credentials: CredentialProvider): Promise<[string, string]> {
  const [rawUser, rawPassword] = await resolveCredentials(credentials);
  try {
    const username = saslprep(rawUser, { allowUnassigned: true });
    if (username.length === 0) throw new SASLError(null, 'invalid argument', 'username is empty after SASLprep');
    return [username, saslprep(rawPassword)];
  } catch (err) {
    throw localError(err);
  }
}

function clientNonceOf(options: ResolvedOptions): string {
  const nonce = options.generateNonce();
  if (typeof nonce !== 'string' || nonce.length === 0) {
    throw new SASLError(null, 'invalid argument', 'generateNonce must return a non-empty string');
  }
  try {
    return checkNonce(nonce, 'client nonce');
  } catch (err) {
    throw localError(err);
  }
}

/** RFC 5802 §5.1: the server's nonce must extend ours; its iteration count within our bounds. */
function checkServerFirst(first: ServerFirstMessage, clientNonce: string, hash: HashAlgorithm, options: ResolvedOptions): void {
  if (!first.nonce.startsWith(clientNonce) || first.nonce.length === clientNonce.length) {
    throw new SASLFailure(null, 'SCRAM: the server nonce does not extend the client nonce');
  }
  if (options.enforceMinimumIterationCount && first.iterations < DEFAULT_MIN_ITERATION_COUNT) {
    throw new SASLFailure(null, `SCRAM: iteration count ${first.iterations} is below the minimum of ${DEFAULT_MIN_ITERATION_COUNT} for ${hash.name}`);
  }
  if (first.iterations > options.maxIterationCount) {
    throw new SASLFailure(
      null,
      `SCRAM: iteration count ${first.iterations} exceeds the maximum of ${options.maxIterationCount} that this client accepts (option maxIterationCount)`,
    );
  }
}

/** A failure once the proof is out (or binding is on offer) ends negotiation: promote it. */
function final(err: unknown): unknown {
  const local = localError(err);
  return local instanceof SASLFailure ? local.promoteToAuthenticationFailure() : local;
}

/**
 * Run one client exchange (RFC 5802 §3, §5); shared by SCRAM and SCRAM-PLUS.
 * Only the RFC steps live here: aborting an exchange left open and promoting
 * the server's credential verdicts are the framework's (`runMechanism`).
 */
async function runClient(sm: SASLStateMachine, choice: ScramChoice, credentials: CredentialProvider, options: ResolvedOptions, binding: Binding): Promise<void> {
  const { hash } = choice;
  const [username, password] = await preparedCredentials(credentials);
  const clientNonce = clientNonceOf(options);

  // 1. client-first-message: GS2 header, n=<user>, r=<client nonce>.
  const clientFirst = printClientFirst(binding.gs2, username, clientNonce);
  let [, payload] = await sm.initiate(choice.name, utf8Encode(clientFirst.message));
  if (sm.state !== SASLState.CHALLENGE || payload === null) {
    throw new SASLFailure(null, 'SCRAM: protocol violation: the server did not send server-first-message');
  }

  // 2. server-first-message: combined nonce, salt, iteration count; then
  //    SaltedPassword := Hi(Normalize(password), salt, i) and its keys.
  let serverFirst: ServerFirstMessage;
  let keys: ScramClientKeys;
  let derived: boolean;
  try {
    serverFirst = parseServerFirst(payload);
    checkServerFirst(serverFirst, clientNonce, hash, options);
    ({ keys, derived } = await clientKeysFor(hash, password, serverFirst.salt, serverFirst.iterations, options.keySource));
  } catch (err) {
    // With channel binding on offer, this failure has nothing to do with the
    // binding: a fallback to SCRAM without it would be refused as a downgrade
    // (or, with `n`, would be one), and would hide the cause. End here.
    throw binding.gs2.flag === 'p' ? final(err) : localError(err);
  }

  // 3. client-final-message: c=<GS2 header + cb data>, r=<nonce>, p=<proof>,
  //    ClientProof := ClientKey XOR HMAC(H(ClientKey), AuthMessage).
  const withoutProof = printClientFinalWithoutProof(concatBytes(utf8Encode(clientFirst.gs2Header), binding.data), serverFirst.nonce);
  const authMessage = utf8Encode(`${clientFirst.bare},${serverFirst.text},${withoutProof}`);
  const clientProof = xorBytes(keys.clientKey, hash.hmac(hash.digest(keys.clientKey), authMessage));
  const serverSignature = hash.hmac(keys.serverKey, authMessage);
  [, payload] = await sm.response(utf8Encode(printClientFinal(withoutProof, clientProof)));

  // 4. server-final-message, as a challenge or as success's additional data.
  //    Our proof is out: from here on a server that does not prove itself
  //    ends negotiation (no fallback to a weaker mechanism).
  if ((sm.state as SASLState) === SASLState.SUCCESS) {
    throw new AuthenticationFailure(null, 'SCRAM: the server reported success without server-final-message, so it did not prove it knows the password');
  }
  if (payload === null) {
    throw new AuthenticationFailure(null, 'SCRAM: the server did not send server-final-message after the client proof');
  }
  verifyServerFinal(payload, serverSignature);
  [, payload] = await sm.response(new Uint8Array(0));
  // An empty challenge here is zero-length success data (IMAP, SMTP): the framework answers it.
  if ((sm.state as SASLState) === SASLState.CHALLENGE && payload !== null && payload.length > 0) {
    throw new AuthenticationFailure(null, 'SCRAM: the server did not report success after server-final-message');
  }
  // The server proved it knows these keys: worth remembering (RFC 5802 §5.1).
  if (derived) options.keySource.cache?.set(password, keys);
  options.onKeys?.(keys);
}

/** RFC 5802 §5.1: the server's `v=` must equal ServerSignature (or it sent `e=`). */
function verifyServerFinal(payload: Uint8Array, expected: Uint8Array): void {
  let message;
  try {
    message = parseServerFinal(payload);
  } catch (err) {
    throw final(err);
  }
  if (message.error !== undefined) throw new AuthenticationFailure(message.error, `SCRAM: the server reported an error: ${message.error}`);
  if (!timingSafeEqual(message.verifier, expected)) {
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
export class SCRAM extends SASLMechanism<ScramChoice | string> {
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
   * @returns the strongest offered non-PLUS SCRAM mechanism and its hash, or `null`
   */
  override anySupported(mechanisms: Iterable<string>): ScramChoice | null {
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
   * @param token - the choice from {@link SCRAM.anySupported}, or a
   *   mechanism name it could have chosen (e.g. `'SCRAM-SHA-256'`)
   * @throws {@link SASLError} `invalid argument` for a token this instance would not have chosen
   */
  override async authenticate(sm: SASLStateMachine, token: ScramChoice | string): Promise<void> {
    const choice = choiceOf(this.#options.hashes, token, false);
    // RFC 5802 §6: a client that could bind must not send `n` when the server
    // did not offer -PLUS.
    const { clientSupports, serverOffers } = sm.channelBinding;
    const flag = this.#options.afterScramPlus || (clientSupports && !serverOffers) ? 'y' : 'n';
    const gs2: Gs2Fields = { flag, cbName: null, authzid: this.#options.authzid };
    await runClient(sm, choice, this.#credentials, this.#options, { gs2, data: new Uint8Array(0) });
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
export class SCRAMPLUS extends SASLMechanism<ScramChoice | string> {
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
   * @returns the strongest offered SCRAM -PLUS mechanism and its hash, or `null`
   */
  override anySupported(mechanisms: Iterable<string>): ScramChoice | null {
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
   * @param token - the choice from {@link SCRAMPLUS.anySupported}, or a
   *   mechanism name it could have chosen (e.g. `'SCRAM-SHA-256-PLUS'`)
   * @throws {@link SASLError} `invalid argument` for a token this instance would not have chosen
   */
  override async authenticate(sm: SASLStateMachine, token: ScramChoice | string): Promise<void> {
    const choice = choiceOf(this.#options.hashes, token, true);
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
    const gs2: Gs2Fields = { flag: 'p', cbName: this.#cbProvider.cbName, authzid: this.#options.authzid };
    await runClient(sm, choice, this.#credentials, this.#options, { gs2, data });
  }
}
