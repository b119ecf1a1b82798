/**
 * The portable crypto backend: `@noble/hashes` for hashes and HMACs,
 * WebCrypto for PBKDF2 where the runtime has it, and the ES2025
 * `Uint8Array.fromBase64` / `toBase64` where present. Runs in every
 * JavaScript runtime; package.json's `#crypto-backend` import selects it
 * everywhere but Node.
 *
 * @module
 * @internal
 */
import { hmac } from '@noble/hashes/hmac.js';
import type { BackendHashName, CryptoBackend } from './backend.js';
import { NOBLE } from './noble.js';

const WEBCRYPTO_NAME: Readonly<Record<BackendHashName, string | null>> = {
  'SHA-1': 'SHA-1',
  'SHA-256': 'SHA-256',
  'SHA-512': 'SHA-512',
  'SHA3-512': null,
};

interface Base64Uint8Array {
  fromBase64?: (text: string, options?: { lastChunkHandling?: 'strict' }) => Uint8Array;
}
interface Base64Methods {
  toBase64?: () => string;
}
const fromBase64 = (Uint8Array as unknown as Base64Uint8Array).fromBase64;
const hasToBase64 = typeof (Uint8Array.prototype as unknown as Base64Methods).toBase64 === 'function';

/** @internal */
export const backend: CryptoBackend = {
  name: 'portable',
  digest: (hash, data) => NOBLE[hash](data),
  hmac: (hash, key, data) => hmac(NOBLE[hash], key, data),
  hmacWithKey(hash, key) {
    // noble's HMAC object holds the inner and outer states after the key;
    // cloning it skips hashing the padded key again for every message.
    const keyed = hmac.create(NOBLE[hash], key);
    return (data) => keyed.clone().update(data).digest();
  },
  async pbkdf2(hash, password, salt, iterations, length) {
    const subtle = globalThis.crypto?.subtle;
    const name = WEBCRYPTO_NAME[hash];
    if (!subtle || name === null) return null;
    try {
      const key = await subtle.importKey('raw', password as BufferSource, 'PBKDF2', false, ['deriveBits']);
      const bits = await subtle.deriveBits({ name: 'PBKDF2', hash: name, salt: salt as BufferSource, iterations }, key, length * 8);
      return new Uint8Array(bits);
    } catch {
      // Some engines refuse e.g. an empty password; the portable path does not.
      return null;
    }
  },
  base64Encode: (bytes) => (hasToBase64 ? (bytes as unknown as Required<Base64Methods>).toBase64() : null),
  base64Decode(text) {
    if (!fromBase64) return undefined;
    try {
      return fromBase64(text, { lastChunkHandling: 'strict' });
    } catch {
      return null;
    }
  },
};
