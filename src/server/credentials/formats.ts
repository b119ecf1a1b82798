/**
 * SCRAM verifiers as text, in the formats other software stores them:
 *
 * - RFC 5803 (LDAP `authPassword`), which PostgreSQL also uses:
 *   `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`;
 * - Dovecot (`doveadm pw -s SCRAM-SHA-256`), which `gsasl --mkpasswd` also prints:
 *   `{SCRAM-SHA-256}<iterations>,<salt>,<StoredKey>,<ServerKey>`, where gsasl's
 *   `--verbose` appends `,<SaltedPassword in hex>`.
 *
 * Salt and keys are standard base64 in both. Parsing is strict: a string is
 * either read exactly or refused with a {@link SASLError} saying why.
 *
 * @module
 */
import { base64Decode, base64Encode } from '../../core/bytes.js';
import { SASLError, SASLFailure } from '../../core/errors.js';
import { timingSafeEqual } from '../../crypto/constant-time.js';
import { hashByName, type HashAlgorithm } from '../../crypto/hashes.js';
import { scramKeysOf } from '../../scram/keys.js';
import { checkScramVerifier, type ScramVerifier } from './scram.js';
import { parseScramMechanismName, scramMechanismName } from '../../core/mechanism-name.js';

/**
 * A text form of a SCRAM verifier: `'rfc5803'` (also PostgreSQL's) or
 * `'dovecot'` (also what `gsasl --mkpasswd` prints).
 */
export type ScramVerifierFormat = 'rfc5803' | 'dovecot';

/** The longest credential string accepted. */
const MAX_LENGTH = 4096;

function fail(why: string): never {
  throw new SASLError(null, 'invalid credential', why);
}

function schemeHash(scheme: string): HashAlgorithm {
  const name = parseScramMechanismName(scheme);
  const hash = name && !name.plus ? hashByName(name.hash) : undefined;
  if (!hash) fail(`unsupported scheme '${scheme.slice(0, 32)}': expected SCRAM-SHA-1, SCRAM-SHA-256, SCRAM-SHA-512 or SCRAM-SHA3-512`);
  return hash;
}

function iterationsOf(text: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) fail('the iteration count must be a positive decimal integer');
  return Number(text);
}

function decode(text: string, what: string): Uint8Array {
  try {
    return base64Decode(text, what);
  } catch (err) {
    if (err instanceof SASLFailure) fail(err.text ?? `${what} is not valid base64`);
    throw err;
  }
}

function build(hash: HashAlgorithm, iterations: string, salt: string, storedKey: string, serverKey: string): ScramVerifier {
  return checkScramVerifier({
    hash: hash.name,
    iterations: iterationsOf(iterations),
    salt: decode(salt, 'salt'),
    storedKey: decode(storedKey, 'StoredKey'),
    serverKey: decode(serverKey, 'ServerKey'),
  });
}

/** gsasl's optional fifth field: check it agrees with the keys, then drop it (it is password-equivalent). */
function checkSaltedPassword(credential: ScramVerifier, hash: HashAlgorithm, hex: string): void {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex) || hex.length !== hash.outputLength * 2) {
    fail(`the SaltedPassword field must be ${hash.outputLength * 2} hex digits`);
  }
  const salted = new Uint8Array(hash.outputLength);
  for (let i = 0; i < salted.length; i++) salted[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  const keys = scramKeysOf(hash, salted);
  if (!timingSafeEqual(keys.storedKey, credential.storedKey) || !timingSafeEqual(keys.serverKey, credential.serverKey)) {
    fail('the SaltedPassword field does not match StoredKey and ServerKey');
  }
}

/**
 * Read a SCRAM verifier in RFC 5803 / PostgreSQL form or Dovecot / gsasl form
 * (the form is recognised by its first character). Surrounding whitespace is
 * ignored. gsasl's optional SaltedPassword field is checked against the keys
 * and not kept.
 *
 * @param text - e.g. `SCRAM-SHA-256$4096:c2FsdA==$...:...` or `{SCRAM-SHA-256}4096,c2FsdA==,...,...`
 * @returns the verifier
 * @throws {@link SASLError} of kind `'invalid credential'` saying what is wrong (never echoing the keys)
 */
export function parseScramVerifier(text: string): ScramVerifier {
  if (typeof text !== 'string') fail(`expected a string, got ${typeof text}`);
  if (text.length > MAX_LENGTH) fail(`longer than ${MAX_LENGTH} characters`);
  const value = text.trim();
  if (value.startsWith('{')) {
    const m = /^\{([^}]*)\}(.*)$/s.exec(value);
    if (!m) fail("Dovecot form: missing '}' after the scheme");
    const hash = schemeHash(m[1]!);
    const fields = m[2]!.split(',');
    if (fields.length !== 4 && fields.length !== 5) {
      fail('Dovecot form must be {SCRAM-<hash>}<iterations>,<salt>,<StoredKey>,<ServerKey>[,<SaltedPassword hex>]');
    }
    const credential = build(hash, fields[0]!, fields[1]!, fields[2]!, fields[3]!);
    if (fields.length === 5) checkSaltedPassword(credential, hash, fields[4]!);
    return credential;
  }
  const m = /^([A-Za-z0-9-]+)\$([^:$]*):([^:$]*)\$([^:$]*):([^:$]*)$/.exec(value);
  if (!m) {
    if (/^SCRAM-/i.test(value)) fail('RFC 5803 form must be SCRAM-<hash>$<iterations>:<salt>$<StoredKey>:<ServerKey>');
    fail('not a SCRAM credential: expected SCRAM-<hash>$... (RFC 5803, PostgreSQL) or {SCRAM-<hash>}... (Dovecot, gsasl)');
  }
  return build(schemeHash(m[1]!), m[2]!, m[3]!, m[4]!, m[5]!);
}

/**
 * Write a SCRAM verifier as text.
 *
 * @param credential - the verifier
 * @param format - `'rfc5803'` (also PostgreSQL's, the default) or `'dovecot'` (also read by gsasl)
 * @throws {@link SASLError} for a malformed credential or unknown format
 */
export function formatScramVerifier(credential: ScramVerifier, format: ScramVerifierFormat = 'rfc5803'): string {
  const c = checkScramVerifier(credential);
  const [salt, storedKey, serverKey] = [c.salt, c.storedKey, c.serverKey].map(base64Encode);
  const scheme = scramMechanismName(c.hash, false);
  switch (format) {
    case 'rfc5803':
      return `${scheme}$${c.iterations}:${salt}$${storedKey}:${serverKey}`;
    case 'dovecot':
      return `{${scheme}}${c.iterations},${salt},${storedKey},${serverKey}`;
    default:
      return fail(`unknown credential format: ${String(format)}`);
  }
}

/**
 * The earlier name of {@link ScramVerifierFormat}.
 *
 * @deprecated use {@link ScramVerifierFormat}
 */
export type ScramCredentialFormat = ScramVerifierFormat;
/**
 * The earlier name of {@link parseScramVerifier}.
 *
 * @deprecated use {@link parseScramVerifier}
 */
export const parseScramCredential = parseScramVerifier;
/**
 * The earlier name of {@link formatScramVerifier}.
 *
 * @deprecated use {@link formatScramVerifier}
 */
export const formatScramCredential = formatScramVerifier;
