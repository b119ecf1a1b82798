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
  return saslprepPackage(value, { allowUnassigned });
}
