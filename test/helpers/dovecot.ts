// A private Dovecot 2.3 IMAP server for interop tests: config, sockets, logs,
// TLS key and passwd-file in a temp dir, listeners on free 127.0.0.1 ports
// (STARTTLS and implicit TLS); the system-wide service is never touched.
// Shared by the Dovecot interop suite and the CLI tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.js';
import { generateCert, makeTempDir, removeDir, type TestCert } from './tls-certs.js';

/** A running private Dovecot. */
export interface RunningDovecot {
  /** Its temp dir (config, logs, mail). */
  readonly dir: string;
  /** Its TLS certificate (for `localhost` / 127.0.0.1), to trust as the CA. */
  readonly cert: TestCert;
  /** The STARTTLS IMAP port on 127.0.0.1. */
  readonly imapPort: number;
  /** The implicit-TLS IMAP port on 127.0.0.1. */
  readonly imapsPort: number;
  /** Its log file. */
  readonly logPath: string;
  /** Stop Dovecot and remove the temp dir (idempotent, never throws). */
  stop(): Promise<void>;
}

/** Options of {@link startDovecot}. */
export interface DovecotOptions {
  /**
   * passwd-file entries as `[user, password-field]`: `{PLAIN}secret`, or a
   * verifier such as {@link doveadmScramVerifier}'s.
   */
  readonly users: readonly (readonly [string, string])[];
  /** Dovecot's `auth_mechanisms`. Default `plain scram-sha-1 scram-sha-256`. */
  readonly mechanisms?: string;
  /** More configuration lines (e.g. client-certificate settings for EXTERNAL). */
  readonly extraConfig?: (dir: string) => string;
}

export { freePort } from './ports.js';

/** A SCRAM-SHA-256 verifier of `password` made by Dovecot itself (`doveadm pw`). */
export function doveadmScramVerifier(password: string): string {
  const r = spawnSync('doveadm', ['pw', '-s', 'SCRAM-SHA-256', '-p', password], { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0) throw new Error(`doveadm pw failed: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Dovecot's anvil delays the next login from an address after a failed one
 * by seconds (its auth penalty, separate from `auth_failure_delay`), so
 * failing logins should each come from another loopback address: this gives
 * 127.0.0.2, 127.0.0.3, ... in turn.
 */
export function failingAddresses(): () => string {
  let last = 1;
  return () => `127.0.0.${++last}`;
}

/**
 * Start Dovecot (imap only) and wait until both listeners accept.
 *
 * @param options - users and mechanisms
 */
export async function startDovecot(options: DovecotOptions): Promise<RunningDovecot> {
  const dir = makeTempDir('saslkit-dovecot-');
  let dovecot: ChildProcess | null = null;
  const stop = async (): Promise<void> => {
    const child = dovecot;
    dovecot = null;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    removeDir(dir);
  };
  try {
    // Dovecot drops privileges (dovenull, dovecot, nobody): they must reach it.
    chmodSync(dir, 0o755);
    const cert = generateCert(dir, 'rsa-sha256');
    const imapPort = await freePort();
    const imapsPort = await freePort();
    writeFileSync(join(dir, 'passwd'), options.users.map(([user, field]) => `${user}:${field}\n`).join(''), { mode: 0o644 });
    const mail = join(dir, 'mail');
    mkdirSync(mail);
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim();
      const nogroup = spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout.trim();
      chownSync(mail, Number(nobody), Number(nogroup));
    }
    // Unprivileged (a CI runner without root): every Dovecot process runs as us.
    const me = userInfo().username;
    const logPath = join(dir, 'dovecot.log');
    const conf = `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${logPath}
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <${cert.certPath}
ssl_key = <${cert.keyPath}
disable_plaintext_auth = yes
auth_mechanisms = ${options.mechanisms ?? 'plain scram-sha-1 scram-sha-256'}
auth_failure_delay = 0
${
  asRoot
    ? 'default_internal_user = dovecot\ndefault_internal_group = dovecot\ndefault_login_user = dovenull'
    : `default_internal_user = ${me}\ndefault_login_user = ${me}`
}
first_valid_uid = 1
mail_location = maildir:${mail}/%u
passdb {
  driver = passwd-file
  args = ${dir}/passwd
}
userdb {
  driver = static
  args = ${asRoot ? 'uid=nobody gid=nogroup ' : ''}home=${mail}/%u
}
${options.extraConfig ? options.extraConfig(dir) : ''}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${imapPort}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${imapsPort}
    ssl = yes
  }
}
`;
    writeFileSync(join(dir, 'dovecot.conf'), conf);
    const child = spawn('dovecot', ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    dovecot = child;
    child.stdout?.resume();
    child.stderr?.resume();
    await waitForPort(imapPort, child, { name: 'dovecot' });
    await waitForPort(imapsPort, child, { name: 'dovecot' });
    return { dir, cert, imapPort, imapsPort, logPath, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
