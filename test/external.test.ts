import { describe, expect, it } from 'vitest';
import { AuthenticationFailure, EXTERNAL, PLAIN, SASLError, SASLFailure, SASLStateMachine, authenticate } from '../src/index.js';
import { runMechanism } from '../src/mechanism.js';
import { ScriptedInterface } from './helpers/scripted.js';

// RFC 4422 Appendix A has no peer in this suite's reach that would accept
// external credentials over a loopback socket without a certificate set-up,
// so the exchanges are the RFC's, scripted.
describe('EXTERNAL (RFC 4422 Appendix A)', () => {
  it('offers itself only when EXTERNAL is offered (case-insensitively)', () => {
    const m = new EXTERNAL();
    expect(m.anySupported(['PLAIN', 'external'])).toBe('EXTERNAL');
    expect(m.anySupported(['PLAIN', 'SCRAM-SHA-256'])).toBeNull();
  });

  it('sends an empty initial response (not none) when there is no authzid', async () => {
    const intf = new ScriptedInterface([{ expect: '', reply: ['success', null] }]);
    const sm = new SASLStateMachine(intf);
    await runMechanism(new EXTERNAL(), sm, 'EXTERNAL');
    expect(sm.state).toBe('success');
    expect(intf.sent[0]?.mechanism).toBe('EXTERNAL');
    expect(intf.sent[0]?.payload).toEqual(new Uint8Array(0));
  });

  it('sends the authzid as UTF-8 (RFC 4422 §A.2 example)', async () => {
    const intf = new ScriptedInterface([{ expect: 'fred@example.com', reply: ['success', null] }]);
    await runMechanism(new EXTERNAL({ authzid: 'fred@example.com' }), new SASLStateMachine(intf), 'EXTERNAL');
    const intf2 = new ScriptedInterface([{ expect: 'jürgen', reply: ['success', null] }]);
    await runMechanism(new EXTERNAL({ authzid: 'jürgen' }), new SASLStateMachine(intf2), 'EXTERNAL');
    expect([...intf2.sent[0]!.payload!]).toEqual([0x6a, 0xc3, 0xbc, 0x72, 0x67, 0x65, 0x6e]);
  });

  it('refuses an authzid with NUL, a lone surrogate or a non-string, before any exchange', () => {
    expect(() => new EXTERNAL({ authzid: 'a\0b' })).toThrow(SASLError);
    expect(() => new EXTERNAL({ authzid: 'a\ud800' })).toThrow(SASLError);
    expect(() => new EXTERNAL({ authzid: 42 as unknown as string })).toThrow(SASLError);
  });

  it('aborts and fails when the server answers with a challenge', async () => {
    const intf = new ScriptedInterface([{ expect: '', reply: ['challenge', 'more?'] }]);
    const sm = new SASLStateMachine(intf);
    await expect(runMechanism(new EXTERNAL(), sm, 'EXTERNAL')).rejects.toThrow(/protocol violation/);
    expect(intf.aborted).toBe(true);
    expect(sm.state).toBe('failure');
  });

  it('treats success with non-empty additional data as a violation (not aborted: the server has ended the exchange)', async () => {
    const intf = new ScriptedInterface([{ expect: '', reply: ['success', 'data'] }]);
    const err = await runMechanism(new EXTERNAL(), new SASLStateMachine(intf), 'EXTERNAL').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SASLFailure);
    expect((err as SASLFailure).text).toMatch(/additional data with success/);
    expect(intf.aborted).toBe(false);
  });

  it('reports a refusal as a plain SASLFailure, so negotiation falls back to a password mechanism', async () => {
    const refused = new ScriptedInterface([{ expect: '', fail: 'not-authorized' }]);
    const err = await runMechanism(new EXTERNAL(), new SASLStateMachine(refused), 'EXTERNAL').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SASLFailure);
    expect(err).not.toBeInstanceOf(AuthenticationFailure);
    expect((err as SASLFailure).opaqueError).toBe('not-authorized');

    const intf = new ScriptedInterface([
      { expect: '', fail: 'not-authorized' },
      { expect: '\0user\0pencil', reply: ['success', null] },
    ]);
    const used = await authenticate(intf, ['EXTERNAL', 'PLAIN'], [new EXTERNAL(), new PLAIN(() => ['user', 'pencil'])]);
    expect(used).toBe('PLAIN');
    expect(intf.sent.map((s) => s.mechanism ?? s.op)).toEqual(['EXTERNAL', 'PLAIN']);
  });

  it('is stateless: one instance runs several exchanges', async () => {
    const m = new EXTERNAL({ authzid: 'admin' });
    for (let i = 0; i < 3; i++) {
      const intf = new ScriptedInterface([{ expect: 'admin', reply: ['success', null] }]);
      await runMechanism(m, new SASLStateMachine(intf), 'EXTERNAL');
      expect(intf.remaining).toBe(0);
    }
  });
});
