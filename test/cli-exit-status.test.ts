// saslkit client's exit status does not depend on the mechanism for the same
// cause (docs/cli.md "Exit status"): 1 when the server refused the credentials
// or the authorization, 4 when the client refused the server's part of the
// exchange. Against `saslkit server` processes on 127.0.0.1.
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, saslkit, startCliServer, type CliServer } from './helpers/cli.js';
import { generateCert, makeTempDir, removeDir, type TestCert } from './helpers/tls-certs.js';

const PASSWORD = 'cörrect hörse';
const env = { SASLKIT_PASSWORD: PASSWORD };

let dir: string;
let cert: TestCert;
let alice: TestCert;
let imap: CliServer;

beforeAll(async () => {
  dir = makeTempDir('saslkit-cli-exit-');
  cert = generateCert(dir, 'rsa-sha256');
  alice = generateCert(dir, 'ecdsa-p256-sha256', 'alice');
  imap = await startCliServer(['--protocol', 'imap', '--cert', cert.certPath, '--key', cert.keyPath, '--user', 'alice', '--client-ca', alice.certPath], env);
}, 60_000);

afterAll(async () => {
  await imap?.stop();
  killAll();
  if (dir) removeDir(dir);
});

const url = (): string => `imap://alice@127.0.0.1:${imap.port}`;

describe('saslkit client exit status, whatever the mechanism', () => {
  it.each([[['-m', 'SCRAM-SHA-256']], [['-m', 'SCRAM-SHA-256-PLUS']], [[]]])('an iteration count above --max-iterations is the client refusing: exit 4 (%j)', async (mech) => {
    const r = await saslkit(['client', url(), '--ca', cert.certPath, ...mech, '--max-iterations', '1000', '--json'], { env });
    expect(r.code, r.stderr).toBe(4);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ok: false, exitStatus: 4, condition: null });
    expect(j.message).toMatch(/iteration count \d+ exceeds/);
    expect(r.stderr).toMatch(/refused by this client: SCRAM: iteration count \d+ exceeds/);
  });

  it.each([
    [['-m', 'PLAIN']],
    [['-m', 'SCRAM-SHA-256']],
    [['-m', 'EXTERNAL', '--client-cert', '', '--client-key', '']],
  ])('a refused authzid is the server refusing: exit 1 with the condition (%j)', async (mech) => {
    const args = mech.map((a, i) => (a === '' ? (mech[i - 1] === '--client-cert' ? alice.certPath : alice.keyPath) : a));
    const r = await saslkit(['client', url(), '--ca', cert.certPath, ...args, '--authzid', 'bob', '--json'], { env });
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, exitStatus: 1, condition: 'invalid-authzid' });
    expect(r.stderr).toMatch(/authentication failed \(invalid-authzid\)/);
  });

  it('a wrong password stays exit 1', async () => {
    const r = await saslkit(['client', url(), '--ca', cert.certPath, '-m', 'SCRAM-SHA-256'], { env: { SASLKIT_PASSWORD: 'wrong' } });
    expect(r.code, r.stderr).toBe(1);
  });
});

/** A TLS IMAP session after STARTTLS, with a reader of whole lines. */
async function imapSession(port: number): Promise<{ send(line: string): Promise<string>; close(): void }> {
  const socket = net.connect(port, '127.0.0.1');
  let buffer = '';
  let wake: (() => void) | null = null;
  const onData = (d: Buffer): void => {
    buffer += d.toString('latin1');
    wake?.();
  };
  socket.on('data', onData);
  const read = async (): Promise<string> => {
    for (let i = 0; i < 200 && !buffer.includes('\r\n'); i++) await new Promise<void>((r) => ((wake = r), setTimeout(r, 50)));
    const nl = buffer.indexOf('\r\n');
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 2);
    return line;
  };
  expect(await read()).toMatch(/^\* OK/);
  socket.write('s STARTTLS\r\n');
  expect(await read()).toMatch(/^s OK/);
  socket.off('data', onData);
  const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
    const s = tls.connect({ socket, servername: 'localhost', rejectUnauthorized: false }, () => resolve(s));
    s.once('error', reject);
  });
  secure.on('data', onData);
  return {
    async send(line) {
      secure.write(`${line}\r\n`);
      let reply = await read();
      while (reply.startsWith('* ')) reply = await read();
      return reply;
    },
    close: () => secure.destroy(),
  };
}

describe('saslkit server audit lines: only failed logins are auth-failure', () => {
  it('an aborted exchange is auth-aborted, an unknown mechanism auth-error; the fail2ban filter matches neither', async () => {
    const before = imap.lines.length;
    const fresh = (e: Record<string, unknown>): boolean => imap.events.indexOf(e) >= before;
    const s = await imapSession(imap.port);
    expect(await s.send('a AUTHENTICATE PLAIN')).toMatch(/^\+/);
    expect(await s.send('*')).toMatch(/^a (BAD|NO)/);
    expect(await s.send('b AUTHENTICATE X-NO-SUCH')).toMatch(/^b (BAD|NO)/);
    s.close();
    const aborted = await imap.waitFor((e) => fresh(e) && e.event === 'auth-aborted');
    expect(aborted).toMatchObject({ mechanism: 'PLAIN', condition: 'aborted', peer: '127.0.0.1' });
    const error = await imap.waitFor((e) => fresh(e) && e.event === 'auth-error');
    expect(error).toMatchObject({ condition: 'invalid-mechanism' });
    const doc = readFileSync(join(import.meta.dirname, '..', 'docs', 'cli.md'), 'utf8');
    const regex = new RegExp(/^failregex\s*=\s*(.+)$/m.exec(doc)![1]!.replace('<HOST>', '(?<host>[0-9A-Fa-f.:]+|[\\w.-]+)'));
    const mine = imap.lines.slice(before);
    expect(mine.some((l) => l.includes('"auth-aborted"'))).toBe(true);
    for (const line of mine) expect(regex.test(line), line).toBe(false);
    // A refused password still is an auth-failure the filter counts.
    const r = await saslkit(['client', url(), '--ca', cert.certPath, '-m', 'PLAIN'], { env: { SASLKIT_PASSWORD: 'wrong' } });
    expect(r.code).toBe(1);
    await imap.waitFor((e) => e.event === 'auth-failure' && e.condition === 'not-authorized');
    const failure = imap.lines.find((l) => l.includes('"auth-failure"'))!;
    expect(regex.exec(failure)?.groups?.host).toBe('127.0.0.1');
  });
});

describe('saslkit client --client-cert without -a or -m', () => {
  it('logs in with EXTERNAL alone, reads no password, and says whose identity', async () => {
    const r = await saslkit(['client', `imap://127.0.0.1:${imap.port}`, '--ca', cert.certPath, '--client-cert', alice.certPath, '--client-key', alice.keyPath], { input: '' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^mechanism: EXTERNAL$/m);
    expect(r.stdout).toMatch(/^identity: the client certificate's identity \(subject CN=alice\)$/m);
    const j = await saslkit(['client', `imap://127.0.0.1:${imap.port}`, '--ca', cert.certPath, '--client-cert', alice.certPath, '--client-key', alice.keyPath, '--json'], { input: '' });
    expect(j.code, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: true, mechanism: 'EXTERNAL', identity: expect.stringContaining('CN=alice') });
  });

  it('with a user, EXTERNAL still leads', async () => {
    const r = await saslkit(['client', url(), '--ca', cert.certPath, '--client-cert', alice.certPath, '--client-key', alice.keyPath], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^mechanism: EXTERNAL$/m);
  });
});

describe('saslkit client --cb-type the TLS version cannot give', () => {
  it.each([
    [['--cb-type', 'tls-unique'], 'tls-unique', 'TLSv1.3'],
    [['--cb-type', 'tls-unique', '-m', 'SCRAM-SHA-256-PLUS'], 'tls-unique', 'TLSv1.3'],
    [['--cb-type', 'tls-exporter', '--tls-max', '1.2'], 'tls-exporter', 'TLSv1.2'],
  ])('%j is a usage error naming the type and the TLS version, not a silent fallback', async (extra, type, version) => {
    const r = await saslkit(['client', url(), '--ca', cert.certPath, ...extra, '--json'], { env });
    expect(r.code, r.stderr + r.stdout).toBe(2);
    expect(r.stderr).toContain(`--cb-type ${type} cannot be used here`);
    expect(r.stderr).toContain(version);
    expect(r.stderr).not.toMatch(/no usable mechanism/);
  });

  it('a type the version can give still binds', async () => {
    const r = await saslkit(['client', url(), '--ca', cert.certPath, '--cb-type', 'tls-server-end-point', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ channelBinding: 'tls-server-end-point' });
  });
});

describe('certificate files are checked like --cert', () => {
  it('client --ca FILE that is not PEM: exit 2 naming --ca', async () => {
    const garbage = join(dir, 'not-a-ca.pem');
    writeFileSync(garbage, 'this is not PEM\n');
    const r = await saslkit(['client', url(), '--ca', garbage], { env });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--ca: .*not-a-ca\.pem does not hold a PEM certificate/);
  });

  it('server --client-ca FILE that is not PEM: exit 2 naming --client-ca', async () => {
    const garbage = join(dir, 'not-a-client-ca.pem');
    writeFileSync(garbage, 'this is not PEM\n');
    const r = await saslkit(['server', '--protocol', 'imap', '--cert', cert.certPath, '--key', cert.keyPath, '--client-ca', garbage]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--client-ca: .*not-a-client-ca\.pem does not hold a PEM certificate/);
  });

  it('server --cert and --key that do not match: exit 2 naming both, no OpenSSL text', async () => {
    const r = await saslkit(['server', '--protocol', 'imap', '--cert', cert.certPath, '--key', alice.keyPath, '--user', 'alice'], { env });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--cert and --key do not match/);
    expect(r.stderr).not.toMatch(/error:[0-9A-F]{8}|routines/);
  });
});

describe('saslkit client XMPP against an implicit-TLS port, and xmpps:// with an IP host', () => {
  let xmpps: CliServer;
  beforeAll(async () => {
    xmpps = await startCliServer(['--protocol', 'xmpp', '--implicit-tls', '--cert', cert.certPath, '--key', cert.keyPath, '--user', 'alice'], env);
  }, 60_000);
  afterAll(async () => {
    await xmpps?.stop();
  });

  it('xmpp:// (STARTTLS) on a TLS port hints --tls, as IMAP and SMTP do', async () => {
    const r = await saslkit(['client', `xmpp://alice@127.0.0.1:${xmpps.port}`, '--ca', cert.certPath, '--timeout', '5000', '--json'], { env });
    expect(r.code, r.stderr).toBe(3);
    expect(JSON.parse(r.stdout).hint).toMatch(/use --tls/);
    expect(r.stderr).toMatch(/^hint: .*use --tls/m);
  });

  it('xmpps:// with an IP host sends no IP as TLS server name (no DEP0123) and hints --domain on host-unknown', async () => {
    const r = await saslkit(['client', `xmpps://alice@127.0.0.1:${xmpps.port}`, '--insecure', '--timeout', '5000'], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).not.toMatch(/DEP0123|ServerName to an IP/);
    expect(r.stderr).toMatch(/host-unknown/);
    expect(r.stderr).toMatch(/^hint: .*--domain/m);
    const ok = await saslkit(['client', `xmpps://alice@127.0.0.1:${xmpps.port}`, '--insecure', '--domain', 'localhost'], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).not.toMatch(/DEP0123/);
  });
});

describe('saslkit server and the SCRAM hashes of its users', () => {
  const mkpasswd = async (hash: string): Promise<string> => {
    const r = await saslkit(['mkpasswd', '--hash', hash, '--iterations', '4096'], { env });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };

  it('-m SCRAM-SHA-512 when no user has a SHA-512 verifier says so (exit 2), not "unknown mechanism"', async () => {
    const file = join(dir, 'sha256-users');
    writeFileSync(file, `alice ${await mkpasswd('SHA-256')}\n`);
    const r = await saslkit(['server', '--protocol', 'imap', '--cert', cert.certPath, '--key', cert.keyPath, '--credentials', file, '-m', 'SCRAM-SHA-512']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/-m SCRAM-SHA-512: no user has a SCRAM-SHA-512 verifier \(the credentials have: SCRAM-SHA-256\)/);
    expect(r.stderr).not.toMatch(/unknown mechanism/);
  });

  it('warns at startup how many users lack a verifier for an offered hash (a count, no names)', async () => {
    const file = join(dir, 'mixed-users');
    writeFileSync(file, `alice ${await mkpasswd('SHA-256')}\nsecretbob ${await mkpasswd('SHA-1')}\nsecretcarol ${await mkpasswd('SHA-1')}\n`);
    const server = await startCliServer(['--protocol', 'imap', '--cert', cert.certPath, '--key', cert.keyPath, '--credentials', file]);
    try {
      expect(server.stderr()).toMatch(/warning: 2 of 3 users in .*mixed-users have no SCRAM-SHA-256 verifier/);
      expect(server.stderr()).toMatch(/warning: 1 of 3 users in .*mixed-users have no SCRAM-SHA-1 verifier/);
      expect(server.stderr()).not.toMatch(/secretbob|secretcarol/);
    } finally {
      await server.stop();
    }
  });
});

describe('saslkit client --json on a usage error, and OpenSSL text', () => {
  it.each([
    [['client', 'pop3://alice@127.0.0.1', '--json'], /unknown URL scheme/],
    [['client', '--json', '--no-such-flag'], /no-such-flag|Unknown option/],
    [['client', '--json', '--protocol', 'imap', '--connect', '127.0.0.1:1'], /-a USER/],
  ])('%j prints the JSON failure object on stdout, exit 2', async (args, message) => {
    const r = await saslkit(args, { env });
    expect(r.code, r.stderr).toBe(2);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ok: false, exitStatus: 2, error: 'UsageError', condition: null });
    expect(j.message).toMatch(message);
  });

  it('--tls on a STARTTLS port: the message is cut to the OpenSSL reason, no trailing newline', async () => {
    const r = await saslkit(['client', `imaps://alice@127.0.0.1:${imap.port}`, '--ca', cert.certPath, '--timeout', '5000', '--json'], { env });
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j.message).toMatch(/wrong version number$/);
    expect(j.message).not.toMatch(/error:[0-9A-F]{8}|SSL routines|\n/);
    const line = /^saslkit client: (.*)$/m.exec(r.stderr)![1]!;
    expect(line).toMatch(/wrong version number$/);
    expect(r.stderr).not.toMatch(/SSL routines/);
  });
});

describe('saslkit server audit lines over IPv6', () => {
  it('peer and local are addresses with their ports in separate fields', async () => {
    const server = await startCliServer(['--protocol', 'smtp', '--listen', '[::1]:0', '--cert', cert.certPath, '--key', cert.keyPath, '--user', 'alice'], env);
    try {
      const r = await saslkit(['client', `smtp://alice@[::1]:${server.port}`, '--ca', cert.certPath, '--servername', 'localhost'], { env });
      expect(r.code, r.stderr).toBe(0);
      const connect = await server.waitFor((e) => e.event === 'connect');
      expect(connect).toMatchObject({ peer: '::1', local: '::1', localPort: server.port });
      expect(typeof connect.port).toBe('number');
    } finally {
      await server.stop();
    }
  });
});

describe('saslkit server stopped with open connections', () => {
  it('SIGTERM says goodbye on each connection (IMAP * BYE, SMTP 421) before "stopped"; an exchange in progress is reported aborted', async () => {
    const i = await startCliServer(['--protocol', 'imap', '--cert', cert.certPath, '--key', cert.keyPath, '--user', 'alice'], env);
    const s = await startCliServer(['--protocol', 'smtp', '--cert', cert.certPath, '--key', cert.keyPath, '--user', 'alice'], env);
    const x = await startCliServer(['--protocol', 'xmpp', '--domain', 'localhost', '--cert', cert.certPath, '--key', cert.keyPath, '--user', 'alice'], env);
    const received = (port: number): { text: () => string; socket: net.Socket } => {
      let text = '';
      const socket = net.connect(port, '127.0.0.1');
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
      socket.on('error', () => undefined);
      return { text: () => text, socket };
    };
    const imapIdle = received(i.port);
    const smtpIdle = received(s.port);
    const xmppIdle = received(x.port);
    xmppIdle.socket.write("<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
    const midExchange = await imapSession(i.port);
    expect(await midExchange.send('a AUTHENTICATE PLAIN')).toMatch(/^\+/);
    for (let n = 0; n < 100 && !(imapIdle.text().includes('* OK') && smtpIdle.text().startsWith('220') && xmppIdle.text().includes('</stream:features>')); n++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await i.stop()).toBe(0);
    expect(await s.stop()).toBe(0);
    expect(imapIdle.text()).toMatch(/\* BYE/);
    expect(smtpIdle.text()).toMatch(/^421 /m);
    expect(await x.stop()).toBe(0);
    expect(xmppIdle.text()).toMatch(/<\/stream:stream>$/);
    const events = i.events.map((e) => e.event);
    expect(events.at(-1)).toBe('stopped');
    const aborted = i.events.findIndex((e) => e.event === 'auth-aborted' && e.mechanism === 'PLAIN');
    expect(aborted, JSON.stringify(i.events)).toBeGreaterThan(0);
    expect(aborted).toBeLessThan(events.length - 1);
    midExchange.close();
    imapIdle.socket.destroy();
    smtpIdle.socket.destroy();
    xmppIdle.socket.destroy();
  }, 60_000);
});
