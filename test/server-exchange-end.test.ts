// SASLServerOptions.onExchangeEnd: told exactly once per exchange, with the
// success outcome or the failure condition, for every way an exchange ends;
// a throwing hook changes nothing for the client.
import { describe, expect, it } from 'vitest';
import { AuthenticationFailure, PLAIN, SCRAM, authenticate } from '../src/index.js';
import { encodePlainMessage } from '../src/mechanism.js';
import { LoopbackInterface, type ExchangeEnd } from '../src/server/index.js';
import { enc, makeServer } from './helpers/server.js';

const TLS = { secure: true } as const;

describe('SASLServerOptions.onExchangeEnd', () => {
  it('reports a success once, with the outcome (also with successData: challenge)', async () => {
    for (const successData of ['inline', 'challenge'] as const) {
      const ends: ExchangeEnd[] = [];
      const server = await makeServer({ onExchangeEnd: (end) => ends.push(end) });
      const intf = new LoopbackInterface(server, TLS, { successData });
      await authenticate(intf, server.advertise(TLS), [new SCRAM(() => ['user', 'pencil'], { hashes: ['SHA-256'] })]);
      expect(ends).toHaveLength(1);
      expect(ends[0]!.mechanism).toBe('SCRAM-SHA-256');
      expect(ends[0]!.connection).toBe(TLS);
      expect(ends[0]!.result).toMatchObject({ kind: 'success', outcome: { mechanism: 'SCRAM-SHA-256', authcid: 'user' } });
    }
  });

  it('reports a wrong password as a failure with its condition, never the password', async () => {
    const ends: ExchangeEnd[] = [];
    const server = await makeServer({ onExchangeEnd: (end) => ends.push(end) });
    const err = await authenticate(new LoopbackInterface(server, TLS), server.advertise(TLS), [new PLAIN(() => ['user', 'wrong-secret'])]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect(ends).toHaveLength(1);
    expect(ends[0]!.result).toMatchObject({ kind: 'failure', condition: 'not-authorized' });
    expect(JSON.stringify(ends[0]!.result)).not.toContain('wrong-secret');
  });

  it('reports refusals before any mechanism runs, and aborts', async () => {
    const ends: ExchangeEnd[] = [];
    const server = await makeServer({ onExchangeEnd: (end) => ends.push(end) });
    await server.start('NO-SUCH-MECH', TLS).step(null);
    await server.start('PLAIN', { secure: false }).step(encodePlainMessage('user', 'pencil'));
    const exchange = server.start('SCRAM-SHA-256', TLS);
    await exchange.step(enc('n,,n=user,r=abc'));
    exchange.abort();
    exchange.abort(); // a second abort is not a second end
    expect(ends.map((e) => [e.mechanism, e.result.kind === 'failure' ? e.result.condition : 'success'])).toEqual([
      ['NO-SUCH-MECH', 'invalid-mechanism'],
      ['PLAIN', 'encryption-required'],
      ['SCRAM-SHA-256', 'aborted'],
    ]);
  });

  it('a throwing hook goes to onInternalError and the client still succeeds', async () => {
    const internal: unknown[] = [];
    const server = await makeServer({
      onExchangeEnd: () => {
        throw new Error('logger down');
      },
      onInternalError: (err) => internal.push(err),
    });
    const used = await authenticate(new LoopbackInterface(server, TLS), server.advertise(TLS), [new PLAIN(() => ['user', 'pencil'])]);
    expect(used).toBe('PLAIN');
    expect(internal).toHaveLength(1);
  });
});
