/**
 * The SASLprep implementation used at run time: the `saslprep` package.
 * (Bundlers targeting browsers swap this module for
 * `saslprep-backend.browser.js` through package.json's `browser` field.)
 *
 * @module
 * @internal
 */
import saslprepPackage from 'saslprep';

/** @internal */
export function saslprepBackend(value: string, allowUnassigned: boolean): string {
  // saslprep 1.0.3 crashes (TypeError) when every character is "mapped to
  // nothing"; RFC 4013 then gives the empty string.
  if (ONLY_MAPPED_TO_NOTHING.test(value)) return '';
  return saslprepPackage(value, { allowUnassigned });
}

/**
 * RFC 3454 B.1 (frozen) less U+200B, which the package maps to SPACE first as
 * it is in C.1.2 too. test/saslprep.test.ts checks it over the whole BMP.
 */
const ONLY_MAPPED_TO_NOTHING = /^[\u00AD\u034F\u1806\u180B-\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]+$/;
