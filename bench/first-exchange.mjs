// Run by bench/run.ts in a fresh `node` process, against the built package
// (dist/): the time of the first SCRAM-SHA-256 client exchange (i=4096,
// no key cache) after import, and the median of the next ones. Prints JSON.
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';

const t0 = performance.now();
const { SASLInterface, SASLStateMachine, SCRAM } = await import(new URL('../dist/src/index.js', import.meta.url).href);
const importMs = performance.now() - t0;

const CNONCE = 'fyko+d2lbbFgONRv9qkxdawL';
const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const serverFirst = `r=${CNONCE}%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=${salt.toString('base64')},i=4096`;
const salted = pbkdf2Sync('pencil', salt, 4096, 32, 'sha256');
const serverKey = createHmac('sha256', salted).update('Server Key').digest();
const authMessage = `n=user,r=${CNONCE},${serverFirst},c=biws,r=${CNONCE}%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0`;
const serverFinal = `v=${createHmac('sha256', serverKey).update(authMessage).digest('base64')}`;
void createHash;

class Answers extends SASLInterface {
  async initiate() {
    return ['challenge', new TextEncoder().encode(serverFirst)];
  }
  async respond() {
    return ['success', new TextEncoder().encode(serverFinal)];
  }
  async abort() {
    return ['failure', null];
  }
}
const scram = new SCRAM(() => ['user', 'pencil'], { cache: false, generateNonce: () => CNONCE, hashes: ['SHA-256'] });
const once = async () => {
  const s = performance.now();
  await scram.authenticate(new SASLStateMachine(new Answers()), 'SCRAM-SHA-256');
  return performance.now() - s;
};
const first = await once();
const rest = [];
for (let i = 0; i < 30; i++) rest.push(await once());
rest.sort((a, b) => a - b);
console.log(JSON.stringify({ importMs, first, steady: rest[rest.length >> 1] }));
