// A SASLInterface that replays a scripted server, for unit tests where the
// peer is a fixed RFC transcript. Each step checks what the client sent.
import { SASLFailure, SASLInterface, type NextStateTuple } from '../../src/index.js';

export type ScriptStep =
  | { expect?: Uint8Array | string | null | ((sent: Uint8Array | null) => void); reply: NextStateTuple | readonly [string, Uint8Array | string | null] }
  | { expect?: Uint8Array | string | null | ((sent: Uint8Array | null) => void); fail: string | null; text?: string };

const enc = new TextEncoder();
const asBytes = (v: Uint8Array | string | null): Uint8Array | null => (typeof v === 'string' ? enc.encode(v) : v);

export class ScriptedInterface extends SASLInterface {
  readonly sent: Array<{ op: string; mechanism?: string; payload: Uint8Array | null }> = [];
  #steps: ScriptStep[];
  aborted = false;
  constructor(steps: ScriptStep[]) {
    super();
    this.#steps = [...steps];
  }
  async #next(sent: Uint8Array | null): Promise<NextStateTuple> {
    const step = this.#steps.shift();
    if (!step) throw new Error('script exhausted');
    if (step.expect !== undefined) {
      if (typeof step.expect === 'function') step.expect(sent);
      else {
        const want = asBytes(step.expect);
        const got = sent === null ? null : new TextDecoder().decode(sent);
        const exp = want === null ? null : new TextDecoder().decode(want);
        if (got !== exp) throw new Error(`script mismatch: expected ${JSON.stringify(exp)}, got ${JSON.stringify(got)}`);
      }
    }
    if ('fail' in step) throw new SASLFailure(step.fail, step.text);
    return [step.reply[0], asBytes(step.reply[1])] as unknown as NextStateTuple;
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
    return ['failure', null];
  }
  get remaining(): number {
    return this.#steps.length;
  }
}
