/**
 * The `@noble/hashes` function behind each SCRAM hash, for the portable
 * backend and the portable PBKDF2.
 *
 * @module
 * @internal
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { sha3_512 } from '@noble/hashes/sha3.js';
import type { CHash } from '@noble/hashes/utils.js';
import type { BackendHashName } from './backend.js';

/** @internal */
export const NOBLE: Readonly<Record<BackendHashName, CHash>> = Object.freeze({
  'SHA-1': sha1,
  'SHA-256': sha256,
  'SHA-512': sha512,
  'SHA3-512': sha3_512,
});
