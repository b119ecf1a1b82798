// Throwaway self-signed TLS certificates for tests, made with the openssl
// command at test time in a temp dir (nothing secret is ever committed).
// Shared by the channel-binding, IMAP, SMTP and XMPP suites.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The certificate flavours tests need: key type and signature hash. The
 * hash matters for tls-server-end-point (RFC 5929 §4.1).
 */
export type CertKind =
  | 'rsa-sha256'
  | 'rsa-sha1'
  | 'rsa-sha384'
  | 'rsa-pss-sha512'
  | 'rsa-pss-sha256'
  | 'ecdsa-p256-sha256'
  | 'ecdsa-p384-sha384'
  | 'ed25519';

/** A generated certificate: PEM texts and the files they live in. */
export interface TestCert {
  readonly kind: CertKind;
  /** PEM private key (unencrypted). */
  readonly key: string;
  /** PEM certificate. */
  readonly cert: string;
  readonly keyPath: string;
  readonly certPath: string;
}

const KEY_ARGS: Record<CertKind, readonly string[]> = {
  'rsa-sha256': ['-newkey', 'rsa:2048', '-sha256'],
  'rsa-sha1': ['-newkey', 'rsa:2048', '-sha1'],
  'rsa-sha384': ['-newkey', 'rsa:2048', '-sha384'],
  // An ordinary RSA key signed with RSASSA-PSS: the signature algorithm OID is
  // id-RSASSA-PSS with the hash in its parameters.
  'rsa-pss-sha512': ['-newkey', 'rsa:2048', '-sha512', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:-1'],
  'rsa-pss-sha256': ['-newkey', 'rsa:2048', '-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:-1'],
  'ecdsa-p256-sha256': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-sha256'],
  'ecdsa-p384-sha384': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-sha384'],
  ed25519: ['-newkey', 'ed25519'],
};

/** Run openssl with `args`; throws with its stderr on failure. */
export function openssl(args: readonly string[], input?: string): string {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** A fresh temp dir; remove it with {@link removeDir}. */
export function makeTempDir(prefix = 'saslkit-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Remove a temp dir made by {@link makeTempDir} (ignores errors). */
export function removeDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // best effort: a leftover temp dir must not fail a test run
  }
}

/**
 * Generate a self-signed certificate for `localhost` / 127.0.0.1 / ::1 in
 * `dir` (files `<kind>.key`, `<kind>.crt`). Takes well under a second for
 * RSA-2048; cache the result per suite.
 */
export function generateCert(dir: string, kind: CertKind = 'rsa-sha256', commonName = 'localhost'): TestCert {
  const keyPath = join(dir, `${kind}.key`);
  const certPath = join(dir, `${kind}.crt`);
  openssl([
    'req', '-x509', '-nodes', '-days', '2',
    ...KEY_ARGS[kind],
    '-keyout', keyPath, '-out', certPath,
    '-subj', `/CN=${commonName}`,
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
  ]);
  return { kind, keyPath, certPath, key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
}

/**
 * The certificate's fingerprint as openssl computes it
 * (`openssl x509 -noout -fingerprint -<hash>`), as bytes: an independent
 * reference for tls-server-end-point.
 */
export function opensslFingerprint(certPath: string, hash: 'sha256' | 'sha384' | 'sha512' | 'sha1'): Uint8Array {
  const out = openssl(['x509', '-noout', '-fingerprint', `-${hash}`, '-in', certPath]);
  const m = /=([0-9A-F:]+)\s*$/i.exec(out.trim());
  if (!m?.[1]) throw new Error(`unexpected openssl fingerprint output: ${out}`);
  return Uint8Array.from(m[1].split(':').map((h) => parseInt(h, 16)));
}

/** The certificate's signature algorithm name as openssl prints it (e.g. `sha384WithRSAEncryption`). */
export function opensslSignatureAlgorithm(certPath: string): string {
  const out = openssl(['x509', '-noout', '-text', '-in', certPath]);
  const m = /Signature Algorithm:\s*(\S+)/.exec(out);
  if (!m?.[1]) throw new Error('no signature algorithm in openssl output');
  return m[1];
}
