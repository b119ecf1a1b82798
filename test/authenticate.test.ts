// The negotiation loop authenticate(): order, tokens, and which errors stop it.
import { describe, expect, it } from 'vitest';
import {
  AuthenticationFailure,
  PLAIN,
  SASLError,
  SASLFailure,
  SASLMechanism,
  SASLStateMachine,
  SCRAM,
  authenticate,
} from '../src/index.js';
import { ScriptedInterface } from './helpers/scripted.js';
import { rejection } from './helpers/errors.js';

type Behaviour = 'succeed' | ((sm: SASLStateMachine) => Promise<void>);

/** A test mechanism: supports what `pick` returns, runs `behaviour`, records its calls. */
class FakeMechanism<T> extends SASLMechanism<T> {
  readonly calls: Array<{ offered: string[]; token?: T; sm?: SASLStateMachine }> = [];
  constructor(
    readonly name: string,
    private readonly pick: (offered: string[]) => T | null,
    private readonly behaviour: Behaviour = 'succeed',
    private readonly log: string[] = [],
  ) {
    super();
  }
  override anySupported(mechanisms: Iterable<string>): T | null {
    const offered = [...mechanisms];
    this.log.push(`${this.name}.anySupported`);
    this.calls.push({ offered });
    return this.pick(offered);
  }
  override async authenticate(sm: SASLStateMachine, token: T): Promise<void> {
    this.log.push(`${this.name}.authenticate`);
    const call = this.calls[this.calls.length - 1]!;
    call.token = token;
    call.sm = sm;
    if (this.behaviour === 'succeed') {
      const [state] = await sm.initiate(this.name, new Uint8Array(0));
      if (state !== 'success') throw new SASLFailure(null, 'expected success');
      return;
    }
    await this.behaviour(sm);
  }
}

const fails = (err: unknown) => async (sm: SASLStateMachine) => {
  await sm.initiate('WHATEVER').catch(() => undefined);
  throw err;
};

describe('authenticate()', () => {
  it('tries implementations in the given order and returns the mechanism name used', async () => {
    const log: string[] = [];
    const a = new FakeMechanism('A-MECH', (o) => (o.includes('A-MECH') ? 'A-MECH' : null), 'succeed', log);
    const b = new FakeMechanism('B-MECH', (o) => (o.includes('B-MECH') ? 'B-MECH' : null), 'succeed', log);
    const intf = new ScriptedInterface([{ reply: ['success', null] }]);
    // The server's order does not matter: the client's preference does.
    await expect(authenticate(intf, ['B-MECH', 'A-MECH'], [a, b])).resolves.toBe('A-MECH');
    expect(log).toEqual(['A-MECH.anySupported', 'A-MECH.authenticate']);
    expect(intf.sent[0]!.mechanism).toBe('A-MECH');
  });

  it('skips an implementation whose anySupported returns null', async () => {
    const log: string[] = [];
    const a = new FakeMechanism('A', () => null, 'succeed', log);
    const b = new FakeMechanism('B', () => 'B', 'succeed', log);
    await expect(authenticate(new ScriptedInterface([{ reply: ['success', null] }]), ['B'], [a, b])).resolves.toBe('B');
    expect(log).toEqual(['A.anySupported', 'B.anySupported', 'B.authenticate']);
  });

  it.each([[false], [0], [''], [undefined]])('treats a token of %j as a token (only null means unsupported)', async (token) => {
    const m = new FakeMechanism<unknown>('T', () => token, 'succeed');
    await expect(authenticate(new ScriptedInterface([{ reply: ['success', null] }]), ['T'], [m])).resolves.toBe('T');
    expect(m.calls[0]!.token).toBe(token);
    expect('token' in m.calls[0]!).toBe(true);
  });

  it('hands every implementation the whole offer, even a one-shot iterable', async () => {
    function* offer() {
      yield 'PLAIN';
      yield 'SCRAM-SHA-1';
    }
    const a = new FakeMechanism('A', () => null);
    const b = new FakeMechanism('B', () => 'B');
    await authenticate(new ScriptedInterface([{ reply: ['success', null] }]), offer(), [a, b]);
    expect(a.calls[0]!.offered).toEqual(['PLAIN', 'SCRAM-SHA-1']);
    expect(b.calls[0]!.offered).toEqual(['PLAIN', 'SCRAM-SHA-1']);
  });

  it('moves on after a SASLFailure, with a fresh state machine', async () => {
    const log: string[] = [];
    const first = new FakeMechanism('FIRST', () => 'FIRST', fails(new SASLFailure('invalid-mechanism')), log);
    const second = new FakeMechanism('SECOND', () => 'SECOND', 'succeed', log);
    const intf = new ScriptedInterface([{ fail: 'invalid-mechanism' }, { reply: ['success', null] }]);
    await expect(authenticate(intf, ['FIRST', 'SECOND'], [first, second])).resolves.toBe('SECOND');
    expect(log).toEqual(['FIRST.anySupported', 'FIRST.authenticate', 'SECOND.anySupported', 'SECOND.authenticate']);
    expect(first.calls[0]!.sm).not.toBe(second.calls[0]!.sm);
    expect(second.calls[0]!.sm!.state).toBe('success');
  });

  it('stops at an AuthenticationFailure and re-throws it', async () => {
    const log: string[] = [];
    const failure = new AuthenticationFailure('not-authorized', 'bad password');
    const first = new FakeMechanism('FIRST', () => 'FIRST', fails(failure), log);
    const second = new FakeMechanism('SECOND', () => 'SECOND', 'succeed', log);
    const err = await rejection(authenticate(new ScriptedInterface([{ fail: 'not-authorized' }]), ['FIRST', 'SECOND'], [first, second]));
    expect(err).toBe(failure);
    expect(log).toEqual(['FIRST.anySupported', 'FIRST.authenticate']);
  });

  it('re-throws the last SASLFailure when every usable mechanism failed', async () => {
    const last = new SASLFailure('mechanism-too-weak', 'second');
    const a = new FakeMechanism('A', () => 'A', fails(new SASLFailure('temporary-auth-failure', 'first')));
    const b = new FakeMechanism('B', () => 'B', fails(last));
    const c = new FakeMechanism('C', () => null);
    const err = await rejection(authenticate(new ScriptedInterface([{ fail: null }, { fail: null }]), ['A', 'B'], [a, b, c]));
    expect(err).toBe(last);
  });

  it('with no usable mechanism throws SASLFailure invalid-mechanism, naming the offer', async () => {
    const intf = new ScriptedInterface([]);
    const err = await rejection(authenticate(intf, ['GSSAPI', 'X-FOO'], [new FakeMechanism('A', () => null)]));
    expect(err).toBeInstanceOf(SASLFailure);
    expect(err).not.toBeInstanceOf(AuthenticationFailure);
    expect((err as SASLFailure).opaqueError).toBe('invalid-mechanism');
    expect((err as SASLFailure).text).toContain('GSSAPI X-FOO');
    expect(intf.sent).toHaveLength(0);
    // Nothing offered, or no implementations at all.
    expect(((await rejection(authenticate(intf, [], [new PLAIN(() => ['u', 'p'])]))) as SASLFailure).opaqueError).toBe('invalid-mechanism');
    expect(((await rejection(authenticate(intf, ['PLAIN'], []))) as SASLFailure).opaqueError).toBe('invalid-mechanism');
  });

  it('lets errors that are not SASLFailure propagate and stops', async () => {
    for (const boom of [new Error('socket closed'), new TypeError('bug'), new SASLError(null, 'invalid state', 'misuse')]) {
      const log: string[] = [];
      const a = new FakeMechanism('A', () => 'A', fails(boom), log);
      const b = new FakeMechanism('B', () => 'B', 'succeed', log);
      expect(await rejection(authenticate(new ScriptedInterface([{ reply: ['challenge', 'x'] }, { reply: ['success', null] }]), ['A', 'B'], [a, b]))).toBe(boom);
      expect(log).not.toContain('B.authenticate');
    }
  });

  it('propagates an error thrown by anySupported', async () => {
    const boom = new Error('anySupported bug');
    const m = new FakeMechanism('A', () => {
      throw boom;
    });
    expect(await rejection(authenticate(new ScriptedInterface([]), ['A'], [m]))).toBe(boom);
  });

  it('refuses a mechanism that "succeeds" without ever starting an exchange', async () => {
    const lazy = new FakeMechanism('LAZY', () => 'LAZY', async () => undefined);
    const err = await rejection(authenticate(new ScriptedInterface([]), ['LAZY'], [lazy]));
    expect(err).toBeInstanceOf(SASLError);
    expect(err).not.toBeInstanceOf(SASLFailure);
  });

  describe('with the real mechanisms', () => {
    it('falls back from SCRAM-SHA-256 to PLAIN when the server refuses the mechanism', async () => {
      const intf = new ScriptedInterface([
        { fail: 'invalid-mechanism' },
        { expect: '\0user\0pencil', reply: ['success', null] },
      ]);
      const creds = () => ['user', 'pencil'] as const;
      await expect(authenticate(intf, ['PLAIN', 'SCRAM-SHA-256'], [new SCRAM(creds), new PLAIN(creds)])).resolves.toBe('PLAIN');
      expect(intf.sent.map((s) => s.mechanism)).toEqual(['SCRAM-SHA-256', 'PLAIN']);
    });

    it('does not fall back to PLAIN once the credentials were refused', async () => {
      const intf = new ScriptedInterface([
        { reply: ['challenge', 'r=NONCEserver,s=QSXCR+Q6sek8bf92,i=4096'] },
        { fail: 'not-authorized' },
      ]);
      const creds = () => ['user', 'wrong'] as const;
      const scram = new SCRAM(creds, { generateNonce: () => 'NONCE', hashes: ['SHA-1'] });
      const err = await rejection(authenticate(intf, ['PLAIN', 'SCRAM-SHA-1'], [scram, new PLAIN(creds)]));
      expect(err).toBeInstanceOf(AuthenticationFailure);
      expect((err as AuthenticationFailure).opaqueError).toBe('not-authorized');
      expect(intf.sent.map((s) => s.op)).toEqual(['initiate', 'respond']);
    });
  });
});
