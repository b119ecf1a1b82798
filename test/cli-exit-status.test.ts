// saslkit client's exit status does not depend on the mechanism for the same
// cause (docs/cli.md "Exit status"): 1 when the server refused the credentials
// or the authorization, 4 when the client refused the server's part of the
// exchange. Against `saslkit server` processes on 127.0.0.1.
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
