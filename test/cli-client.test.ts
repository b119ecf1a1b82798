// `saslkit client` as an operator runs it (issue 8 item 4): server URLs, -v with
// the dialogue redacted, `saslkit mechanisms`, errors that say what to do (TLS on a
// STARTTLS port, unknown CA), --json on failure, --insecure noted, bad key files
// as usage errors, Ctrl-C at the password prompt. All against `saslkit server`
// processes on 127.0.0.1.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactClientPayload, redactServerPayload } from '../src/cli/verbose.js';
import { CLI_MAIN, cliEnv, killAll, saslkit, startCliServer, type CliServer } from './helpers/cli.js';
import { generateCert, makeTempDir, removeDir, type TestCert } from './helpers/tls-certs.js';

const PASSWORD = 'cörrect hörse';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

let dir: string;
let cert: TestCert;
let imap: CliServer;
let smtp: CliServer;
let xmpp: CliServer;

beforeAll(async () => {
  dir = makeTempDir('saslkit-cli-client-');
  cert = generateCert(dir, 'rsa-sha256');
  const common = ['--cert', cert.certPath, '--key', cert.keyPath, '--user', 'alice'];
  [imap, smtp, xmpp] = await Promise.all([
    startCliServer(['--protocol', 'imap', ...common], { SASLKIT_PASSWORD: PASSWORD }),
    startCliServer(['--protocol', 'smtp', ...common], { SASLKIT_PASSWORD: PASSWORD }),
    startCliServer(['--protocol', 'xmpp', ...common], { SASLKIT_PASSWORD: PASSWORD }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([imap, smtp, xmpp].map((s) => s?.stop()));
  killAll();
  if (dir) removeDir(dir);
});

const env = { SASLKIT_PASSWORD: PASSWORD };

describe('saslkit client URL', () => {
  it.each([
    ['imap', () => imap],
    ['smtp', () => smtp],
    ['submission', () => smtp],
    ['xmpp', () => xmpp],
  ] as const)('%s://alice@127.0.0.1:PORT logs in over STARTTLS', async (scheme, server) => {
    const r = await saslkit(['client', `${scheme}://alice@127.0.0.1:${server().port}`, '--ca', cert.certPath, '--domain', 'localhost', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, tls: 'TLSv1.3', mechanism: expect.stringMatching(/^SCRAM-SHA.*-PLUS$/) });
  });

  it('a percent-encoded user and flags still work with a URL; --authcid wins over the URL user', async () => {
    const r = await saslkit(['client', '-m', 'PLAIN', `imap://nobody%40x@127.0.0.1:${imap.port}`, '-a', 'alice', '--ca', cert.certPath], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('mechanism: PLAIN');
  });

  it('each scheme has its default port', async () => {
    const ports = { imap: 143, imaps: 993, smtp: 25, smtps: 465, submission: 587, xmpp: 5222, xmpps: 5223 } as const;
    for (const [scheme, port] of Object.entries(ports)) {
      // Only where nothing listens on this machine: the refusal names the port.
      const free = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(false)));
        s.once('error', () => resolve(true));
      });
      if (!free) continue;
      const r = await saslkit(['client', `${scheme}://alice@127.0.0.1`, '--json', '--timeout', '5000'], { env });
      expect(r.code, scheme).toBe(3);
      expect(JSON.parse(r.stdout).message, scheme).toContain(`127.0.0.1:${port}`);
    }
  }, 60_000);

  it.each([
    [['client', 'imap://alice:hunter2@127.0.0.1:143'], /no password in the URL/],
    [['client', 'pop3://alice@127.0.0.1'], /unknown URL scheme/],
    [['client', 'imap://alice@127.0.0.1/INBOX'], /path, query or fragment/],
    [['client', 'imap://alice@127.0.0.1', '--connect', '127.0.0.1:143'], /URL or with --protocol and --connect, not both/],
    [['client', 'imap://127.0.0.1:143'], /-a USER \(or USER@ in the URL\) is required/],
  ])('%j is a usage error that echoes no secret', async (args, message) => {
    const r = await saslkit(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('hunter2');
  });
});

describe('saslkit client -v', () => {
  function checkRedacted(stderr: string): void {
    expect(stderr).not.toContain(PASSWORD);
    expect(stderr).not.toContain(b64(PASSWORD));
    expect(stderr).not.toContain(b64(`\0alice\0${PASSWORD}`));
    // No SCRAM proof or server signature: every p= at the end and every v= is redacted.
    expect(stderr).not.toMatch(/,p=[A-Za-z0-9+/=]{8,}/);
    expect(stderr).not.toMatch(/v=[A-Za-z0-9+/=]{8,}/);
  }

  it('IMAP: prints C:/S: lines through STARTTLS and SCRAM-PLUS, PLAIN and LOGIN with their secrets redacted', async () => {
    for (const mechanism of ['SCRAM-SHA-256-PLUS', 'PLAIN', 'LOGIN']) {
      const r = await saslkit(['client', `imap://alice@127.0.0.1:${imap.port}`, '--ca', cert.certPath, '-v', '-m', mechanism], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^S: \* OK /m);
      expect(r.stderr).toMatch(/^C: A\d+ STARTTLS$/m);
      expect(r.stderr).toMatch(/^\*  TLS established \(TLSv1\.3\)$/m);
      expect(r.stderr).toMatch(new RegExp(`^C: A\\d+ AUTHENTICATE ${mechanism}`, 'm'));
      expect(r.stderr).toMatch(/<redacted>/);
      expect(r.stderr).toMatch(/^S: A\d+ OK /m);
      checkRedacted(r.stderr);
      // The report stays on standard output, alone.
      expect(r.stdout).toContain(`mechanism: ${mechanism}`);
      expect(r.stdout).not.toContain('C: ');
    }
  });

  it('SMTP and XMPP dialogues are printed and redacted too', async () => {
    // The password on standard input (a pipe, itself a socket) must not show up either.
    const s = await saslkit(['client', `submission://alice@127.0.0.1:${smtp.port}`, '--ca', cert.certPath, '-v'], { input: `${PASSWORD}\n` });
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toMatch(/^C: EHLO /m);
    expect(s.stderr).toMatch(/^C: AUTH SCRAM-SHA[-0-9]*-PLUS <decoded: "p=tls-exporter,,n=alice,r=/m);
    expect(s.stderr).toMatch(/^S: 235 /m);
    checkRedacted(s.stderr);
    const x = await saslkit(['client', `xmpp://alice@127.0.0.1:${xmpp.port}`, '--domain', 'localhost', '--ca', cert.certPath, '-v', '-m', 'PLAIN'], { env });
    expect(x.code, x.stderr).toBe(0);
    expect(x.stderr).toContain(`C: <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'><decoded: "\\u0000alice\\u0000<redacted>"></auth>`);
    expect(x.stderr).toMatch(/^S: <success /m);
    checkRedacted(x.stderr);
  });

  it('redacts every kind of secret payload', () => {
    expect(redactClientPayload('OAUTHBEARER', 0, b64('n,a=alice,\x01auth=Bearer s3cr3t-token\x01\x01'))).toBe('<decoded: "n,a=alice,\\u0001auth=<redacted>\\u0001\\u0001">');
    expect(redactClientPayload('XOAUTH2', 0, b64('user=alice\x01auth=Bearer s3cr3t-token\x01\x01'))).not.toContain('s3cr3t');
    expect(redactClientPayload('CRAM-MD5', 0, b64('alice 0123456789abcdef0123456789abcdef'))).toBe('<decoded: "alice <redacted>">');
    expect(redactClientPayload('LOGIN', 1, b64('pw'))).toBe('<redacted>');
    expect(redactClientPayload('DIGEST-MD5', 0, b64('username="a",response=abc'))).not.toContain('response');
    expect(redactClientPayload('PLAIN', 0, 'not base64!')).not.toContain('base64!');
    expect(redactServerPayload(b64('v=c2VydmVyIHNpZ25hdHVyZQ=='))).toBe('<decoded: "v=<redacted>">');
  });
});

describe('saslkit client errors say what to do', () => {
  it('--tls (imaps://) on a STARTTLS port suggests STARTTLS, also in the --json failure object', async () => {
    const text = await saslkit(['client', `imaps://alice@127.0.0.1:${imap.port}`, '--ca', cert.certPath], { env });
    expect(text.code).toBe(3);
    expect(text.stderr).toMatch(/^hint: .*STARTTLS.*--starttls/m);
    const json = await saslkit(['client', '--protocol', 'smtp', '--tls', '--connect', `127.0.0.1:${smtp.port}`, '-a', 'alice', '--ca', cert.certPath, '--json'], { env });
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, exitStatus: 3, hint: expect.stringMatching(/STARTTLS/) });
  });

  it('an unknown CA points to --ca; --insecure connects and says so', async () => {
    const r = await saslkit(['client', `imap://alice@127.0.0.1:${imap.port}`], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^hint: .*--ca FILE/m);
    const insecure = await saslkit(['client', `imap://alice@127.0.0.1:${imap.port}`, '--insecure'], { env });
    expect(insecure.code, insecure.stderr).toBe(0);
    expect(insecure.stdout).toContain('certificate: NOT VERIFIED (--insecure)');
    expect(insecure.stderr).toContain('--insecure: the server certificate is not verified');
    const json = await saslkit(['client', `imap://alice@127.0.0.1:${imap.port}`, '--insecure', '--json'], { env });
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, certificateVerified: false });
  });

  it('--json prints a JSON object when the password is refused (exit 1)', async () => {
    const r = await saslkit(['client', `imap://alice@127.0.0.1:${imap.port}`, '--ca', cert.certPath, '--json'], { env: { SASLKIT_PASSWORD: 'wrong' } });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, exitStatus: 1, condition: 'not-authorized' });
    expect(r.stdout).not.toContain('wrong');
  });

  it('an unreadable or malformed --client-key / --client-cert is a usage error (exit 2)', async () => {
    const notAFile = join(dir, 'a-directory');
    mkdirSync(notAFile);
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n');
    for (const [certPath, keyPath, message] of [
      [cert.certPath, notAFile, /--client-key: cannot read/],
      [cert.certPath, join(dir, 'missing.key'), /--client-key: cannot read .*ENOENT/],
      [cert.certPath, garbage, /--client-key: .* does not hold a PEM private key/],
      [garbage, cert.keyPath, /--client-cert: .* does not hold a PEM certificate/],
    ] as const) {
      const r = await saslkit(['client', `imap://alice@127.0.0.1:${imap.port}`, '--client-cert', certPath, '--client-key', keyPath], { env });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('Ctrl-C at the password prompt exits 130, not as a usage error', () => {
    // A pseudo-terminal, so the client prompts without echo and reads Ctrl-C as a character.
    const script = [
      'import os, pty, sys, time, select',
      'pid, fd = pty.fork()',
      'if pid == 0:',
      '    os.execv(sys.argv[1], sys.argv[1:])',
      'seen = b""',
      'deadline = time.time() + 20',
      'while b"Password:" not in seen and time.time() < deadline:',
      '    r, _, _ = select.select([fd], [], [], 0.5)',
      '    if r:',
      '        try: seen += os.read(fd, 1024)',
      '        except OSError: break',
      'time.sleep(0.3)',
      'os.write(fd, b"\\x03")',
      'while time.time() < deadline:',
      '    r, _, _ = select.select([fd], [], [], 0.5)',
      '    if r:',
      '        try:',
      '            if not os.read(fd, 1024): break',
      '        except OSError: break',
      '_, status = os.waitpid(pid, 0)',
      'print(os.waitstatus_to_exitcode(status))',
    ].join('\n');
    const r = spawnSync('python3', ['-c', script, process.execPath, '--import', 'tsx', CLI_MAIN, 'client', `imap://alice@127.0.0.1:${imap.port}`, '--ca', cert.certPath], {
      env: cliEnv(),
      encoding: 'utf8',
      timeout: 40_000,
    });
    expect(r.stdout.trim(), r.stderr).toBe('130');
  }, 60_000);
});

describe('saslkit mechanisms', () => {
  it('lists client and server mechanisms, and channel bindings', async () => {
    const r = await saslkit(['mechanisms']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^SCRAM-SHA-256-PLUS +client server$/m);
    // saslkit/server has CRAMMD5Server, OAUTHBEARERServer and XOAUTH2Server; saslkit server does not offer them.
    for (const name of ['CRAM-MD5', 'OAUTHBEARER', 'XOAUTH2']) {
      expect(r.stdout).toMatch(new RegExp(`^${name} +client server +\\(library only: saslkit server does not offer it\\)$`, 'm'));
    }
    expect(r.stdout).toMatch(/^EXTERNAL +client server$/m);
    expect(r.stdout).toMatch(/^channel bindings \(-PLUS\): tls-exporter tls-unique tls-server-end-point$/m);
    const json = JSON.parse((await saslkit(['mechanisms', '--json'])).stdout) as { client: string[]; server: string[]; saslkitServer: string[] };
    expect(json.client).toContain('XOAUTH2');
    expect(json.server).toContain('SCRAM-SHA3-512-PLUS');
    expect(json.server).toEqual(expect.arrayContaining(['CRAM-MD5', 'OAUTHBEARER', 'XOAUTH2']));
    expect(json.saslkitServer).toContain('SCRAM-SHA3-512-PLUS');
    expect(json.saslkitServer).not.toContain('CRAM-MD5');
  });
});
