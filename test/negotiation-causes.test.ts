// Issue 9 kind 6: when authenticate() fails after several attempts, the
// error carries every attempt's error (err.attempts, and err.cause chaining
// the previous attempt), and the CLI reports the one that matters first.
import { describe, expect, it } from 'vitest';
import { AuthenticationFailure, PLAIN, SASLFailure, SCRAM, SASLError, authenticate } from '../src/index.js';
import { decisiveError } from '../src/cli/attempts.js';
import { ScriptedInterface } from './helpers/scripted.js';

const creds = () => ['user', 'pencil'] as const;

describe('authenticate(): every attempt is kept', () => {
  it('two failed attempts: the thrown error lists both and its cause is the first', async () => {
    const intf = new ScriptedInterface([
      { fail: 'temporary-auth-failure', text: 'scram store down' },
      { fail: 'encryption-required' },
    ]);
    const err = (await authenticate(intf, ['SCRAM-SHA-256', 'PLAIN'], [new SCRAM(creds), new PLAIN(creds)]).catch((e: unknown) => e)) as SASLFailure;
    expect(err).toBeInstanceOf(SASLFailure);
    expect(err.opaqueError).toBe('encryption-required');
    expect(err.attempts.map((a) => [a.mechanism, a.error.opaqueError])).toEqual([
      ['SCRAM-SHA-256', 'temporary-auth-failure'],
      ['PLAIN', 'encryption-required'],
    ]);
    expect(err.cause).toBe(err.attempts[0]!.error);
    expect(err.attempts[1]!.error).toBe(err);
  });

  it('an AuthenticationFailure that stops the loop also carries the earlier attempts', async () => {
    const intf = new ScriptedInterface([{ fail: 'temporary-auth-failure' }, { fail: 'not-authorized' }]);
    const err = (await authenticate(intf, ['SCRAM-SHA-256', 'PLAIN'], [new SCRAM(creds), new PLAIN(creds)]).catch((e: unknown) => e)) as SASLError;
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect(err.attempts.map((a) => a.mechanism)).toEqual(['SCRAM-SHA-256', 'PLAIN']);
    expect(err.cause).toBeInstanceOf(SASLFailure);
  });

  it('a local failure before anything was sent is an attempt too', async () => {
    const intf = new ScriptedInterface([{ fail: 'not-authorized' }], { secure: false });
    const err = (await authenticate(intf, ['PLAIN', 'SCRAM-SHA-256'], [new PLAIN(creds), new SCRAM(creds)]).catch((e: unknown) => e)) as SASLError;
    expect(err.attempts.map((a) => [a.mechanism, a.error.opaqueError])).toEqual([
      ['PLAIN', null],
      ['SCRAM-SHA-256', 'not-authorized'],
    ]);
  });

  it('one attempt: attempts has it, no cause; none usable: no attempts', async () => {
    const one = (await authenticate(new ScriptedInterface([{ fail: 'temporary-auth-failure' }]), ['PLAIN'], [new PLAIN(creds)]).catch((e: unknown) => e)) as SASLError;
    expect(one.attempts).toHaveLength(1);
    expect(one.cause).toBeUndefined();
    const none = (await authenticate(new ScriptedInterface([]), ['X-FOO'], [new PLAIN(creds)]).catch((e: unknown) => e)) as SASLError;
    expect(none.opaqueError).toBe('invalid-mechanism');
    expect(none.attempts).toEqual([]);
  });
});

describe('the CLI reports the attempt that matters', () => {
  it('the first attempt (the preferred mechanism) when no credentials were refused', async () => {
    const intf = new ScriptedInterface([{ fail: 'temporary-auth-failure', text: 'scram store down' }, { fail: 'encryption-required' }]);
    const err = await authenticate(intf, ['SCRAM-SHA-256', 'PLAIN'], [new SCRAM(creds), new PLAIN(creds)]).catch((e: unknown) => e);
    const { error, others } = decisiveError(err);
    expect((error as SASLFailure).opaqueError).toBe('temporary-auth-failure');
    expect(others.map((o) => o.mechanism)).toEqual(['PLAIN']);
  });

  it('the AuthenticationFailure when there is one', async () => {
    const intf = new ScriptedInterface([{ fail: 'temporary-auth-failure' }, { fail: 'not-authorized' }]);
    const err = await authenticate(intf, ['SCRAM-SHA-256', 'PLAIN'], [new SCRAM(creds), new PLAIN(creds)]).catch((e: unknown) => e);
    expect(decisiveError(err).error).toBeInstanceOf(AuthenticationFailure);
  });

  it('anything else is reported as is', () => {
    const e = new Error('boom');
    expect(decisiveError(e)).toEqual({ error: e, others: [] });
  });
});
