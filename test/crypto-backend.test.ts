// The two crypto backends give identical bytes: the Node one (node:crypto,
// Buffer) that package.json's `#crypto-backend` import selects under the
// `node` condition, and the portable one (@noble/hashes, WebCrypto) every
// other runtime gets. Compared on hashes, HMACs (one-shot and keyed), PBKDF2
// for every SCRAM hash and strict base64, plus against node:crypto itself.
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BackendHashName } from '../src/crypto/backend.js';
import { backend as nodeBackend } from '../src/crypto/backend.node.js';
import { backend as portableBackend } from '../src/crypto/backend-portable.js';
import { SASLFailure } from '../src/index.js';
import { base64Decode, base64Encode, hashByName, pbkdf2 } from '../src/mechanism.js';
import { pbkdf2Portable } from '../src/crypto/pbkdf2.js';
import { randomBytes } from '../src/crypto/random.js';

const HASHES: readonly BackendHashName[] = ['SHA-1', 'SHA-256', 'SHA-512', 'SHA3-512'];
const NODE_NAME = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-512': 'sha512', 'SHA3-512': 'sha3-512' } as const;
const LENGTH = { 'SHA-1': 20, 'SHA-256': 32, 'SHA-512': 64, 'SHA3-512': 64 } as const;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// Sizes around the block lengths (64 for SHA-1/SHA-2-256, 128 for SHA-512,
// 72 for SHA3-512) where HMAC hashes a long key first.
const SIZES = [0, 1, 20, 63, 64, 65, 71, 72, 73, 127, 128, 129, 1000];

describe('Node and portable crypto backends give identical bytes', () => {
  it('the backends are the two expected ones, and the tests run on the Node one', () => {
    expect(nodeBackend.name).toBe('node');
    expect(portableBackend.name).toBe('portable');
    // vitest.config.ts maps #crypto-backend to the Node backend (as the
    // `node` condition does for the built package): the public API's hashes
    // are node:crypto's here.
    expect(hex(hashByName('SHA-256')!.digest(utf8('abc')))).toBe(createHash('sha256').update('abc').digest('hex'));
  });

  it.each(HASHES)('%s digest', (name) => {
    for (const size of SIZES) {
      const data = randomBytes(size);
      const expected = createHash(NODE_NAME[name]).update(data).digest('hex');
      expect(hex(nodeBackend.digest(name, data))).toBe(expected);
      expect(hex(portableBackend.digest(name, data))).toBe(expected);
    }
  });

  it.each(HASHES)('%s HMAC, one-shot and with a key prepared once', (name) => {
    for (const keySize of SIZES) {
      const key = randomBytes(keySize);
      const viaNode = nodeBackend.hmacWithKey(name, key);
      const viaPortable = portableBackend.hmacWithKey(name, key);
      for (const size of [0, 1, 64, 200]) {
        const data = randomBytes(size);
        const expected = createHmac(NODE_NAME[name], key).update(data).digest('hex');
        expect(hex(nodeBackend.hmac(name, key, data))).toBe(expected);
        expect(hex(portableBackend.hmac(name, key, data))).toBe(expected);
        // Twice each: the prepared key must not carry state between messages.
        expect(hex(viaNode(data))).toBe(expected);
        expect(hex(viaNode(data))).toBe(expected);
        expect(hex(viaPortable(data))).toBe(expected);
        expect(hex(viaPortable(data))).toBe(expected);
      }
    }
  });

  it.each(HASHES)('%s PBKDF2: Node thread pool, WebCrypto and JavaScript agree', async (name) => {
    const h = hashByName(name)!;
    const cases: Array<[Uint8Array, Uint8Array, number]> = [
      [utf8('pencil'), utf8('salt'), 1],
      [utf8('pencil'), randomBytes(16), 4096],
      [utf8(''), utf8('salt'), 2],
      [utf8('p\u00e4ssw\u00f6rd'.repeat(30)), randomBytes(32), 3],
    ];
    for (const [password, salt, iterations] of cases) {
      const expected = pbkdf2Sync(password, salt, iterations, LENGTH[name], NODE_NAME[name]).toString('hex');
      expect(hex((await nodeBackend.pbkdf2(name, password, salt, iterations, LENGTH[name]))!)).toBe(expected);
      const web = await portableBackend.pbkdf2(name, password, salt, iterations, LENGTH[name]);
      if (name === 'SHA3-512') expect(web).toBeNull();
      else if (web !== null) expect(hex(web)).toBe(expected); // an engine may refuse an empty password
      expect(hex(await pbkdf2Portable(h, password, salt, iterations))).toBe(expected);
      expect(hex(await pbkdf2(h, password, salt, iterations))).toBe(expected);
    }
  });

  it('strict base64: both encode alike and decode only canonical text', () => {
    for (const size of [0, 1, 2, 3, 16, 32, 64, 255]) {
      const data = randomBytes(size);
      const expected = Buffer.from(data).toString('base64');
      expect(nodeBackend.base64Encode(data)).toBe(expected);
      const portable = portableBackend.base64Encode(data);
      if (portable !== null) expect(portable).toBe(expected); // null: no Uint8Array.prototype.toBase64 here
      expect(nodeBackend.base64Decode(expected)).toEqual(data);
      const decoded = portableBackend.base64Decode(expected);
      if (decoded !== undefined) expect(decoded).toEqual(data);
    }
    // Buffer alone would accept all of these.
    for (const bad of ['Zm9', 'Zm9=', 'Zm9v YmFy', 'Zm-_', 'Zh==', 'Zm9\u0141', ' Zm9v', 'Zm9vYg']) {
      expect(nodeBackend.base64Decode(bad)).toBeNull();
      expect(portableBackend.base64Decode(bad)).not.toBeInstanceOf(Uint8Array);
    }
    // A decoded value owns its memory (Buffer's small allocations share a pool).
    const decoded = nodeBackend.base64Decode('AAEC')!;
    expect(decoded.buffer.byteLength).toBe(3);
  });

  it('long base64 (decoded by the runtime) is as strict as short base64 (decoded in JavaScript)', () => {
    const data = randomBytes(600); // 800 characters: past the native threshold
    const text = base64Encode(data);
    expect(base64Decode(text)).toEqual(data);
    const last = text.length - 2; // 600 % 3 === 0: no padding, so make a padded one
    const padded = base64Encode(data.subarray(0, 599));
    for (const bad of [`${text.slice(0, 400)} ${text.slice(400)}`, `${text.slice(0, last)}-_`, padded.replace(/.=$/, 'B='), text.slice(1), `${text}=`]) {
      expect(() => base64Decode(bad)).toThrow(SASLFailure);
    }
  });

  it('package.json selects the Node backend under the node condition and the portable one by default', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      imports: Record<string, Record<string, string>>;
    };
    const entry = manifest.imports['#crypto-backend']!;
    expect(Object.keys(entry)).toEqual(['types', 'node', 'default']);
    expect(entry.node).toBe('./dist/src/crypto/backend.node.js');
    expect(entry.default).toBe('./dist/src/crypto/backend-portable.js');
  });
});
