// saslkit IMAP client → Dovecot 2.3 (a real IMAP server), over STARTTLS and
// implicit TLS. Dovecot runs as our own instance: config, sockets, logs, TLS
// key and password file all in a temp dir, listeners on free 127.0.0.1 ports;
// the system-wide service is never touched. Dovecot 2.3 has no -PLUS
// mechanisms, so channel binding is not exercised here.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AuthenticationFailure, PLAIN, SCRAM, SCRAMPLUS, type HashName, type SASLMechanism } from '../src/index.js';
import { ImapClientSession } from '../src/node/imap-client.js';
import type { ConnectionSecurity } from '../src/node/connect.js';
import { describeWithPeers } from './helpers/peers.js';
import { generateCert, makeTempDir, removeDir, type TestCert } from './helpers/tls-certs.js';

const USERS = {
  ascii: { user: 'alice', password: 'correct horse battery staple' },
  // NFC-normalized, so SASLprep leaves it unchanged: Dovecot does not apply
  // SASLprep itself, and the SCRAM keys must agree.
  nonAscii: { user: 'bob', password: 'pässwörd-ünïcødé-密码' },
  // Stored as a SCRAM-SHA-256 verifier (doveadm pw), not as plaintext.
  scramStored: { user: 'carol', password: 'çarol-sécret' },
  // Only ever given wrong passwords.
  victim: { user: 'dave', password: 'dave-real-password' },
} as const;

/** A free loopback port (released just before Dovecot binds it). */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`dovecot exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`dovecot did not listen on ${port} within ${timeoutMs} ms`);
}

function scramVerifier(password: string): string {
  const r = spawnSync('doveadm', ['pw', '-s', 'SCRAM-SHA-256', '-p', password], { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0) throw new Error(`doveadm pw failed: ${r.stderr}`);
  return r.stdout.trim();
}

describeWithPeers('interop: saslkit IMAP client → Dovecot', ['dovecot', 'doveadm'], () => {
  let dir: string;
  let cert: TestCert;
  let dovecot: ChildProcess | null = null;
  let imapPort: number;
  let imapsPort: number;

  beforeAll(async () => {
    dir = makeTempDir('saslkit-dovecot-');
    // Dovecot drops privileges (dovenull, dovecot, nobody): they must reach it.
    chmodSync(dir, 0o755);
    cert = generateCert(dir, 'rsa-sha256');
    imapPort = await freePort();
    imapsPort = await freePort();
    const passwd = [
      `${USERS.ascii.user}:{PLAIN}${USERS.ascii.password}`,
      `${USERS.nonAscii.user}:{PLAIN}${USERS.nonAscii.password}`,
      `${USERS.scramStored.user}:${scramVerifier(USERS.scramStored.password)}`,
      `${USERS.victim.user}:{PLAIN}${USERS.victim.password}`,
    ].join('\n');
    writeFileSync(join(dir, 'passwd'), `${passwd}\n`, { mode: 0o644 });
    const mail = join(dir, 'mail');
    mkdirSync(mail);
    const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim();
    const nogroup = spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout.trim();
    if (process.getuid?.() === 0) chownSync(mail, Number(nobody), Number(nogroup));
    const asRoot = process.getuid?.() === 0;
    // Unprivileged (a CI runner without root): every Dovecot process runs as us.
    const me = userInfo().username;
    const conf = `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <${cert.certPath}
ssl_key = <${cert.keyPath}
disable_plaintext_auth = yes
auth_mechanisms = plain scram-sha-1 scram-sha-256
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
    dovecot = spawn('dovecot', ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    dovecot.stdout?.resume();
    dovecot.stderr?.resume();
    await waitForPort(imapPort, dovecot);
    await waitForPort(imapsPort, dovecot);
  }, 60_000);

  afterAll(async () => {
    if (dovecot && dovecot.exitCode === null) {
      const exited = new Promise<void>((r) => dovecot!.once('exit', () => r()));
      dovecot.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (dovecot.exitCode === null) dovecot.kill('SIGKILL');
    }
    if (dir) removeDir(dir);
  }, 20_000);

  // Dovecot's anvil delays the next login from an address after a failed one
  // by seconds (its auth penalty, separate from auth_failure_delay), so the
  // failing logins come from another loopback address each (127.0.0.2, .3, ...).
  let failingAddress = 1;
  const nextFailingAddress = (): string => `127.0.0.${++failingAddress}`;
  async function connect(security: ConnectionSecurity, localAddress = '127.0.0.1'): Promise<ImapClientSession> {
    return ImapClientSession.connect({
      localAddress,
      host: '127.0.0.1',
      port: security === 'implicit' ? imapsPort : imapPort,
      security,
      tls: { ca: cert.cert, servername: 'localhost' },
      readTimeoutMs: 10_000,
    });
  }

  const mechanismFor = (mech: string, user: string, password: string): SASLMechanism<unknown> => {
    const creds = (): readonly [string, string] => [user, password];
    if (mech === 'PLAIN') return new PLAIN(creds);
    const hash = mech.slice('SCRAM-'.length) as HashName;
    return new SCRAM(creds, { hashes: [hash] });
  };

  const securities: ConnectionSecurity[] = ['starttls', 'implicit'];
  const mechanisms = ['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256'];
  const accounts = [USERS.ascii, USERS.nonAscii];

  for (const security of securities) {
    for (const mech of mechanisms) {
      for (const account of accounts) {
        it(`${security}: ${mech} succeeds for ${account.user} (${account === USERS.ascii ? 'ASCII' : 'non-ASCII'} password)`, async () => {
          const session = await connect(security);
          try {
            expect(session.tlsSocket).not.toBeNull();
            expect(session.capabilities.saslMechanisms).toEqual(['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256']);
            const used = await session.authenticate([mechanismFor(mech, account.user, account.password)]);
            expect(used).toBe(mech);
            expect(session.authenticated).toBe(true);
            // capabilities were refreshed after login: no more AUTH= entries
            expect(session.capabilities.saslMechanisms).toEqual([]);
            expect(session.capabilities.has('IMAP4rev1')).toBe(true);
          } finally {
            await session.logout();
          }
        });
      }
      it(`${security}: ${mech} with a wrong password is an AuthenticationFailure`, async () => {
        const session = await connect(security, nextFailingAddress());
        try {
          const err = await session.authenticate([mechanismFor(mech, USERS.victim.user, 'wrong password')]).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(AuthenticationFailure);
          expect((err as AuthenticationFailure).opaqueError).toBe('not-authorized');
          expect(session.authenticated).toBe(false);
        } finally {
          await session.logout();
        }
      });
    }
  }

  it('a SCRAM-SHA-256 verifier stored by doveadm pw: SCRAM-SHA-256 and PLAIN succeed', async () => {
    for (const mech of ['SCRAM-SHA-256', 'PLAIN']) {
      const session = await connect('starttls');
      try {
        expect(await session.authenticate([mechanismFor(mech, USERS.scramStored.user, USERS.scramStored.password)])).toBe(mech);
      } finally {
        await session.logout();
      }
    }
  });

  it('negotiation: SCRAM-PLUS is skipped (Dovecot 2.3 offers no -PLUS), SCRAM-SHA-256 is chosen over PLAIN', async () => {
    const session = await connect('implicit');
    try {
      const creds = (): readonly [string, string] => [USERS.ascii.user, USERS.ascii.password];
      const cb = session.channelBinding({ policy: 'require' })!;
      const used = await session.authenticate([new SCRAMPLUS(creds, cb), new SCRAM(creds, { afterScramPlus: true }), new PLAIN(creds)]);
      expect(used).toBe('SCRAM-SHA-256');
    } finally {
      await session.logout();
    }
  });

  it('an unknown user is refused with not-authorized (Dovecot refuses it at client-first, before any proof)', async () => {
    const session = await connect('starttls', nextFailingAddress());
    try {
      const err = await session.authenticate([mechanismFor('SCRAM-SHA-256', 'nobody-here', 'x')]).catch((e: unknown) => e);
      // A refusal of the user name is a verdict on the credentials: saslkit
      // promotes it, so the loop does not retry them with another mechanism.
      expect(err).toBeInstanceOf(AuthenticationFailure);
      expect((err as AuthenticationFailure).opaqueError).toBe('not-authorized');
    } finally {
      await session.logout();
    }
  });

  it('Dovecot logged our logins', () => {
    const log = readFileSync(join(dir, 'dovecot.log'), 'utf8');
    expect(log).toMatch(/Login: user=<alice>, method=SCRAM-SHA-256/);
    expect(log).toMatch(/Login: user=<bob>, method=SCRAM-SHA-1/);
  });
});
