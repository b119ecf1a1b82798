/**
 * The Node crypto backend: `node:crypto` (OpenSSL) for hashes, HMACs and
 * PBKDF2 (on libuv's thread pool, so the event loop never waits), and
 * `Buffer` for base64. package.json's `#crypto-backend` import selects it
 * under the `node` condition (Node, and runtimes that claim it such as Deno
 * and Bun); it gives the same bytes as backend-portable.ts
 * (test/crypto-backend.test.ts).
 *
 * @module
 * @internal
 */
import { createHash, createHmac, createSecretKey, pbkdf2 as nodePbkdf2, type KeyObject } from 'node:crypto';
import type { BackendHashName, CryptoBackend } from './backend.js';

const NODE_NAME: Readonly<Record<BackendHashName, string>> = {
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-512': 'sha512',
  'SHA3-512': 'sha3-512',
};

const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length);
const asBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.length);

// createHmac refuses a zero-length KeyObject, so such keys stay raw bytes.
const keyObjectOf = (key: Uint8Array): KeyObject | Uint8Array => (key.length === 0 ? key : createSecretKey(key));

const warmed = new Set<string>();
const WARM_UP = new Uint8Array(1);

/** @internal */
export const backend: CryptoBackend = {
  name: 'node',
  digest: (hash, data) => view(createHash(NODE_NAME[hash]).update(data).digest()),
  hmac: (hash, key, data) => view(createHmac(NODE_NAME[hash], key).update(data).digest()),
  hmacWithKey(hash, key) {
    const name = NODE_NAME[hash];
    const keyObject = keyObjectOf(key);
    return (data) => view(createHmac(name, keyObject).update(data).digest());
  },
  pbkdf2: (hash, password, salt, iterations, length) =>
    new Promise((resolve, reject) => {
      const name = NODE_NAME[hash];
      nodePbkdf2(password, salt, iterations, length, name, (err, key) => (err ? reject(err) : resolve(view(key))));
      // The event loop idles while the pool derives: pay the one-time setup of
      // this hash's first HMAC and digest now rather than after (it is most of
      // what makes a process's first SCRAM exchange slower than the next).
      if (!warmed.has(name)) {
        warmed.add(name);
        createHmac(name, createSecretKey(WARM_UP)).update(WARM_UP).digest();
        createHash(name).update(WARM_UP).digest();
      }
    }),
  base64Encode: (bytes) => asBuffer(bytes).toString('base64'),
  base64Decode(text) {
    // Buffer's decoder is lenient (whitespace, missing padding, URL alphabet,
    // trailing bits); the round trip keeps only the canonical encoding.
    // Small Buffers share a pool; the copy owns its memory.
    const bytes = Buffer.from(text, 'base64');
    return bytes.toString('base64') === text ? new Uint8Array(bytes) : null;
  },
};
