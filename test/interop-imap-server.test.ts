// Real IMAP clients → the saslkit IMAP server adapter (startImapServer):
// - GNU SASL's `gsasl --imap --connect` with STARTTLS: PLAIN, SCRAM-SHA-1,
//   SCRAM-SHA-256 (with --no-cb: gsasl otherwise binds even non-PLUS SCRAM),
//   SCRAM-SHA-1-PLUS and SCRAM-SHA-256-PLUS on TLS 1.2 (tls-unique) and
//   TLS 1.3 (tls-exporter), and wrong passwords;
// - Python's imaplib: AUTHENTICATE PLAIN (STARTTLS and implicit TLS), LOGIN,
//   LOGIN refused before STARTTLS, a wrong password.
// The server runs in this process, so the peers run as async child processes
// (a synchronous spawn would block the server's event loop).
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MemoryCredentialStore, PLAINServer, SASLServer, scramServerMechanisms } from '../src/server/index.js';
import type { NodeImapServerOptions, RunningImapServer } from '../src/node/imap/server.js';
import { ImapServers } from './helpers/imap-servers.js';
import { describeWithPeers } from './helpers/peers.js';
import { generateCert, makeTempDir, removeDir, type TestCert } from './helpers/tls-certs.js';

const USER = 'user';
const PASSWORD = 'pencil';
const NON_ASCII_USER = 'jörg';
const NON_ASCII_PASSWORD = 'pässwörd-ünïcødé';

interface RunResult {
  readonly code: number | null;
  readonly output: string;
}

/** Run a peer with a timeout; its stdin is closed at once. */
function run(command: string, args: readonly string[], timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, output: String(err) });
    });
  });
}

let dir: string;
let cert: TestCert;
let sasl: SASLServer;
const servers = new ImapServers();
const outcomes = servers.outcomes;

const server = (options: Partial<NodeImapServerOptions> = {}): Promise<RunningImapServer> =>
  servers.start({ sasl, maxAuthFailures: 100, ...options, tls: { key: cert.key, cert: cert.cert, ...options.tls } });

beforeAll(async () => {
  dir = makeTempDir('saslkit-imap-interop-');
  cert = generateCert(dir, 'rsa-sha256');
  const credentials = new MemoryCredentialStore();
  await credentials.addUser(USER, PASSWORD, { hashes: ['SHA-1', 'SHA-256'] });
  await credentials.addUser(NON_ASCII_USER, NON_ASCII_PASSWORD, { hashes: ['SHA-1', 'SHA-256'] });
  sasl = new SASLServer({ mechanisms: [...scramServerMechanisms({ hashes: ['SHA-1', 'SHA-256'] }), new PLAINServer()], credentials });
}, 30_000);

afterAll(async () => {
  await servers.closeAll();
  if (dir) removeDir(dir);
});

describeWithPeers('interop: gsasl --imap --connect → saslkit IMAP server', ['gsasl'], () => {
  let tls13: RunningImapServer;
  let tls12: RunningImapServer;
  beforeAll(async () => {
    tls13 = await server({ tls: { minVersion: 'TLSv1.3' } });
    tls12 = await server({ tls: { maxVersion: 'TLSv1.2' } });
  });

  const gsasl = (port: number, mechanism: string, extra: readonly string[] = [], user = USER, password = PASSWORD): Promise<RunResult> =>
    run('gsasl', [
      '--imap',
      '--connect', `127.0.0.1:${port}`,
      '--hostname', 'localhost',
      '--x509-ca-file', cert.certPath,
      '-a', user,
      '-p', password,
      '--mechanism', mechanism,
      '--verbose',
      ...(extra.includes('--no-starttls') ? [] : ['--starttls']),
      ...extra,
    ]);

  const cases: Array<{ version: '1.2' | '1.3'; mechanism: string; extra: string[]; cb: string | null }> = [
    { version: '1.3', mechanism: 'PLAIN', extra: [], cb: null },
    { version: '1.2', mechanism: 'PLAIN', extra: [], cb: null },
    { version: '1.3', mechanism: 'SCRAM-SHA-1', extra: ['--no-cb'], cb: null },
    { version: '1.3', mechanism: 'SCRAM-SHA-256', extra: ['--no-cb'], cb: null },
    { version: '1.2', mechanism: 'SCRAM-SHA-256', extra: ['--no-cb'], cb: null },
    { version: '1.3', mechanism: 'SCRAM-SHA-256-PLUS', extra: [], cb: 'tls-exporter' },
    { version: '1.2', mechanism: 'SCRAM-SHA-256-PLUS', extra: [], cb: 'tls-unique' },
    { version: '1.3', mechanism: 'SCRAM-SHA-1-PLUS', extra: [], cb: 'tls-exporter' },
    { version: '1.2', mechanism: 'SCRAM-SHA-1-PLUS', extra: [], cb: 'tls-unique' },
  ];
  for (const c of cases) {
    it(`TLS ${c.version}: ${c.mechanism}${c.cb ? ` (${c.cb})` : ''} succeeds`, async () => {
      const before = outcomes.length;
      const r = await gsasl(c.version === '1.3' ? tls13.port : tls12.port, c.mechanism, c.extra);
      expect(r.code, r.output).toBe(0);
      expect(r.output).toContain(`(TLS${c.version})`);
      expect(r.output).toMatch(/\. OK \[CAPABILITY IMAP4rev1\] Authentication successful/);
      expect(outcomes.slice(before)).toEqual([expect.objectContaining({ mechanism: c.mechanism, authcid: USER, channelBinding: c.cb })]);
    });
  }

  it('a non-ASCII user and password: SCRAM-SHA-256-PLUS and PLAIN', async () => {
    for (const mechanism of ['SCRAM-SHA-256-PLUS', 'PLAIN']) {
      const r = await gsasl(tls13.port, mechanism, [], NON_ASCII_USER, NON_ASCII_PASSWORD);
      expect(r.code, r.output).toBe(0);
      expect(outcomes.at(-1)).toMatchObject({ mechanism, authcid: NON_ASCII_USER });
    }
  });

  it('plaintext (--no-starttls): PLAIN is not offered, SCRAM-SHA-256 works', async () => {
    const plain = await gsasl(tls13.port, 'PLAIN', ['--no-starttls']);
    expect(plain.code).not.toBe(0);
    expect(plain.output).toContain('LOGINDISABLED');
    const before = outcomes.length;
    const scram = await gsasl(tls13.port, 'SCRAM-SHA-256', ['--no-starttls']);
    expect(scram.code, scram.output).toBe(0);
    expect(outcomes.slice(before)).toEqual([expect.objectContaining({ mechanism: 'SCRAM-SHA-256', channelBinding: null })]);
  });

  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS']) {
    it(`a wrong password fails with ${mechanism} (NO [AUTHENTICATIONFAILED])`, async () => {
      const before = outcomes.length;
      const r = await gsasl(tls13.port, mechanism, mechanism === 'SCRAM-SHA-256' ? ['--no-cb'] : [], USER, 'wrong');
      expect(r.code).not.toBe(0);
      expect(r.output).toMatch(/NO \[AUTHENTICATIONFAILED\]|mechanism error/);
      expect(outcomes.length).toBe(before);
    });
  }

  it('non-PLUS SCRAM over TLS without --no-cb is refused (gsasl asks for binding with a non-PLUS mechanism)', async () => {
    const before = outcomes.length;
    const r = await gsasl(tls13.port, 'SCRAM-SHA-256');
    expect(r.code).not.toBe(0);
    expect(outcomes.length).toBe(before);
  });
});

// imaplib against the server; prints one JSON object per step.
const PYTHON = String.raw`
import imaplib, json, ssl, sys
port, mode, cafile, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(cafile=cafile)
def out(**kw): print(json.dumps(kw), flush=True)
def err(e): return e.args[0].decode() if e.args and isinstance(e.args[0], bytes) else str(e)
try:
    if mode.startswith('ssl'):
        m = imaplib.IMAP4_SSL('localhost', port, ssl_context=ctx, timeout=10)
    else:
        m = imaplib.IMAP4('localhost', port, timeout=10)
        out(step='capabilities', caps=list(m.capabilities))
        if mode.endswith('login-before-tls'):
            try:
                m.login(user, password); out(step='login', ok=True)
            except imaplib.IMAP4.error as e:
                out(step='login', ok=False, error=err(e))
            m.logout(); sys.exit(0)
        m.starttls(ctx)
    out(step='capabilities', caps=list(m.capabilities))
    try:
        if mode.endswith('login'):
            typ, data = m.login(user, password)
        else:
            typ, data = m.authenticate('PLAIN', lambda _: b'\0' + user.encode() + b'\0' + password.encode())
        out(step='auth', ok=True, typ=typ, data=[d.decode() for d in data])
    except imaplib.IMAP4.error as e:
        out(step='auth', ok=False, error=err(e))
    typ, data = m.logout()
    out(step='logout', typ=typ)
except Exception as e:
    out(step='exception', error=repr(e))
    sys.exit(1)
`;

describeWithPeers('interop: Python imaplib → saslkit IMAP server', ['python3'], () => {
  let starttls: RunningImapServer;
  let implicit: RunningImapServer;
  beforeAll(async () => {
    starttls = await server();
    implicit = await server({ implicitTLS: true });
  });

  async function imaplib(mode: string, user = USER, password = PASSWORD): Promise<Array<Record<string, unknown>>> {
    const port = mode.startsWith('ssl') ? implicit.port : starttls.port;
    const r = await run('python3', ['-c', PYTHON, String(port), mode, cert.certPath, user, password]);
    const steps = r.output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(r.code, r.output).toBe(0);
    return steps;
  }
  const step = (steps: Array<Record<string, unknown>>, name: string): Record<string, unknown> => steps.filter((s) => s.step === name).at(-1)!;

  it('STARTTLS + AUTHENTICATE PLAIN (imaplib sends no initial response)', async () => {
    const before = outcomes.length;
    const steps = await imaplib('starttls-authenticate');
    const plainCaps = steps.find((s) => s.step === 'capabilities')!.caps as string[];
    expect(plainCaps).toEqual(expect.arrayContaining(['STARTTLS', 'LOGINDISABLED']));
    expect(plainCaps).not.toContain('AUTH=PLAIN');
    expect(step(steps, 'capabilities').caps).toContain('AUTH=PLAIN');
    expect(step(steps, 'auth')).toMatchObject({ ok: true, typ: 'OK' });
    expect(step(steps, 'logout')).toMatchObject({ typ: 'BYE' });
    expect(outcomes.slice(before)).toEqual([expect.objectContaining({ mechanism: 'PLAIN', authcid: USER })]);
  });

  it('implicit TLS + AUTHENTICATE PLAIN with a non-ASCII user and password', async () => {
    const steps = await imaplib('ssl-authenticate', NON_ASCII_USER, NON_ASCII_PASSWORD);
    expect(step(steps, 'auth')).toMatchObject({ ok: true });
    expect(outcomes.at(-1)).toMatchObject({ mechanism: 'PLAIN', authcid: NON_ASCII_USER });
  });

  it('implicit TLS + LOGIN (run through PLAIN)', async () => {
    const steps = await imaplib('ssl-login');
    expect(step(steps, 'auth')).toMatchObject({ ok: true, typ: 'OK' });
    expect(String((step(steps, 'auth').data as string[])[0])).toContain('LOGIN completed');
    expect(outcomes.at(-1)).toMatchObject({ mechanism: 'PLAIN', authcid: USER });
  });

  it('STARTTLS + LOGIN', async () => {
    const steps = await imaplib('starttls-login');
    expect(step(steps, 'auth')).toMatchObject({ ok: true });
  });

  it('LOGIN before STARTTLS is refused with PRIVACYREQUIRED', async () => {
    const steps = await imaplib('plain-login-before-tls');
    expect(step(steps, 'login')).toMatchObject({ ok: false });
    expect(String(step(steps, 'login').error)).toContain('[PRIVACYREQUIRED]');
  });

  it('a wrong password is NO [AUTHENTICATIONFAILED]', async () => {
    const before = outcomes.length;
    const steps = await imaplib('starttls-authenticate', USER, 'wrong');
    expect(step(steps, 'auth')).toMatchObject({ ok: false });
    expect(String(step(steps, 'auth').error)).toContain('[AUTHENTICATIONFAILED]');
    expect(outcomes.length).toBe(before);
  });
});
