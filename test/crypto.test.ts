// The crypto and byte helpers: both PBKDF2 paths, RFC 6070, constant-time
// comparison, nonces, strict base64 (RFC 4648) and strict UTF-8.
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HASHES, base64Decode, base64Encode, hashByName, pbkdf2, randomNonce, timingSafeEqual, utf8Decode, utf8Encode, type HashAlgorithm } from '../src/mechanism.js';
import { PBKDF2_HARD_LIMIT, pbkdf2Native, pbkdf2Portable } from '../src/crypto/pbkdf2.js';
import { SASLError, SASLFailure } from '../src/index.js';
import { randomBytes } from '../src/crypto/random.js';
import { rejection, syncError } from './helpers/errors.js';
import { backend as portableBackend } from '../src/crypto/backend-portable.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const NODE_NAME = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-512': 'sha512', 'SHA3-512': 'sha3-512' } as const;
const hash = (name: string): HashAlgorithm => {
  const h = hashByName(name);
  if (!h) throw new Error(`no hash ${name}`);
  return h;
};

describe('hashes', () => {
  it('lists SHA3-512, SHA-512, SHA-256, SHA-1, strongest first, with their minimum iteration counts', () => {
    expect(HASHES.map((h) => [h.name, h.outputLength, h.minimumIterationCount])).toEqual([
      ['SHA3-512', 64, 10000],
      ['SHA-512', 64, 10000],
      ['SHA-256', 32, 4096],
      ['SHA-1', 20, 4096],
    ]);
    expect(hashByName('sha-256')?.name).toBe('SHA-256');
    expect(hashByName('MD5')).toBeUndefined();
    expect(hashByName(undefined as unknown as string)).toBeUndefined();
  });

  it.each(Object.keys(NODE_NAME) as Array<keyof typeof NODE_NAME>)('%s digest and HMAC match node:crypto', (name) => {
    const h = hash(name);
    for (const data of [utf8(''), utf8('abc'), randomBytes(1000)]) {
      expect(hex(h.digest(data))).toBe(createHash(NODE_NAME[name]).update(data).digest('hex'));
      for (const key of [utf8(''), utf8('key'), randomBytes(200)]) {
        expect(hex(h.hmac(key, data))).toBe(createHmac(NODE_NAME[name], key).update(data).digest('hex'));
      }
    }
  });
});

describe('PBKDF2', () => {
  const inputs: Array<[string, Uint8Array, Uint8Array, number]> = [
    ['ASCII', utf8('pencil'), utf8('salt'), 1],
    ['several iterations', utf8('pencil'), Uint8Array.from(Buffer.from('QSXCR+Q6sek8bf92', 'base64')), 37],
    ['an empty salt', utf8('pencil'), new Uint8Array(0), 3],
    ['an empty password', new Uint8Array(0), utf8('salt'), 3],
    ['both empty', new Uint8Array(0), new Uint8Array(0), 2],
    ['a non-ASCII password', utf8('pässwörd-密码-🔑'), utf8('NaCl'), 5],
    ['a long password (over the block size)', randomBytes(300), randomBytes(64), 4],
    ['NUL bytes', utf8('pass\0word'), utf8('sa\0lt'), 2],
  ];

  describe.each(['SHA-1', 'SHA-256', 'SHA-512'] as const)('%s: native (WebCrypto) and portable (@noble/hashes) agree', (name) => {
    it.each(inputs)('%s', async (_what, password, salt, iterations) => {
      const h = hash(name);
      const native = await pbkdf2Native(h, password, salt, iterations);
      const portable = await pbkdf2Portable(h, password, salt, iterations);
      // Node has WebCrypto PBKDF2 for these hashes, so the native path must run.
      expect(native).not.toBeNull();
      expect(hex(native!)).toBe(hex(portable));
      expect(hex(portable)).toBe(pbkdf2Sync(password, salt, iterations, h.outputLength, NODE_NAME[name]).toString('hex'));
      expect(hex(await pbkdf2(h, password, salt, iterations))).toBe(hex(portable));
    });
  });

  it('SHA3-512 has no WebCrypto PBKDF2 (the portable backend falls back to JavaScript), node:crypto has one', async () => {
    const h = hash('SHA3-512');
    expect(h.webCryptoName).toBeNull();
    expect(await portableBackend.pbkdf2('SHA3-512', utf8('pencil'), utf8('salt'), 2, 64)).toBeNull();
    expect(hex((await pbkdf2Native(h, utf8('pencil'), utf8('salt'), 2))!)).toBe(pbkdf2Sync('pencil', 'salt', 2, 64, 'sha3-512').toString('hex'));
    for (const [, password, salt, iterations] of inputs) {
      const viaDefault = await pbkdf2(h, password, salt, iterations);
      expect(hex(viaDefault)).toBe(hex(await pbkdf2Portable(h, password, salt, iterations)));
      expect(hex(viaDefault)).toBe(pbkdf2Sync(password, salt, iterations, 64, 'sha3-512').toString('hex'));
    }
  });

  describe('RFC 6070 PBKDF2-HMAC-SHA1 vectors (first 20 bytes: one block)', () => {
    const vectors: Array<[string, string, number, string]> = [
      ['password', 'salt', 1, '0c60c80f961f0e71f3a9b524af6012062fe037a6'],
      ['password', 'salt', 2, 'ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957'],
      ['password', 'salt', 4096, '4b007901b765489abead49d926f721d065a429c1'],
      // dkLen 25 in the RFC: its first 20 bytes are the first block.
      ['passwordPASSWORDpassword', 'saltSALTsaltSALTsaltSALTsaltSALTsalt', 4096, '3d2eec4fe41c849b80c8d83662c0e44a8b291a96'],
      // dkLen 16 in the RFC: a prefix of the first block.
      ['pass\0word', 'sa\0lt', 4096, '56fa6aa75548099dcc37d7f03425e0c3'],
    ];
    it.each(vectors)('P=%j S=%j c=%i', async (password, salt, c, expected) => {
      const h = hash('SHA-1');
      for (const derive of [pbkdf2Portable, pbkdf2Native, pbkdf2]) {
        const out = await derive(h, utf8(password), utf8(salt), c);
        expect(hex(out!).slice(0, expected.length)).toBe(expected);
      }
    });
    it('the 16777216-iteration vector is beyond the hard limit and refused', async () => {
      expect(PBKDF2_HARD_LIMIT).toBeLessThan(16777216);
      const err = await rejection(pbkdf2(hash('SHA-1'), utf8('password'), utf8('salt'), 16777216));
      expect(err).toBeInstanceOf(SASLError);
    });
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, PBKDF2_HARD_LIMIT + 1, 2 ** 53, '10' as unknown as number])(
    'refuses the iteration count %s with a SASLError on every path',
    async (iterations) => {
      for (const derive of [pbkdf2, pbkdf2Native, pbkdf2Portable]) {
        for (const name of ['SHA-1', 'SHA3-512']) {
          const err = await rejection(derive(hash(name), utf8('p'), utf8('s'), iterations));
          expect(err).toBeInstanceOf(SASLError);
          expect((err as SASLError).text).toMatch(/iteration count/);
        }
      }
    },
  );
});

describe('timingSafeEqual', () => {
  it('compares bytes', () => {
    const a = randomBytes(64);
    expect(timingSafeEqual(a, a.slice())).toBe(true);
    expect(timingSafeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    for (const i of [0, 31, 63]) {
      const b = a.slice();
      b[i] = b[i]! ^ 0x80;
      expect(timingSafeEqual(a, b)).toBe(false);
    }
    expect(timingSafeEqual(a, a.subarray(0, 63))).toBe(false);
    expect(timingSafeEqual(a.subarray(0, 63), a)).toBe(false);
    expect(timingSafeEqual(new Uint8Array(0), new Uint8Array(1))).toBe(false);
  });
});

describe('randomness', () => {
  const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]*$/;

  it('randomNonce gives nonces of the asked length from letters and digits only (conservative alphabet)', () => {
    for (const length of [1, 2, 24, 100, 1024]) {
      const nonce = randomNonce(length);
      expect(nonce).toHaveLength(length);
      expect(nonce).toMatch(PRINTABLE);
      expect(nonce).toMatch(/^[A-Za-z0-9]+$/);
    }
    // Property over many: no punctuation (", \\, =, ...) ever, whatever the bytes drawn.
    for (let i = 0; i < 2000; i++) expect(randomNonce(24)).toMatch(/^[A-Za-z0-9]{24}$/);
  });

  it('randomNonce draws from all 62 letters and digits', () => {
    const seen = new Set(randomNonce(1024) + randomNonce(1024) + randomNonce(1024) + randomNonce(1024) + randomNonce(1024));
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    // 5120 draws: missing any one of 62 symbols has probability < 1e-30.
    expect([...seen].sort().join('')).toBe([...alphabet].sort().join(''));
  });

  it('randomNonce does not repeat itself', () => {
    const nonces = new Set(Array.from({ length: 2000 }, () => randomNonce(24)));
    expect(nonces.size).toBe(2000);
  });

  it.each([0, -1, 1.5, 1025, Number.NaN, '8' as unknown as number])('randomNonce refuses the length %s', (length) => {
    expect(syncError(() => randomNonce(length))).toBeInstanceOf(SASLError);
  });

  it('randomBytes gives the asked number of bytes, beyond one getRandomValues call too', () => {
    expect(randomBytes(0)).toHaveLength(0);
    expect(randomBytes(33)).toHaveLength(33);
    const big = randomBytes(70000);
    expect(big).toHaveLength(70000);
    // The tail past 65536 bytes is filled too.
    expect(big.subarray(65536).some((b) => b !== 0)).toBe(true);
    expect(hex(randomBytes(32))).not.toBe(hex(randomBytes(32)));
  });
});

describe('strict base64', () => {
  const rfc4648: Array<[string, string]> = [
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ];
  it.each(rfc4648)('RFC 4648 §10: BASE64(%j) = %j, both ways', (plain, encoded) => {
    expect(base64Encode(utf8(plain))).toBe(encoded);
    expect(base64Decode(encoded)).toEqual(utf8(plain));
  });

  it('round-trips every byte value and every length up to 100, as Buffer does', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(base64Encode(all)).toBe(Buffer.from(all).toString('base64'));
    expect(base64Decode(base64Encode(all))).toEqual(all);
    for (let n = 0; n <= 100; n++) {
      const data = randomBytes(n);
      const text = base64Encode(data);
      expect(text).toBe(Buffer.from(data).toString('base64'));
      expect(base64Decode(text)).toEqual(data);
    }
  });

  const bad: Array<[string, string, RegExp]> = [
    ['missing padding', 'Zg', /length/],
    ['short padding', 'Zg=', /length/],
    ['too much padding', 'Zg===', /length/],
    ['only padding', '====', /misplaced padding/],
    ['three padding characters', 'Z===', /misplaced padding/],
    ['a padded block of padding', 'Zm9v====', /misplaced padding/],
    ['padding in the middle', 'Zg==Zg==', /misplaced padding/],
    ['padding inside a block', 'Zm=v', /misplaced padding/],
    ['padding before a character', 'Z=g=', /misplaced padding/],
    ['a character outside the alphabet', 'Zm9!', /outside the base64 alphabet/],
    ['base64url -', 'Zm9-', /outside the base64 alphabet/],
    ['base64url _', 'Zm9_', /outside the base64 alphabet/],
    ['a non-ASCII character', 'Zm9\u00e9', /outside the base64 alphabet/],
    ['a character whose low byte is in the alphabet', 'Zm9\u0141', /outside the base64 alphabet/],
    ['a surrogate pair', 'Zm\ud800\udc41', /outside the base64 alphabet/],
    ['U+FF41 (low byte is "A")', 'Zm9\uff41', /outside the base64 alphabet/],
    ['a NUL', 'Zm9\0', /outside the base64 alphabet/],
    ['non-zero trailing bits (one pad)', 'Zm9=', /non-zero trailing bits/],
    ['non-zero trailing bits (two pads)', 'Zh==', /non-zero trailing bits/],
    ['a space', 'Zm9 ', /outside the base64 alphabet/],
    ['a leading space', ' Zm9vYmF', /outside the base64 alphabet/],
    ['a line break', 'Zm9v\nYmFy', /length/],
    ['CRLF at the end', 'Zm9vYmFy\r\n', /length/],
    ['a tab inside', 'Zm\t9', /outside the base64 alphabet/],
  ];
  it.each(bad)('refuses %s', (_what, text, why) => {
    const err = syncError(() => base64Decode(text, 'test field'));
    expect(err).toBeInstanceOf(SASLFailure);
    expect((err as SASLFailure).opaqueError).toBe('incorrect-encoding');
    expect((err as SASLFailure).text).toMatch(/^test field is not valid base64: /);
    expect((err as SASLFailure).text).toMatch(why);
  });

  it('accepts each byte string in exactly one encoding', () => {
    // "f" = 0x66 = 011001 10(0000): only Zg== is canonical among Zg==..Zv==.
    const accepted = [...'ghijklmnopqrstuv'].filter((c) => {
      try {
        base64Decode(`Z${c}==`);
        return true;
      } catch {
        return false;
      }
    });
    expect(accepted).toEqual(['g']);
  });

  it('refuses a non-string with a SASLError', () => {
    expect(syncError(() => base64Decode(42 as unknown as string))).toBeInstanceOf(SASLError);
  });
});

describe('strict UTF-8', () => {
  it('round-trips text, astral characters and a leading BOM', () => {
    for (const text of ['', 'abc', 'Grüße', '密码', '🔑x', '\ufeffA', '\0']) {
      expect(utf8Encode(text)).toEqual(new Uint8Array(Buffer.from(text, 'utf8')));
      expect(utf8Decode(utf8Encode(text))).toBe(text);
    }
    // A BOM is data, not stripped.
    expect(utf8Decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]))).toBe('\ufeffA');
  });

  const invalid: Array<[string, number[]]> = [
    ['a lone continuation byte', [0x80]],
    ['0xFF', [0xff]],
    ['0xFE', [0x41, 0xfe]],
    ['a truncated two-byte sequence', [0xc3]],
    ['a bad continuation', [0xc3, 0x28]],
    ['an overlong "/"', [0xc0, 0xaf]],
    ['an overlong NUL', [0xc0, 0x80]],
    ['an overlong three-byte form', [0xe0, 0x80, 0xaf]],
    ['a truncated three-byte sequence', [0xe2, 0x82]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a five-byte form', [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ];
  it.each(invalid)('refuses %s', (_what, bytes) => {
    const err = syncError(() => utf8Decode(new Uint8Array(bytes)));
    expect(err).toBeInstanceOf(SASLFailure);
    expect((err as SASLFailure).opaqueError).toBe('incorrect-encoding');
  });

  it('refuses to encode a lone surrogate or a non-string', () => {
    for (const text of ['\ud800', 'a\udc00b', '\udbff\ud800', 'x\ud83d']) {
      const err = syncError(() => utf8Encode(text));
      expect(err).toBeInstanceOf(SASLFailure);
      expect((err as SASLFailure).opaqueError).toBe('incorrect-encoding');
    }
    expect(syncError(() => utf8Encode(7 as unknown as string))).toBeInstanceOf(SASLError);
  });
});
