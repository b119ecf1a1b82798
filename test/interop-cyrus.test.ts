// Interop with Cyrus SASL (Debian sasl2-bin): saslkit client ->
// `sasl-sample-server` over pipes, against a sasldb made by `saslpasswd2` in
// a temporary directory, with the server's stock SCRAM settings (4096
// iterations for every hash). This is the peer of issue 9 kind 4: it offers
// SCRAM-SHA-512 at 4096 next to SCRAM-SHA-256 and PLAIN, and saslkit with
// default options must log in with SCRAM.
//
// sasl-sample-server's protocol (sample/sample-server.c): it writes the
// mechanism list as `S: <base64>`; the client answers `C: <base64 of
// MECH[NUL initial-response]>`; then each challenge is `S: <base64>`, each
// response `C: <base64>`; it prints `Negotiation complete` and `Username: ...`
// on success, and on failure writes the reason on stderr and exits 1. Other
// stdout lines are commentary. It does not flush stdout, so it runs under
// `stdbuf -oL`. It cannot send additional data with success, so SCRAM's
// server-final comes as a challenge answered with an empty response.
//
// And the other way: Cyrus `sasl-sample-client` -> saslkit server, in the
// same line format (the client reads the mechanism list as `S:`, then its
// password on the next stdin line, as getpass() falls back to stdin without
// a terminal; it prints `Negotiation complete` when its side is done, which
// for SCRAM means it verified saslkit's server signature).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { AuthenticationFailure, PLAIN, SASLFailure, SASLInterface, SCRAM, authenticate, type NextStateTuple } from '../src/index.js';
import { base64Decode, base64Encode, concatBytes, utf8Encode } from '../src/mechanism.js';
import { ChildProcessLineTransport } from '../src/node/index.js';
import { MemoryCredentialStore, PLAINServer, SASLServer, scramServerMechanisms, type AuthOutcome } from '../src/server/index.js';
import { drain } from './helpers/child-lines.js';
import { describeWithPeers } from './helpers/peers.js';

const SAMPLE_SERVER = 'sasl-sample-server';
const SAMPLE_CLIENT = 'sasl-sample-client';
const SASLPASSWD = 'saslpasswd2';
const USER = 'user';
const PASSWORD = 'pencil';
const REALM = 'example.test';
const TIMEOUT = 30_000;

/** A SASLInterface to one run of sasl-sample-server (one exchange). */
class CyrusSampleServer extends SASLInterface {
  /** The mechanisms it offered. */
  offered: string[] = [];
  /** The `Username:` it reported after success. */
  username: string | null = null;
  /** Its stderr after it failed. */
  diagnostics: string[] = [];
  /** Every mechanism it was asked to start. */
  readonly started: string[] = [];

  constructor(readonly child: ChildProcessLineTransport) {
    super();
  }

  /** A pipe to a local child process: nothing crosses a network. */
  override get secure(): boolean {
    return true;
  }

  /** Read the mechanism list. */
  async open(): Promise<string[]> {
    const [, list] = await this.#next();
    this.offered = new TextDecoder().decode(list ?? new Uint8Array(0)).split(' ').filter(Boolean);
    return this.offered;
  }

  async #next(): Promise<NextStateTuple> {
    for (;;) {
      let line: string;
      try {
        line = await this.child.readLine();
      } catch {
        this.diagnostics = await drain(this.child.diagnostics);
        const text = this.diagnostics.join(' | ');
        throw new SASLFailure(/authentication failure|user not found/i.test(text) ? 'not-authorized' : 'temporary-auth-failure', text);
      }
      if (line === 'S:' || line.startsWith('S: ')) return ['challenge', base64Decode(line.slice(3).trim())];
      if (line === 'Negotiation complete') {
        for (let i = 0; i < 10 && this.username === null; i++) {
          const more = await this.child.readLine();
          if (more.startsWith('Username: ')) this.username = more.slice('Username: '.length);
        }
        return ['success', null];
      }
    }
  }

  async initiate(mechanism: string, payload?: Uint8Array | null): Promise<NextStateTuple> {
    this.started.push(mechanism);
    const message = payload == null ? utf8Encode(mechanism) : concatBytes(utf8Encode(mechanism), new Uint8Array([0]), payload);
    await this.child.writeLine(`C: ${base64Encode(message)}`);
    return this.#next();
  }

  async respond(payload: Uint8Array): Promise<NextStateTuple> {
    await this.child.writeLine(`C: ${base64Encode(payload)}`);
    return this.#next();
  }

  async abort(): Promise<NextStateTuple> {
    this.child.kill();
    return ['failure', null];
  }
}

describeWithPeers('Cyrus SASL interop (sasl-sample-server over pipes)', ['stdbuf', SAMPLE_SERVER, SASLPASSWD], () => {
  let dir = '';
  const running = new Set<ChildProcessLineTransport>();

  /** The sample server's config file: `<app>.conf`, app name "sample". */
  function configure(mechList: string | null): void {
    const lines = [`sasldb_path: ${join(dir, 'sasldb')}`];
    if (mechList !== null) lines.push(`mech_list: ${mechList}`);
    writeFileSync(join(dir, 'sample.conf'), `${lines.join('\n')}\n`);
  }

  async function connect(): Promise<CyrusSampleServer> {
    const child = ChildProcessLineTransport.spawn('stdbuf', ['-oL', SAMPLE_SERVER, '-s', 'sample', '-u', REALM], {
      env: { ...process.env, LC_ALL: 'C', SASL_CONF_PATH: dir },
      readTimeoutMs: 15_000,
      stopGraceMs: 2000,
    });
    running.add(child);
    const intf = new CyrusSampleServer(child);
    await intf.open();
    return intf;
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'saslkit-cyrus-'));
    configure(null);
    const made = spawnSync(SASLPASSWD, ['-p', '-c', '-a', 'sample', '-f', join(dir, 'sasldb'), '-u', REALM, USER], {
      input: PASSWORD,
      env: { ...process.env, LC_ALL: 'C', SASL_CONF_PATH: dir },
      timeout: 15_000,
    });
    expect(made.status, String(made.stderr)).toBe(0);
  });

  afterEach(async () => {
    const all = [...running];
    running.clear();
    await Promise.all(all.map((c) => c.stop()));
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a stock server (every installed mechanism) offers SCRAM-SHA-512 and SCRAM-SHA-256 next to PLAIN', async () => {
    configure(null);
    const intf = await connect();
    expect(intf.offered).toEqual(expect.arrayContaining(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']));
  }, TIMEOUT);

  it('default options: logs in with SCRAM-SHA-512 at the stock 4096 iterations, never falling to PLAIN', async () => {
    configure(null);
    const intf = await connect();
    const mechanism = await authenticate(intf, intf.offered, [new SCRAM(() => [USER, PASSWORD]), new PLAIN(() => [USER, PASSWORD])]);
    expect(mechanism).toBe('SCRAM-SHA-512');
    expect(intf.started).toEqual(['SCRAM-SHA-512']);
    expect(intf.username).toBe(`${USER}@${REALM}`);
  }, TIMEOUT);

  it('SCRAM-SHA-256', async () => {
    configure('SCRAM-SHA-256 PLAIN');
    const intf = await connect();
    expect(await authenticate(intf, intf.offered, [new SCRAM(() => [USER, PASSWORD])])).toBe('SCRAM-SHA-256');
    expect(intf.username).toBe(`${USER}@${REALM}`);
  }, TIMEOUT);

  it('SCRAM-SHA-1', async () => {
    configure('SCRAM-SHA-1');
    const intf = await connect();
    expect(await authenticate(intf, intf.offered, [new SCRAM(() => [USER, PASSWORD])])).toBe('SCRAM-SHA-1');
    expect(intf.username).toBe(`${USER}@${REALM}`);
  }, TIMEOUT);

  it('PLAIN', async () => {
    configure('PLAIN');
    const intf = await connect();
    expect(await authenticate(intf, intf.offered, [new PLAIN(() => [USER, PASSWORD])])).toBe('PLAIN');
    expect(intf.username).toBe(`${USER}@${REALM}`);
  }, TIMEOUT);

  it('a wrong password fails SCRAM-SHA-512 as an AuthenticationFailure, with no fallback to PLAIN', async () => {
    configure(null);
    const intf = await connect();
    const err = await authenticate(intf, intf.offered, [new SCRAM(() => [USER, 'wrong']), new PLAIN(() => [USER, 'wrong'])]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect(intf.started).toEqual(['SCRAM-SHA-512']);
    expect(intf.diagnostics.join('\n')).toMatch(/authentication failure/i);
  }, TIMEOUT);

  it('a wrong password fails PLAIN', async () => {
    configure('PLAIN');
    const intf = await connect();
    const err = await authenticate(intf, intf.offered, [new PLAIN(() => [USER, 'wrong'])]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect((err as AuthenticationFailure).opaqueError).toBe('not-authorized');
    expect(intf.username).toBeNull();
  }, TIMEOUT);
});

describeWithPeers('Cyrus SASL interop (sasl-sample-client -> saslkit server over pipes)', ['setsid', 'stdbuf', SAMPLE_CLIENT], () => {
  const running = new Set<ChildProcessLineTransport>();
  afterEach(async () => {
    const all = [...running];
    running.clear();
    await Promise.all(all.map((c) => c.stop()));
  });

  async function serveSampleClient(mechanisms: string, password: string): Promise<{ outcome: AuthOutcome | null; clientDone: boolean; chose: string }> {
    const credentials = new MemoryCredentialStore();
    await credentials.addUser(USER, PASSWORD, { iterations: 4096 });
    const server = new SASLServer({ mechanisms: [...scramServerMechanisms({ plus: false }), new PLAINServer()], credentials });
    // setsid: no controlling terminal, so getpass() reads the password from
    // stdin instead of prompting on the terminal of whoever runs the tests.
    const child = ChildProcessLineTransport.spawn('setsid', ['-w', 'stdbuf', '-oL', SAMPLE_CLIENT, '-s', 'sample', '-a', USER, '-n', 'localhost'], {
      env: { ...process.env, LC_ALL: 'C' },
      readTimeoutMs: 15_000,
      stopGraceMs: 2000,
    });
    running.add(child);
    await child.writeLine(`S: ${base64Encode(utf8Encode(mechanisms))}`);
    await child.writeLine(password);
    const readC = async (): Promise<Uint8Array> => {
      for (;;) {
        const line = await child.readLine();
        if (line === 'C:' || line.startsWith('C: ')) return base64Decode(line.slice(3).trim());
      }
    };
    const first = await readC();
    const nul = first.indexOf(0);
    const chose = new TextDecoder().decode(nul < 0 ? first : first.subarray(0, nul));
    const exchange = server.start(chose, { secure: true }, { successData: 'challenge' });
    let result = await exchange.step(nul < 0 ? null : first.subarray(nul + 1));
    while (result.kind === 'challenge') {
      await child.writeLine(`S: ${base64Encode(result.data)}`);
      result = await exchange.step(await readC());
    }
    let clientDone = false;
    if (result.kind === 'success') {
      // The client's side ends by itself: PLAIN at once, SCRAM after v=.
      for (let i = 0; i < 20; i++) {
        const line = await child.readLine();
        if (line === 'Negotiation complete') {
          clientDone = true;
          break;
        }
      }
    }
    return { outcome: result.kind === 'success' ? result.outcome : null, clientDone, chose };
  }

  it('SCRAM-SHA-256: the Cyrus client verifies the saslkit server signature', async () => {
    const r = await serveSampleClient('SCRAM-SHA-256', PASSWORD);
    expect(r.chose).toBe('SCRAM-SHA-256');
    expect(r.outcome?.authcid).toBe(USER);
    expect(r.clientDone).toBe(true);
  }, TIMEOUT);

  it('SCRAM-SHA-512 at 4096 iterations', async () => {
    const r = await serveSampleClient('SCRAM-SHA-512', PASSWORD);
    expect(r.chose).toBe('SCRAM-SHA-512');
    expect(r.outcome?.authcid).toBe(USER);
    expect(r.clientDone).toBe(true);
  }, TIMEOUT);

  it('PLAIN', async () => {
    const r = await serveSampleClient('PLAIN', PASSWORD);
    expect(r.outcome?.authcid).toBe(USER);
  }, TIMEOUT);

  it('a wrong password is refused', async () => {
    for (const mech of ['SCRAM-SHA-256', 'PLAIN']) {
      const r = await serveSampleClient(mech, 'wrong');
      expect(r.outcome).toBeNull();
    }
  }, TIMEOUT);
});
