// The saslkit command, run from source (node --import tsx src/cli/main.ts):
// usage errors, mkpasswd output read back by the library, `saslkit server`
// against `saslkit client` (IMAP, SMTP, XMPP; SCRAM-PLUS with each TLS
// version), `saslkit client` against a real Dovecot, and `gsasl --smtp`
// against `saslkit server`. Every spawned process is killed in afterAll /
// finally; servers listen on 127.0.0.1 port 0.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saslprep } from '../src/index.js';
import { parseScramCredential } from '../src/server/credentials/formats.js';
import { verifyScramPassword } from '../src/server/credentials/scram.js';
import { failingAddresses, startDovecot, type RunningDovecot } from './helpers/dovecot.js';
import { describeWithPeers } from './helpers/peers.js';
import { CLI_MAIN, killAll, runCommand as run, saslkit, startCliServer, type CliResult as Result } from './helpers/cli.js';
import { generateCert, makeTempDir, removeDir, type TestCert } from './helpers/tls-certs.js';

const MAIN = CLI_MAIN;
const PASSWORD = 'cörrect hörse bättery';

/** A `saslkit server` process and the JSON events it printed, less the connection lines. */
interface CliServer {
  readonly port: number;
  readonly events: Record<string, unknown>[];
  stop(): Promise<number | null>;
}

async function startServer(args: readonly string[], env: Record<string, string> = {}): Promise<CliServer> {
  const server = await startCliServer(args, env);
  return {
    port: server.port,
    // Connection lines are checked in cli-server.test.ts; here only the rest counts.
    get events() {
      return server.events.filter((e) => e.event !== 'connect' && e.event !== 'close');
    },
    stop: () => server.stop(),
  };
}

/** Wait until `events` has `n` entries after the listening one (the server prints after the client has gone). */
async function eventsAfter(server: CliServer, n: number): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 100 && server.events.length < n + 1; i++) await new Promise((r) => setTimeout(r, 50));
  return server.events.slice(1);
}

let dir: string;
let cert: TestCert;
/** Any readable file, for usage tests that stop at a later check. */
const cert0 = (): string => MAIN;

beforeAll(() => {
  dir = makeTempDir('saslkit-cli-');
  cert = generateCert(dir, 'rsa-sha256');
});

afterAll(() => {
  killAll();
  if (dir) removeDir(dir);
});

describe('saslkit: usage', () => {
  it.each([
    [[], /Usage: saslkit <command>/],
    [['frobnicate'], /unknown command/],
    [['client', '--protocol', 'imap'], /--connect is required/],
    [['client', '--protocol', 'pop3', '--connect', '127.0.0.1:1', '-a', 'u'], /--protocol must be one of: imap, smtp, xmpp/],
    [['client', '--protocol', 'imap', '--connect', 'nowhere', '-a', 'u'], /--connect must be HOST:PORT/],
    [['client', '--protocol', 'imap', '--connect', '127.0.0.1:143'], /-a USER (.*)?is required/],
    [['client', '--protocol', 'imap', '--connect', '127.0.0.1:143', '-a', 'u', '--tls', '--plain'], /only one of --starttls, --tls and --plain/],
    [['client', '--protocol', 'imap', '--connect', '127.0.0.1:143', '-a', 'u', '-m', 'DIGEST-MD5'], /unknown mechanism/],
    [['client', '--protocol', 'imap', '--connect', '127.0.0.1:143', '-a', 'u', '--cb-policy', 'require', '-m', 'PLAIN'], /cannot bind/],
    [['client', '--protocol', 'imap', '--connect', '127.0.0.1:143', '-a', 'u', '--ca', '/nonexistent/ca.pem'], /--ca: cannot read/],
    [['client', '--protocol', 'imap', '--connect', '127.0.0.1:143', '-a', 'u', '--timeout', '0'], /--timeout must be an integer/],
    [['client', '--bogus'], /Unknown option '--bogus'/],
    [['server', '--protocol', 'imap', '--cert', cert0()], /--cert and --key go together/],
    [['server', '--protocol', 'imap', '--cert', '/nonexistent/cert.pem', '--key', 'k'], /--cert: cannot read/],
    [['mkpasswd', '--hash', 'MD5'], /--hash must be one of/],
    [['mkpasswd', '--iterations', 'many'], /--iterations must be an integer/],
  ])('saslkit %j exits 2 with a message', async (args, message) => {
    const r = await saslkit(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('a stray argument (a password given as a flag value, say) is refused without echoing it', async () => {
    const r = await saslkit(['client', '--protocol', 'imap', '--connect', '127.0.0.1:143', '-a', 'u', 'hunter2-secret']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unexpected argument #7/);
    expect(r.stderr).not.toContain('hunter2');
  });

  it('server needs users, and reads no password for a usage error', async () => {
    const r = await saslkit(['server', '--protocol', 'smtp', '--cert', cert.certPath, '--key', cert.keyPath]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give --credentials FILE, --user NAME or --client-ca FILE/);
  });

  it('a bad credentials file names the line, not its content', async () => {
    const path = join(dir, 'bad-credentials');
    writeFileSync(path, '# users\nalice SCRAM-SHA-256$4096:c2FsdA==$secretish:more\n');
    const r = await saslkit(['server', '--protocol', 'imap', '--cert', cert.certPath, '--key', cert.keyPath, '--credentials', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad-credentials:2: /);
    expect(r.stderr).not.toContain('secretish');
  });

  it.each([['--help'], ['client', '--help'], ['server', '-h'], ['mkpasswd', '--help']])('saslkit %s prints usage and exits 0', async (...args) => {
    const r = await saslkit(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: saslkit/);
  });

  it('mkpasswd without a password exits 2', async () => {
    const r = await saslkit(['mkpasswd'], { input: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no password: set SASLKIT_PASSWORD/);
  });
});

describe('saslkit mkpasswd', () => {
  it.each([
    ['SHA-256', 'dovecot', 'stdin', /^\{SCRAM-SHA-256\}4096,/],
    ['SHA-1', 'rfc5803', 'env', /^SCRAM-SHA-1\$4096:/],
    ['SHA-512', 'rfc5803', 'stdin', /^SCRAM-SHA-512\$10000:/],
    ['SHA3-512', 'dovecot', 'env', /^\{SCRAM-SHA3-512\}10000,/],
  ] as const)('%s in %s form (password from %s) reads back and verifies', async (hash, format, source, shape) => {
    const r = await saslkit(
      ['mkpasswd', '--hash', hash, '--format', format],
      source === 'env' ? { env: { SASLKIT_PASSWORD: PASSWORD } } : { input: `${PASSWORD}\nsecond line ignored\n` },
    );
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.trim();
    expect(line).toMatch(shape);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    const credential = parseScramCredential(line);
    expect(credential.hash).toBe(hash);
    expect(await verifyScramPassword(credential, saslprep(PASSWORD))).toBe(true);
    expect(await verifyScramPassword(credential, saslprep('wrong'))).toBe(false);
  });

  it('--iterations is used', async () => {
    const r = await saslkit(['mkpasswd', '--iterations', '5000', '--format', 'rfc5803'], { input: `${PASSWORD}\r\n` });
    expect(r.code).toBe(0);
    const credential = parseScramCredential(r.stdout);
    expect(credential.iterations).toBe(5000);
    expect(await verifyScramPassword(credential, saslprep(PASSWORD))).toBe(true);
  });
});

/** A credentials file for `user`, built with `saslkit mkpasswd` (SHA-256 RFC 5803 form, SHA-1 Dovecot form). */
async function credentialsFile(user: string, password: string): Promise<string> {
  const lines = ['# made by saslkit mkpasswd'];
  for (const [hash, format] of [['SHA-256', 'rfc5803'], ['SHA-1', 'dovecot']] as const) {
    const r = await saslkit(['mkpasswd', '--hash', hash, '--format', format], { env: { SASLKIT_PASSWORD: password } });
    if (r.code !== 0) throw new Error(r.stderr);
    lines.push(`${user}\t${r.stdout.trim()}`);
  }
  const path = join(dir, `credentials-${user}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('saslkit client ↔ saslkit server', () => {
  const servers: CliServer[] = [];
  let imap: CliServer;
  let imap12: CliServer;
  let smtp: CliServer;
  let xmpp: CliServer;
  let xmppDirect: CliServer;

  beforeAll(async () => {
    const path = await credentialsFile('alice', PASSWORD);
    const common = ['--cert', cert.certPath, '--key', cert.keyPath, '--credentials', path, '--listen', '127.0.0.1:0'];
    [imap, imap12, smtp, xmpp, xmppDirect] = await Promise.all([
      startServer(['--protocol', 'imap', ...common]),
      startServer(['--protocol', 'imap', '--tls-max', '1.2', ...common]),
      startServer(['--protocol', 'smtp', ...common]),
      startServer(['--protocol', 'xmpp', '--domain', 'localhost', ...common]),
      startServer(['--protocol', 'xmpp', '--domain', 'localhost', '--implicit-tls', '--user', 'bob', ...common], { SASLKIT_PASSWORD: 'bobs password' }),
    ]);
    servers.push(imap, imap12, smtp, xmpp, xmppDirect);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  }, 20_000);

  const client = (server: CliServer, protocol: string, extra: readonly string[], password = PASSWORD): Promise<Result> =>
    saslkit(['client', '--protocol', protocol, '--connect', `127.0.0.1:${server.port}`, '--ca', cert.certPath, '--timeout', '10000', ...extra], {
      input: `${password}\n`,
    });

  it('the server advertises SCRAM only for the hashes the credentials file has', () => {
    expect(imap.events[0]).toMatchObject({ event: 'listening', protocol: 'imap', host: '127.0.0.1', tls: 'starttls' });
    expect(imap.events[0]!.mechanisms).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-1', 'PLAIN', 'LOGIN']);
  });

  it('IMAP over STARTTLS: SCRAM-SHA-256-PLUS with tls-exporter (TLS 1.3), chosen by default', async () => {
    const n = imap.events.length - 1;
    const r = await client(imap, 'imap', ['-a', 'alice', '--cb-policy', 'require']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('tls: TLSv1.3\nmechanism: SCRAM-SHA-256-PLUS\nchannel-binding: tls-exporter\ncapabilities: IMAP4rev1\n');
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect((await eventsAfter(imap, n + 1))[n]).toMatchObject({
      event: 'auth-success', protocol: 'imap', mechanism: 'SCRAM-SHA-256-PLUS', user: 'alice', authzid: 'alice', channelBinding: 'tls-exporter',
    });
  });

  it('IMAP on TLS 1.2: SCRAM-SHA-256-PLUS binds with tls-unique; --cb-type tls-server-end-point also works', async () => {
    for (const [extra, binding] of [[[], 'tls-unique'], [['--cb-type', 'tls-server-end-point'], 'tls-server-end-point']] as const) {
      const r = await client(imap12, 'imap', ['-a', 'alice', '-m', 'SCRAM-SHA-256-PLUS', '--json', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ protocol: 'imap', tls: 'TLSv1.2', mechanism: 'SCRAM-SHA-256-PLUS', channelBinding: binding });
    }
  });

  it('IMAP: a wrong password exits 1, the server reports the failure, the password is printed nowhere', async () => {
    const n = imap.events.length - 1;
    const r = await client(imap, 'imap', ['-a', 'alice', '-m', 'SCRAM-SHA-256-PLUS'], 'wrong-pässword');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/authentication failed \(not-authorized\)/);
    expect(r.stdout + r.stderr).not.toContain('wrong-pässword');
    const events = await eventsAfter(imap, n + 1);
    expect(events[n]).toMatchObject({ event: 'auth-failure', protocol: 'imap', mechanism: 'SCRAM-SHA-256-PLUS', user: 'alice', condition: 'not-authorized' });
    expect(JSON.stringify(imap.events)).not.toContain('wrong-pässword');
  });

  it('IMAP: explicit SCRAM-SHA-1 without binding, and PLAIN, from the environment', async () => {
    for (const mechanism of ['SCRAM-SHA-1', 'PLAIN']) {
      const r = await saslkit(['client', '--protocol', 'imap', '--connect', `127.0.0.1:${imap.port}`, '--ca', cert.certPath, '-a', 'alice', '-m', mechanism], {
        env: { SASLKIT_PASSWORD: PASSWORD },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`mechanism: ${mechanism}\nchannel-binding: none\n`);
    }
  });

  it('SMTP over STARTTLS: SCRAM-SHA-256-PLUS, with the EHLO extensions after it', async () => {
    const r = await client(smtp, 'smtp', ['-a', 'alice', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { mechanism: string; channelBinding: string; capabilities: string[] };
    expect(report).toMatchObject({ mechanism: 'SCRAM-SHA-256-PLUS', channelBinding: 'tls-exporter' });
    expect(report.capabilities.some((c) => c.startsWith('AUTH '))).toBe(true);
  });

  it('XMPP over STARTTLS: SCRAM-SHA-256-PLUS; a wrong password exits 1', async () => {
    const n = xmpp.events.length - 1;
    const ok = await client(xmpp, 'xmpp', ['-a', 'alice', '--domain', 'localhost']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('tls: TLSv1.3\nmechanism: SCRAM-SHA-256-PLUS\nchannel-binding: tls-exporter\n');
    const bad = await client(xmpp, 'xmpp', ['-a', 'alice', '--domain', 'localhost'], 'nope');
    expect(bad.code).toBe(1);
    const events = await eventsAfter(xmpp, n + 2);
    expect(events.slice(n).map((e) => e.event)).toEqual(['auth-success', 'auth-failure']);
  });

  it('XMPP with direct TLS, users given with --user and the password from the environment', async () => {
    const r = await client(xmppDirect, 'xmpp', ['--tls', '-a', 'bob', '--domain', 'localhost', '--json'], 'bobs password');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ mechanism: 'SCRAM-SHA3-512-PLUS', channelBinding: 'tls-exporter', capabilities: null });
  });

  it('a refused connection and an untrusted certificate exit 3', async () => {
    const refused = await saslkit(['client', '--protocol', 'imap', '--connect', '127.0.0.1:1', '-a', 'alice', '--timeout', '2000'], { input: 'x\n' });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/127\.0\.0\.1:1/);
    // The certificate is not trusted without --ca.
    const untrusted = await saslkit(['client', '--protocol', 'smtp', '--connect', `127.0.0.1:${smtp.port}`, '-a', 'alice'], { input: `${PASSWORD}\n` });
    expect(untrusted.code).toBe(3);
    expect(untrusted.stderr).not.toContain(PASSWORD);
  });

  it('the server stops cleanly on SIGTERM and says so', async () => {
    const own = await startServer(['--protocol', 'smtp', '--cert', cert.certPath, '--key', cert.keyPath, '--user', 'x'], { SASLKIT_PASSWORD: 'y' });
    expect(await own.stop()).toBe(0);
    expect(own.events.at(-1)).toMatchObject({ event: 'stopped', signal: 'SIGTERM' });
  });
});

describe('saslkit client ↔ saslkit server with TLS client certificates (EXTERNAL)', () => {
  let server: CliServer;
  let alice: TestCert;
  let stranger: TestCert;

  beforeAll(async () => {
    alice = generateCert(dir, 'ecdsa-p256-sha256', 'alice');
    stranger = generateCert(dir, 'ecdsa-p384-sha384', 'alice');
    // No password users at all: only certificates signed by (here: equal to) alice's are trusted.
    server = await startServer(['--protocol', 'imap', '--cert', cert.certPath, '--key', cert.keyPath, '--client-ca', alice.certPath]);
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  }, 20_000);

  const client = (extra: readonly string[]): Promise<Result> =>
    saslkit(['client', '--protocol', 'imap', '--connect', `127.0.0.1:${server.port}`, '--ca', cert.certPath, '--timeout', '10000', ...extra], { input: '' });

  it('a trusted certificate logs in with EXTERNAL by default, no password read, as its CN', async () => {
    expect(server.events[0]).toMatchObject({ event: 'listening', mechanisms: ['EXTERNAL', 'PLAIN', 'LOGIN'] });
    const n = server.events.length - 1;
    const r = await client(['--client-cert', alice.certPath, '--client-key', alice.keyPath, '-a', 'ignored']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^mechanism: EXTERNAL$/m);
    expect((await eventsAfter(server, n + 1))[n]).toMatchObject({ event: 'auth-success', mechanism: 'EXTERNAL', user: 'alice', authzid: 'alice' });
  });

  it('-m EXTERNAL with an untrusted certificate is refused (exit 3: the server offers no EXTERNAL)', async () => {
    const r = await client(['--client-cert', stranger.certPath, '--client-key', stranger.keyPath, '-m', 'EXTERNAL']);
    expect(r.code).toBe(3);
  });

  it('usage: --client-cert needs --client-key; -m EXTERNAL needs a certificate', async () => {
    expect((await client(['--client-cert', alice.certPath, '-m', 'EXTERNAL'])).code).toBe(2);
    expect((await client(['-m', 'EXTERNAL'])).code).toBe(2);
  });
});

describe('saslkit --version', () => {
  it('prints the package version', async () => {
    const r = await saslkit(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^saslkit \d+\.\d+\.\d+\n$/);
  });
});

describeWithPeers('saslkit client → Dovecot', ['dovecot', 'doveadm'], () => {
  let dovecot: RunningDovecot | null = null;
  const nextFailingAddress = failingAddresses();

  beforeAll(async () => {
    dovecot = await startDovecot({ users: [['alice', `{PLAIN}${PASSWORD}`], ['dave', '{PLAIN}dave-real-password']] });
  }, 60_000);

  afterAll(async () => {
    await dovecot?.stop();
  }, 20_000);

  it.each([
    ['--starttls', 'imapPort'],
    ['--tls', 'imapsPort'],
  ] as const)('%s: the default list picks SCRAM-SHA-256 (Dovecot offers no -PLUS) and prints the capabilities after login', async (flag, port) => {
    const r = await saslkit(['client', '--protocol', 'imap', flag, '--connect', `127.0.0.1:${dovecot![port]}`, '--ca', dovecot!.cert.certPath, '-a', 'alice'], {
      input: `${PASSWORD}\n`,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^tls: TLSv1\.3\nmechanism: SCRAM-SHA-256\nchannel-binding: none\ncapabilities: IMAP4rev1 /);
    expect(r.stdout).not.toMatch(/AUTH=/);
  });

  it('a wrong password exits 1', async () => {
    const r = await saslkit(
      ['client', '--protocol', 'imap', '--connect', `127.0.0.1:${dovecot!.imapPort}`, '--ca', dovecot!.cert.certPath, '-a', 'dave', '-m', 'PLAIN', '--local-address', nextFailingAddress()],
      { input: 'wrong password\n' },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/authentication failed \(not-authorized\)/);
    expect(r.stderr).not.toContain('wrong password');
  });

  it('--cb-policy require: Dovecot offers no -PLUS, so no mechanism is usable (exit 3)', async () => {
    const r = await saslkit(['client', '--protocol', 'imap', '--connect', `127.0.0.1:${dovecot!.imapPort}`, '--ca', dovecot!.cert.certPath, '-a', 'alice', '--cb-policy', 'require'], {
      input: `${PASSWORD}\n`,
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/invalid-mechanism/);
  });
});

describeWithPeers('gsasl --smtp → saslkit server --protocol smtp', ['gsasl'], () => {
  let smtp: CliServer;

  beforeAll(async () => {
    const path = await credentialsFile('carol', PASSWORD);
    smtp = await startServer(['--protocol', 'smtp', '--cert', cert.certPath, '--key', cert.keyPath, '--credentials', path]);
  }, 60_000);

  afterAll(async () => {
    await smtp?.stop();
  }, 20_000);

  const gsasl = (mechanism: string, password: string, extra: readonly string[] = []): Promise<Result> =>
    run('gsasl', [
      '--smtp', '--connect', `127.0.0.1:${smtp.port}`, '--starttls', `--x509-ca-file=${cert.certPath}`, '--hostname=localhost',
      '-a', 'carol', '-p', password, '-m', mechanism, ...extra,
    ]);

  it.each([
    ['SCRAM-SHA-256-PLUS', [], 'tls-exporter'],
    ['SCRAM-SHA-1', ['--no-cb'], null],
    ['PLAIN', [], null],
  ] as const)('%s %j succeeds, binding %s', async (mechanism, extra, binding) => {
    const n = smtp.events.length - 1;
    const r = await gsasl(mechanism, PASSWORD, extra);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect((await eventsAfter(smtp, n + 1))[n]).toMatchObject({ event: 'auth-success', mechanism, user: 'carol', channelBinding: binding });
  });

  it('a wrong password gives 535 and a failed event', async () => {
    const n = smtp.events.length - 1;
    const r = await gsasl('SCRAM-SHA-256-PLUS', 'wrong');
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/^535 5\.7\.8/m);
    expect((await eventsAfter(smtp, n + 1))[n]).toMatchObject({ event: 'auth-failure', mechanism: 'SCRAM-SHA-256-PLUS', user: 'carol', condition: 'not-authorized' });
  });
});
