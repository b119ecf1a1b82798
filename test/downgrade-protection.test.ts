// Issue 9 kind 5: RFC 5802 §6 downgrade protection without an opt-in, and no
// false "wrong password". A client that can bind sends `y` when the server
// offered no -PLUS; a SCRAM-PLUS failure unrelated to channel binding ends
// negotiation with its own error; mkpasswd/addUser warn about iteration
// counts that default clients refuse; and the CLI scenario
// (mkpasswd -i 600000, saslkit server, saslkit client) end to end.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationFailure,
  PLAIN,
  SASLFailure,
  SCRAM,
  SCRAMPLUS,
  authenticate,
  type ChannelBindingProvider,
} from '../src/index.js';
import { LoopbackInterface, MemoryCredentialStore, SASLServer, SCRAMPLUSServer, SCRAMServer } from '../src/server/index.js';
import { iterationCountWarning } from '../src/scram/iterations.js';
import { hashByName } from '../src/mechanism.js';
import { ReferenceScramServer } from './helpers/scripted.js';
import { generateCert, makeTempDir, removeDir, type TestCert } from './helpers/tls-certs.js';

const creds = () => ['user', 'pencil'] as const;
const cb: ChannelBindingProvider = { cbName: 'tls-exporter', extractCbData: () => new Uint8Array(32).fill(5) };
const broken: ChannelBindingProvider = {
  cbName: 'tls-unique',
  extractCbData: () => {
    throw new Error('no TLS here');
  },
};
const SALT = new Uint8Array(16).fill(1);
const reference = (iterations = 4096) => new ReferenceScramServer({ hash: 'SHA-256', username: 'user', password: 'pencil', salt: SALT, iterations });

describe('RFC 5802 §6: the GS2 flag without an opt-in', () => {
  it('[SCRAMPLUS, SCRAM] sends y when -PLUS was stripped from the offer', async () => {
    const srv = reference();
    expect(await authenticate(srv, ['SCRAM-SHA-256', 'PLAIN'], [new SCRAMPLUS(creds, cb), new SCRAM(creds)])).toBe('SCRAM-SHA-256');
    expect(srv.gs2Header).toBe('y,,');
  });

  it('a server that supports binding detects the stripped -PLUS and refuses', async () => {
    const credentials = new MemoryCredentialStore();
    await credentials.addUser('user', 'pencil', { hashes: ['SHA-256'] });
    const server = new SASLServer({ mechanisms: [new SCRAMPLUSServer('SHA-256'), new SCRAMServer('SHA-256')], credentials });
    const intf = new LoopbackInterface(server, { secure: true, channelBindings: [cb] });
    // A man in the middle removed SCRAM-SHA-256-PLUS from the list.
    const err = await authenticate(intf, ['SCRAM-SHA-256'], [new SCRAMPLUS(creds, cb), new SCRAM(creds)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect(intf.outcome).toBeNull();
  });

  it('SCRAM alone, or with a SCRAMPLUS whose provider gives no data, sends n (the client cannot bind)', async () => {
    for (const impls of [[new SCRAM(creds)], [new SCRAMPLUS(creds, broken), new SCRAM(creds)]]) {
      const srv = reference();
      await authenticate(srv, ['SCRAM-SHA-256'], impls);
      expect(srv.gs2Header).toBe('n,,');
    }
  });

  it('SCRAM after a SCRAMPLUS that could bind sends n when the server did offer -PLUS (the flag y would lie)', async () => {
    const srv = reference();
    // SCRAM-SHA-256-PLUS is offered but this SCRAMPLUS is limited to SHA-1: it never runs.
    await authenticate(srv, ['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS'], [new SCRAMPLUS(creds, cb, { hashes: ['SHA-1'] }), new SCRAM(creds)]);
    expect(srv.gs2Header).toBe('n,,');
  });

  it('afterScramPlus still forces y', async () => {
    const srv = reference();
    await authenticate(srv, ['SCRAM-SHA-256'], [new SCRAM(creds, { afterScramPlus: true })]);
    expect(srv.gs2Header).toBe('y,,');
  });
});

describe('a SCRAM-PLUS failure unrelated to channel binding ends negotiation with its own error', () => {
  async function server(iterations: number): Promise<SASLServer> {
    const credentials = new MemoryCredentialStore();
    await credentials.addUser('user', 'pencil', { hashes: ['SHA-256'], iterations, onWarning: () => {} });
    return new SASLServer({ mechanisms: [new SCRAMPLUSServer('SHA-256'), new SCRAMServer('SHA-256')], credentials, allowInsecurePlaintext: false });
  }

  it('an iteration count above the client maximum: no fallback to SCRAM, the cause is reported', async () => {
    const s = await server(150_000);
    const intf = new LoopbackInterface(s, { secure: true, channelBindings: [cb] });
    const err = await authenticate(intf, s.advertise({ secure: true, channelBindings: [cb] }), [new SCRAMPLUS(creds, cb), new SCRAM(creds), new PLAIN(creds)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect((err as AuthenticationFailure).opaqueError).toBeNull();
    expect((err as AuthenticationFailure).text).toMatch(/iteration count 150000 exceeds the maximum of 100000/);
    expect(intf.results.filter((r) => r.kind === 'challenge')).toHaveLength(1); // one attempt, SCRAM-SHA-256-PLUS only
  });

  it('with the client maximum raised, the same server works', async () => {
    const s = await server(150_000);
    const intf = new LoopbackInterface(s, { secure: true, channelBindings: [cb] });
    const o = { maxIterationCount: 200_000 };
    expect(await authenticate(intf, s.advertise({ secure: true, channelBindings: [cb] }), [new SCRAMPLUS(creds, cb, o), new SCRAM(creds, o)])).toBe('SCRAM-SHA-256-PLUS');
  }, 30_000);

  it('without channel binding the same failure stays a SASLFailure (another mechanism may be tried)', async () => {
    const err = await authenticate(reference(150_000), ['SCRAM-SHA-256'], [new SCRAM(creds)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SASLFailure);
  });
});

describe('warnings about iteration counts default clients refuse', () => {
  it('iterationCountWarning: above the client maximum, below the hash minimum, none in between', () => {
    const sha256 = hashByName('SHA-256')!;
    expect(iterationCountWarning(sha256, 600_000)).toMatch(/600000 iterations exceed the 100000/);
    expect(iterationCountWarning(sha256, 1000)).toMatch(/below the minimum of 4096/);
    expect(iterationCountWarning(sha256, 4096)).toBeNull();
    expect(iterationCountWarning(sha256, 100_000)).toBeNull();
  });

  it('addUser reports through onWarning (once per hash), and not for a usable count', async () => {
    const store = new MemoryCredentialStore();
    const warnings: string[] = [];
    await store.addUser('a', 'pw', { hashes: ['SHA-256', 'SHA-1'], iterations: 120_000, onWarning: (w) => warnings.push(w) });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/SCRAM-SHA-256: 120000 iterations exceed/);
    expect(warnings.join('')).not.toContain('pw');
    warnings.length = 0;
    await store.addUser('b', 'pw', { hashes: ['SHA-256'], iterations: 4096, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
  }, 30_000);
});

// ---------------------------------------------------------------------------
// The scenario, as a new user would try it.

const MAIN = join(import.meta.dirname, '..', 'src', 'cli', 'main.ts');
const children = new Set<ChildProcess>();
interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function saslkit(args: readonly string[], input: string, env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    const e: NodeJS.ProcessEnv = { ...process.env, ...env };
    if (!('SASLKIT_PASSWORD' in env)) delete e.SASLKIT_PASSWORD;
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { env: e, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin!.on('error', () => {});
    child.stdin!.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('CLI: mkpasswd with 600,000 iterations, then server, then client', () => {
  let dir: string;
  let cert: TestCert;
  let server: ChildProcess | null = null;
  let port = 0;
  let mkpasswd: Result;

  beforeAll(async () => {
    dir = makeTempDir('saslkit-downgrade-');
    cert = generateCert(dir, 'rsa-sha256');
    mkpasswd = await saslkit(['mkpasswd', '--iterations', '600000'], '', { SASLKIT_PASSWORD: 'pencil' });
    const path = join(dir, 'credentials');
    writeFileSync(path, `alice\t${mkpasswd.stdout.trim()}\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'server', '--protocol', 'imap', '--cert', cert.certPath, '--key', cert.keyPath, '--credentials', path, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    server = child;
    port = await new Promise<number>((resolve, reject) => {
      let buffer = '';
      const timer = setTimeout(() => reject(new Error('server did not listen')), 30_000);
      child.stdout!.on('data', (d: Buffer) => {
        buffer += d.toString();
        const m = /"port":(\d+)/.exec(buffer);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
  }, 90_000);

  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    if (server) server.kill('SIGKILL');
    if (dir) removeDir(dir);
  });

  const client = (extra: readonly string[]) =>
    saslkit(['client', '--protocol', 'imap', '--connect', `127.0.0.1:${port}`, '--ca', cert.certPath, '-a', 'alice', '--timeout', '30000', ...extra], 'pencil\n');

  it('mkpasswd prints the verifier and warns on stderr', () => {
    expect(mkpasswd.code).toBe(0);
    expect(mkpasswd.stdout).toMatch(/^\{SCRAM-SHA-256\}600000,/);
    expect(mkpasswd.stderr).toMatch(/warning: SCRAM-SHA-256: 600000 iterations exceed the 100000 that SCRAM clients accept by default/);
  });

  it('the default client reports the real cause, not a wrong password', async () => {
    const r = await client([]);
    // docs/cli.md: 4 = the client refused the server's part (the server refused nothing).
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/iteration count 600000 exceeds the maximum of 100000/);
    expect(r.stderr).not.toMatch(/not-authorized/);
  }, 60_000);

  it('--max-iterations lets the client log in', async () => {
    const r = await client(['--max-iterations', '600000']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/mechanism: SCRAM-SHA-256-PLUS/);
  }, 60_000);
});
