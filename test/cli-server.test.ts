// `saslkit server` as an operator runs it (issue 8 items 3 and 5, issue 7 item 8):
// no --cert/--key (a self-signed certificate made in memory, its fingerprint in a
// warning), a Dovecot passwd-file written with real `doveadm pw` lines, XMPP
// resource binding after SASL, JSON audit lines with peer, session and attempted
// user, the fail2ban filter of docs/cli.md against those lines, --max-connections,
// and fake salts for unknown users that survive a restart.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRAM } from '../src/index.js';
import { connectXmpp, type XmppClientConnection } from '../src/node/index.js';
import { NS_BIND, NS_CLIENT } from '../src/protocols/xmpp/namespaces.js';
import { NS_SESSION } from '../src/protocols/xmpp/namespaces.js';
import { childElement, textOf } from '../src/protocols/xmpp/element.js';
import { xmlElement, type XmlElement } from '../src/protocols/xmpp/index.js';
import { killAll, saslkit, startCliServer, type CliServer } from './helpers/cli.js';
import { describeWithPeers } from './helpers/peers.js';
import { generateCert, makeTempDir, removeDir, type TestCert } from './helpers/tls-certs.js';

const PASSWORD = 'pencil';
let dir: string;
/** A real certificate and key (made in beforeAll). */
let realCert: TestCert;

beforeAll(() => {
  dir = makeTempDir('saslkit-cli-server-');
  realCert = generateCert(dir, 'rsa-sha256');
});
afterAll(() => {
  killAll();
  if (dir) removeDir(dir);
});

/** A line reader over a socket, for raw IMAP. */
function lineReader(socket: net.Socket): () => Promise<string> {
  let buffer = '';
  const waiting: ((line: string) => void)[] = [];
  const lines: string[] = [];
  socket.on('data', (d: Buffer) => {
    buffer += d.toString('latin1');
    let nl;
    while ((nl = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 2);
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  socket.on('close', () => {
    for (const w of waiting.splice(0)) w('<closed>');
  });
  return () => {
    const line = lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no line within 10 s')), 10_000);
      waiting.push((l) => {
        clearTimeout(timer);
        resolve(l);
      });
    });
  };
}

function connectTls(port: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The salt the server sends in SCRAM-SHA-256's server-first-message for `user`, over implicit-TLS IMAP. */
async function scramSaltFor(port: number, user: string): Promise<string> {
  const socket = await connectTls(port);
  try {
    const read = lineReader(socket);
    expect(await read()).toMatch(/^\* OK/);
    socket.write('a AUTHENTICATE SCRAM-SHA-256\r\n');
    expect(await read()).toMatch(/^\+ ?$/);
    socket.write(`${Buffer.from(`n,,n=${user},r=fixedclientnonce`).toString('base64')}\r\n`);
    const challenge = await read();
    expect(challenge).toMatch(/^\+ /);
    const serverFirst = Buffer.from(challenge.slice(2), 'base64').toString();
    const salt = /(?:^|,)s=([^,]+)/.exec(serverFirst)?.[1];
    expect(salt, serverFirst).toBeDefined();
    socket.write('*\r\n');
    return salt!;
  } finally {
    socket.destroy();
  }
}

describeWithPeers('saslkit server: Dovecot passwd-file, self-signed certificate, audit lines, fail2ban filter', ['doveadm'], () => {
  let passwd: string;
  let imap: CliServer;

  beforeAll(async () => {
    // Real lines as doveadm writes them, with the other passwd-file fields after the password.
    const verifier = execFileSync('doveadm', ['pw', '-s', 'SCRAM-SHA-256', '-p', PASSWORD], { encoding: 'utf8' }).trim();
    expect(verifier).toMatch(/^\{SCRAM-SHA-256\}4096,/);
    const crypt = execFileSync('doveadm', ['pw', '-s', 'SHA512-CRYPT', '-p', PASSWORD], { encoding: 'utf8' }).trim();
    passwd = join(dir, 'users.passwd');
    writeFileSync(passwd, `# Dovecot passwd-file\nalice:${verifier}:1000:1000:Alice Liddell:/home/alice::userdb_quota_rule=*:storage=1G\nbob:${crypt}::::::\ncarol:${verifier}\n`);
    imap = await startCliServer(['--protocol', 'imap', '--credentials', passwd]);
  }, 40_000);
  afterAll(async () => {
    await imap?.stop();
  });

  it('warns about the self-signed certificate with the SHA-256 fingerprint the server really presents', async () => {
    const warning = /self-signed certificate for localhost, made in memory, SHA-256 fingerprint ([0-9A-F:]{95})/.exec(imap.stderr());
    expect(warning, imap.stderr()).not.toBeNull();
    const socket = net.connect(imap.port, '127.0.0.1');
    const read = lineReader(socket);
    expect(await read()).toMatch(/^\* OK/);
    socket.write('s STARTTLS\r\n');
    expect(await read()).toMatch(/^s OK/);
    socket.removeAllListeners('data');
    const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ socket, servername: 'localhost', rejectUnauthorized: false }, () => resolve(s));
      s.once('error', reject);
    });
    const presented = secure.getPeerX509Certificate()!;
    expect(presented.fingerprint256).toBe(warning![1]);
    expect(presented.subject).toContain('CN=localhost');
    secure.destroy();
  });

  it('skips a passwd-file line with a non-SCRAM scheme, with a warning naming the line and scheme only', () => {
    expect(imap.stderr()).toMatch(/users\.passwd:3: skipped: \{SHA512-CRYPT\} is not a SCRAM verifier/);
    expect(imap.stderr()).not.toContain('$6$');
  });

  it('users from doveadm pw lines log in (SCRAM-SHA-256-PLUS, and PLAIN checked against the verifier)', async () => {
    for (const [user, mechanism] of [['alice', 'SCRAM-SHA-256-PLUS'], ['carol', 'PLAIN']] as const) {
      const r = await saslkit(['client', 'imap://' + user + '@127.0.0.1:' + imap.port, '--insecure', '-m', mechanism, '--json'], { env: { SASLKIT_PASSWORD: PASSWORD } });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ mechanism });
    }
  });

  it('prints connect, auth-success / auth-failure and close lines with time, session, peer, port and the attempted user', async () => {
    const before = imap.events.length;
    const ok = await saslkit(['client', '--protocol', 'imap', '--connect', `127.0.0.1:${imap.port}`, '--insecure', '-a', 'alice'], { env: { SASLKIT_PASSWORD: PASSWORD } });
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await saslkit(['client', '--protocol', 'imap', '--connect', `127.0.0.1:${imap.port}`, '--insecure', '-a', 'mallory', '-m', 'PLAIN'], {
      env: { SASLKIT_PASSWORD: 'hunter2-not-logged' },
    });
    expect(bad.code).toBe(1);
    const failure = await imap.waitFor((e) => e.event === 'auth-failure' && e.user === 'mallory');
    const closed = await imap.waitFor((e) => e.event === 'close' && e.session === failure.session);
    const mine = imap.events.slice(before).filter((e) => e.session === failure.session);
    expect(mine.map((e) => e.event)).toEqual(['connect', 'auth-failure', 'close']);
    for (const e of mine) {
      expect(e).toMatchObject({ peer: '127.0.0.1', port: failure.port, protocol: 'imap' });
      expect(new Date(e.time as string).toISOString()).toBe(e.time);
    }
    expect(failure).toMatchObject({ mechanism: 'PLAIN', condition: 'not-authorized' });
    expect(typeof failure.port).toBe('number');
    expect(closed.durationMs).toBeGreaterThanOrEqual(0);
    const success = imap.events.slice(before).find((e) => e.event === 'auth-success')!;
    expect(success).toMatchObject({ user: 'alice', mechanism: 'SCRAM-SHA-256-PLUS', peer: '127.0.0.1' });
    expect(success.session).not.toBe(failure.session);
    expect(imap.lines.join('\n')).not.toContain('hunter2');
    expect(imap.lines.join('\n')).not.toContain(PASSWORD);
  });

  it('the fail2ban filter in docs/cli.md matches auth-failure lines only, capturing the peer', async () => {
    const doc = readFileSync(join(import.meta.dirname, '..', 'docs', 'cli.md'), 'utf8');
    const failregex = /^failregex\s*=\s*(.+)$/m.exec(doc)?.[1];
    expect(failregex).toBeDefined();
    // fail2ban's <HOST> is an IPv4/IPv6 address (or a host name) in a group named host.
    const regex = new RegExp(failregex!.replace('<HOST>', '(?<host>[0-9A-Fa-f.:]+|[\\w.-]+)'));
    // A user name crafted to look like another peer must not move the ban to that address.
    const forged = 'x","peer":"10.9.8.7","port":1,"';
    const r = await saslkit(['client', '--protocol', 'imap', '--connect', `127.0.0.1:${imap.port}`, '--insecure', '-a', forged, '-m', 'PLAIN'], { env: { SASLKIT_PASSWORD: 'nope' } });
    expect(r.code).toBe(1);
    await imap.waitFor((e) => e.event === 'auth-failure' && e.user === forged);
    const failures = imap.lines.filter((l) => (JSON.parse(l) as { event: string }).event === 'auth-failure');
    const others = imap.lines.filter((l) => (JSON.parse(l) as { event: string }).event !== 'auth-failure');
    expect(failures.length).toBeGreaterThan(0);
    expect(others.some((l) => l.includes('"auth-success"'))).toBe(true);
    for (const line of failures) expect(regex.exec(line)?.groups?.host, line).toBe('127.0.0.1');
    for (const line of others) expect(regex.test(line), line).toBe(false);
  });
});

describe('saslkit server: fake salts for unknown users survive a restart', () => {
  it('two runs on the same credentials file give the same salt for an unknown user; a --fake-salt-secret-file changes it', async () => {
    const credentials = join(dir, 'fake-salt-users');
    const mk = await saslkit(['mkpasswd'], { env: { SASLKIT_PASSWORD: PASSWORD } });
    expect(mk.code, mk.stderr).toBe(0);
    writeFileSync(credentials, `alice ${mk.stdout.trim()}\n`);
    const secretFile = join(dir, 'fake-salt-secret');
    writeFileSync(secretFile, 'a server secret of more than sixteen bytes\n');
    const salts: string[] = [];
    for (const extra of [[], [], ['--fake-salt-secret-file', secretFile], ['--fake-salt-secret-file', secretFile]]) {
      const server = await startCliServer(['--protocol', 'imap', '--implicit-tls', '--credentials', credentials, ...extra]);
      try {
        salts.push(await scramSaltFor(server.port, 'nobody'));
        // The real user's salt is the file's, for comparison.
        expect(await scramSaltFor(server.port, 'alice')).toBe(mk.stdout.split(',')[1]);
      } finally {
        await server.stop();
      }
    }
    expect(salts[0]).toBe(salts[1]);
    expect(salts[2]).toBe(salts[3]);
    expect(salts[2]).not.toBe(salts[0]);
  }, 90_000);

  it('a --key or --cert that is not PEM is a usage error (exit 2), not a failure to listen', async () => {
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a key\n');
    const good = join(dir, 'pem-check-users');
    writeFileSync(good, `alice ${(await saslkit(['mkpasswd'], { env: { SASLKIT_PASSWORD: PASSWORD } })).stdout.trim()}\n`);
    for (const [flag, message] of [['--key', /--key: .* does not hold a PEM private key/], ['--cert', /--cert: .* does not hold a PEM certificate/]] as const) {
      const args = flag === '--key' ? ['--cert', realCert.certPath, '--key', garbage] : ['--cert', garbage, '--key', garbage];
      const r = await saslkit(['server', '--protocol', 'imap', '--credentials', good, ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('a secret file shorter than 16 bytes is a usage error', async () => {
    const short = join(dir, 'short-secret');
    writeFileSync(short, 'short');
    const r = await saslkit(['server', '--protocol', 'imap', '--user', 'u', '--fake-salt-secret-file', short], { env: { SASLKIT_PASSWORD: PASSWORD } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/at least 16 bytes/);
  });
});

describe('saslkit server --max-connections', () => {
  it('refuses the connection beyond the limit and serves the next one after a slot frees', async () => {
    const server = await startCliServer(['--protocol', 'imap', '--user', 'u', '--max-connections', '1'], { SASLKIT_PASSWORD: PASSWORD });
    try {
      expect(server.events[0]).toMatchObject({ event: 'listening', maxConnections: 1 });
      const holder = net.connect(server.port, '127.0.0.1');
      const holderRead = lineReader(holder);
      expect(await holderRead()).toMatch(/^\* OK/);
      const refused = net.connect(server.port, '127.0.0.1');
      expect(await lineReader(refused)()).toMatch(/^\* BYE/);
      refused.destroy();
      holder.destroy();
      // Once the holder's close is seen, a new connection is served.
      await server.waitFor((e) => e.event === 'close');
      for (let i = 0; i < 50; i++) {
        const next = net.connect(server.port, '127.0.0.1');
        const line = await lineReader(next)();
        next.destroy();
        if (line.startsWith('* OK')) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('never served again');
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('rejects a non-number', async () => {
    const r = await saslkit(['server', '--protocol', 'imap', '--user', 'u', '--max-connections', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--max-connections must be an integer/);
  });
});

describe('saslkit server --protocol xmpp: resource binding after SASL', () => {
  let xmpp: CliServer;
  const clients: XmppClientConnection[] = [];
  beforeAll(async () => {
    xmpp = await startCliServer(['--protocol', 'xmpp', '--user', 'alice', '--domain', 'example.test'], { SASLKIT_PASSWORD: PASSWORD });
  }, 40_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await xmpp?.stop();
  });

  async function loggedIn(): Promise<XmppClientConnection> {
    const c = await connectXmpp({ host: '127.0.0.1', port: xmpp.port, domain: 'example.test', tls: { rejectUnauthorized: false }, readTimeoutMs: 10_000 });
    clients.push(c);
    await c.authenticate([new SCRAM(async () => ['alice', PASSWORD] as const)]);
    return c;
  }

  const iq = (id: string, type: 'get' | 'set', child: XmlElement): XmlElement => xmlElement('iq', NS_CLIENT, { type, id }, [child]);

  it('offers <bind/> and the optional legacy <session/> after the restart, as Prosody does', async () => {
    const c = await loggedIn();
    expect(childElement(c.features, 'bind', NS_BIND)).not.toBeNull();
    const session = childElement(c.features, 'session', NS_SESSION);
    expect(session && childElement(session, 'optional', NS_SESSION)).not.toBeNull();
  });

  it('binds the requested resource to a full JID, answers the session IQ, refuses a second bind and unknown IQs', async () => {
    const c = await loggedIn();
    await c.transport.send(iq('bind1', 'set', xmlElement('bind', NS_BIND, {}, [xmlElement('resource', NS_BIND, {}, ['laptop'])])));
    const bound = await c.transport.receive();
    expect(bound).toMatchObject({ name: 'iq', attrs: { type: 'result', id: 'bind1' } });
    expect(textOf(childElement(childElement(bound, 'bind', NS_BIND)!, 'jid', NS_BIND)!)).toBe('alice@example.test/laptop');

    await c.transport.send(iq('sess1', 'set', xmlElement('session', NS_SESSION)));
    const session = await c.transport.receive();
    expect(session).toMatchObject({ name: 'iq', attrs: { type: 'result', id: 'sess1', to: 'alice@example.test/laptop' }, children: [] });

    await c.transport.send(iq('bind2', 'set', xmlElement('bind', NS_BIND)));
    const again = await c.transport.receive();
    expect(again.attrs).toMatchObject({ type: 'error', id: 'bind2' });
    expect(JSON.stringify(again)).toContain('not-allowed');

    await c.transport.send(iq('roster1', 'get', xmlElement('query', 'jabber:iq:roster')));
    const roster = await c.transport.receive();
    expect(roster.attrs).toMatchObject({ type: 'error', id: 'roster1' });
    expect(JSON.stringify(roster)).toContain('service-unavailable');
  });

  it('makes up a resource when the client asks for none', async () => {
    const c = await loggedIn();
    await c.transport.send(iq('b', 'set', xmlElement('bind', NS_BIND)));
    const bound = await c.transport.receive();
    expect(textOf(childElement(childElement(bound, 'bind', NS_BIND)!, 'jid', NS_BIND)!)).toMatch(/^alice@example\.test\/saslkit-[0-9a-f]{16}$/);
  });
});
