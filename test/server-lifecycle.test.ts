// The framework owns the lifecycle of a server exchange (issue 10 item 3):
// a mechanism is a descriptor plus a session that only ever sees real client
// messages; the exchange sends the empty challenge for a client-first
// mechanism without an initial response and asks a server-first one for its
// opening challenge. Also: the descriptors of the built-in mechanisms are
// one table, and the TLS channel-binding providers come from one factory.
import { describe, expect, it } from 'vitest';
import { ANONYMOUSServer, CRAMMD5Server, EXTERNALServer, LOGINServer, OAUTHBEARERServer, PLAINServer, SASLServer, XOAUTH2Server, challenge, success, type MechanismStep, type ServerConnection, type ServerMechanism } from '../src/server/index.js';
import { SERVER_DESCRIPTORS, serverDescriptor } from '../src/server/descriptors.js';
import { SASLError } from '../src/index.js';
import { ChannelBindingError, tlsChannelBinding } from '../src/node/index.js';
import { TlsChannelBinding, TlsExporterBinding } from '../src/channel-binding/tls/index.js';
import { dec, feed } from './helpers/server.js';

const TLS: ServerConnection = { secure: true };

/** A mechanism that records every message its session is given. */
function recorder(extra: Partial<ServerMechanism> = {}): { mechanism: ServerMechanism; seen: (Uint8Array | null)[] } {
  const seen: (Uint8Array | null)[] = [];
  const mechanism: ServerMechanism = {
    name: 'X-RECORD',
    strength: 1,
    plaintext: false,
    channelBinding: false,
    start: () => ({
      begin: () => challenge(new TextEncoder().encode('hello')),
      next: async (response: Uint8Array | null): Promise<MechanismStep> => {
        seen.push(response);
        if (response === null) return challenge(new TextEncoder().encode('the session saw null'));
        return success({ authcid: dec(response), authzid: null, channelBinding: null });
      },
    }),
    ...extra,
  };
  return { mechanism, seen };
}

describe('the exchange owns the start of an exchange', () => {
  it('client-first (the default): no initial response gets the empty challenge from the framework; the session never sees null', async () => {
    const { mechanism, seen } = recorder();
    const server = new SASLServer({ mechanisms: [mechanism] });
    const results = await feed(server.start('X-RECORD', TLS), [null, 'zoe']);
    expect(results[0]).toEqual({ kind: 'challenge', data: new Uint8Array(0) });
    expect(results[1]).toMatchObject({ kind: 'success', outcome: { authcid: 'zoe' } });
    expect(seen).toEqual([new TextEncoder().encode('zoe')]);
  });

  it('server-first: begin() gives the opening challenge; an initial response is refused unless the descriptor allows one', async () => {
    const { mechanism, seen } = recorder({ first: 'server' });
    const server = new SASLServer({ mechanisms: [mechanism] });
    const results = await feed(server.start('X-RECORD', TLS), [null, 'zoe']);
    expect(dec((results[0] as { data: Uint8Array }).data)).toBe('hello');
    expect(results[1]).toMatchObject({ kind: 'success', outcome: { authcid: 'zoe' } });
    const refused = await feed(server.start('X-RECORD', TLS), ['zoe']);
    expect(refused[0]).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
    expect(seen).toEqual([new TextEncoder().encode('zoe')]);
  });

  it('server-first with initialResponse: the initial response answers the opening challenge; an empty one counts as none', async () => {
    const { mechanism } = recorder({ first: 'server', initialResponse: true });
    const server = new SASLServer({ mechanisms: [mechanism] });
    expect((await feed(server.start('X-RECORD', TLS), ['zoe']))[0]).toMatchObject({ kind: 'success', outcome: { authcid: 'zoe' } });
    const empty = await feed(server.start('X-RECORD', TLS), [new Uint8Array(0)]);
    expect(dec((empty[0] as { data: Uint8Array }).data)).toBe('hello');
  });

  it('LOGIN and CRAM-MD5 are server-first; PLAIN answers an absent initial response with the empty challenge', async () => {
    const server = new SASLServer({ mechanisms: [new LOGINServer(), new CRAMMD5Server({ lookupSecret: () => null }), new PLAINServer()] });
    expect(dec(((await server.start('LOGIN', TLS).step(null)) as { data: Uint8Array }).data)).toBe('Username:');
    expect(dec(((await server.start('CRAM-MD5', TLS).step(null)) as { data: Uint8Array }).data)).toMatch(/^<[0-9a-f]{16}\.\d+@localhost>$/);
    expect(await server.start('CRAM-MD5', TLS).step(new Uint8Array([0x61]))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
    expect(await server.start('PLAIN', TLS).step(null)).toEqual({ kind: 'challenge', data: new Uint8Array(0) });
  });

  it("a mechanism's success and the legacy 'done' both end in the exchange's success", async () => {
    const done: ServerMechanism = {
      name: 'X-DONE',
      strength: 1,
      plaintext: false,
      channelBinding: false,
      start: () => ({ next: async () => ({ kind: 'done', data: null, identity: { authcid: 'old', authzid: null, channelBinding: null } }) }),
    };
    const server = new SASLServer({ mechanisms: [done] });
    expect(await server.start('X-DONE', TLS).step(new Uint8Array(0))).toMatchObject({ kind: 'success', outcome: { authcid: 'old' } });
    expect(success({ authcid: 'a', authzid: null, channelBinding: null })).toEqual({ kind: 'success', data: null, identity: { authcid: 'a', authzid: null, channelBinding: null } });
  });

  it("refuses a descriptor whose 'first' is neither 'client' nor 'server'", () => {
    const { mechanism } = recorder({ first: 'sideways' as 'client' });
    expect(() => new SASLServer({ mechanisms: [mechanism] })).toThrow(SASLError);
  });
});

describe('one descriptor per mechanism family', () => {
  it('each built-in server class carries its descriptor from SERVER_DESCRIPTORS, looked up by name', () => {
    const validateToken = () => ({ valid: false as const });
    const mechanisms = [
      new PLAINServer(),
      new LOGINServer(),
      new ANONYMOUSServer(),
      new EXTERNALServer(),
      new CRAMMD5Server({ lookupSecret: () => null }),
      new OAUTHBEARERServer({ validateToken }),
      new XOAUTH2Server({ validateToken }),
    ];
    expect(mechanisms.map((m) => m.name).sort()).toEqual(Object.keys(SERVER_DESCRIPTORS).sort());
    for (const m of mechanisms) {
      const d = serverDescriptor(m.name.toLowerCase())!;
      expect({ name: m.name, strength: m.strength, plaintext: m.plaintext, channelBinding: m.channelBinding, first: m.first }).toEqual({
        name: d.name,
        strength: d.strength,
        plaintext: d.plaintext,
        channelBinding: d.channelBinding,
        first: d.first ?? 'client',
      });
    }
    expect(serverDescriptor('SCRAM-SHA-256')).toBeNull();
    expect(serverDescriptor('toString')).toBeNull();
    expect(new EXTERNALServer().availableOn({ secure: true, externalIdentity: 'cn' })).toBe(true);
    expect(new EXTERNALServer().availableOn({ secure: true })).toBe(false);
  });
});

describe('TLS channel binding: one factory', () => {
  /** Enough of a TLSSocket for the exporter: TLS 1.3 and a recorded exporter call. */
  const fakeSocket = (calls: unknown[]) =>
    ({
      getProtocol: () => 'TLSv1.3',
      exportKeyingMaterial: (length: number, label: string, context: Buffer) => {
        calls.push([length, label, context.length]);
        return Buffer.alloc(length, 7);
      },
    }) as unknown as import('node:tls').TLSSocket;

  it('tlsChannelBinding(socket, type) and the per-type classes are the same provider', () => {
    const calls: unknown[] = [];
    const provider = tlsChannelBinding(fakeSocket(calls), 'tls-exporter');
    expect(provider).toBeInstanceOf(TlsChannelBinding);
    expect(provider.cbName).toBe('tls-exporter');
    expect(provider.extractCbData()).toEqual(new Uint8Array(32).fill(7));
    expect(new TlsExporterBinding(fakeSocket(calls)).extractCbData()).toEqual(new Uint8Array(32).fill(7));
    expect(calls).toEqual([
      [32, 'EXPORTER-Channel-Binding', 0],
      [32, 'EXPORTER-Channel-Binding', 0],
    ]);
    expect(() => tlsChannelBinding(fakeSocket(calls), 'tls-bogus' as 'tls-unique')).toThrow(ChannelBindingError);
  });
});
