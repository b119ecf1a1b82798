// Interop with GNU SASL (the `gsasl` 2.x command-line tool) over pipes, in
// its base64-line format: saslkit client -> `gsasl --server` and
// `gsasl --client` -> saslkit server, for PLAIN, ANONYMOUS, SCRAM-SHA-1 and
// SCRAM-SHA-256, with right and wrong passwords, and a `gsasl --mkpasswd`
// verifier loaded into the saslkit server.
import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS, AuthenticationFailure, PLAIN, SASLFailure, SASLStateMachine, SCRAM, authenticate, type CredentialProvider, type SASLMechanism } from '../src/index.js';
import { base64Decode, base64Encode, utf8Decode, utf8Encode, runMechanism } from '../src/mechanism.js';
import { ChildProcessLineTransport, type ChildExit } from '../src/node/index.js';
import { GsaslDiagnostics, LinesSASLInterface, serveLines, type LinesServerResult } from '../src/gsasl.js';
import type { LineTransport } from '../src/protocols/imap/index.js';
import {
  ANONYMOUSServer,
  MemoryCredentialStore,
  PLAINServer,
  SASLServer,
  scramServerMechanisms,
  type ServerConnection,
} from '../src/server/index.js';
import { loginToGsasl, serveGsaslClient } from '../docs/examples/gsasl-lines.js';
import { drain } from './helpers/child-lines.js';
import { describeWithPeers } from './helpers/peers.js';

const USER = 'user';
const PASSWORD = 'pencil';
const WRONG = 'not-the-password';
/** Keep PBKDF2 cheap: gsasl's default is 65536 iterations. */
const ITERATIONS = 4096;
const TIMEOUT = 20_000;
/** gsasl is a local peer over pipes: the channel counts as secure for PLAIN. */
const PIPE: ServerConnection = { secure: true };

/** Every gsasl started, so afterEach/afterAll can end them whatever happened. */
const running = new Set<ChildProcessLineTransport>();

function gsasl(args: readonly string[]): ChildProcessLineTransport {
  // --no-cb: without TLS there is no channel binding, and gsasl would ask for it on stdin.
  const child = ChildProcessLineTransport.spawn('gsasl', [...args, '--no-cb'], { readTimeoutMs: 10_000, stopGraceMs: 3000 });
  running.add(child);
  return child;
}

async function stopAll(): Promise<void> {
  const all = [...running];
  running.clear();
  await Promise.all(all.map((c) => c.stop()));
}

const credentials: CredentialProvider = () => [USER, PASSWORD];
const wrongCredentials: CredentialProvider = () => [USER, WRONG];

describeWithPeers('gsasl interop (base64 lines over pipes)', ['gsasl'], () => {
  afterEach(stopAll);
  afterAll(stopAll);

  describe('saslkit client -> gsasl --server', () => {
    /** Run one client exchange against `gsasl --server` checking `password`. */
    async function clientRun(
      mechanism: string,
      impl: SASLMechanism<unknown> | SASLMechanism<'PLAIN'> | SASLMechanism<'ANONYMOUS'>,
      serverPassword: string,
      wrap: (t: LineTransport) => LineTransport = (t) => t,
    ): Promise<{ error: unknown; exit: ChildExit; stderr: string[]; state: string }> {
      const child = gsasl(['--server', '--mechanism', mechanism, '-p', serverPassword, '--iteration-count', String(ITERATIONS)]);
      const status = new GsaslDiagnostics(child.diagnostics);
      const sm = new SASLStateMachine(new LinesSASLInterface(wrap(child), status));
      let error: unknown = null;
      try {
        await runMechanism(impl as SASLMechanism<string>, sm, mechanism);
      } catch (err) {
        error = err;
      }
      const exit = await child.stop();
      const stderr = [...status.recent, ...(await drain(child.diagnostics))];
      return { error, exit, stderr, state: sm.state };
    }

    for (const mechanism of ['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256'] as const) {
      const impl = (creds: CredentialProvider) => (mechanism === 'PLAIN' ? new PLAIN(creds) : new SCRAM(creds));

      it(`${mechanism}: right password succeeds on both sides`, async () => {
        const r = await clientRun(mechanism, impl(credentials), PASSWORD);
        expect(r.error).toBeNull();
        expect(r.state).toBe('success');
        expect(r.stderr.join('\n')).toContain('Server authentication finished (client trusted)');
        expect(r.exit.code).toBe(0);
      }, TIMEOUT);

      it(`${mechanism}: wrong password fails on both sides`, async () => {
        const r = await clientRun(mechanism, impl(wrongCredentials), PASSWORD);
        expect(r.error).toBeInstanceOf(AuthenticationFailure);
        expect((r.error as AuthenticationFailure).opaqueError).toBe('not-authorized');
        expect((r.error as AuthenticationFailure).text).toContain('Error authenticating user');
        expect(r.state).toBe('failure');
        expect(r.exit.code).not.toBe(0);
        expect(r.stderr.join('\n')).toContain('gsasl: mechanism error: Error authenticating user');
      }, TIMEOUT);
    }

    for (const mechanism of ['SCRAM-SHA-1', 'SCRAM-SHA-256'] as const) {
      it(`${mechanism}: the client checks gsasl's server signature (tampered v= is refused)`, async () => {
        const seen: string[] = [];
        const r = await clientRun(mechanism, new SCRAM(credentials), PASSWORD, (t) => tamperServerFinal(t, seen));
        expect(seen).toHaveLength(1); // gsasl did send a server-final v=
        expect(r.error).toBeInstanceOf(AuthenticationFailure);
        expect(String((r.error as Error).message)).toMatch(/signature/i);
        // The client walked out instead of acknowledging: gsasl never finished.
        expect(r.stderr.join('\n')).not.toContain('authentication finished');
        expect(r.exit.code).not.toBe(0);
      }, TIMEOUT);
    }

    it('ANONYMOUS: gsasl --server cannot accept it (its CLI has no anonymous validation callback)', async () => {
      // gsasl 2.2's command-line server answers GSASL_VALIDATE_ANONYMOUS with
      // "unsupported property", so libgsasl fails every ANONYMOUS login. The
      // saslkit side must report that as a failure with gsasl's reason.
      const r = await clientRun('ANONYMOUS', new ANONYMOUS('trace@example.org'), PASSWORD);
      expect(r.error).toBeInstanceOf(SASLFailure);
      expect(r.error).not.toBeInstanceOf(AuthenticationFailure);
      expect((r.error as SASLFailure).opaqueError).toBe('temporary-auth-failure');
      expect((r.error as SASLFailure).text).toContain('No callback specified');
      expect(r.stderr.join('\n')).toContain("unsupported property `502'");
      expect(r.exit.code).not.toBe(0);
    }, TIMEOUT);

    it('negotiates over the mechanism line when gsasl --server is not given --mechanism', async () => {
      const child = gsasl(['--server', '-p', PASSWORD, '--iteration-count', String(ITERATIONS)]);
      const intf = new LinesSASLInterface(child, new GsaslDiagnostics(child.diagnostics), { sendMechanism: true });
      const used = await authenticate(intf, ['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256'], [new SCRAM(credentials), new PLAIN(credentials)]);
      expect(used).toBe('SCRAM-SHA-256');
      expect((await child.stop()).code).toBe(0);
    }, TIMEOUT);
  });

  describe('the guide\'s example (docs/examples/gsasl-lines.ts)', () => {
    it('loginToGsasl: SCRAM-SHA-256 with the right password, AuthenticationFailure with a wrong one', async () => {
      expect(await loginToGsasl(credentials, PASSWORD)).toBe('SCRAM-SHA-256');
      await expect(loginToGsasl(wrongCredentials, PASSWORD)).rejects.toBeInstanceOf(AuthenticationFailure);
    }, TIMEOUT);

    it('serveGsaslClient: gsasl picks SCRAM-SHA-256 from the offer; a wrong password fails', async () => {
      const store = new MemoryCredentialStore();
      await store.addUser(USER, PASSWORD, { hashes: ['SHA-256'], iterations: ITERATIONS });
      const server = new SASLServer({ mechanisms: [...scramServerMechanisms({ hashes: ['SHA-256'] }), new PLAINServer()], credentials: store });
      const ok = await serveGsaslClient(server, ['-a', USER, '-p', PASSWORD]);
      expect(ok).toMatchObject({ kind: 'success', outcome: { mechanism: 'SCRAM-SHA-256', authcid: USER } });
      const bad = await serveGsaslClient(server, ['-a', USER, '-p', WRONG]);
      expect(bad).toMatchObject({ kind: 'failure', condition: 'not-authorized' });
    }, TIMEOUT);
  });

  describe('gsasl --client -> saslkit server', () => {
    let server: SASLServer;
    let store: MemoryCredentialStore;

    beforeAll(async () => {
      store = new MemoryCredentialStore();
      await store.addUser(USER, PASSWORD, { hashes: ['SHA-1', 'SHA-256'], iterations: ITERATIONS });
      server = new SASLServer({ mechanisms: [...scramServerMechanisms(), new PLAINServer(), new ANONYMOUSServer()], credentials: store });
    });

    async function serverRun(
      args: readonly string[],
      use: SASLServer = server,
    ): Promise<{ result: LinesServerResult; exit: ChildExit; stderr: string[] }> {
      const child = gsasl(['--client', ...args]);
      const result = await serveLines(child, (m) => use.start(m, PIPE));
      const exit = await child.stop();
      return { result, exit, stderr: await drain(child.diagnostics) };
    }

    for (const mechanism of ['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256'] as const) {
      it(`${mechanism}: right password succeeds on both sides`, async () => {
        const { result, exit, stderr } = await serverRun(['--mechanism', mechanism, '-a', USER, '-p', PASSWORD]);
        expect(result.kind).toBe('success');
        if (result.kind !== 'success') return;
        expect(result.outcome).toMatchObject({ mechanism, authcid: USER, authzid: USER, channelBinding: null });
        // gsasl verified the server signature (SCRAM) and accepted the outcome.
        expect(stderr.join('\n')).toContain('Client authentication finished (server trusted)');
        expect(exit.code).toBe(0);
      }, TIMEOUT);

      it(`${mechanism}: wrong password fails on both sides`, async () => {
        const { result, exit, stderr } = await serverRun(['--mechanism', mechanism, '-a', USER, '-p', WRONG]);
        expect(result).toMatchObject({ kind: 'failure', condition: 'not-authorized' });
        expect(stderr.join('\n')).not.toContain('authentication finished');
        expect(exit.code).not.toBe(0);
        if (mechanism !== 'PLAIN') {
          // The server-final e=invalid-proof reached gsasl's SCRAM client, which rejects it.
          expect(stderr.join('\n')).toContain('gsasl: mechanism error');
        }
      }, TIMEOUT);
    }

    it('SCRAM-SHA-256: an unknown user fails exactly like a wrong password', async () => {
      const { result, exit } = await serverRun(['--mechanism', 'SCRAM-SHA-256', '-a', 'nobody', '-p', PASSWORD]);
      expect(result).toMatchObject({ kind: 'failure', condition: 'not-authorized' });
      expect(exit.code).not.toBe(0);
    }, TIMEOUT);

    it('ANONYMOUS: the trace token reaches the outcome', async () => {
      const { result, exit, stderr } = await serverRun(['--mechanism', 'ANONYMOUS', '-n', 'trace@example.org']);
      expect(result.kind).toBe('success');
      if (result.kind !== 'success') return;
      expect(result.outcome).toMatchObject({ mechanism: 'ANONYMOUS', authcid: null, claims: { traceToken: 'trace@example.org' } });
      expect(stderr.join('\n')).toContain('Client authentication finished');
      expect(exit.code).toBe(0);
    }, TIMEOUT);

    it('gsasl picks from the offered list when not given --mechanism', async () => {
      const child = gsasl(['--client', '-a', USER, '-p', PASSWORD]);
      const result = await serveLines(child, (m) => server.start(m, PIPE), { offer: server.advertise(PIPE) });
      expect(result.kind).toBe('success');
      if (result.kind === 'success') expect(result.outcome.mechanism).toBe('SCRAM-SHA-256');
      expect((await child.stop()).code).toBe(0);
    }, TIMEOUT);

    describe('a gsasl --mkpasswd verifier loaded into the saslkit server', () => {
      for (const mechanism of ['SCRAM-SHA-1', 'SCRAM-SHA-256'] as const) {
        for (const verbose of [false, true]) {
          it(`${mechanism}${verbose ? ' (--verbose, with SaltedPassword)' : ''}: authenticates gsasl with the password, not without`, async () => {
            const made = spawnSync(
              'gsasl',
              ['--mkpasswd', '--mechanism', mechanism, '-p', PASSWORD, '--iteration-count', String(ITERATIONS), ...(verbose ? ['--verbose'] : [])],
              { encoding: 'utf8', timeout: 10_000, env: { ...process.env, LC_ALL: 'C' } },
            );
            expect(made.status).toBe(0);
            const line = made.stdout.trim();
            expect(line).toMatch(new RegExp(`^\\{${mechanism}\\}${ITERATIONS},[^,]+,[^,]+,[^,]+${verbose ? ',[0-9a-f]+' : ''}$`));

            const fromGsasl = new MemoryCredentialStore();
            fromGsasl.addCredentials('alice', line);
            const gsaslBacked = new SASLServer({ mechanisms: scramServerMechanisms(), credentials: fromGsasl });

            const ok = await serverRun(['--mechanism', mechanism, '-a', 'alice', '-p', PASSWORD], gsaslBacked);
            expect(ok.result.kind).toBe('success');
            expect(ok.exit.code).toBe(0);

            const bad = await serverRun(['--mechanism', mechanism, '-a', 'alice', '-p', WRONG], gsaslBacked);
            expect(bad.result).toMatchObject({ kind: 'failure', condition: 'not-authorized' });
            expect(bad.exit.code).not.toBe(0);
          }, TIMEOUT);
        }
      }
    });
  });
});

/** Pass lines through, but corrupt the server signature in a server-final `v=` line. */
function tamperServerFinal(inner: LineTransport, seen: string[]): LineTransport {
  return {
    async readLine() {
      const line = await inner.readLine();
      if (line === '') return line;
      let text: string;
      try {
        text = utf8Decode(base64Decode(line));
      } catch {
        return line; // the mechanism echo is not base64
      }
      if (!text.startsWith('v=')) return line;
      seen.push(text);
      const signature = base64Decode(text.slice(2));
      signature[0]! ^= 1;
      return base64Encode(utf8Encode(`v=${base64Encode(signature)}`));
    },
    writeLine: (line) => inner.writeLine(line),
    close: () => inner.close(),
  };
}
