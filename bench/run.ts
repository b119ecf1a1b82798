// saslkit benchmark: every row times saslkit (or a peer) and a baseline
// measured in the same process and the same run, and prints the ratio, so
// results compare across machines. Timed tests are deliberately absent from
// the test suite; this is where speed is watched (issue 11).
//
// Method: one process; each case is warmed up (250 ms of calls), then timed in
// interleaved rounds (case order rotates each round, so drift and noise from
// other processes hit every case alike); each round times a batch of calls
// sized to ~25 ms; a row reports the median over rounds and the spread
// (half the interquartile range, in % of the median). Ratios are medians
// over medians.
//
// "The limit" of a SCRAM client is what node:crypto needs for the same
// arithmetic: pbkdf2Sync plus the five HMAC/hash calls of RFC 5802 §3. The
// scripted server answers are precomputed (fixed nonces), so client rows time
// the client alone. pg's client (pg/lib/crypto/sasl.js) and mongodb's
// (mongodb/lib/cmap/auth/scram.js, with a fake connection) run against the
// same kind of precomputed answers; mongodb's own SaltedPassword cache is
// purged before each uncached exchange.
//
// Usage: npm run bench             (a few minutes on a quiet machine; runs
//                                    tsx with tsconfig.node.json: the Node backend)
//        npm run bench -- --quick  (fewer rounds)
// Writes bench/results.json.
import { spawnSync } from 'node:child_process';
import { createHash, createHmac, pbkdf2, pbkdf2Sync, timingSafeEqual as nodeTimingSafeEqual, webcrypto } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backend } from '#crypto-backend';
import { SASLInterface, SASLStateMachine, SCRAM, ScramKeyCache, type NextStateTuple } from '../src/index.js';
import { MemoryCredentialStore, SASLServer, PLAINServer, scramServerMechanisms, type ServerConnection } from '../src/server/index.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 5 : 11;
const BATCH_MS = quick ? 15 : 25;
const WARM_MS = quick ? 100 : 250;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const enc = new TextEncoder();

// ---------------------------------------------------------------------------
// Harness

interface Case {
  readonly name: string;
  readonly run: () => unknown;
}
interface Stat {
  readonly median: number;
  readonly spread: number;
}

function statOf(samples: number[]): Stat {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.round(p * (s.length - 1)))]!;
  const median = q(0.5);
  return { median, spread: (q(0.75) - q(0.25)) / 2 / median };
}

async function batchOf(c: Case, n: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await c.run();
  return Number(process.hrtime.bigint() - start) / n;
}

/** Time cases in interleaved rounds; ns per call for each. */
async function measure(cases: readonly Case[], rounds = ROUNDS): Promise<Map<string, Stat>> {
  const sizes = new Map<string, number>();
  for (const c of cases) {
    // Warm-up by time, not by count: a case gets WARM_MS of calls (at least
    // two) so the JIT has optimised saslkit's code as well as the
    // baselines' before anything is timed. A fixed two or five calls left
    // the many small functions of a full server exchange unoptimised while
    // a ten-line baseline was already hot, which flattered the baseline.
    const warmUntil = process.hrtime.bigint() + BigInt(WARM_MS * 1e6);
    let warmed = 0;
    while (warmed < 2 || process.hrtime.bigint() < warmUntil) {
      await c.run();
      warmed++;
    }
    const one = await batchOf(c, 3);
    sizes.set(c.name, Math.max(1, Math.min(20_000, Math.round((BATCH_MS * 1e6) / one))));
  }
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + r) % cases.length]!;
      samples.get(c.name)!.push(await batchOf(c, sizes.get(c.name)!));
    }
  }
  return new Map([...samples].map(([name, s]) => [name, statOf(s)]));
}

interface Row {
  readonly group: string;
  readonly subject: string;
  readonly value: number;
  readonly unit: 'ns' | 'ms';
  readonly spread: number | null;
  readonly baseline: string | null;
  readonly baselineValue: number | null;
  readonly ratio: number | null;
  readonly goal: string | null;
  readonly met: boolean | null;
}
const rows: Row[] = [];

function fmt(value: number, unit: 'ns' | 'ms'): string {
  const ns = unit === 'ms' ? value * 1e6 : value;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${ns.toFixed(0)} ns`;
}

function row(group: string, subject: string, s: Stat, baseline?: [string, Stat], goal?: { text: string; max: number }): void {
  const ratio = baseline ? s.median / baseline[1].median : null;
  const r: Row = {
    group,
    subject,
    value: s.median,
    unit: 'ns',
    spread: s.spread,
    baseline: baseline?.[0] ?? null,
    baselineValue: baseline?.[1].median ?? null,
    ratio,
    goal: goal?.text ?? null,
    met: goal && ratio !== null ? ratio <= goal.max : null,
  };
  rows.push(r);
  const ratioText = ratio === null ? '' : `  ${ratio.toFixed(2)}x`;
  console.log(`  ${subject.padEnd(52)} ${fmt(s.median, 'ns').padStart(10)} ±${(s.spread * 100).toFixed(0)}%${baseline ? `  vs ${baseline[0]} ${fmt(baseline[1].median, 'ns')}` : ''}${ratioText}${goal ? `  (goal ${goal.text}: ${r.met ? 'met' : 'missed'})` : ''}`);
}

// ---------------------------------------------------------------------------
// SCRAM material: fixed nonces, so every server answer is precomputed.

type Hash = 'SHA-1' | 'SHA-256' | 'SHA-512';
const NODE: Record<Hash, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-512': 'sha512' };
const LEN: Record<Hash, number> = { 'SHA-1': 20, 'SHA-256': 32, 'SHA-512': 64 };
const PASSWORD = 'pencil';
const CNONCE = 'fyko+d2lbbFgONRv9qkxdawL';
const SNONCE = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
const SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const hmacNode = (h: Hash, key: Uint8Array, data: string | Uint8Array): Buffer => createHmac(NODE[h], key).update(data).digest();

interface Script {
  readonly serverFirst: string;
  readonly serverFinal: string;
}

/** server-first and server-final for a client-first-message-bare. */
function script(h: Hash, iterations: number, password: string, clientFirstBare: string, cbind = 'biws', nonce = CNONCE): Script {
  const serverFirst = `r=${nonce}${SNONCE},s=${SALT.toString('base64')},i=${iterations}`;
  const salted = pbkdf2Sync(password, SALT, iterations, LEN[h], NODE[h]);
  const authMessage = `${clientFirstBare},${serverFirst},c=${cbind},r=${nonce}${SNONCE}`;
  return { serverFirst, serverFinal: `v=${hmacNode(h, hmacNode(h, salted, 'Server Key'), authMessage).toString('base64')}` };
}

/** The limit: node:crypto doing the client's arithmetic. */
function limit(h: Hash, iterations: number, authMessage: string): void {
  const salted = pbkdf2Sync(PASSWORD, SALT, iterations, LEN[h], NODE[h]);
  const clientKey = hmacNode(h, salted, 'Client Key');
  const storedKey = createHash(NODE[h]).update(clientKey).digest();
  hmacNode(h, storedKey, authMessage);
  hmacNode(h, hmacNode(h, salted, 'Server Key'), authMessage);
}

class Answers extends SASLInterface {
  readonly #first: Uint8Array;
  readonly #final: Uint8Array;
  constructor(s: Script) {
    super();
    this.#first = enc.encode(s.serverFirst);
    this.#final = enc.encode(s.serverFinal);
  }
  override async initiate(): Promise<NextStateTuple> {
    return ['challenge', this.#first];
  }
  override async respond(): Promise<NextStateTuple> {
    return ['success', this.#final];
  }
  override async abort(): Promise<NextStateTuple> {
    return ['failure', null];
  }
}

function saslkitClient(h: Hash, iterations: number, cache: ScramKeyCache | false): () => Promise<void> {
  const answers = script(h, iterations, PASSWORD, `n=user,r=${CNONCE}`);
  const scram = new SCRAM(() => ['user', PASSWORD], { cache, generateNonce: () => CNONCE, hashes: [h], maxIterationCount: 1_000_000, enforceMinimumIterationCount: false });
  return () => scram.authenticate(new SASLStateMachine(new Answers(answers)), `SCRAM-${h}`);
}

// pg: its SCRAM-SHA-256 client, called directly. Its nonce is random; set it
// to ours after startSession so the answers can be precomputed.
interface PgSession {
  clientNonce: string;
}
const pgSasl = createRequire(require.resolve('pg'))('./crypto/sasl.js') as {
  startSession(mechanisms: string[]): PgSession;
  continueSession(session: PgSession, password: string, serverData: string): Promise<void>;
  finalizeSession(session: PgSession, serverData: string): void;
};
function pgClient(iterations: number): () => Promise<void> {
  const answers = script('SHA-256', iterations, PASSWORD, `n=*,r=${CNONCE}`);
  return async () => {
    const session = pgSasl.startSession(['SCRAM-SHA-256']);
    session.clientNonce = CNONCE;
    await pgSasl.continueSession(session, PASSWORD, answers.serverFirst);
    pgSasl.finalizeSession(session, answers.serverFinal);
  };
}

// mongodb: ScramSHA1/ScramSHA256.auth() with a fake connection answering
// saslStart/saslContinue. Loaded from its file with one line added that
// exposes its module-private SaltedPassword cache purge.
const mongoScramPath = join(dirname(require.resolve('mongodb')), 'cmap', 'auth', 'scram.js');
const mongoModule = new Module(mongoScramPath) as Module & { _compile(code: string, file: string): void; paths: string[] };
mongoModule.filename = mongoScramPath;
mongoModule.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(mongoScramPath));
mongoModule._compile(`${readFileSync(mongoScramPath, 'utf8')}\nexports.__purgeHiCache = _hiCachePurge;\n`, mongoScramPath);
const mongoScram = mongoModule.exports as {
  ScramSHA1: new () => { auth(ctx: unknown): Promise<void> };
  ScramSHA256: new () => { auth(ctx: unknown): Promise<void> };
  __purgeHiCache(): void;
};
const { Binary } = (require('mongodb') as { BSON: { Binary: new (b: Uint8Array) => unknown } }).BSON;
const MONGO_NONCE = new Uint8Array(24).fill(7);
function mongoClient(h: 'SHA-1' | 'SHA-256', iterations: number, purge: boolean): () => Promise<void> {
  const nonce64 = Buffer.from(MONGO_NONCE).toString('base64');
  // SCRAM-SHA-1 in MongoDB hashes the password as MD5("user:mongo:password") first.
  const password = h === 'SHA-1' ? createHash('md5').update(`user:mongo:${PASSWORD}`).digest('hex') : PASSWORD;
  const answers = script(h, iterations, password, `n=user,r=${nonce64}`, 'biws', nonce64);
  const provider = h === 'SHA-1' ? new mongoScram.ScramSHA1() : new mongoScram.ScramSHA256();
  const connection = {
    async command(_ns: unknown, cmd: { saslStart?: number }) {
      if (cmd.saslStart) return { conversationId: 1, done: false, payload: new Binary(enc.encode(answers.serverFirst)) };
      return { conversationId: 1, done: true, payload: new Binary(enc.encode(answers.serverFinal)) };
    },
  };
  const credentials = { username: 'user', password: PASSWORD, source: 'admin', mechanism: h === 'SHA-1' ? 'SCRAM-SHA-1' : 'SCRAM-SHA-256' };
  return () => {
    if (purge) mongoScram.__purgeHiCache();
    return provider.auth({ connection, credentials, nonce: MONGO_NONCE, reauthenticating: false });
  };
}

// ---------------------------------------------------------------------------

if (backend.name !== 'node') throw new Error('run with the Node crypto backend: npm run bench (tsx --tsconfig tsconfig.node.json)');
console.log(`saslkit benchmark (${quick ? 'quick' : 'full'}): node ${process.version}, crypto backend '${backend.name}', ${ROUNDS} interleaved rounds; ratio = subject / baseline, medians\n`);

// Build dist/ for the startup rows (they run the package as installed).
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { encoding: 'utf8' });
if (tsc.status !== 0) throw new Error(`build failed:\n${tsc.stdout}${tsc.stderr}`);

// 1. SCRAM client exchange against the limit, with the peers.
for (const iterations of [4096, 100_000]) {
  for (const h of ['SHA-1', 'SHA-256', 'SHA-512'] as const) {
    const group = `SCRAM-${h} client, i=${iterations}`;
    console.log(group);
    const authMessage = `n=user,r=${CNONCE},${script(h, 1, PASSWORD, '').serverFirst},c=biws,r=${CNONCE}${SNONCE}`;
    const cases: Case[] = [
      { name: 'limit', run: () => limit(h, iterations, authMessage) },
      { name: 'saslkit', run: saslkitClient(h, iterations, false) },
    ];
    if (h === 'SHA-256') cases.push({ name: 'pg', run: pgClient(iterations) });
    if (h !== 'SHA-512') cases.push({ name: 'mongodb', run: mongoClient(h, iterations, true) });
    const rounds = iterations > 10_000 ? Math.max(3, ROUNDS - 4) : ROUNDS;
    const m = await measure(cases, rounds);
    const base: [string, Stat] = ['limit (pbkdf2Sync + HMACs)', m.get('limit')!];
    const goal = iterations === 4096 && h !== 'SHA-512' ? { text: '<= 1.3x', max: 1.3 } : undefined;
    row(group, 'saslkit SCRAM client (no cache)', m.get('saslkit')!, base, goal);
    if (m.has('pg')) row(group, 'pg SCRAM client', m.get('pg')!, base);
    if (m.has('mongodb')) row(group, 'mongodb SCRAM client (its cache purged)', m.get('mongodb')!, base);
  }
}

// 2. Re-authentication: same user, salt and count.
for (const iterations of [4096, 100_000]) {
  const group = `re-authentication SCRAM-SHA-256, i=${iterations}`;
  console.log(group);
  const authMessage = `n=user,r=${CNONCE},${script('SHA-256', 1, PASSWORD, '').serverFirst},c=biws,r=${CNONCE}${SNONCE}`;
  const m = await measure(
    [
      { name: 'limit', run: () => limit('SHA-256', iterations, authMessage) },
      { name: 'cached', run: saslkitClient('SHA-256', iterations, new ScramKeyCache()) },
      { name: 'uncached', run: saslkitClient('SHA-256', iterations, false) },
      { name: 'mongodb', run: mongoClient('SHA-256', iterations, false) },
    ],
    iterations > 10_000 ? Math.max(3, ROUNDS - 4) : ROUNDS,
  );
  const base: [string, Stat] = ['limit (pbkdf2Sync + HMACs)', m.get('limit')!];
  row(group, 'saslkit, key cache (hit)', m.get('cached')!, base, { text: '<= 0.1x', max: 0.1 });
  row(group, 'saslkit, cache: false', m.get('uncached')!, base);
  row(group, 'mongodb, its SaltedPassword cache (hit)', m.get('mongodb')!, base);
}

// 3. PBKDF2 paths in Node, SHA-256 at 4096.
{
  const group = 'PBKDF2-SHA-256, i=4096, 32 bytes';
  console.log(group);
  const pw = enc.encode(PASSWORD);
  const m = await measure([
    { name: 'sync', run: () => pbkdf2Sync(pw, SALT, 4096, 32, 'sha256') },
    { name: 'pool', run: () => new Promise((resolve, reject) => pbkdf2(pw, SALT, 4096, 32, 'sha256', (e, k) => (e ? reject(e) : resolve(k)))) },
    {
      name: 'webcrypto',
      run: async () => {
        const key = await webcrypto.subtle.importKey('raw', pw, 'PBKDF2', false, ['deriveBits']);
        return webcrypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: SALT, iterations: 4096 }, key, 256);
      },
    },
  ]);
  const base: [string, Stat] = ['pbkdf2Sync', m.get('sync')!];
  row(group, 'crypto.pbkdf2 (libuv thread pool; saslkit in Node)', m.get('pool')!, base);
  row(group, 'WebCrypto deriveBits', m.get('webcrypto')!, base);
}

// 4. The event loop's longest gap during one 100,000-iteration exchange.
{
  const group = 'event loop, longest gap during an i=100,000 SCRAM-SHA-256 client exchange';
  console.log(group);
  const gapDuring = async (fn: () => unknown): Promise<number> => {
    let max = 0;
    let last = performance.now();
    let done = false;
    const tick = (): void => {
      const now = performance.now();
      max = Math.max(max, now - last);
      last = now;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    await fn();
    done = true;
    await new Promise((r) => setImmediate(r));
    max = Math.max(max, performance.now() - last);
    return max;
  };
  const authMessage = `n=user,r=${CNONCE},${script('SHA-256', 1, PASSWORD, '').serverFirst},c=biws,r=${CNONCE}${SNONCE}`;
  const subjects: Array<[string, () => unknown]> = [
    ['blocking limit (pbkdf2Sync + HMACs)', () => limit('SHA-256', 100_000, authMessage)],
    ['saslkit', saslkitClient('SHA-256', 100_000, false)],
    ['pg', pgClient(100_000)],
    ['mongodb (cache purged)', mongoClient('SHA-256', 100_000, true)],
  ];
  const gaps = new Map<string, number[]>(subjects.map(([n]) => [n, []]));
  for (let r = 0; r < 5; r++) for (const [name, fn] of subjects) gaps.get(name)!.push(await gapDuring(fn));
  const blocking = statOf(gaps.get(subjects[0]![0])!);
  for (const [name] of subjects) {
    const s = statOf(gaps.get(name)!);
    rows.push({ group, subject: name, value: s.median, unit: 'ms', spread: s.spread, baseline: null, baselineValue: null, ratio: s.median / blocking.median, goal: null, met: null });
    console.log(`  ${name.padEnd(52)} ${s.median.toFixed(2)} ms longest gap (${((s.median / blocking.median) * 100).toFixed(1)}% of the blocking call)`);
  }
}

// 5. Server: verification per authentication from stored keys, PLAIN
// against a stored verifier, unknown vs known user.
{
  const store = new MemoryCredentialStore();
  await store.addUser('user', PASSWORD, { hashes: ['SHA-256'], iterations: 4096 });
  const stored = (await store.scramCredentials('user'))!.find((c) => c.hash === 'SHA-256')!;
  const server = new SASLServer({
    mechanisms: [...scramServerMechanisms({ hashes: ['SHA-256'], plus: false, generateNonce: () => SNONCE }), new PLAINServer()],
    credentials: store,
  });
  const connection: ServerConnection = { secure: true };
  const salted = pbkdf2Sync(PASSWORD, stored.salt, stored.iterations, 32, 'sha256');
  const clientKey = hmacNode('SHA-256', salted, 'Client Key');
  const clientFirstBare = `n=user,r=${CNONCE}`;
  const serverFirst = `r=${CNONCE}${SNONCE},s=${Buffer.from(stored.salt).toString('base64')},i=${stored.iterations}`;
  const withoutProof = `c=biws,r=${CNONCE}${SNONCE}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const signature = hmacNode('SHA-256', stored.storedKey, authMessage);
  const proof = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) proof[i] = clientKey[i]! ^ signature[i]!;
  const clientFirst = enc.encode(`n,,${clientFirstBare}`);
  const clientFinal = enc.encode(`${withoutProof},p=${proof.toString('base64')}`);
  const unknownFirst = enc.encode(`n,,n=nobody,r=${CNONCE}`);

  const saslkitAuth = async (): Promise<void> => {
    const ex = server.start('SCRAM-SHA-256', connection);
    const a = await ex.step(clientFirst);
    const b = await ex.step(clientFinal);
    if (a.kind !== 'challenge' || b.kind !== 'success') throw new Error(`server refused: ${JSON.stringify(b)}`);
  };
  // A minimal server on node:crypto: parse, look up, answer, verify, sign.
  const users = new Map([['user', { salt64: Buffer.from(stored.salt).toString('base64'), iterations: stored.iterations, storedKey: Buffer.from(stored.storedKey), serverKey: Buffer.from(stored.serverKey) }]]);
  const minimalAuth = (): void => {
    const first = Buffer.from(clientFirst).toString('utf8');
    const bare = first.slice(3);
    const m = /^n=([^,]*),r=([^,]*)$/.exec(bare)!;
    const user = users.get(m[1]!)!;
    const sFirst = `r=${m[2]}${SNONCE},s=${user.salt64},i=${user.iterations}`;
    const final = Buffer.from(clientFinal).toString('utf8');
    const cut = final.lastIndexOf(',p=');
    const wp = final.slice(0, cut);
    if (!wp.endsWith(`r=${m[2]}${SNONCE}`)) throw new Error('nonce');
    const p = Buffer.from(final.slice(cut + 3), 'base64');
    const am = `${bare},${sFirst},${wp}`;
    const sig = createHmac('sha256', user.storedKey).update(am).digest();
    for (let i = 0; i < sig.length; i++) sig[i]! ^= p[i]!;
    if (!nodeTimingSafeEqual(createHash('sha256').update(sig).digest(), user.storedKey)) throw new Error('proof');
    createHmac('sha256', user.serverKey).update(am).digest('base64');
  };
  {
    const group = 'server SCRAM-SHA-256 verification per authentication (stored keys)';
    console.log(group);
    const m = await measure([
      { name: 'minimal', run: minimalAuth },
      { name: 'saslkit', run: saslkitAuth },
    ]);
    row(group, 'saslkit SASLServer (client-first + client-final)', m.get('saslkit')!, ['minimal node:crypto server', m.get('minimal')!], { text: '<= 1.5x', max: 1.5 });
  }
  {
    const group = 'server PLAIN against a stored SCRAM-SHA-256 verifier, i=4096';
    console.log(group);
    const plainMessage = enc.encode(`\0user\0${PASSWORD}`);
    const m = await measure([
      {
        name: 'minimal',
        run: () => {
          const s = pbkdf2Sync(PASSWORD, stored.salt, stored.iterations, 32, 'sha256');
          nodeTimingSafeEqual(createHash('sha256').update(hmacNode('SHA-256', s, 'Client Key')).digest(), stored.storedKey);
        },
      },
      {
        name: 'saslkit',
        run: async () => {
          const r = await server.start('PLAIN', connection).step(plainMessage);
          if (r.kind !== 'success') throw new Error('PLAIN refused');
        },
      },
    ]);
    row(group, 'saslkit PLAINServer', m.get('saslkit')!, ['pbkdf2Sync + HMAC + hash + compare', m.get('minimal')!]);
  }
  {
    const group = 'server SCRAM-SHA-256 server-first: unknown vs known user';
    console.log(group);
    const m = await measure([
      { name: 'known', run: () => server.start('SCRAM-SHA-256', connection).step(clientFirst) },
      { name: 'unknown', run: () => server.start('SCRAM-SHA-256', connection).step(unknownFirst) },
    ]);
    row(group, 'unknown user', m.get('unknown')!, ['known user', m.get('known')!], { text: '<= 1.1x (same cost)', max: 1.1 });
  }
}

// 6. Startup: spawned processes, interleaved.
{
  const spawnMs = (args: string[]): number => {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const group = '`saslkit --version` (spawned, dist/)';
  console.log(group);
  const bare: number[] = [];
  const version: number[] = [];
  const rounds = quick ? 10 : 30;
  for (let i = 0; i < rounds; i++) {
    bare.push(spawnMs(['-e', '0']));
    version.push(spawnMs([join(root, 'dist', 'src', 'cli', 'main.js'), '--version']));
  }
  const b = statOf(bare);
  const v = statOf(version);
  const over = v.median - b.median;
  rows.push({ group, subject: 'saslkit --version', value: v.median, unit: 'ms', spread: v.spread, baseline: 'node -e 0', baselineValue: b.median, ratio: v.median / b.median, goal: '<= 25 ms over bare node', met: over <= 25 });
  console.log(`  saslkit --version ${v.median.toFixed(1)} ms ±${(v.spread * 100).toFixed(0)}% vs node -e 0 ${b.median.toFixed(1)} ms: ${over.toFixed(1)} ms over bare node (goal <= 25 ms: ${over <= 25 ? 'met' : 'missed'})`);

  const group2 = 'first SCRAM-SHA-256 client exchange in a fresh process (i=4096, no cache, after import)';
  console.log(group2);
  const ratios: number[] = [];
  const firsts: number[] = [];
  const steadies: number[] = [];
  const imports: number[] = [];
  for (let i = 0; i < (quick ? 5 : 11); i++) {
    const r = spawnSync(process.execPath, [join(root, 'bench', 'first-exchange.mjs')], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`first-exchange failed: ${r.stderr}`);
    const { importMs, first, steady } = JSON.parse(r.stdout) as { importMs: number; first: number; steady: number };
    ratios.push(first / steady);
    firsts.push(first);
    steadies.push(steady);
    imports.push(importMs);
  }
  const ratio = statOf(ratios).median;
  rows.push({ group: group2, subject: 'first exchange', value: statOf(firsts).median, unit: 'ms', spread: statOf(firsts).spread, baseline: 'steady exchange (same process)', baselineValue: statOf(steadies).median, ratio, goal: '<= 2x steady', met: ratio <= 2 });
  console.log(`  first ${statOf(firsts).median.toFixed(2)} ms vs steady ${statOf(steadies).median.toFixed(2)} ms: ${ratio.toFixed(2)}x (goal <= 2x: ${ratio <= 2 ? 'met' : 'missed'}); import of saslkit ${statOf(imports).median.toFixed(1)} ms`);
}

// ---------------------------------------------------------------------------
// The table.

const show = (value: number | null, unit: 'ns' | 'ms'): string => (value === null ? '' : fmt(value, unit));
const table = [
  '| group | subject | median | spread | baseline | baseline median | ratio | goal |',
  '|---|---|---:|---:|---|---:|---:|---|',
  ...rows.map(
    (r) =>
      `| ${r.group} | ${r.subject} | ${show(r.value, r.unit)} | ${r.spread === null ? '' : `±${(r.spread * 100).toFixed(0)}%`} | ${r.baseline ?? ''} | ${show(r.baselineValue, r.unit)} | ${r.ratio === null ? '' : `${r.ratio.toFixed(2)}x`} | ${r.goal ? `${r.goal}: ${r.met ? '**met**' : '**missed**'}` : ''} |`,
  ),
].join('\n');
console.log(`\n${table}\n`);
writeFileSync(
  join(root, 'bench', 'results.json'),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, backend: backend.name, quick, rounds: ROUNDS, rows }, null, 2)}\n`,
);
console.log('wrote bench/results.json');
