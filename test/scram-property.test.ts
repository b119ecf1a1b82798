// Property tests: random and mutated server messages fed to the SCRAM client.
// Whatever the server sends, the client must reject with a SASLError-family
// error (never a raw TypeError), must never succeed unless the message is the
// genuine one, and must never hang.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SASLError, SASLInterface, SASLStateMachine, SCRAM, SCRAMPLUS, type NextStateTuple } from '../src/index.js';
import { runMechanism } from '../src/mechanism.js';
import { NODE_HASH, referenceScramKeys, type ReferenceHash } from './helpers/scripted.js';

const PASSWORD = 'property-SECRET-pw';
const CNONCE = 'clientNONCE+/0123456789abcdef';
const SNONCE = 'serverNONCE~!$%';
const SALT = Uint8Array.from(Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'));
const ITERATIONS = 16;
const CB_DATA = new Uint8Array([7, 7, 7, 7, 1, 2, 3]);
const NUM_RUNS = 300;
const RUN_TIMEOUT_MS = 5000;

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Genuine {
  readonly serverFirst: string;
  readonly serverFinal: string;
}

/** The genuine server messages of one exchange, computed with node:crypto. */
function genuine(hash: ReferenceHash, gs2Header: string, cbData: Uint8Array): Genuine {
  const serverFirst = `r=${CNONCE}${SNONCE},s=${Buffer.from(SALT).toString('base64')},i=${ITERATIONS}`;
  const c = Buffer.concat([Buffer.from(gs2Header), Buffer.from(cbData)]).toString('base64');
  const authMessage = `n=user,r=${CNONCE},${serverFirst},c=${c},r=${CNONCE}${SNONCE}`;
  const keys = referenceScramKeys(hash, PASSWORD, SALT, ITERATIONS);
  const signature = createHmac(NODE_HASH[hash], keys.serverKey).update(authMessage).digest('base64');
  return { serverFirst, serverFinal: `v=${signature}` };
}

/** A server that sends fixed bytes, whatever the client says. */
class FixedServer extends SASLInterface {
  readonly ops: string[] = [];
  #responds = 0;
  constructor(
    private readonly serverFirst: Uint8Array,
    private readonly serverFinal: Uint8Array,
    private readonly finalAs: 'success' | 'challenge',
  ) {
    super();
  }
  override async initiate(): Promise<NextStateTuple> {
    this.ops.push('initiate');
    return ['challenge', this.serverFirst];
  }
  override async respond(): Promise<NextStateTuple> {
    this.ops.push('respond');
    this.#responds++;
    if (this.#responds === 1) return [this.finalAs, this.serverFinal];
    // A client calling respond after the end of the exchange is a bug: let it
    // surface as a non-SASLError.
    if (this.#responds === 2 && this.finalAs === 'challenge') return ['success', null];
    throw new Error('client kept talking after the exchange ended');
  }
  override async abort(): Promise<NextStateTuple> {
    this.ops.push('abort');
    return ['failure', null];
  }
}

type Outcome = { kind: 'resolved' } | { kind: 'rejected'; error: unknown } | { kind: 'hung' };

async function runClient(
  hash: ReferenceHash,
  plus: boolean,
  serverFirst: Uint8Array,
  serverFinal: Uint8Array,
  finalAs: 'success' | 'challenge',
): Promise<Outcome> {
  const options = { generateNonce: () => CNONCE, enforceMinimumIterationCount: false, maxIterationCount: 2000 };
  const creds = () => ['user', PASSWORD] as const;
  const client = plus ? new SCRAMPLUS(creds, { cbName: 'tls-exporter', extractCbData: () => CB_DATA }, options) : new SCRAM(creds, options);
  const mechanism = `SCRAM-${hash}${plus ? '-PLUS' : ''}`;
  const sm = new SASLStateMachine(new FixedServer(serverFirst, serverFinal, finalAs));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'hung' }), RUN_TIMEOUT_MS);
  });
  const run = runMechanism(client, sm, mechanism).then(
    (): Outcome => ({ kind: 'resolved' }),
    (error: unknown): Outcome => ({ kind: 'rejected', error }),
  );
  try {
    return await Promise.race([run, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** Assert the outcome: success only for the genuine messages, else a SASLError, never a hang. */
function check(outcome: Outcome, genuineMessages: boolean): void {
  if (outcome.kind === 'hung') throw new Error('the client hung');
  if (genuineMessages) {
    if (outcome.kind !== 'resolved') throw new Error(`the genuine exchange failed: ${String((outcome as { error: unknown }).error)}`);
    return;
  }
  if (outcome.kind === 'resolved') throw new Error('the client accepted a tampered or random server message');
  if (!(outcome.error instanceof SASLError)) {
    throw new Error(`the client threw a non-SASLError: ${String(outcome.error)}`, { cause: outcome.error });
  }
  if (outcome.error.message.includes(PASSWORD)) throw new Error('an error message contains the password');
}

// ---------------------------------------------------------------------------
// Mutations of a valid message.

/** Characters a mutation may insert: structure, digits, base64, controls, non-ASCII, lone surrogates. */
const mutationChar = fc.oneof(
  fc.constantFrom(',', '=', 'r', 's', 'i', 'v', 'e', 'm', '0', '1', '9', '+', '/', 'A', '\0', ' ', '\x7f', '\u00e9', '\ud800', '\u{1f511}'),
  fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
);

type Mutation =
  | { op: 'flip'; at: number; char: string }
  | { op: 'insert'; at: number; char: string }
  | { op: 'delete'; at: number }
  | { op: 'swap'; a: number; b: number }
  | { op: 'duplicate'; at: number }
  | { op: 'drop'; at: number }
  | { op: 'digits'; at: number; digit: string }
  | { op: 'number'; value: string }
  | { op: 'byte'; at: number; xor: number }
  | { op: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), char: mutationChar }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), char: mutationChar }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('digits' as const), at: fc.nat(), digit: fc.constantFrom(...'0123456789') }),
  fc.record({
    op: fc.constant('number' as const),
    value: fc.oneof(
      fc.constantFrom('0', '00', '016', '+16', '-16', '1e3', '16.0', '0x10', '', ' 16', '4294967296', '99999999999', '9'.repeat(400)),
      fc.integer({ min: 1, max: 5000 }).map(String),
    ),
  }),
  fc.record({ op: fc.constant('byte' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
);

function applyMutation(bytes: Uint8Array, m: Mutation): Uint8Array {
  if (m.op === 'byte') {
    if (bytes.length === 0) return bytes;
    const out = bytes.slice();
    const i = m.at % out.length;
    out[i] = out[i]! ^ m.xor;
    return out;
  }
  // Work on code points so that non-ASCII characters stay whole (a byte
  // mutation above covers broken encodings).
  const text = dec.decode(bytes);
  const chars = [...text];
  const pos = (n: number, extra = 0) => (chars.length + extra === 0 ? 0 : n % (chars.length + extra));
  const attrs = text.split(',');
  const digitPositions = chars.flatMap((c, i) => (/[0-9]/.test(c) ? [i] : []));
  let out: string;
  switch (m.op) {
    case 'flip':
      if (chars.length === 0) return bytes;
      chars[pos(m.at)] = m.char;
      out = chars.join('');
      break;
    case 'insert':
      chars.splice(pos(m.at, 1), 0, m.char);
      out = chars.join('');
      break;
    case 'delete':
      chars.splice(pos(m.at), 1);
      out = chars.join('');
      break;
    case 'truncate':
      out = chars.slice(0, pos(m.at)).join('');
      break;
    case 'swap': {
      const a = m.a % attrs.length;
      const b = m.b % attrs.length;
      [attrs[a], attrs[b]] = [attrs[b]!, attrs[a]!];
      out = attrs.join(',');
      break;
    }
    case 'duplicate':
      attrs.splice(m.at % attrs.length, 0, attrs[m.at % attrs.length]!);
      out = attrs.join(',');
      break;
    case 'drop':
      attrs.splice(m.at % attrs.length, 1);
      out = attrs.join(',');
      break;
    case 'digits':
      if (digitPositions.length === 0) return bytes;
      chars[digitPositions[m.at % digitPositions.length]!] = m.digit;
      out = chars.join('');
      break;
    case 'number':
      out = text.replace(/(^|,)i=[^,]*/, `$1i=${m.value}`);
      break;
  }
  return enc.encode(out);
}

const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 });
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** RFC 5802 attribute letters with a meaning; any other letter is an extension a client ignores. */
const DEFINED_LETTERS = new Set(['a', 'c', 'e', 'i', 'm', 'n', 'p', 'r', 's', 'v']);

/**
 * The mutation left the message's meaning intact: the same bytes, or the
 * genuine message followed only by well-formed extensions (`,X=value` with
 * an undefined letter X), which RFC 5802 §5.1 lets a peer send and the
 * client ignore ("v=sig,A=x" is as genuine as "v=sig").
 */
function sameMeaning(mutated: Uint8Array, original: Uint8Array): boolean {
  if (sameBytes(mutated, original)) return true;
  const text = dec.decode(mutated);
  const base = dec.decode(original);
  if (!text.startsWith(`${base},`)) return false;
  return text
    .slice(base.length + 1)
    .split(',')
    .every((part) => part.length >= 3 && part[1] === '=' && /^[A-Za-z]$/.test(part[0]!) && !DEFINED_LETTERS.has(part[0]!) && /^[\x21-\x2b\x2d-\x7e]+$/.test(part.slice(2)));
}
const finalAs = fc.constantFrom('success' as const, 'challenge' as const);
const variant = fc.constantFrom<[ReferenceHash, boolean]>(['SHA-256', false], ['SHA-1', false], ['SHA-512', true], ['SHA3-512', false]);

function genuineFor(hash: ReferenceHash, plus: boolean): Genuine {
  return plus ? genuine(hash, 'p=tls-exporter,,', CB_DATA) : genuine(hash, 'n,,', new Uint8Array(0));
}

describe('SCRAM client under random and mutated server messages (fast-check)', () => {
  it('the genuine messages succeed (sanity check of the harness)', async () => {
    for (const [hash, plus] of [['SHA-256', false], ['SHA-1', false], ['SHA-512', true], ['SHA3-512', false]] as const) {
      const g = genuineFor(hash, plus);
      for (const as of ['success', 'challenge'] as const) {
        check(await runClient(hash, plus, enc.encode(g.serverFirst), enc.encode(g.serverFinal), as), true);
      }
    }
  });

  it('the checker itself flags a hang, a raw error and a wrongful success', () => {
    expect(() => check({ kind: 'hung' }, false)).toThrow(/hung/);
    expect(() => check({ kind: 'rejected', error: new TypeError('x') }, false)).toThrow(/non-SASLError/);
    expect(() => check({ kind: 'resolved' }, false)).toThrow(/accepted/);
    expect(() => check({ kind: 'rejected', error: new SASLError(null, 'x', PASSWORD) }, false)).toThrow(/password/);
    expect(() => check({ kind: 'rejected', error: new SASLError(null, 'x') }, true)).toThrow(/genuine/);
  });

  it('random bytes as server-first are rejected with a SASLError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), finalAs, async (first, as) => {
        const g = genuineFor('SHA-256', false);
        check(await runClient('SHA-256', false, first, enc.encode(g.serverFinal), as), false);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('random text and attribute soup as server-first are rejected with a SASLError', async () => {
    const attribute = fc
      .tuple(fc.constantFrom('r', 's', 'i', 'm', 'e', 'x', 'R', '', 'rr'), fc.oneof(fc.string({ maxLength: 40 }), fc.constant(CNONCE + SNONCE), fc.base64String({ maxLength: 24 })))
      .map(([k, v]) => `${k}=${v}`);
    const soup = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.array(attribute, { maxLength: 6 }).map((a) => a.join(',')));
    await fc.assert(
      fc.asyncProperty(soup, finalAs, async (first, as) => {
        const g = genuineFor('SHA-256', false);
        const bytes = enc.encode(first);
        check(await runClient('SHA-256', false, bytes, enc.encode(g.serverFinal), as), false);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('random bytes as server-final are rejected with a SASLError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), finalAs, async (final, as) => {
        const g = genuineFor('SHA-256', false);
        check(await runClient('SHA-256', false, enc.encode(g.serverFirst), final, as), false);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('mutated server-first messages are rejected unless the mutation is a no-op', async () => {
    await fc.assert(
      fc.asyncProperty(variant, mutations, finalAs, async ([hash, plus], ms, as) => {
        const g = genuineFor(hash, plus);
        const original = enc.encode(g.serverFirst);
        const mutated = ms.reduce(applyMutation, original);
        check(await runClient(hash, plus, mutated, enc.encode(g.serverFinal), as), sameMeaning(mutated, original));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('mutated server-final messages are rejected unless the mutation is a no-op', async () => {
    await fc.assert(
      fc.asyncProperty(variant, mutations, finalAs, async ([hash, plus], ms, as) => {
        const g = genuineFor(hash, plus);
        const original = enc.encode(g.serverFinal);
        const mutated = ms.reduce(applyMutation, original);
        check(await runClient(hash, plus, enc.encode(g.serverFirst), mutated, as), sameMeaning(mutated, original));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('mutating both messages at once never yields success', async () => {
    await fc.assert(
      fc.asyncProperty(mutations, mutations, finalAs, async (m1, m2, as) => {
        const g = genuineFor('SHA-256', false);
        const first = m1.reduce(applyMutation, enc.encode(g.serverFirst));
        const final = m2.reduce(applyMutation, enc.encode(g.serverFinal));
        const untouched = sameMeaning(first, enc.encode(g.serverFirst)) && sameMeaning(final, enc.encode(g.serverFinal));
        check(await runClient('SHA-256', false, first, final, as), untouched);
      }),
      { numRuns: 200 },
    );
  });

  it('the mutation harness does produce every kind of rejection (not a vacuous property)', async () => {
    // A quick census over fixed seeds: the mutated runs must hit both syntax
    // errors and signature failures, so the property above exercises both.
    const kinds = new Set<string>();
    await fc.assert(
      fc.asyncProperty(mutations, async (ms) => {
        const g = genuineFor('SHA-256', false);
        const original = enc.encode(g.serverFirst);
        const mutated = ms.reduce(applyMutation, original);
        const outcome = await runClient('SHA-256', false, mutated, enc.encode(g.serverFinal), 'success');
        if (outcome.kind === 'rejected' && outcome.error instanceof SASLError) kinds.add(outcome.error.kind);
      }),
      { numRuns: 200, seed: 42 },
    );
    expect(kinds).toContain('SASL failure');
    expect(kinds).toContain('authentication failed');
  });
});
