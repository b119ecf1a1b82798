// Shared setup of the server-side suites: a populated store, a server, fake
// channel bindings, and a hand-rolled SCRAM client for raw-message tests.
import { base64Decode, base64Encode, concatBytes, hashByName } from '../../src/mechanism.js';
import { saltPassword, scramKeysOf, clientKeyOf } from '../../src/scram/keys.js';
import type { ChannelBindingProvider, HashName } from '../../src/index.js';
import { xorBytes } from '../../src/crypto/constant-time.js';
import {
  ANONYMOUSServer,
  MemoryCredentialStore,
  PLAINServer,
  SASLServer,
  scramServerMechanisms,
  type SASLServerOptions,
  type ServerExchange,
  type ServerResult,
} from '../../src/server/index.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b));

export const ALL_HASHES: readonly HashName[] = ['SHA-1', 'SHA-256', 'SHA-512', 'SHA3-512'];
export const SECRET = new Uint8Array(32).fill(42);

/** A channel-binding provider returning fixed data. */
export function cb(cbName: string, fill = 7, length = 32): ChannelBindingProvider {
  return { cbName, extractCbData: () => new Uint8Array(length).fill(fill) };
}

let storePromise: Promise<MemoryCredentialStore> | null = null;

/** user/pencil for every hash, plus a user whose name needs SCRAM escaping. Built once per suite file. */
export function sharedStore(): Promise<MemoryCredentialStore> {
  storePromise ??= (async () => {
    const store = new MemoryCredentialStore();
    await store.addUser('user', 'pencil');
    await store.addUser('ünï,cödé=x', 'pässwörd', { hashes: ['SHA-256'] });
    return store;
  })();
  return storePromise;
}

/** A server with every mechanism, over the shared store. */
export async function makeServer(options: Partial<SASLServerOptions> = {}): Promise<SASLServer> {
  return new SASLServer({
    mechanisms: [...scramServerMechanisms(), new PLAINServer(), new ANONYMOUSServer()],
    credentials: await sharedStore(),
    secret: SECRET,
    // These suites make thousands of failed logins; the throttle has its own tests.
    throttle: null,
    ...options,
  });
}

/** Feed messages in order, stopping at the first final result. */
export async function feed(exchange: ServerExchange, messages: readonly (Uint8Array | string | null)[]): Promise<ServerResult[]> {
  const results: ServerResult[] = [];
  for (const m of messages) {
    const r = await exchange.step(typeof m === 'string' ? enc(m) : m);
    results.push(r);
    if (r.kind !== 'challenge') break;
  }
  return results;
}

/** Parse `r=...,s=...,i=...`. */
export function parseServerFirst(challenge: Uint8Array): { nonce: string; salt: Uint8Array; iterations: number } {
  const m = /^r=([^,]+),s=([^,]+),i=(\d+)$/.exec(dec(challenge)!);
  if (!m) throw new Error(`not a server-first-message: ${dec(challenge)}`);
  return { nonce: m[1]!, salt: base64Decode(m[2]!), iterations: Number(m[3]) };
}

/**
 * A minimal SCRAM client for raw tests: computes the client-final-message
 * (with `c=` over `gs2Header + cbData`) for a server-first-message.
 */
export async function clientFinal(opts: {
  hash: HashName;
  password: string;
  gs2Header: string;
  clientFirstBare: string;
  serverFirst: Uint8Array;
  cbData?: Uint8Array;
  nonce?: string;
}): Promise<{ message: string; serverSignature: string }> {
  const hash = hashByName(opts.hash)!;
  const sf = parseServerFirst(opts.serverFirst);
  const salted = await saltPassword(hash, opts.password, sf.salt, sf.iterations);
  const c = base64Encode(concatBytes(enc(opts.gs2Header), opts.cbData ?? new Uint8Array(0)));
  const withoutProof = `c=${c},r=${opts.nonce ?? sf.nonce}`;
  const authMessage = enc(`${opts.clientFirstBare},${dec(opts.serverFirst)},${withoutProof}`);
  const { storedKey, serverKey } = scramKeysOf(hash, salted);
  const proof = xorBytes(clientKeyOf(hash, salted), hash.hmac(storedKey, authMessage));
  return { message: `${withoutProof},p=${base64Encode(proof)}`, serverSignature: `v=${base64Encode(hash.hmac(serverKey, authMessage))}` };
}
