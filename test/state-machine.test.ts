// Every rule of aiosasl's SASLStateMachine, against a scripted interface.
import { describe, expect, it } from 'vitest';
import { AuthenticationFailure, SASLError, SASLFailure, SASLState, SASLStateMachine } from '../src/index.js';
import { ScriptedInterface } from './helpers/scripted.js';
import { rejection } from './helpers/errors.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b));

/** A misuse error: a SASLError of kind 'invalid state', not a SASLFailure (the loop must not swallow it). */
function expectMisuse(err: unknown): void {
  expect(err).toBeInstanceOf(SASLError);
  expect(err).not.toBeInstanceOf(SASLFailure);
  expect((err as SASLError).kind).toBe('invalid state');
}

describe('SASLState constants', () => {
  it('are the contract strings', () => {
    expect(SASLState).toEqual({
      INITIAL: 'initial',
      CHALLENGE: 'challenge',
      SUCCESS: 'success',
      FAILURE: 'failure',
      SUCCESS_SIMULATE_CHALLENGE: 'success-simulate-challenge',
    });
  });
});

describe('SASLStateMachine', () => {
  it('starts INITIAL with no mechanism; the mechanism getter reports the initiated name', async () => {
    const intf = new ScriptedInterface([{ reply: ['challenge', 'c1'] }]);
    const sm = new SASLStateMachine(intf);
    expect(sm.state).toBe(SASLState.INITIAL);
    expect(sm.mechanism).toBeNull();
    expect(sm.interface).toBe(intf);
    const [state, payload] = await sm.initiate('SCRAM-SHA-256', bytes('first'));
    expect(state).toBe(SASLState.CHALLENGE);
    expect(text(payload)).toBe('c1');
    expect(sm.state).toBe(SASLState.CHALLENGE);
    expect(sm.mechanism).toBe('SCRAM-SHA-256');
    expect(intf.sent[0]).toMatchObject({ op: 'initiate', mechanism: 'SCRAM-SHA-256' });
    expect(text(intf.sent[0]!.payload)).toBe('first');
  });

  it('passes "no initial response" as null and an empty one as empty bytes', async () => {
    const a = new ScriptedInterface([{ expect: null, reply: ['challenge', ''] }]);
    await new SASLStateMachine(a).initiate('X');
    expect(a.sent[0]!.payload).toBeNull();
    const b = new ScriptedInterface([{ expect: '', reply: ['challenge', ''] }]);
    await new SASLStateMachine(b).initiate('X', new Uint8Array(0));
    expect(b.sent[0]!.payload).toEqual(new Uint8Array(0));
  });

  describe('double initiate', () => {
    it('is refused while a challenge is open, without calling the interface', async () => {
      const intf = new ScriptedInterface([{ reply: ['challenge', 'c'] }]);
      const sm = new SASLStateMachine(intf);
      await sm.initiate('PLAIN');
      expectMisuse(await rejection(sm.initiate('PLAIN')));
      expect(intf.sent).toHaveLength(1);
      expect(sm.state).toBe(SASLState.CHALLENGE);
    });
    it('is refused after success and after failure', async () => {
      const ok = new SASLStateMachine(new ScriptedInterface([{ reply: ['success', null] }]));
      await ok.initiate('PLAIN');
      expectMisuse(await rejection(ok.initiate('PLAIN')));
      const bad = new SASLStateMachine(new ScriptedInterface([{ fail: 'not-authorized' }]));
      await rejection(bad.initiate('PLAIN'));
      expectMisuse(await rejection(bad.initiate('PLAIN')));
    });
  });

  describe('response without challenge', () => {
    it('is refused before initiate', async () => {
      const intf = new ScriptedInterface([]);
      const sm = new SASLStateMachine(intf);
      expectMisuse(await rejection(sm.response(bytes('x'))));
      expect(intf.sent).toHaveLength(0);
      expect(sm.state).toBe(SASLState.INITIAL);
    });
    it('is refused after success', async () => {
      const intf = new ScriptedInterface([{ reply: ['success', null] }]);
      const sm = new SASLStateMachine(intf);
      await sm.initiate('PLAIN', bytes('\0u\0p'));
      expectMisuse(await rejection(sm.response(bytes(''))));
      expect(intf.sent).toHaveLength(1);
    });
    it('is refused after failure', async () => {
      const intf = new ScriptedInterface([{ fail: 'aborted' }]);
      const sm = new SASLStateMachine(intf);
      await rejection(sm.initiate('PLAIN'));
      expectMisuse(await rejection(sm.response(bytes(''))));
      expect(intf.sent).toHaveLength(1);
    });
  });

  it('refuses abort before initiate, without calling the interface', async () => {
    const intf = new ScriptedInterface([]);
    const sm = new SASLStateMachine(intf);
    expectMisuse(await rejection(sm.abort()));
    expect(intf.aborted).toBe(false);
    expect(sm.state).toBe(SASLState.INITIAL);
  });

  it('abort after initiate returns [failure, null] and moves to FAILURE', async () => {
    const intf = new ScriptedInterface([{ reply: ['challenge', 'c'] }]);
    const sm = new SASLStateMachine(intf);
    await sm.initiate('SCRAM-SHA-1', bytes('n,,n=u,r=x'));
    const result = await sm.abort();
    expect(result).toEqual(['failure', null]);
    expect(sm.state).toBe(SASLState.FAILURE);
    expect(intf.aborted).toBe(true);
    expectMisuse(await rejection(sm.response(bytes(''))));
  });

  describe('a SASLFailure from the interface moves to FAILURE and is re-thrown', () => {
    it('from initiate', async () => {
      const sm = new SASLStateMachine(new ScriptedInterface([{ fail: 'invalid-mechanism', text: 'nope' }]));
      const err = await rejection(sm.initiate('FOO'));
      expect(err).toBeInstanceOf(SASLFailure);
      expect((err as SASLFailure).opaqueError).toBe('invalid-mechanism');
      expect((err as SASLFailure).text).toBe('nope');
      expect(sm.state).toBe(SASLState.FAILURE);
    });
    it('from respond', async () => {
      const sm = new SASLStateMachine(new ScriptedInterface([{ reply: ['challenge', 'c'] }, { fail: 'not-authorized' }]));
      await sm.initiate('X');
      const err = await rejection(sm.response(bytes('r')));
      expect(err).toBeInstanceOf(SASLFailure);
      expect((err as SASLFailure).opaqueError).toBe('not-authorized');
      expect(sm.state).toBe(SASLState.FAILURE);
    });
    it('from abort', async () => {
      const intf = new ScriptedInterface([{ reply: ['challenge', 'c'] }], { abort: { fail: 'aborted' } });
      const sm = new SASLStateMachine(intf);
      await sm.initiate('X');
      const err = await rejection(sm.abort());
      expect(err).toBeInstanceOf(SASLFailure);
      expect((err as SASLFailure).opaqueError).toBe('aborted');
      expect(sm.state).toBe(SASLState.FAILURE);
    });
    it('the very same error object, subclasses included', async () => {
      const thrown = new AuthenticationFailure('not-authorized', 'x');
      const failure = new SASLFailure('temporary-auth-failure');
      const a = new SASLStateMachine(new ScriptedInterface([{ throws: failure }]));
      expect(await rejection(a.initiate('X'))).toBe(failure);
      expect(a.state).toBe(SASLState.FAILURE);
      // AuthenticationFailure is a SASLError but not a SASLFailure: it is re-thrown as is.
      const b = new SASLStateMachine(new ScriptedInterface([{ reply: ['challenge', 'c'] }, { throws: thrown }]));
      await b.initiate('X');
      expect(await rejection(b.response(bytes('')))).toBe(thrown);
    });
  });

  it('lets other errors (e.g. a transport error) through unchanged', async () => {
    const boom = new Error('connection reset');
    const sm = new SASLStateMachine(new ScriptedInterface([{ reply: ['challenge', 'c'] }, { throws: boom }]));
    await sm.initiate('X');
    expect(await rejection(sm.response(bytes('r')))).toBe(boom);
  });

  describe('success with additional data is unfolded', () => {
    it('from initiate: [challenge, data], then [success, null] on an empty response', async () => {
      const intf = new ScriptedInterface([{ reply: ['success', 'final-data'] }]);
      const sm = new SASLStateMachine(intf);
      const [state, payload] = await sm.initiate('X', bytes('ir'));
      expect(state).toBe(SASLState.CHALLENGE);
      expect(text(payload)).toBe('final-data');
      expect(sm.state).toBe(SASLState.SUCCESS_SIMULATE_CHALLENGE);
      expect(await sm.response(new Uint8Array(0))).toEqual([SASLState.SUCCESS, null]);
      expect(sm.state).toBe(SASLState.SUCCESS);
      // The empty answer is not sent: the server has already succeeded.
      expect(intf.ops).toEqual(['initiate']);
    });
    it('from respond: [challenge, data], then [success, null] on an empty response', async () => {
      const intf = new ScriptedInterface([{ reply: ['challenge', 'c1'] }, { reply: ['success', 'v=sig'] }]);
      const sm = new SASLStateMachine(intf);
      await sm.initiate('X');
      const [state, payload] = await sm.response(bytes('r1'));
      expect(state).toBe(SASLState.CHALLENGE);
      expect(text(payload)).toBe('v=sig');
      expect(sm.state).toBe(SASLState.SUCCESS_SIMULATE_CHALLENGE);
      expect(await sm.response(new Uint8Array(0))).toEqual([SASLState.SUCCESS, null]);
      expect(sm.state).toBe(SASLState.SUCCESS);
      expect(intf.ops).toEqual(['initiate', 'respond']);
    });
    it('an empty (non-null) data payload is still additional data', async () => {
      const sm = new SASLStateMachine(new ScriptedInterface([{ reply: ['success', ''] }]));
      const [state, payload] = await sm.initiate('X');
      expect(state).toBe(SASLState.CHALLENGE);
      expect(payload).toEqual(new Uint8Array(0));
      expect(await sm.response(new Uint8Array(0))).toEqual([SASLState.SUCCESS, null]);
    });
    it('[success, null] is plain success', async () => {
      const sm = new SASLStateMachine(new ScriptedInterface([{ reply: ['challenge', 'c'] }, { reply: ['success', null] }]));
      await sm.initiate('X');
      expect(await sm.response(bytes('r'))).toEqual([SASLState.SUCCESS, null]);
      expect(sm.state).toBe(SASLState.SUCCESS);
    });
    it('a non-empty answer is a SASLFailure and moves to FAILURE (from initiate)', async () => {
      const intf = new ScriptedInterface([{ reply: ['success', 'final'] }]);
      const sm = new SASLStateMachine(intf);
      await sm.initiate('X');
      const err = await rejection(sm.response(bytes('more')));
      expect(err).toBeInstanceOf(SASLFailure);
      expect(err).not.toBeInstanceOf(AuthenticationFailure);
      expect((err as SASLFailure).opaqueError).toBeNull();
      expect((err as SASLFailure).text).toMatch(/protocol violation/);
      expect(sm.state).toBe(SASLState.FAILURE);
      expect(intf.ops).toEqual(['initiate']);
    });
    it('a non-empty answer is a SASLFailure and moves to FAILURE (from respond)', async () => {
      const sm = new SASLStateMachine(new ScriptedInterface([{ reply: ['challenge', 'c'] }, { reply: ['success', 'final'] }]));
      await sm.initiate('X');
      await sm.response(bytes('r'));
      expect(await rejection(sm.response(bytes('x')))).toBeInstanceOf(SASLFailure);
      expect(sm.state).toBe(SASLState.FAILURE);
    });
  });

  describe('reported states', () => {
    it.each(['challenge', 'success', 'failure'] as const)('accepts the plain string %s', async (reported) => {
      const sm = new SASLStateMachine(new ScriptedInterface([{ reply: [reported, null] }]));
      const [state, payload] = await sm.initiate('X');
      expect(state).toBe(reported);
      expect(payload).toBeNull();
      expect(sm.state).toBe(reported);
    });
    it('a reported failure state (not thrown) ends the exchange', async () => {
      const sm = new SASLStateMachine(new ScriptedInterface([{ reply: ['challenge', 'c'] }, { reply: ['failure', null] }]));
      await sm.initiate('X');
      expect(await sm.response(bytes('r'))).toEqual(['failure', null]);
      expectMisuse(await rejection(sm.response(bytes(''))));
    });
    it.each([['bogus'], ['initial'], ['success-simulate-challenge'], ['CHALLENGE'], [''], [42], [null]])(
      'an invalid state %j gives a SASLError and FAILURE',
      async (reported) => {
        const sm = new SASLStateMachine(new ScriptedInterface([{ reply: [reported as string, 'x'] }]));
        const err = await rejection(sm.initiate('X'));
        expect(err).toBeInstanceOf(SASLError);
        expect((err as SASLError).kind).toBe('protocol error');
        expect(sm.state).toBe(SASLState.FAILURE);
      },
    );
    it('an invalid state from respond gives a SASLError too', async () => {
      const sm = new SASLStateMachine(new ScriptedInterface([{ reply: ['challenge', 'c'] }, { reply: ['nope', null] }]));
      await sm.initiate('X');
      expect(await rejection(sm.response(bytes('r')))).toBeInstanceOf(SASLError);
      expect(sm.state).toBe(SASLState.FAILURE);
    });
    it('an invalid state from abort gives a SASLError', async () => {
      const sm = new SASLStateMachine(new ScriptedInterface([{ reply: ['challenge', 'c'] }], { abort: { reply: ['weird', null] } }));
      await sm.initiate('X');
      expect(await rejection(sm.abort())).toBeInstanceOf(SASLError);
    });
    it('a reply that is not a [state, payload] tuple gives a SASLError', async () => {
      for (const raw of [['challenge'], ['challenge', null, null], 'challenge', null, undefined, {}]) {
        const sm = new SASLStateMachine(new ScriptedInterface([{ raw }]));
        expect(await rejection(sm.initiate('X'))).toBeInstanceOf(SASLError);
      }
    });
    it('a payload that is not bytes gives a SASLError', async () => {
      const sm = new SASLStateMachine(new ScriptedInterface([{ reply: ['challenge', 42 as unknown as string] }]));
      expect(await rejection(sm.initiate('X'))).toBeInstanceOf(SASLError);
    });
  });

  describe('argument checks', () => {
    it('response needs a Uint8Array', async () => {
      const intf = new ScriptedInterface([{ reply: ['challenge', 'c'] }]);
      const sm = new SASLStateMachine(intf);
      await sm.initiate('X');
      expect(await rejection(sm.response('text' as unknown as Uint8Array))).toBeInstanceOf(SASLError);
      expect(await rejection(sm.response(null as unknown as Uint8Array))).toBeInstanceOf(SASLError);
      expect(intf.ops).toEqual(['initiate']);
      expect(sm.state).toBe(SASLState.CHALLENGE);
    });
    it('initiate needs a mechanism name and a Uint8Array payload', async () => {
      const intf = new ScriptedInterface([]);
      expect(await rejection(new SASLStateMachine(intf).initiate(''))).toBeInstanceOf(SASLError);
      expect(await rejection(new SASLStateMachine(intf).initiate(7 as unknown as string))).toBeInstanceOf(SASLError);
      expect(await rejection(new SASLStateMachine(intf).initiate('X', 'ir' as unknown as Uint8Array))).toBeInstanceOf(SASLError);
      expect(intf.sent).toHaveLength(0);
    });
  });

  it('a full multi-step exchange walks CHALLENGE → CHALLENGE → SUCCESS', async () => {
    const intf = new ScriptedInterface([
      { expect: 'a', reply: ['challenge', 'b'] },
      { expect: 'c', reply: ['challenge', 'd'] },
      { expect: 'e', reply: ['success', null] },
    ]);
    const sm = new SASLStateMachine(intf);
    expect(text((await sm.initiate('X', bytes('a')))[1])).toBe('b');
    expect(text((await sm.response(bytes('c')))[1])).toBe('d');
    expect(await sm.response(bytes('e'))).toEqual(['success', null]);
    expect(intf.remaining).toBe(0);
  });
});
