// A SASLInterface that replays a scripted server, for unit tests where the
// peer is a fixed RFC transcript. Each step checks what the client sent.
import { createHash, createHmac, pbkdf2Sync, timingSafeEqual as nodeTimingSafeEqual } from 'node:crypto';
import { SASLFailure, SASLInterface, type NextStateTuple } from '../../src/index.js';

/** What a step checks the client sent: exact bytes/text, `null` (none), or a custom check. */
export type Expectation = Uint8Array | string | null | ((sent: Uint8Array | null) => void);

/** What the scripted peer does at one step: reply with a tuple, or fail with a condition. */
export type ScriptStep =
  | { expect?: Expectation; reply: NextStateTuple | readonly [string, Uint8Array | string | null] }
  | { expect?: Expectation; fail: string | null; text?: string }
  | { expect?: Expectation; throws: unknown }
  // Returned exactly as given, for testing what the state machine does with a malformed reply.
  | { expect?: Expectation; raw: unknown };

/** How the scripted peer answers `abort()`: a tuple (default `['failure', null]`) or a failure. */
export type AbortBehaviour =
  | { reply: NextStateTuple | readonly [string, Uint8Array | string | null] }
  | { fail: string | null; text?: string }
  | { throws: unknown };

const enc = new TextEncoder();
const dec = new TextDecoder();
const asBytes = (v: Uint8Array | string | null): Uint8Array | null => (typeof v === 'string' ? enc.encode(v) : v);

function act(
  step: { reply: readonly [string, Uint8Array | string | null] } | { fail: string | null; text?: string } | { throws: unknown } | { raw: unknown },
): NextStateTuple {
  if ('raw' in step) return step.raw as NextStateTuple;
  if ('throws' in step) throw step.throws;
  if ('fail' in step) throw new SASLFailure(step.fail, step.text);
  return [step.reply[0], asBytes(step.reply[1])] as unknown as NextStateTuple;
}

export class ScriptedInterface extends SASLInterface {
  readonly sent: Array<{ op: string; mechanism?: string; payload: Uint8Array | null }> = [];
  #steps: ScriptStep[];
  readonly #abort: AbortBehaviour;
  aborted = false;
  readonly #secure: boolean;
  /**
   * @param options.secure - what `secure` reports (default true: a script has
   *   no channel to eavesdrop on; pass false to test the cleartext guard)
   */
  constructor(steps: ScriptStep[], options: { abort?: AbortBehaviour; secure?: boolean } = {}) {
    super();
    this.#steps = [...steps];
    this.#abort = options.abort ?? { reply: ['failure', null] };
    this.#secure = options.secure ?? true;
  }
  override get secure(): boolean {
    return this.#secure;
  }
  async #next(sent: Uint8Array | null): Promise<NextStateTuple> {
    const step = this.#steps.shift();
    if (!step) throw new Error('script exhausted');
    if (step.expect !== undefined) {
      if (typeof step.expect === 'function') step.expect(sent);
      else {
        const want = asBytes(step.expect);
        const got = sent === null ? null : dec.decode(sent);
        const exp = want === null ? null : dec.decode(want);
        if (got !== exp) throw new Error(`script mismatch: expected ${JSON.stringify(exp)}, got ${JSON.stringify(got)}`);
      }
    }
    return act(step);
  }
  override initiate(mechanism: string, payload: Uint8Array | null = null): Promise<NextStateTuple> {
    this.sent.push({ op: 'initiate', mechanism, payload });
    return this.#next(payload);
  }
  override respond(payload: Uint8Array): Promise<NextStateTuple> {
    this.sent.push({ op: 'respond', payload });
    return this.#next(payload);
  }
  override async abort(): Promise<NextStateTuple> {
    this.sent.push({ op: 'abort', payload: null });
    this.aborted = true;
    return act(this.#abort);
  }
  get remaining(): number {
    return this.#steps.length;
  }
  /** What the client sent, as text (`null` for no payload), in order. */
  get sentText(): Array<string | null> {
    return this.sent.map((s) => (s.payload === null ? null : dec.decode(s.payload)));
  }
  /** The operations the client called, in order. */
  get ops(): string[] {
    return this.sent.map((s) => s.op);
  }
}

// ---------------------------------------------------------------------------
// An independent SCRAM server (RFC 5802 §3) computed with node:crypto only, so
// client tests check the code under test against a second implementation.

/** SCRAM hash names and their node:crypto names. */
export const NODE_HASH = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-512': 'sha512', 'SHA3-512': 'sha3-512' } as const;

/** A SCRAM hash name known to {@link ReferenceScramServer}. */
export type ReferenceHash = keyof typeof NODE_HASH;

/** Configuration of {@link ReferenceScramServer}. */
export interface ReferenceScramOptions {
  readonly hash: ReferenceHash;
  /** The (prepared) user name the client must send, unescaped. */
  readonly username: string;
  /** The (prepared) password the server checks the proof against. */
  readonly password: string;
  readonly salt: Uint8Array;
  readonly iterations: number;
  /** Appended to the client nonce. Default a fixed string. */
  readonly serverNonce?: string;
  /** Channel-binding data the client must bind to (for `p=`). Default none. */
  readonly cbData?: Uint8Array;
  /** Send server-final as additional data with success (default) or as a challenge. */
  readonly finalAs?: 'success' | 'challenge';
  /** Replace server-first before it is sent. */
  readonly tamperServerFirst?: (message: string) => string | Uint8Array;
  /** Replace server-final before it is sent. */
  readonly tamperServerFinal?: (message: string) => string | Uint8Array;
}

/** The SCRAM values of one exchange, computed with node:crypto. */
export interface ReferenceScramValues {
  readonly saltedPassword: Buffer;
  readonly clientKey: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

/** Compute SaltedPassword, ClientKey, StoredKey and ServerKey with node:crypto. */
export function referenceScramKeys(hash: ReferenceHash, password: string, salt: Uint8Array, iterations: number): ReferenceScramValues {
  const name = NODE_HASH[hash];
  const length = createHash(name).digest().length;
  const saltedPassword = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, length, name);
  const clientKey = createHmac(name, saltedPassword).update('Client Key').digest();
  return {
    saltedPassword,
    clientKey,
    storedKey: createHash(name).update(clientKey).digest(),
    serverKey: createHmac(name, saltedPassword).update('Server Key').digest(),
  };
}

/** A SCRAM server over the SASLInterface, written independently of the code under test. */
export class ReferenceScramServer extends SASLInterface {
  readonly options: ReferenceScramOptions;
  readonly ops: string[] = [];
  mechanism: string | null = null;
  gs2Header: string | null = null;
  authzid: string | null = null;
  clientFirstBare: string | null = null;
  serverFirst: string | null = null;
  clientFinal: string | null = null;
  aborted = false;
  #step = 0;
  #nonce = '';

  constructor(options: ReferenceScramOptions) {
    super();
    this.options = options;
  }

  #refuse(why: string): never {
    throw new SASLFailure('not-authorized', `reference server: ${why}`);
  }

  override async initiate(mechanism: string, payload: Uint8Array | null = null): Promise<NextStateTuple> {
    this.ops.push('initiate');
    this.mechanism = mechanism;
    if (payload === null) this.#refuse('no initial response');
    const text = dec.decode(payload);
    const m = /^(n|y|p=[A-Za-z0-9.-]+),(?:a=([^,]+))?,(n=([^,]+),r=([^,]+))$/.exec(text);
    if (!m) this.#refuse('malformed client-first');
    this.gs2Header = text.slice(0, text.length - m[3]!.length);
    this.authzid = m[2] === undefined ? null : m[2].replace(/=2C/g, ',').replace(/=3D/g, '=');
    this.clientFirstBare = m[3]!;
    const user = m[4]!.replace(/=2C/g, ',').replace(/=3D/g, '=');
    if (user !== this.options.username) this.#refuse(`unknown user ${JSON.stringify(user)}`);
    this.#nonce = m[5]! + (this.options.serverNonce ?? '3rfcNHYJY1ZVvWVs7j');
    const first = `r=${this.#nonce},s=${Buffer.from(this.options.salt).toString('base64')},i=${this.options.iterations}`;
    const sent = this.options.tamperServerFirst ? this.options.tamperServerFirst(first) : first;
    this.serverFirst = typeof sent === 'string' ? sent : dec.decode(sent);
    this.#step = 1;
    return ['challenge', typeof sent === 'string' ? enc.encode(sent) : sent];
  }

  override async respond(payload: Uint8Array): Promise<NextStateTuple> {
    this.ops.push('respond');
    if (this.#step === 2) {
      this.#step = 3;
      if (payload.length !== 0) this.#refuse('non-empty answer to server-final');
      return ['success', null];
    }
    if (this.#step !== 1) this.#refuse('unexpected respond');
    this.#step = 2;
    const text = dec.decode(payload);
    this.clientFinal = text;
    const m = /^(c=([^,]*),r=([^,]*)),p=([^,]*)$/.exec(text);
    if (!m) this.#refuse('malformed client-final');
    const expectedC = Buffer.concat([Buffer.from(this.gs2Header!, 'utf8'), Buffer.from(this.options.cbData ?? new Uint8Array(0))]).toString('base64');
    if (m[2] !== expectedC) this.#refuse(`channel binding mismatch: got c=${m[2]}, want c=${expectedC}`);
    if (m[3] !== this.#nonce) this.#refuse('nonce mismatch');
    const name = NODE_HASH[this.options.hash];
    const keys = referenceScramKeys(this.options.hash, this.options.password, this.options.salt, this.options.iterations);
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${m[1]}`;
    const clientSignature = createHmac(name, keys.storedKey).update(authMessage, 'utf8').digest();
    const proof = Buffer.from(m[4]!, 'base64');
    if (proof.length !== clientSignature.length || proof.toString('base64') !== m[4]) this.#refuse('malformed proof');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    if (!nodeTimingSafeEqual(createHash(name).update(clientKey).digest(), keys.storedKey)) this.#refuse('wrong proof');
    const serverSignature = createHmac(name, keys.serverKey).update(authMessage, 'utf8').digest();
    const final = `v=${serverSignature.toString('base64')}`;
    const sent = this.options.tamperServerFinal ? this.options.tamperServerFinal(final) : final;
    const bytesSent = typeof sent === 'string' ? enc.encode(sent) : sent;
    if (this.options.finalAs === 'challenge') return ['challenge', bytesSent];
    this.#step = 3;
    return ['success', bytesSent];
  }

  override async abort(): Promise<NextStateTuple> {
    this.ops.push('abort');
    this.aborted = true;
    return ['failure', null];
  }
}
