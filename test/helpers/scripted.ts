// A SASLInterface that replays a scripted server, for unit tests where the
// peer is a fixed RFC transcript. Each step checks what the client sent.
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
  constructor(steps: ScriptStep[], options: { abort?: AbortBehaviour } = {}) {
    super();
    this.#steps = [...steps];
    this.#abort = options.abort ?? { reply: ['failure', null] };
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
