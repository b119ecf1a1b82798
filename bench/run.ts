// saslkit benchmark: each line times a saslkit operation and a baseline
// measured in the same run (Node's native crypto or Buffer), and prints the
// ratio saslkit/baseline, so results compare across machines. Timed tests
// are deliberately absent from the test suite; this is where speed is watched.
//
// Usage: npm run bench            (about 20 s)
//        npm run bench -- --quick (fewer rounds)
import { createHmac, pbkdf2Sync, randomBytes as nodeRandomBytes } from 'node:crypto';
import {
  base64Decode,
  base64Encode,
  hashByName,
  pbkdf2,
  pbkdf2Portable,
  saslprep,
  SASLInterface,
  SASLStateMachine,
  SCRAM,
  type NextStateTuple,
} from '../src/index.js';
import saslprepPackage from 'saslprep';
import { LoopbackInterface, MemoryCredentialStore, SASLServer, scramServerMechanisms, PLAINServer } from '../src/server/index.js';
import { PLAIN } from '../src/index.js';

const quick = process.argv.includes('--quick');

async function time(fn: () => unknown | Promise<unknown>, minMs = quick ? 150 : 600): Promise<number> {
  // Warm up, then run until minMs has passed; report ns per call.
  for (let i = 0; i < 3; i++) await fn();
  let calls = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  do {
    await fn();
    calls++;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < BigInt(minMs) * 1_000_000n);
  return Number(elapsed) / calls;
}

function fmt(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}

const rows: Array<[string, number, string, number]> = [];
async function compare(name: string, subject: () => unknown, baselineName: string, baseline: () => unknown): Promise<void> {
  const b = await time(baseline);
  const s = await time(subject);
  rows.push([name, s, baselineName, b]);
  console.log(`${name.padEnd(44)} ${fmt(s).padStart(10)}   vs ${baselineName.padEnd(28)} ${fmt(b).padStart(10)}   ratio ${(s / b).toFixed(2)}x`);
}

// A scripted SCRAM-SHA-256 server computed with node:crypto, so the client
// exchange can be timed end to end without any network.
class NodeScramServer extends SASLInterface {
  #step = 0;
  #clientFirstBare = '';
  #serverFirst = '';
  readonly #salt = nodeRandomBytes(16);
  constructor(private readonly password: string, private readonly iterations: number) {
    super();
  }
  override async initiate(_m: string, payload: Uint8Array | null = null): Promise<NextStateTuple> {
    const msg = new TextDecoder().decode(payload!);
    this.#clientFirstBare = msg.slice(3);
    const cnonce = /r=([^,]+)/.exec(msg)![1]!;
    this.#serverFirst = `r=${cnonce}srv,s=${this.#salt.toString('base64')},i=${this.iterations}`;
    this.#step = 1;
    return ['challenge', new TextEncoder().encode(this.#serverFirst)];
  }
  override async respond(payload: Uint8Array): Promise<NextStateTuple> {
    if (this.#step === 1) {
      const msg = new TextDecoder().decode(payload);
      const withoutProof = msg.slice(0, msg.lastIndexOf(',p='));
      const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
      const salted = pbkdf2Sync(this.password, this.#salt, this.iterations, 32, 'sha256');
      const serverKey = createHmac('sha256', salted).update('Server Key').digest();
      const sig = createHmac('sha256', serverKey).update(authMessage).digest('base64');
      this.#step = 2;
      return ['success', new TextEncoder().encode(`v=${sig}`)];
    }
    return ['success', null];
  }
  override async abort(): Promise<NextStateTuple> {
    return ['failure', null];
  }
}

const sha256 = hashByName('SHA-256')!;
const password = new TextEncoder().encode('pencil');
const salt = nodeRandomBytes(16);
const small = nodeRandomBytes(64);
const block = nodeRandomBytes(4096);
const block64 = block.toString('base64');

console.log(`saslkit benchmark (${quick ? 'quick' : 'full'}), node ${process.version}; ratio = saslkit time / baseline time\n`);

await compare('PBKDF2-SHA-256 4096 it. (pbkdf2, native)', () => pbkdf2(sha256, password, salt, 4096), 'node pbkdf2Sync', () =>
  pbkdf2Sync(password, salt, 4096, 32, 'sha256'),
);
await compare('PBKDF2-SHA-256 4096 it. (portable JS)', () => pbkdf2Portable(sha256, password, salt, 4096), 'node pbkdf2Sync', () =>
  pbkdf2Sync(password, salt, 4096, 32, 'sha256'),
);
await compare('HMAC-SHA-256 64 B (@noble/hashes)', () => sha256.hmac(salt, small), 'node createHmac', () =>
  createHmac('sha256', salt).update(small).digest(),
);
await compare('base64 encode 4 KiB', () => base64Encode(block), 'Buffer.toString(base64)', () => block.toString('base64'));
await compare('base64 decode 4 KiB (strict)', () => base64Decode(block64), 'Buffer.from(base64)', () => Buffer.from(block64, 'base64'));
await compare('saslprep (saslkit wrapper)', () => saslprep('I\u00ADX pässwörd'), 'saslprep package', () => saslprepPackage('I\u00ADX pässwörd'));

const scram = new SCRAM(() => ['user', 'pencil'], { hashes: ['SHA-256'] });
await compare(
  'SCRAM-SHA-256 client exchange, 4096 it.',
  async () => scram.authenticate(new SASLStateMachine(new NodeScramServer('pencil', 4096)), 'SCRAM-SHA-256'),
  'node pbkdf2Sync x2 (client+srv)',
  () => {
    pbkdf2Sync(password, salt, 4096, 32, 'sha256');
    pbkdf2Sync(password, salt, 4096, 32, 'sha256');
  },
);
const store = new MemoryCredentialStore();
await store.addUser('user', 'pencil', { iterations: 4096 });
const server = new SASLServer({ mechanisms: [...scramServerMechanisms(), new PLAINServer()], credentials: store });
await compare(
  'SCRAM-SHA-256 client+server exchange (loopback)',
  async () => scram.authenticate(new SASLStateMachine(new LoopbackInterface(server, { secure: true })), 'SCRAM-SHA-256'),
  'node pbkdf2Sync (client cost floor)',
  () => pbkdf2Sync(password, salt, 4096, 32, 'sha256'),
);
const plain = new PLAIN(() => ['user', 'pencil']);
await compare(
  'PLAIN exchange, server checks SCRAM verifier',
  async () => plain.authenticate(new SASLStateMachine(new LoopbackInterface(server, { secure: true }))),
  'node pbkdf2Sync (verify cost floor)',
  () => pbkdf2Sync(password, salt, 4096, 32, 'sha256'),
);
console.log(`\n${rows.length} comparisons.`);
