// Property tests: random and mutated client messages at every step of every
// server mechanism. The exchange must only ever answer with a challenge or
// end in a failure carrying an RFC 6120 condition: it never throws, never
// succeeds on a tampered exchange, and always ends within maxSteps.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { SASL_CONDITIONS, SASLError, saslprep } from '../src/index.js';
import { base64Decode } from '../src/mechanism.js';
import { ANONYMOUSServer, MemoryCredentialStore, PLAINServer, SASLServer, SCRAMPLUSServer, SCRAMServer, type ExchangeOptions, type ServerConnection, type ServerResult } from '../src/server/index.js';
import { parseScramCredential } from '../src/server/credentials/formats.js';
import { deriveScramCredentials } from '../src/server/credentials/scram.js';
import { decodePlainMessage } from '../mechanisms/plain-server.js';
import { SECRET, cb, clientFinal, enc } from './helpers/server.js';

const MAX_STEPS = 6;
const CONNECTION: ServerConnection = { secure: true, channelBindings: [cb('tls-exporter')] };
const CONDITIONS: ReadonlySet<string> = new Set(SASL_CONDITIONS);
const NUM_RUNS = 250;

let server: SASLServer;
/** Valid transcripts (client messages, in order) that succeed unmodified. */
const transcripts: Record<string, Uint8Array[]> = {};

beforeAll(async () => {
  const credentials = new MemoryCredentialStore();
  credentials.addCredentials('user', await deriveScramCredentials('pencil', { hash: 'SHA-256', iterations: 4096, salt: base64Decode('W22ZaJ0SNY7soEsUEjb6gQ==') }));
  const generateNonce = () => 'ServerNonce0123456789';
  server = new SASLServer({
    mechanisms: [new SCRAMPLUSServer('SHA-256', { generateNonce }), new SCRAMServer('SHA-256', { generateNonce }), new PLAINServer(), new ANONYMOUSServer()],
    credentials,
    secret: SECRET,
    maxSteps: MAX_STEPS,
    throttle: null, // thousands of failed logins; the throttle has its own tests
  });
  for (const [mechanism, gs2, cbData] of [
    ['SCRAM-SHA-256', 'n,,', undefined],
    ['SCRAM-SHA-256-PLUS', 'p=tls-exporter,,', new Uint8Array(32).fill(7)],
  ] as const) {
    const bare = 'n=user,r=ClientNonce';
    const first = await server.start(mechanism, CONNECTION).step(enc(gs2 + bare));
    if (first.kind !== 'challenge') throw new Error('setup: client-first refused');
    const final = await clientFinal({ hash: 'SHA-256', password: 'pencil', gs2Header: gs2, clientFirstBare: bare, serverFirst: first.data, ...(cbData ? { cbData } : {}) });
    transcripts[mechanism] = [enc(gs2 + bare), enc(final.message)];
  }
  transcripts.PLAIN = [enc('\0user\0pencil')];
  transcripts.ANONYMOUS = [enc('trace@example.com')];
});

/** Run `messages` (stopping at the end of the exchange), then junk until maxSteps ends it. */
async function run(mechanism: string, first: Uint8Array | null, messages: readonly Uint8Array[], options: ExchangeOptions): Promise<ServerResult[]> {
  const exchange = server.start(mechanism, CONNECTION, options);
  const results: ServerResult[] = [];
  const queue = [...messages];
  let next: Uint8Array | null = first;
  let started = false;
  // Bounded: the exchange must end by maxSteps; MAX_STEPS + 2 iterations is a hard stop.
  for (let i = 0; i < MAX_STEPS + 2; i++) {
    const r = await exchange.step(started ? (next ?? new Uint8Array(0)) : next);
    started = true;
    results.push(r);
    if (r.kind !== 'challenge') return results;
    next = queue.shift() ?? enc('junk');
  }
  throw new Error(`exchange still open after ${MAX_STEPS + 2} steps`);
}

function withTimeout<T>(p: Promise<T>, ms = 5000): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('exchange hung')), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

/** Every result is well-formed; a failure carries a known condition. */
function checkResults(results: readonly ServerResult[]): ServerResult {
  for (const r of results) {
    expect(['challenge', 'success', 'failure']).toContain(r.kind);
    if (r.kind === 'failure') {
      expect(CONDITIONS.has(r.condition)).toBe(true);
      expect(r.data === null || r.data instanceof Uint8Array).toBe(true);
    }
    if (r.kind === 'challenge') expect(r.data).toBeInstanceOf(Uint8Array);
  }
  return results[results.length - 1]!;
}

/** Did a mutated PLAIN message legitimately still carry user/pencil (SASLprep-equivalent)? */
function plainStillValid(message: Uint8Array): boolean {
  try {
    const m = decodePlainMessage(message);
    const user = saslprep(m.authcid, { allowUnassigned: true });
    return user === 'user' && saslprep(m.password, { allowUnassigned: true }) === 'pencil' && (m.authzid === null || m.authzid === user);
  } catch {
    return false;
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), bytes: fc.uint8Array({ maxLength: 200 }) }),
  fc.record({ kind: fc.constant('text' as const), text: fc.string({ unit: fc.constantFrom(...'nyp=,arcisvem-_AZaz09+/\0\u00e9\u00ad'.split('')), maxLength: 80 }) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('shuffle' as const), seed: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(original: Uint8Array, m: Mutation): Uint8Array {
  const at = (n: number) => (original.length === 0 ? 0 : n % (original.length + 1));
  switch (m.kind) {
    case 'replace':
      return m.bytes;
    case 'text':
      return enc(m.text);
    case 'flip': {
      if (original.length === 0) return new Uint8Array([1 << m.bit]);
      const out = original.slice();
      out[m.at % out.length]! ^= 1 << m.bit;
      return out;
    }
    case 'truncate':
      return original.slice(0, at(m.at));
    case 'insert': {
      const i = at(m.at);
      return new Uint8Array([...original.slice(0, i), ...m.bytes, ...original.slice(i)]);
    }
    case 'delete': {
      const i = at(m.at);
      return new Uint8Array([...original.slice(0, i), ...original.slice(i + m.length)]);
    }
    case 'shuffle': {
      const parts = new TextDecoder().decode(original).split(',');
      let seed = m.seed;
      for (let i = parts.length - 1; i > 0; i--) {
        const j = (seed = (seed * 1103515245 + 12345) >>> 0) % (i + 1);
        [parts[i], parts[j]] = [parts[j]!, parts[i]!];
      }
      return enc(parts.join(','));
    }
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
const optionsArb = fc.record({ successData: fc.constantFrom('inline' as const, 'challenge' as const) });

describe('server properties', () => {
  it('the unmodified transcripts succeed (with and without initial response)', async () => {
    for (const [mechanism, messages] of Object.entries(transcripts)) {
      for (const options of [{ successData: 'inline' }, { successData: 'challenge' }] as const) {
        const withIR = await run(mechanism, messages[0]!, [...messages.slice(1), new Uint8Array(0)], options);
        expect(checkResults(withIR).kind, mechanism).toBe('success');
        const withoutIR = await run(mechanism, null, [...messages, new Uint8Array(0)], options);
        expect(checkResults(withoutIR).kind, mechanism).toBe('success');
      }
    }
  });

  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS', 'PLAIN', 'ANONYMOUS']) {
    it(`${mechanism}: a mutated message at any step ends in a failure with a condition (never a tampered success)`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat(), mutation, fc.boolean(), optionsArb, async (stepSeed, m, initialResponse, options) => {
          const original = transcripts[mechanism]!;
          // Steps: every client message, plus the empty answer to a final challenge.
          const messages = options.successData === 'challenge' && mechanism.startsWith('SCRAM') ? [...original, new Uint8Array(0)] : [...original];
          const k = stepSeed % messages.length;
          const mutated = mutate(messages[k]!, m);
          fc.pre(!sameBytes(mutated, messages[k]!));
          const sent = messages.map((msg, i) => (i === k ? mutated : msg));
          const results = await withTimeout(
            initialResponse ? run(mechanism, sent[0]!, sent.slice(1), options) : run(mechanism, null, sent, options),
          );
          const last = checkResults(results);
          if (last.kind === 'success') {
            // Only where the mutation kept the meaning: ANONYMOUS takes any valid
            // trace token; PLAIN credentials equal under SASLprep.
            if (mechanism === 'ANONYMOUS') expect(last.outcome.claims.traceToken).toBe(new TextDecoder().decode(mutated));
            else if (mechanism === 'PLAIN') expect(plainStillValid(mutated)).toBe(true);
            else expect.unreachable(`${mechanism} succeeded with a tampered message at step ${k}`);
          } else {
            expect(last.kind).toBe('failure');
          }
        }),
        { numRuns: NUM_RUNS },
      );
    }, 120_000);

    it(`${mechanism}: random messages only ever fail with a condition, within maxSteps`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null }),
          fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: MAX_STEPS + 2 }),
          optionsArb,
          async (first, rest, options) => {
            const results = await withTimeout(run(mechanism, first, rest, options));
            const last = checkResults(results);
            expect(results.length).toBeLessThanOrEqual(MAX_STEPS);
            if (last.kind === 'success') {
              // Only ANONYMOUS can be satisfied by chance (any valid trace token).
              expect(mechanism).toBe('ANONYMOUS');
            }
          },
        ),
        { numRuns: NUM_RUNS },
      );
    }, 120_000);
  }

  it('parseScramCredential either reads a string or throws a SASLError', () => {
    const piece = fc.oneof(
      fc.constantFrom('SCRAM-SHA-256', 'SCRAM-SHA-1', '{SCRAM-SHA-1}', '{', '}', '$', ':', ',', '4096', 'QSXCR+Q6sek8bf92', '6dlGYMOdZcOPutkcNY8U2g7vK9Y=', '='),
      fc.string({ maxLength: 8 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), (pieces) => {
        try {
          const c = parseScramCredential(pieces.join(''));
          expect(c.storedKey.length).toBeGreaterThan(0);
        } catch (err) {
          expect(err).toBeInstanceOf(SASLError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
