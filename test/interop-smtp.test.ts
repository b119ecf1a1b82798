// SMTP AUTH interop over loopback sockets:
// - saslkit SMTP client ↔ saslkit SMTP server: every mechanism and channel
//   binding, the failure codes both ways, abort, the long-initial-response path;
// - Python's smtplib → saslkit SMTP server (PLAIN, the mechanism it shares);
// - gsasl --smtp → saslkit SMTP server: PLAIN, SCRAM-SHA-1/256 (--no-cb over
//   TLS), SCRAM-SHA-256-PLUS on TLS 1.2 (tls-unique) and TLS 1.3 (tls-exporter).
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANONYMOUS,
  AuthenticationFailure,
  CRAMMD5,
  PLAIN,
  SASLError,
  SASLFailure,
  SASLMechanism,
  SCRAM,
  SCRAMPLUS,
  SASL_CONDITIONS,
  authenticate,
  type ChannelBindingType,
  type HashName,
  type SASLStateMachine,
} from '../src/index.js';
import { channelBindingFor, connectSmtp, startSmtpServer, authenticateSmtp, type RunningSmtpServer, type SmtpConnection } from '../src/node/index.js';
import {
  ANONYMOUSServer,
  LOGINServer,
  CRAMMD5Server,
  MemoryCredentialStore,
  PLAINServer,
  SASLServer,
  failure,
  scramServerMechanisms,
  type AuthOutcome,
  type ServerMechanism,
} from '../src/server/index.js';
import { SmtpSASLInterface } from '../src/protocols/smtp/index.js';
import { describeWithPeers } from './helpers/peers.js';
import { generateCert, makeTempDir, removeDir, type TestCert } from './helpers/tls-certs.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null): string => new TextDecoder().decode(b ?? new Uint8Array(0));

const USER = 'user';
const PASSWORD = 'pencil';
const UNICODE_USER = 'ünïcödé';
const UNICODE_PASSWORD = 'pässwörd';
const LONG_USER = 'l'.repeat(80);
const HASHES: readonly HashName[] = ['SHA-1', 'SHA-256', 'SHA-512', 'SHA3-512'];

/** A server mechanism that fails with the condition the client names: for the code mapping. */
const failWith: ServerMechanism = {
  name: 'X-FAIL',
  strength: 0,
  plaintext: false,
  channelBinding: false,
  start: () => ({
    next: async (response) => failure(dec(response) as (typeof SASL_CONDITIONS)[number], 'requested by the test'),
  }),
};

/** A client mechanism that asks X-FAIL for one condition. */
class RequestFailure extends SASLMechanism<'X-FAIL'> {
  constructor(readonly condition: string) {
    super();
  }
  anySupported(mechanisms: Iterable<string>): 'X-FAIL' | null {
    return [...mechanisms].includes('X-FAIL') ? 'X-FAIL' : null;
  }
  async authenticate(sm: SASLStateMachine): Promise<void> {
    await sm.initiate('X-FAIL', enc(this.condition));
  }
}

/** A client mechanism that starts SCRAM and then cancels. */
class StartThenAbort extends SASLMechanism<string> {
  anySupported(): string {
    return 'SCRAM-SHA-256';
  }
  async authenticate(sm: SASLStateMachine, mechanism: string): Promise<void> {
    const [state] = await sm.initiate(mechanism);
    expect(state).toBe('challenge');
    await sm.abort();
    throw new SASLFailure('aborted', 'cancelled by the test');
  }
}

let dir: string;
let cert: TestCert;
let tls13: RunningSmtpServer;
let tls12: RunningSmtpServer;
let implicit: RunningSmtpServer;
let plaintextOnly: RunningSmtpServer;
const outcomes: AuthOutcome[] = [];
const serverErrors: unknown[] = [];

beforeAll(async () => {
  dir = makeTempDir('saslkit-smtp-interop-');
  cert = generateCert(dir);
  const credentials = new MemoryCredentialStore();
  await credentials.addUser(USER, PASSWORD);
  await credentials.addUser(UNICODE_USER, UNICODE_PASSWORD, { hashes: ['SHA-1', 'SHA-256'] });
  await credentials.addUser(LONG_USER, PASSWORD, { hashes: ['SHA-256'] });
  const sasl = new SASLServer({
    mechanisms: [
      ...scramServerMechanisms({ hashes: HASHES }),
      new PLAINServer(),
      // CRAM-MD5 needs the password itself on the server: only for interop with smtplib's default.
      new CRAMMD5Server({ lookupSecret: (name) => (name === USER ? PASSWORD : null) }),
      new LOGINServer(),
      new ANONYMOUSServer(),
      failWith,
    ],
    credentials,
    // The condition-mapping test fails eleven times on one connection; the
    // per-connection limit and the throttle have their own tests.
    maxAuthFailures: 20,
    throttle: null,
    onInternalError: (e) => serverErrors.push(e),
  });
  const common = {
    sasl,
    readTimeoutMs: 10_000,
    onAuthenticated: (o: AuthOutcome) => void outcomes.push(o),
    onError: (e: unknown) => void serverErrors.push(e),
  };
  const key = cert.key;
  const crt = cert.cert;
  [tls13, tls12, implicit, plaintextOnly] = await Promise.all([
    startSmtpServer({ ...common, tls: { key, cert: crt, minVersion: 'TLSv1.3' } }),
    startSmtpServer({ ...common, tls: { key, cert: crt, maxVersion: 'TLSv1.2' } }),
    startSmtpServer({ ...common, tls: { key, cert: crt }, implicitTLS: true }),
    startSmtpServer({ ...common }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([tls13, tls12, implicit, plaintextOnly].map((s) => s?.close()));
  removeDir(dir);
});

function lastOutcome(): AuthOutcome | undefined {
  return outcomes.at(-1);
}

async function connect(server: RunningSmtpServer, extra: Parameters<typeof connectSmtp>[0] extends infer O ? Partial<O> : never = {}): Promise<SmtpConnection> {
  return connectSmtp({
    host: '127.0.0.1',
    port: server.port,
    security: server === implicit ? 'implicit' : 'starttls',
    tls: { ca: cert.cert },
    readTimeoutMs: 10_000,
    ...extra,
  });
}

describe('saslkit SMTP client ↔ saslkit SMTP server', () => {
  const creds = (): readonly [string, string] => [USER, PASSWORD];

  for (const hash of HASHES) {
    it(`SCRAM-${hash} over STARTTLS (TLS 1.3)`, async () => {
      const used = await authenticateSmtp({
        host: '127.0.0.1', port: tls13.port, tls: { ca: cert.cert },
        mechanisms: [new SCRAM(creds, { hashes: [hash] })],
      });
      expect(used).toBe(`SCRAM-${hash}`);
      expect(lastOutcome()).toMatchObject({ mechanism: `SCRAM-${hash}`, authcid: USER, channelBinding: null });
    });

    for (const [server, type] of [
      ['tls13', 'tls-exporter'],
      ['tls12', 'tls-unique'],
      ['tls13', 'tls-server-end-point'],
      ['tls12', 'tls-server-end-point'],
    ] as const) {
      it(`SCRAM-${hash}-PLUS with ${type} (${server === 'tls13' ? 'TLS 1.3' : 'TLS 1.2'})`, async () => {
        const conn = await connect(server === 'tls13' ? tls13 : tls12);
        try {
          expect(conn.tlsSocket!.getProtocol()).toBe(server === 'tls13' ? 'TLSv1.3' : 'TLSv1.2');
          const cb = channelBindingFor(conn.tlsSocket, { policy: 'require', type: type as ChannelBindingType })!;
          expect(await conn.authenticate([new SCRAMPLUS(creds, cb, { hashes: [hash] })])).toBe(`SCRAM-${hash}-PLUS`);
          expect(lastOutcome()).toMatchObject({ mechanism: `SCRAM-${hash}-PLUS`, authcid: USER, channelBinding: type });
        } finally {
          await conn.quit();
        }
      });
    }
  }

  it('SCRAM-SHA-256-PLUS over implicit TLS', async () => {
    const used = await authenticateSmtp({
      host: '127.0.0.1', port: implicit.port, security: 'implicit', tls: { ca: cert.cert },
      mechanisms: (c) => [new SCRAMPLUS(creds, channelBindingFor(c.tlsSocket, { policy: 'require' })!, { hashes: ['SHA-256'] })],
    });
    expect(used).toBe('SCRAM-SHA-256-PLUS');
    expect(lastOutcome()?.channelBinding).toBe('tls-exporter');
  });

  it('PLAIN and SCRAM with a non-ASCII name and password; PLAIN with an initial response too long for one command line', async () => {
    const uni = (): readonly [string, string] => [UNICODE_USER, UNICODE_PASSWORD];
    expect(await authenticateSmtp({ host: '127.0.0.1', port: tls13.port, tls: { ca: cert.cert }, mechanisms: [new PLAIN(uni)] })).toBe('PLAIN');
    expect(await authenticateSmtp({ host: '127.0.0.1', port: tls13.port, tls: { ca: cert.cert }, mechanisms: [new SCRAM(uni, { hashes: ['SHA-256'] })] })).toBe('SCRAM-SHA-256');
    expect(lastOutcome()?.authcid).toBe(UNICODE_USER);
    // 80-character name: "AUTH PLAIN <base64>" exceeds 64 octets, so the IR follows the empty 334.
    const long = (): readonly [string, string] => [LONG_USER, PASSWORD];
    expect(await authenticateSmtp({ host: '127.0.0.1', port: tls13.port, tls: { ca: cert.cert }, maxCommandLength: 64, mechanisms: [new PLAIN(long)] })).toBe('PLAIN');
    expect(lastOutcome()?.authcid).toBe(LONG_USER);
  });

  it('CRAM-MD5, right and wrong password', async () => {
    expect(await authenticateSmtp({ host: '127.0.0.1', port: tls13.port, tls: { ca: cert.cert }, mechanisms: [new CRAMMD5(creds)] })).toBe('CRAM-MD5');
    expect(lastOutcome()).toMatchObject({ mechanism: 'CRAM-MD5', authcid: USER });
    const err = await authenticateSmtp({ host: '127.0.0.1', port: tls13.port, tls: { ca: cert.cert }, mechanisms: [new CRAMMD5(() => [USER, 'wrong'])] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
  });

  it('ANONYMOUS', async () => {
    expect(await authenticateSmtp({ host: '127.0.0.1', port: tls12.port, tls: { ca: cert.cert }, mechanisms: [new ANONYMOUS('tester@example.org')] })).toBe('ANONYMOUS');
    expect(lastOutcome()).toMatchObject({ mechanism: 'ANONYMOUS', authcid: null, claims: { traceToken: 'tester@example.org' } });
  });

  it('negotiates the strongest offered: SCRAM-PLUS, then SCRAM, then PLAIN', async () => {
    const used = await authenticateSmtp({
      host: '127.0.0.1', port: tls13.port, tls: { ca: cert.cert },
      mechanisms: (c) => [new SCRAMPLUS(creds, channelBindingFor(c.tlsSocket)!), new SCRAM(creds), new PLAIN(creds)],
    });
    expect(used).toBe('SCRAM-SHA3-512-PLUS');
  });

  it('a wrong password is an AuthenticationFailure (535 → not-authorized) for PLAIN and SCRAM', async () => {
    const bad = (): readonly [string, string] => [USER, 'wrong'];
    for (const mech of [new PLAIN(bad), new SCRAM(bad)]) {
      const n = outcomes.length;
      const err = await authenticateSmtp({ host: '127.0.0.1', port: tls13.port, tls: { ca: cert.cert }, mechanisms: [mech] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthenticationFailure);
      expect((err as AuthenticationFailure).opaqueError).toBe('not-authorized');
      expect(outcomes.length).toBe(n);
    }
  });

  it('maps every condition to a reply code and back (server → wire → client)', async () => {
    const expected: Record<string, string> = {
      aborted: 'malformed-request', // 501; "aborted" only when the client sent `*`
      'account-disabled': 'not-authorized', // 535
      'credentials-expired': 'not-authorized', // 535
      'encryption-required': 'encryption-required', // 538
      'incorrect-encoding': 'malformed-request', // 501
      'invalid-authzid': 'not-authorized', // 535
      'invalid-mechanism': 'invalid-mechanism', // 504
      'malformed-request': 'malformed-request', // 501
      'mechanism-too-weak': 'mechanism-too-weak', // 534
      'not-authorized': 'not-authorized', // 535
      'temporary-auth-failure': 'temporary-auth-failure', // 454
    };
    const conn = await connect(tls13);
    try {
      for (const condition of SASL_CONDITIONS) {
        const err = await conn.authenticate([new RequestFailure(condition)]).catch((e: unknown) => e);
        expect(err, condition).toBeInstanceOf(SASLFailure);
        expect((err as SASLFailure).opaqueError, condition).toBe(expected[condition]);
      }
      // the connection survived eleven failures
      expect(await conn.authenticate([new PLAIN(creds)])).toBe('PLAIN');
    } finally {
      await conn.quit();
    }
  });

  it('PLAIN before TLS is refused with 538 → encryption-required, and not advertised', async () => {
    const conn = await connect(plaintextOnly, { security: 'none' });
    try {
      expect(conn.extensions.authMechanisms).not.toContain('PLAIN');
      // The client's own guard would refuse first; opt in to see the server's refusal.
      const err = await authenticate(new SmtpSASLInterface(conn.client), ['PLAIN'], [new PLAIN(creds, { allowInsecureChannel: true })]).catch((e: unknown) => e);
      expect((err as SASLFailure).opaqueError).toBe('encryption-required');
      const guarded = await authenticate(new SmtpSASLInterface(conn.client), ['PLAIN'], [new PLAIN(creds)]).catch((e: unknown) => e);
      expect((guarded as SASLFailure).opaqueError).toBeNull(); // refused locally, nothing sent
    } finally {
      await conn.quit();
    }
  });

  it('abort: `*` is answered with 501 and the connection stays usable', async () => {
    const conn = await connect(tls13);
    try {
      const err = await conn.authenticate([new StartThenAbort()]).catch((e: unknown) => e);
      expect((err as SASLFailure).opaqueError).toBe('aborted');
      expect(await conn.authenticate([new SCRAM(creds)])).toBe('SCRAM-SHA3-512');
    } finally {
      await conn.quit();
    }
  });

  it('Node helper error paths close the connection and report a SASLError', async () => {
    // STARTTLS required but not offered
    await expect(connect(plaintextOnly)).rejects.toThrow(/does not offer STARTTLS/);
    // certificate not trusted
    await expect(connectSmtp({ host: '127.0.0.1', port: tls13.port, readTimeoutMs: 5000 })).rejects.toThrow(SASLError);
    // nothing listening (port of a closed server)
    const gone = await startSmtpServer({ sasl: new SASLServer({ mechanisms: [new PLAINServer()] }) });
    const port = gone.port;
    await gone.close();
    await expect(connectSmtp({ host: '127.0.0.1', port, security: 'none', connectTimeoutMs: 5000 })).rejects.toThrow(/connecting to 127.0.0.1:\d+ failed: .*ECONNREFUSED/);
    // the servers still serve
    expect(await authenticateSmtp({ host: '127.0.0.1', port: tls13.port, tls: { ca: cert.cert }, mechanisms: [new PLAIN(creds)] })).toBe('PLAIN');
    expect(serverErrors).toEqual([]);
  });
});

/** Run a peer process with a time limit; never blocks the event loop (our server runs in this process). */
function run(command: string, args: readonly string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-65536)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-65536)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: String(err) });
    });
  });
}

const PYTHON_CLIENT = `
import json, smtplib, ssl, sys
host, port, ca, user, pw, mode = sys.argv[1:7]
ctx = ssl.create_default_context(cafile=ca)
out = {}
if mode == 'implicit':
    s = smtplib.SMTP_SSL(host, int(port), timeout=10, context=ctx)
else:
    s = smtplib.SMTP(host, int(port), timeout=10)
try:
    s.ehlo('python.test')
    if mode not in ('implicit', 'plaintext'):
        s.starttls(context=ctx)
        s.ehlo('python.test')
    out['offered'] = s.esmtp_features.get('auth', '').split()
    if mode in ('login', 'implicit', 'plaintext'):
        code, resp = s.login(user, pw)
    else:
        s.user, s.password = user, pw
        if mode == 'auth-login':
            code, resp = s.auth('LOGIN', s.auth_login, initial_response_ok=False)
        else:
            code, resp = s.auth('PLAIN', s.auth_plain, initial_response_ok=(mode == 'plain-ir'))
    out.update(code=code, resp=resp.decode())
except smtplib.SMTPAuthenticationError as e:
    out.update(code=e.smtp_code, resp=e.smtp_error.decode(), error='SMTPAuthenticationError')
except smtplib.SMTPException as e:
    out.update(error=type(e).__name__, resp=str(e))
finally:
    s.quit()
print(json.dumps(out))
`;

describeWithPeers('Python smtplib → saslkit SMTP server', ['python3'], () => {
  async function python(server: RunningSmtpServer, mode: string, user = USER, pw = PASSWORD): Promise<Record<string, unknown>> {
    const r = await run('python3', ['-c', PYTHON_CLIENT, '127.0.0.1', String(server.port), cert.certPath, user, pw, mode]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  }

  // login() tries CRAM-MD5, then PLAIN, then LOGIN, whichever the server offers first in that order.
  it.each([
    ['login', 'CRAM-MD5'],
    ['implicit', 'CRAM-MD5'],
    ['plain-ir', 'PLAIN'],
    ['plain-noir', 'PLAIN'],
    ['auth-login', 'LOGIN'],
  ])('%s: %s succeeds with 235', async (mode, mechanism) => {
    const n = outcomes.length;
    const out = await python(mode === 'implicit' ? implicit : tls13, mode);
    expect(out).toMatchObject({ code: 235, resp: '2.7.0 Authentication successful' });
    expect(out.offered).toContain('PLAIN');
    expect(outcomes.length).toBe(n + 1);
    expect(lastOutcome()).toMatchObject({ mechanism, authcid: USER });
  });

  it.each(['login', 'plain-ir', 'plain-noir', 'auth-login'])('%s: a wrong password gives 535', async (mode) => {
    const n = outcomes.length;
    const out = await python(tls12, mode, USER, 'wrong');
    expect(out).toMatchObject({ code: 535, error: 'SMTPAuthenticationError' });
    expect(outcomes.length).toBe(n);
  });

  it('without TLS the server offers no PLAIN; smtplib logs in with CRAM-MD5', async () => {
    const out = await python(plaintextOnly, 'plaintext');
    expect(out.offered).not.toContain('PLAIN');
    expect(out.offered).toContain('CRAM-MD5');
    expect(out).toMatchObject({ code: 235 });
    expect(lastOutcome()).toMatchObject({ mechanism: 'CRAM-MD5', authcid: USER });
  });
});

describeWithPeers('gsasl --smtp → saslkit SMTP server', ['gsasl'], () => {
  async function gsasl(server: RunningSmtpServer, mechanism: string, options: { noCb?: boolean; password?: string; user?: string } = {}) {
    const args = [
      '--smtp', '--connect', `127.0.0.1:${server.port}`, '--starttls',
      `--x509-ca-file=${cert.certPath}`, '--hostname=localhost',
      '-a', options.user ?? USER, '-p', options.password ?? PASSWORD, '-m', mechanism,
      ...(options.noCb ? ['--no-cb'] : []),
    ];
    return run('gsasl', args);
  }

  const cases: Array<[string, 'tls13' | 'tls12', boolean, string | null]> = [
    ['PLAIN', 'tls13', false, null],
    ['CRAM-MD5', 'tls13', false, null],
    ['SCRAM-SHA-1', 'tls13', true, null],
    ['SCRAM-SHA-256', 'tls13', true, null],
    ['SCRAM-SHA-1', 'tls12', true, null],
    ['SCRAM-SHA-256', 'tls12', true, null],
    ['SCRAM-SHA-256-PLUS', 'tls13', false, 'tls-exporter'],
    ['SCRAM-SHA-256-PLUS', 'tls12', false, 'tls-unique'],
    ['SCRAM-SHA-1-PLUS', 'tls13', false, 'tls-exporter'],
    ['SCRAM-SHA-1-PLUS', 'tls12', false, 'tls-unique'],
  ];
  it.each(cases)('%s on %s (--no-cb: %s) succeeds, binding %s', async (mechanism, which, noCb, binding) => {
    const n = outcomes.length;
    const r = await gsasl(which === 'tls13' ? tls13 : tls12, mechanism, { noCb });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(outcomes.length).toBe(n + 1);
    expect(lastOutcome()).toMatchObject({ mechanism, authcid: USER, channelBinding: binding });
  });

  it('SCRAM-SHA-256 with a non-ASCII name and password', async () => {
    const r = await gsasl(tls13, 'SCRAM-SHA-256', { noCb: true, user: UNICODE_USER, password: UNICODE_PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    expect(lastOutcome()).toMatchObject({ mechanism: 'SCRAM-SHA-256', authcid: UNICODE_USER });
  });

  it.each([
    ['PLAIN', false],
    ['SCRAM-SHA-256', true],
    ['SCRAM-SHA-256-PLUS', false],
  ] as const)('%s with a wrong password fails (535)', async (mechanism, noCb) => {
    const n = outcomes.length;
    const r = await gsasl(tls13, mechanism, { noCb, password: 'wrong' });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/^535 5\.7\.8/m);
    expect(outcomes.length).toBe(n);
  });
});
