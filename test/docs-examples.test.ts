// The guides' and the README's example code is real: it lives in
// docs/examples/*.ts, is type-checked with the project, and runs here against
// an in-process server of the toy line protocol. The markdown quotes those
// files; this suite fails if a quote drifts from the code.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ToyLineInterface } from '../docs/examples/line-protocol.js';
import { memoryLinePair } from '../docs/examples/memory-transport.js';
import { signIn } from '../docs/examples/readme.js';
import { XOTP } from '../docs/examples/x-otp.js';
import { XOTPServer } from '../docs/examples/x-otp-server.js';
import { NoCancelInterface } from '../docs/examples/no-cancel.js';
import { LoopbackInterface, SASLServer, type ServerConnection } from '../src/server/index.js';
import { AuthenticationFailure, EXTERNAL, PLAIN, SASLError, SASLFailure, SASLStateMachine, SCRAM, authenticate } from '../src/index.js';
import { runMechanism } from '../src/mechanism.js';
import type { LineTransport } from '../src/protocols/imap/index.js';
import { PACKAGE_SPECIFIERS, exampleRegion, markdownBlocks } from './helpers/doc-quotes.js';

const USER = 'user';
const PASSWORD = 'pencil';
const SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const ITERATIONS = 4096;

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
const unb64 = (s: string): string => (s === '=' ? '' : Buffer.from(s, 'base64').toString('utf8'));

interface ServerOptions {
  /** Mechanisms this server accepts. */
  readonly mechanisms: readonly string[];
  /** Answer every AUTH of this mechanism with this line instead. */
  readonly refuse?: Readonly<Record<string, string>>;
  /** Answer the first client line with this raw line. */
  readonly rawReply?: string;
  /** The password the server holds for USER; default PASSWORD. */
  readonly password?: string;
  /** Make X-OTP's server proof wrong (a server that cannot prove itself). */
  readonly forgeServerProof?: boolean;
}

/**
 * A server of the toy protocol, written independently of saslkit (SCRAM on
 * node:crypto) so the example is checked against a second implementation.
 * It records every line it receives.
 */
function startToyServer(transport: LineTransport, options: ServerOptions): { lines: string[]; done: Promise<void> } {
  const lines: string[] = [];
  const read = async (): Promise<string> => {
    const line = await transport.readLine();
    lines.push(line);
    return line;
  };
  const send = (line: string): Promise<void> => transport.writeLine(line);

  async function scramSha256(clientFirst: string): Promise<void> {
    const m = /^n,,n=([^,]*),r=([^,]+)$/.exec(clientFirst);
    if (!m) return send('NO malformed-request');
    const clientFirstBare = clientFirst.slice(3);
    const nonce = m[2]! + randomBytes(18).toString('base64');
    const serverFirst = `r=${nonce},s=${SALT.toString('base64')},i=${ITERATIONS}`;
    await send(`+ ${b64(serverFirst)}`);
    const answer = await read();
    if (answer === '*') return send('NO aborted');
    const clientFinal = unb64(answer);
    const f = /^(c=biws,r=([^,]+)),p=([^,]+)$/.exec(clientFinal);
    if (!f || f[2] !== nonce) return send('NO malformed-request');
    const salted = pbkdf2Sync(options.password ?? PASSWORD, SALT, ITERATIONS, 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const authMessage = `${clientFirstBare},${serverFirst},${f[1]}`;
    const signature = createHmac('sha256', storedKey).update(authMessage).digest();
    const proof = Buffer.from(f[3]!, 'base64');
    const recovered = Buffer.from(signature.map((b, i) => b ^ (proof[i] ?? 0)));
    const ok =
      m[1] === USER && proof.length === 32 && timingSafeEqual(createHash('sha256').update(recovered).digest(), storedKey);
    if (!ok) return send('NO not-authorized bad proof');
    const serverKey = createHmac('sha256', salted).update('Server Key').digest();
    const serverSignature = createHmac('sha256', serverKey).update(authMessage).digest();
    // Success with additional data: the server-final message rides on OK.
    await send(`OK ${b64(`v=${serverSignature.toString('base64')}`)}`);
  }

  async function xotp(username: string): Promise<void> {
    const nonce = randomBytes(12).toString('hex');
    await send(`+ ${b64(`c=${nonce}`)}`);
    const answer = await read();
    if (answer === '*') return send('NO aborted');
    const hmac = (data: string): string => createHmac('sha256', options.password ?? PASSWORD).update(data).digest('hex');
    if (username !== USER || unb64(answer) !== hmac(nonce)) return send('NO not-authorized');
    const proof = options.forgeServerProof ? hmac('forged') : hmac(`server:${nonce}`);
    // Success with additional data ends the exchange: no answer follows.
    await send(`OK ${b64(`s=${proof}`)}`);
  }

  async function serve(): Promise<void> {
    for (let exchange = 0; exchange < 8; exchange++) {
      const line = await read();
      if (options.rawReply !== undefined) {
        await send(options.rawReply);
        continue;
      }
      const auth = /^AUTH (\S+)(?: (\S+))?$/.exec(line);
      if (!auth) {
        await send('NO malformed-request');
        continue;
      }
      const [, mechanism, initial] = auth as unknown as [string, string, string | undefined];
      if (options.refuse?.[mechanism] !== undefined) {
        await send(options.refuse[mechanism]!);
        continue;
      }
      if (!options.mechanisms.includes(mechanism)) {
        await send('NO invalid-mechanism');
        continue;
      }
      if (mechanism === 'PLAIN') {
        const message = initial === undefined ? unb64(await read()) : unb64(initial);
        await send(message === `\0${USER}\0${PASSWORD}` ? 'OK' : 'NO not-authorized');
      } else if (mechanism === 'EXTERNAL') {
        await send(initial === '=' ? 'OK' : 'NO invalid-authzid');
      } else if (mechanism === 'SCRAM-SHA-256') {
        await scramSha256(initial === undefined ? unb64(await read()) : unb64(initial));
      } else if (mechanism === 'X-OTP') {
        await xotp(initial === undefined ? '' : unb64(initial));
      } else if (mechanism === 'X-ECHO') {
        // A test mechanism: one challenge, then success.
        await send('+ =');
        const answer = await read();
        await send(answer === '*' ? 'NO aborted' : 'OK');
      }
    }
  }
  // The server ends when the client side closes its end.
  const done = serve().catch(() => undefined);
  return { lines, done };
}

let open: LineTransport[] = [];
function connect(options: ServerOptions, secure = false): { client: LineTransport; server: { lines: string[]; done: Promise<void> } } {
  const [client, serverEnd] = memoryLinePair(5_000, secure);
  open.push(client, serverEnd);
  return { client, server: startToyServer(serverEnd, options) };
}
afterEach(() => {
  for (const t of open) t.close();
  open = [];
});

describe('README example: SCRAM-SHA-256 falling back to PLAIN', () => {
  it('uses SCRAM-SHA-256 when offered; the server signature arrives as success data', async () => {
    const { client, server } = connect({ mechanisms: ['SCRAM-SHA-256', 'PLAIN'] });
    await expect(signIn(client, ['PLAIN', 'SCRAM-SHA-256'])).resolves.toBe('SCRAM-SHA-256');
    expect(server.lines).toHaveLength(2);
    expect(server.lines[0]).toMatch(/^AUTH SCRAM-SHA-256 [A-Za-z0-9+/]+=*$/);
    expect(unb64(server.lines[0]!.split(' ')[2]!)).toMatch(/^n,,n=user,r=/);
  });

  it('falls back to PLAIN when SCRAM is not offered, over a secure channel', async () => {
    const { client, server } = connect({ mechanisms: ['PLAIN'] }, true);
    await expect(signIn(client, ['PLAIN'])).resolves.toBe('PLAIN');
    expect(server.lines).toEqual([`AUTH PLAIN ${b64('\0user\0pencil')}`]);
  });

  it('never sends the password in clear over a channel not known to be secure', async () => {
    const { client, server } = connect({ mechanisms: ['PLAIN'] });
    const err = await signIn(client, ['PLAIN']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SASLFailure);
    expect((err as SASLFailure).opaqueError).toBeNull();
    expect((err as SASLFailure).text).toMatch(/not known to be secure/);
    expect(err).toMatchObject({ attempts: [{ mechanism: 'PLAIN' }] });
    expect(server.lines).toEqual([]);
  });

  it('falls back to PLAIN when SCRAM fails for a reason other than the credentials', async () => {
    const { client, server } = connect({ mechanisms: ['PLAIN'], refuse: { 'SCRAM-SHA-256': 'NO temporary-auth-failure try later' } }, true);
    await expect(signIn(client, ['SCRAM-SHA-256', 'PLAIN'])).resolves.toBe('PLAIN');
    expect(server.lines.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['AUTH SCRAM-SHA-256', 'AUTH PLAIN']);
  });

  it('stops at refused credentials: AuthenticationFailure, PLAIN never tried', async () => {
    const { client, server } = connect({ mechanisms: ['SCRAM-SHA-256', 'PLAIN'], password: 'not pencil' });
    const err = await signIn(client, ['SCRAM-SHA-256', 'PLAIN']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect((err as AuthenticationFailure).opaqueError).toBe('not-authorized');
    expect(server.lines).toHaveLength(2);
    expect(server.lines[0]).toMatch(/^AUTH SCRAM-SHA-256 /);
  });
});

describe('protocol-adapter guide: ToyLineInterface', () => {
  it('encodes no initial response as nothing and an empty one as "="', async () => {
    const { client, server } = connect({ mechanisms: ['EXTERNAL', 'X-ECHO'] });
    const intf = new ToyLineInterface(client);
    await expect(authenticate(intf, ['EXTERNAL'], [new EXTERNAL()])).resolves.toBe('EXTERNAL');
    const sm = new SASLStateMachine(intf);
    const [state, payload] = await sm.initiate('X-ECHO');
    expect(state).toBe('challenge');
    expect(payload).toEqual(new Uint8Array(0));
    await expect(sm.response(new Uint8Array(0))).resolves.toEqual(['success', null]);
    expect(server.lines).toEqual(['AUTH EXTERNAL =', 'AUTH X-ECHO', '=']);
  });

  it('maps NO <condition> to a SASLFailure with that RFC 6120 condition and the text', async () => {
    const { client } = connect({ mechanisms: [], refuse: { 'SCRAM-SHA-256': 'NO mechanism-too-weak use TLS' } });
    const sm = new SASLStateMachine(new ToyLineInterface(client));
    const err = await sm.initiate('SCRAM-SHA-256', new Uint8Array(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SASLFailure);
    expect((err as SASLFailure).opaqueError).toBe('mechanism-too-weak');
    expect((err as SASLFailure).text).toBe('use TLS');
    expect(sm.state).toBe('failure');
  });

  it('maps an unknown condition to not-authorized, keeping the peer words', async () => {
    const { client } = connect({ mechanisms: [], refuse: { PLAIN: 'NO x-banned go away' } });
    const err = await new SASLStateMachine(new ToyLineInterface(client)).initiate('PLAIN', null).catch((e: unknown) => e);
    expect((err as SASLFailure).opaqueError).toBe('not-authorized');
    expect((err as SASLFailure).text).toBe('x-banned go away');
  });

  it('rejects a malformed reply and bad base64 with a SASLFailure', async () => {
    const bad = connect({ mechanisms: [], rawReply: 'HELLO' });
    await expect(new SASLStateMachine(new ToyLineInterface(bad.client)).initiate('PLAIN')).rejects.toThrow(/malformed server reply/);
    const b64bad = connect({ mechanisms: [], rawReply: '+ !!!!' });
    const err = await new SASLStateMachine(new ToyLineInterface(b64bad.client)).initiate('PLAIN').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SASLFailure);
    expect((err as SASLFailure).opaqueError).toBe('incorrect-encoding');
  });

  it('aborts with "*" and reports failure', async () => {
    const { client, server } = connect({ mechanisms: ['X-ECHO'] });
    const sm = new SASLStateMachine(new ToyLineInterface(client));
    await sm.initiate('X-ECHO');
    await expect(sm.abort()).resolves.toEqual(['failure', null]);
    expect(sm.state).toBe('failure');
    expect(server.lines).toEqual(['AUTH X-ECHO', '*']);
  });
});

describe('writing-a-mechanism guide: X-OTP', () => {
  const otp = new XOTP(() => [USER, PASSWORD]);

  it('authenticates and checks the server proof carried by success', async () => {
    const { client, server } = connect({ mechanisms: ['X-OTP'] });
    await expect(authenticate(new ToyLineInterface(client), ['PLAIN', 'X-OTP'], [otp])).resolves.toBe('X-OTP');
    expect(server.lines[0]).toBe(`AUTH X-OTP ${b64(USER)}`);
    // The mechanism's empty answer to the success data stays local.
    expect(server.lines).toHaveLength(2);
  });

  it('is reusable: the same instance runs a second exchange', async () => {
    const { client } = connect({ mechanisms: ['X-OTP'] });
    const intf = new ToyLineInterface(client);
    await authenticate(intf, ['X-OTP'], [otp]);
    await expect(authenticate(intf, ['X-OTP'], [otp])).resolves.toBe('X-OTP');
  });

  it('promotes a refusal of the proof to AuthenticationFailure', async () => {
    const { client } = connect({ mechanisms: ['X-OTP'], password: 'other' });
    const err = await authenticate(new ToyLineInterface(client), ['X-OTP'], [otp]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect((err as AuthenticationFailure).opaqueError).toBe('not-authorized');
  });

  it('stops when the server cannot prove itself (no abort: its success already ended the exchange)', async () => {
    const { client, server } = connect({ mechanisms: ['X-OTP'], forgeServerProof: true });
    const err = await authenticate(new ToyLineInterface(client), ['X-OTP'], [otp]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect((err as AuthenticationFailure).text).toMatch(/server proof is wrong/);
    expect(server.lines.at(-1)).not.toBe('*');
  });

  it('aborts on a malformed challenge with a local SASLFailure', async () => {
    const { client, server } = connect({ mechanisms: [], rawReply: `+ ${b64('c=short')}` });
    const err = await runMechanism(new XOTP(() => [USER, PASSWORD]), new SASLStateMachine(new ToyLineInterface(client)), 'X-OTP').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SASLFailure);
    expect((err as SASLFailure).opaqueError).toBeNull();
    expect(server.lines.at(-1)).toBe('*');
  });
});

describe('the markdown quotes the example files verbatim', () => {
  const quotes: ReadonlyArray<readonly [string, string, string]> = [
    ['README.md', 'docs/examples/readme.ts', 'readme'],
    ['docs/protocol-adapter.md', 'docs/examples/line-protocol.ts', 'adapter'],
    ['docs/protocol-adapter.md', 'docs/examples/memory-transport.ts', 'memory'],
    ['docs/writing-a-mechanism.md', 'docs/examples/x-otp.ts', 'x-otp'],
    ['docs/writing-a-mechanism.md', 'docs/examples/x-otp-server.ts', 'x-otp-server'],
    ['docs/protocol-adapter.md', 'docs/examples/no-cancel.ts', 'no-cancel'],
  ];
  for (const [markdown, file, name] of quotes) {
    it(`${markdown} quotes ${file}#${name}`, () => {
      expect(markdownBlocks(markdown)).toContain(exampleRegion(file, name));
    });
  }

  // A block whose first line is "// from <path>" is an excerpt of that file.
  const guides = ['README.md', ...readdirSync(new URL('../docs/', import.meta.url)).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  for (const markdown of guides) {
    it(`${markdown}: every "// from <file>" excerpt is in that file`, () => {
      for (const block of markdownBlocks(markdown)) {
        const m = /^\/\/ from (\S+)\n/.exec(block);
        if (!m) continue;
        let source = readFileSync(new URL(`../${m[1]!}`, import.meta.url), 'utf8');
        // An excerpt of an example file reads its imports as a user writes them.
        for (const [from, to] of PACKAGE_SPECIFIERS) source = source.split(from).join(to);
        expect(source).toContain(block.slice(m[0].length));
      }
    });
  }
});

describe('X-OTP, both sides (docs/writing-a-mechanism.md): the client against the server through SASLServer', () => {
  const secrets = new Map([['user', 'otp-secret']]);
  const server = new SASLServer({ mechanisms: [new XOTPServer((name) => secrets.get(name) ?? null)] });
  const connection: ServerConnection = { secure: false };
  const login = async (user: string, secret: string, initialResponse = true) => {
    const intf = new LoopbackInterface(server, connection, { initialResponse });
    const mechanism = await authenticate(intf, server.advertise(connection), [new XOTP(() => [user, secret])]);
    return { mechanism, outcome: intf.outcome };
  };

  it('is offered on a plain connection (no password crosses the wire) and logs in, with and without an initial response', async () => {
    expect(server.advertise(connection)).toEqual(['X-OTP']);
    for (const initialResponse of [true, false]) {
      const { mechanism, outcome } = await login('user', 'otp-secret', initialResponse);
      expect(mechanism).toBe('X-OTP');
      expect(outcome).toMatchObject({ mechanism: 'X-OTP', authcid: 'user', authzid: 'user' });
    }
  });

  it('refuses a wrong secret and an unknown user alike, as an AuthenticationFailure', async () => {
    for (const [user, secret] of [['user', 'wrong'], ['nobody', 'otp-secret']] as const) {
      const err = await login(user, secret).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthenticationFailure);
      expect((err as AuthenticationFailure).opaqueError).toBe('not-authorized');
    }
  });

  it('answers bad client messages with a condition, never a crash', async () => {
    const step = async (...messages: string[]) => {
      const exchange = server.start('X-OTP', connection);
      let result = await exchange.step(new TextEncoder().encode(messages[0]!));
      for (const m of messages.slice(1)) result = await exchange.step(new TextEncoder().encode(m));
      return result;
    };
    expect(await step('')).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
    expect(await step('user', 'not hex')).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
    expect(await step('user', '0'.repeat(64))).toMatchObject({ kind: 'failure', condition: 'not-authorized' });
    const challenge = await step('user');
    expect(challenge.kind).toBe('challenge');
    expect(new TextDecoder().decode((challenge as { data: Uint8Array }).data)).toMatch(/^c=[\x21-\x7e]{24}$/);
  });
});

describe('protocol-adapter guide: a protocol without a cancel command', () => {
  /** The toy protocol's initiate/respond on top of the guide's abort. */
  class NoCancelToy extends NoCancelInterface {
    // An in-memory pair: nothing leaves the process, so PLAIN may be tried
    // (and then meets the closed transport rather than the cleartext guard).
    override get secure() {
      return true;
    }
    override async initiate(mechanism: string, payload: Uint8Array | null = null) {
      await this.transport.writeLine(payload === null ? `AUTH ${mechanism}` : `AUTH ${mechanism} ${payload.length === 0 ? '=' : b64(Buffer.from(payload))}`);
      return this.#reply();
    }
    override async respond(payload: Uint8Array) {
      await this.transport.writeLine(payload.length === 0 ? '=' : b64(Buffer.from(payload)));
      return this.#reply();
    }
    async #reply() {
      const line = await this.transport.readLine();
      if (line.startsWith('+ ')) return ['challenge', new Uint8Array(Buffer.from(line.slice(2), 'base64'))] as const;
      if (line === 'OK') return ['success', null] as const;
      throw new SASLFailure('not-authorized', line);
    }
  }

  it('abort closes the connection; the negotiation loop then stops on the dead transport instead of trying PLAIN', async () => {
    const [client, server] = memoryLinePair(5_000);
    const seen: string[] = [];
    const serverDone = (async () => {
      seen.push(await server.readLine());
      await server.writeLine(`+ ${b64('not a server-first-message')}`); // SCRAM rejects it and aborts
      return server.readLine().then(
        (line) => `read ${line}`,
        (err: unknown) => `closed: ${(err as Error).message}`,
      );
    })();
    const credentials = () => [USER, PASSWORD] as const;
    const err = await authenticate(new NoCancelToy(client), ['SCRAM-SHA-256', 'PLAIN'], [
      new SCRAM(credentials, { hashes: ['SHA-256'] }),
      new PLAIN(credentials),
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SASLError);
    expect(err).not.toBeInstanceOf(SASLFailure);
    expect((err as SASLError).kind).toBe('transport error');
    expect(seen).toEqual([expect.stringMatching(/^AUTH SCRAM-SHA-256 /)]);
    expect(await serverDone).toMatch(/^closed/);
  });
});
