/**
 * Byte helpers that run in every runtime: strict UTF-8 and strict base64.
 *
 * Strict means: a decoder either returns exactly what the encoder would have
 * been given, or throws a {@link SASLError}; nothing is silently repaired.
 *
 * @module
 */
import { SASLError, SASLFailure } from './errors.js';

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Encode a string as UTF-8.
 *
 * @param text - the string; lone surrogates are refused, not replaced
 * @throws {@link SASLError} if `text` is not a string or holds a lone surrogate
 */
export function utf8Encode(text: string): Uint8Array {
  if (typeof text !== 'string') {
    throw new SASLError(null, 'invalid argument', `expected a string, got ${typeof text}`);
  }
  if (!isWellFormed(text)) {
    throw new SASLFailure('incorrect-encoding', 'string holds a lone UTF-16 surrogate and cannot be encoded as UTF-8');
  }
  return encoder.encode(text);
}

/**
 * Decode UTF-8 strictly.
 *
 * @param bytes - the bytes to decode
 * @throws {@link SASLFailure} with condition `incorrect-encoding` on invalid UTF-8
 */
export function utf8Decode(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new SASLFailure('incorrect-encoding', 'invalid UTF-8');
  }
}

function isWellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/**
 * Encode bytes as standard base64 with padding (RFC 4648 §4).
 *
 * @param bytes - the bytes to encode
 */
export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + '=';
  }
  return out;
}

/**
 * Decode standard base64 (RFC 4648 §4) strictly: padding required, no
 * whitespace, no other alphabet, and the unused bits of the last character
 * must be zero (so each byte string has exactly one encoding).
 *
 * @param text - the base64 text
 * @param what - what is being decoded, for the error message
 * @throws {@link SASLFailure} with condition `incorrect-encoding` on bad input
 */
export function base64Decode(text: string, what = 'base64 data'): Uint8Array {
  if (typeof text !== 'string') {
    throw new SASLError(null, 'invalid argument', `expected a string for ${what}`);
  }
  const fail = (why: string): never => {
    throw new SASLFailure('incorrect-encoding', `${what} is not valid base64: ${why}`);
  };
  if (text.length % 4 !== 0) fail('length is not a multiple of 4');
  let pad = 0;
  if (text.endsWith('==')) pad = 2;
  else if (text.endsWith('=')) pad = 1;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const v = [0, 0, 0, 0];
    for (let j = 0; j < 4; j++) {
      const code = text.charCodeAt(i + j);
      if (last && j >= 4 - pad) {
        v[j] = 0;
        continue;
      }
      const d = code < 128 ? DECODE[code]! : -1;
      if (d < 0) fail(code === 61 ? 'misplaced padding' : 'character outside the base64 alphabet');
      v[j] = d;
    }
    const n = (v[0]! << 18) | (v[1]! << 12) | (v[2]! << 6) | v[3]!;
    out[o++] = (n >> 16) & 255;
    if (!last || pad < 2) out[o++] = (n >> 8) & 255;
    else if (n & 0xffff) fail('non-zero trailing bits');
    if (!last || pad < 1) out[o++] = n & 255;
    else if (pad === 1 && n & 0xff) fail('non-zero trailing bits');
  }
  return out;
}

/**
 * Check that `value` is a `Uint8Array` and return it.
 *
 * @param value - the payload to check
 * @param what - what it is, for the error message
 * @throws {@link SASLError} if it is not a `Uint8Array`
 */
export function toBytes(value: unknown, what = 'payload'): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw new SASLError(null, 'invalid argument', `${what} must be a Uint8Array, got ${value === null ? 'null' : typeof value}`);
}

/**
 * As {@link toBytes}, but `null` and `undefined` mean "no payload" and give `null`.
 *
 * @param value - the payload to check
 * @param what - what it is, for the error message
 */
export function toBytesOrNull(value: unknown, what = 'payload'): Uint8Array | null {
  if (value === null || value === undefined) return null;
  return toBytes(value, what);
}

/**
 * Concatenate byte arrays.
 *
 * @param parts - the arrays, in order
 */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
