/**
 * The SCRAM client's options (`SCRAMOptions`), checked once when a SCRAM or
 * SCRAMPLUS mechanism is made.
 *
 * @module
 */
import { checkInteger } from '../core/checks.js';
import { SASLError } from '../core/errors.js';
import { HASHES, type HashAlgorithm, type HashName } from '../crypto/hashes.js';
import { randomNonce } from '../crypto/random.js';
import { DEFAULT_MAX_ITERATION_COUNT } from './iterations.js';
import { checkClientKeys, defaultScramKeyCache, type ClientKeySource, type ScramClientKeys, type ScramKeyCache } from './key-cache.js';

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

/** {@link SCRAMOptions} checked, with their defaults. */
export interface ResolvedOptions {
  readonly authzid: string | null;
  readonly afterScramPlus: boolean;
  readonly enforceMinimumIterationCount: boolean;
  readonly maxIterationCount: number;
  readonly generateNonce: () => string;
  readonly hashes: readonly HashAlgorithm[];
  readonly keySource: ClientKeySource;
  readonly onKeys: ((keys: ScramClientKeys) => void) | null;
}

/**
 * Check {@link SCRAMOptions} and fill in the defaults.
 *
 * @param options - the options given
 * @throws {@link SASLError} `invalid argument` for a bad option
 */
export function resolveOptions(options: SCRAMOptions): ResolvedOptions {
  const { authzid = null, nonceLength = 24 } = options;
  if (authzid !== null && (typeof authzid !== 'string' || authzid.length === 0 || authzid.includes('\0'))) {
    throw new SASLError(null, 'invalid argument', 'authzid must be a non-empty string without NUL');
  }
  const maxIterationCount = checkInteger(options.maxIterationCount ?? DEFAULT_MAX_ITERATION_COUNT, 'maxIterationCount');
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
