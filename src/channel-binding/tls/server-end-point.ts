/**
 * `tls-server-end-point` (RFC 5929 §4.1) data from a DER certificate: which
 * hash its signature algorithm selects (MD5 and SHA-1 upgraded to SHA-256,
 * RSASSA-PSS read from its parameters), found with a small bounded DER
 * reader, and the hash itself.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { ChannelBindingError } from '../error.js';

/** Node hash names RFC 5929 §4.1 can select. */
export type EndPointHash = 'sha256' | 'sha224' | 'sha384' | 'sha512';

/**
 * Compute tls-server-end-point data from a DER certificate.
 *
 * @param der - the certificate, DER-encoded
 * @returns the hash of `der` with {@link endPointHashOf}'s choice
 * @throws {@link ChannelBindingError} for a malformed certificate or a
 *   signature algorithm without a defined hash
 */
export function serverEndPointHash(der: Uint8Array): Uint8Array {
  const hash = endPointHashOf(der);
  // A copy, not a view: Buffer digests may share a pooled ArrayBuffer.
  return new Uint8Array(createHash(hash).update(der).digest());
}

// Signature algorithm OID → the hash it uses (before the MD5/SHA-1 upgrade).
const SIGNATURE_HASH: ReadonlyMap<string, string> = new Map([
  ['1.2.840.113549.1.1.4', 'md5'], // md5WithRSAEncryption
  ['1.2.840.113549.1.1.5', 'sha1'], // sha1WithRSAEncryption
  ['1.2.840.113549.1.1.14', 'sha224'],
  ['1.2.840.113549.1.1.11', 'sha256'],
  ['1.2.840.113549.1.1.12', 'sha384'],
  ['1.2.840.113549.1.1.13', 'sha512'],
  ['1.2.840.10045.4.1', 'sha1'], // ecdsa-with-SHA1
  ['1.2.840.10045.4.3.1', 'sha224'],
  ['1.2.840.10045.4.3.2', 'sha256'],
  ['1.2.840.10045.4.3.3', 'sha384'],
  ['1.2.840.10045.4.3.4', 'sha512'],
  ['1.2.840.10040.4.3', 'sha1'], // dsa-with-sha1
  ['2.16.840.1.101.3.4.3.1', 'sha224'], // dsa-with-sha224
  ['2.16.840.1.101.3.4.3.2', 'sha256'], // dsa-with-sha256
]);

// Hash algorithm OIDs (the RSASSA-PSS parameters name their hash this way).
const HASH_OID: ReadonlyMap<string, string> = new Map([
  ['1.2.840.113549.2.5', 'md5'],
  ['1.3.14.3.2.26', 'sha1'],
  ['2.16.840.1.101.3.4.2.4', 'sha224'],
  ['2.16.840.1.101.3.4.2.1', 'sha256'],
  ['2.16.840.1.101.3.4.2.2', 'sha384'],
  ['2.16.840.1.101.3.4.2.3', 'sha512'],
]);

const RSASSA_PSS = '1.2.840.113549.1.1.10';
const MAX_CERT_LENGTH = 1 << 20;

/**
 * Pick the RFC 5929 §4.1 hash for a certificate: its signature algorithm's
 * hash, with MD5 and SHA-1 upgraded to SHA-256. RSASSA-PSS reads the hash
 * from the algorithm parameters (absent = SHA-1, the ASN.1 default).
 *
 * @param der - the certificate, DER-encoded
 * @returns the Node hash name
 * @throws {@link ChannelBindingError} for malformed DER or an algorithm RFC
 *   5929 does not cover (Ed25519, Ed448, unknown OIDs)
 */
export function endPointHashOf(der: Uint8Array): EndPointHash {
  if (der.length > MAX_CERT_LENGTH) throw new ChannelBindingError('certificate too large');
  const { oid, params } = signatureAlgorithmOf(der);
  let hash: string | undefined;
  if (oid === RSASSA_PSS) hash = pssHashOf(der, params);
  else hash = SIGNATURE_HASH.get(oid);
  if (hash === undefined) throw new ChannelBindingError(`tls-server-end-point is not defined for signature algorithm ${oid}`);
  if (hash === 'md5' || hash === 'sha1') return 'sha256';
  return hash as EndPointHash;
}

/** One DER element: tag, and the bounds of its contents in the buffer. */
interface DerElement {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

/** Read the element at `pos`, checking that it fits before `limit`. */
function readElement(der: Uint8Array, pos: number, limit: number): DerElement {
  const malformed = (): never => {
    throw new ChannelBindingError('malformed certificate (DER)');
  };
  if (pos + 2 > limit) malformed();
  const tag = der[pos]!;
  if ((tag & 0x1f) === 0x1f) malformed(); // multi-byte tags never occur here
  let len = der[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) malformed(); // indefinite or absurd lengths
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!;
    start += n;
  }
  const end = start + len;
  if (end > limit) malformed();
  return { tag, start, end };
}

function expectTag(el: DerElement, tag: number): DerElement {
  if (el.tag !== tag) throw new ChannelBindingError('malformed certificate (unexpected DER tag)');
  return el;
}

function decodeOid(der: Uint8Array, el: DerElement): string {
  expectTag(el, 0x06);
  if (el.end - el.start < 1 || el.end - el.start > 64) throw new ChannelBindingError('malformed certificate (OID)');
  const parts: number[] = [];
  let value = 0;
  for (let i = el.start; i < el.end; i++) {
    const b = der[i]!;
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 256) throw new ChannelBindingError('malformed certificate (OID)');
    if (!(b & 0x80)) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else {
        parts.push(value);
      }
      value = 0;
    }
  }
  if (der[el.end - 1]! & 0x80) throw new ChannelBindingError('malformed certificate (OID)');
  return parts.join('.');
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue } */
function signatureAlgorithmOf(der: Uint8Array): { oid: string; params: DerElement | null } {
  const cert = expectTag(readElement(der, 0, der.length), 0x30);
  const tbs = expectTag(readElement(der, cert.start, cert.end), 0x30);
  const alg = expectTag(readElement(der, tbs.end, cert.end), 0x30);
  const oidEl = readElement(der, alg.start, alg.end);
  const oid = decodeOid(der, oidEl);
  const params = oidEl.end < alg.end ? readElement(der, oidEl.end, alg.end) : null;
  return { oid, params };
}

/** RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] EXPLICIT AlgorithmIdentifier DEFAULT sha1, ... } */
function pssHashOf(der: Uint8Array, params: DerElement | null): string | undefined {
  if (params === null || params.tag === 0x05) return 'sha1';
  expectTag(params, 0x30);
  if (params.start === params.end) return 'sha1';
  const first = readElement(der, params.start, params.end);
  if (first.tag !== 0xa0) return 'sha1';
  const hashAlg = expectTag(readElement(der, first.start, first.end), 0x30);
  return HASH_OID.get(decodeOid(der, readElement(der, hashAlg.start, hashAlg.end)));
}

