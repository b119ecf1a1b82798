/**
 * SCRAM key derivation (RFC 5802 §3), shared by client, server and the
 * credential formats.
 *
 * @module
 */
import { utf8Encode } from '../core/bytes.js';
import type { HashAlgorithm } from '../crypto/hashes.js';
import { pbkdf2 } from '../crypto/pbkdf2.js';

const CLIENT_KEY = utf8Encode('Client Key');
const SERVER_KEY = utf8Encode('Server Key');

/** What a server stores for one SCRAM user (RFC 5802 §3): never the password. */
export interface ScramKeys {
  /** `H(ClientKey)`. */
  readonly storedKey: Uint8Array;
  /** `HMAC(SaltedPassword, "Server Key")`. */
  readonly serverKey: Uint8Array;
}

/**
 * `SaltedPassword := Hi(Normalize(password), salt, i)`.
 *
 * @param hash - the SCRAM hash
 * @param preparedPassword - the password after SASLprep
 * @param salt - the salt
 * @param iterations - the iteration count
 */
export function saltPassword(hash: HashAlgorithm, preparedPassword: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  return pbkdf2(hash, utf8Encode(preparedPassword), salt, iterations);
}

/**
 * `ClientKey := HMAC(SaltedPassword, "Client Key")`.
 *
 * @param hash - the SCRAM hash
 * @param saltedPassword - from {@link saltPassword}
 */
export function clientKeyOf(hash: HashAlgorithm, saltedPassword: Uint8Array): Uint8Array {
  return hash.hmac(saltedPassword, CLIENT_KEY);
}

/**
 * `ServerKey := HMAC(SaltedPassword, "Server Key")`.
 *
 * @param hash - the SCRAM hash
 * @param saltedPassword - from {@link saltPassword}
 */
export function serverKeyOf(hash: HashAlgorithm, saltedPassword: Uint8Array): Uint8Array {
  return hash.hmac(saltedPassword, SERVER_KEY);
}

/**
 * StoredKey and ServerKey from a salted password.
 *
 * @param hash - the SCRAM hash
 * @param saltedPassword - from {@link saltPassword}
 */
export function scramKeysOf(hash: HashAlgorithm, saltedPassword: Uint8Array): ScramKeys {
  return {
    storedKey: hash.digest(clientKeyOf(hash, saltedPassword)),
    serverKey: serverKeyOf(hash, saltedPassword),
  };
}
