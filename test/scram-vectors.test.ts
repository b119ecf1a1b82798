import { describe, expect, it } from 'vitest';
import { SASLStateMachine, SCRAM } from '../src/index.js';
import { runMechanism } from '../src/mechanism.js';
import { ScriptedInterface } from './helpers/scripted.js';

describe('SCRAM RFC test vectors', () => {
  it('RFC 5802 §5 SCRAM-SHA-1, byte for byte', async () => {
    const intf = new ScriptedInterface([
      { expect: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL', reply: ['challenge', 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096'] },
      {
        expect: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
        reply: ['success', 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ='],
      },
    ]);
    const scram = new SCRAM(() => ['user', 'pencil'], { generateNonce: () => 'fyko+d2lbbFgONRv9qkxdawL' });
    expect(scram.anySupported(['SCRAM-SHA-1'])?.name).toBe('SCRAM-SHA-1');
    const sm = new SASLStateMachine(intf);
    await runMechanism(scram, sm, 'SCRAM-SHA-1');
    expect(sm.state).toBe('success');
    expect(intf.remaining).toBe(0);
  });

  it('RFC 7677 §3 SCRAM-SHA-256, byte for byte', async () => {
    const intf = new ScriptedInterface([
      { expect: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO', reply: ['challenge', 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'] },
      {
        expect: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
        reply: ['challenge', 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='],
      },
      { expect: '', reply: ['success', null] },
    ]);
    const scram = new SCRAM(() => ['user', 'pencil'], { generateNonce: () => 'rOprNGfwEbeRWgbNEkqO' });
    const sm = new SASLStateMachine(intf);
    await runMechanism(scram, sm, scram.anySupported(['SCRAM-SHA-1', 'SCRAM-SHA-256', 'PLAIN'])!);
    expect(sm.state).toBe('success');
  });
});

describe('SCRAM RFC test vectors, other deliveries of server-final', () => {
  it('RFC 5802 §5 SCRAM-SHA-1 with v= as a challenge answered by an empty response', async () => {
    const intf = new ScriptedInterface([
      { expect: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL', reply: ['challenge', 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096'] },
      { expect: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=', reply: ['challenge', 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ='] },
      { expect: '', reply: ['success', null] },
    ]);
    const sm = new SASLStateMachine(intf);
    await runMechanism(new SCRAM(() => ['user', 'pencil'], { generateNonce: () => 'fyko+d2lbbFgONRv9qkxdawL' }), sm, 'SCRAM-SHA-1');
    expect(sm.state).toBe('success');
    expect(intf.remaining).toBe(0);
  });

  it('RFC 7677 §3 SCRAM-SHA-256 with v= as success data', async () => {
    const intf = new ScriptedInterface([
      { expect: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO', reply: ['challenge', 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'] },
      {
        expect: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
        reply: ['success', 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='],
      },
    ]);
    const sm = new SASLStateMachine(intf);
    await runMechanism(new SCRAM(() => ['user', 'pencil'], { generateNonce: () => 'rOprNGfwEbeRWgbNEkqO' }), sm, 'SCRAM-SHA-256');
    expect(sm.state).toBe('success');
    expect(intf.ops).toEqual(['initiate', 'respond']);
  });

  it('RFC 7677 §3 with a wrong server signature is refused', async () => {
    const intf = new ScriptedInterface([
      { reply: ['challenge', 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'] },
      { reply: ['success', 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G0='] },
    ]);
    await expect(
      runMechanism(new SCRAM(() => ['user', 'pencil'], { generateNonce: () => 'rOprNGfwEbeRWgbNEkqO' }), new SASLStateMachine(intf), 'SCRAM-SHA-256'),
    ).rejects.toThrow(/wrong server signature/);
  });
});
