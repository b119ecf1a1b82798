// docs/server.md quotes docs/examples/server.ts verbatim, and that code runs.
import { describe, expect, it } from 'vitest';
import { PLAIN, SASLFailure, SCRAM, authenticate } from '../src/index.js';
import { LoopbackInterface, MemoryCredentialStore, SASLServer, SCRAMServer, PLAINServer, type ServerConnection } from '../src/server/index.js';
import { TextVerifierStore, authorize, createServer, loginInProcess, runExchange, type ChallengeChannel } from '../docs/examples/server.js';
import { exampleRegion, markdownBlocks } from './helpers/doc-quotes.js';
import { SECRET, clientFinal, dec, enc } from './helpers/server.js';

const TLS: ServerConnection = { secure: true };

describe('docs/server.md examples', () => {
  it('createServer: alice by password, bob by a migrated PostgreSQL verifier', async () => {
    const server = await createServer(SECRET);
    expect(server.advertise(TLS)).toEqual(['SCRAM-SHA-256', 'PLAIN']);
    const alice = new LoopbackInterface(server, TLS);
    await authenticate(alice, server.advertise(TLS), [new SCRAM(() => ['alice', 'correct horse'])]);
    expect(alice.outcome?.mechanism).toBe('SCRAM-SHA-256');
    expect((await loginInProcess(server))?.authcid).toBe('bob');
  });

  it('runExchange drives SCRAM with v= as a last challenge, and handles abort', async () => {
    const server = await createServer(SECRET);
    const sent: string[] = [];
    const bare = 'n=bob,r=docsnonce';
    const replies: Array<() => Promise<Uint8Array | null>> = [
      async () => enc((await clientFinal({ hash: 'SHA-256', password: 'pencil', gs2Header: 'n,,', clientFirstBare: bare, serverFirst: enc(sent[0]!) })).message),
      async () => new Uint8Array(0),
    ];
    const channel: ChallengeChannel = {
      sendChallenge: async (data) => void sent.push(dec(data)!),
      readResponse: () => replies.shift()!(),
    };
    const outcome = await runExchange(server, TLS, 'SCRAM-SHA-256', enc(`n,,${bare}`), channel);
    expect(outcome).toMatchObject({ mechanism: 'SCRAM-SHA-256', authcid: 'bob' });
    expect(sent[1]).toMatch(/^v=/);

    const aborting: ChallengeChannel = { sendChallenge: async () => undefined, readResponse: async () => null };
    expect(await runExchange(server, TLS, 'PLAIN', null, aborting)).toMatchObject({ kind: 'failure', condition: 'aborted' });
  });

  it('TextVerifierStore reads both text forms', async () => {
    const store = new TextVerifierStore(
      new Map([
        ['user', ['{SCRAM-SHA-1}4096,QSXCR+Q6sek8bf92,6dlGYMOdZcOPutkcNY8U2g7vK9Y=,D+CSWLOshSulAsxiupA+qs2/fTE=']],
        ['bob', ['SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=']],
      ]),
    );
    const server = new SASLServer({ mechanisms: [new SCRAMServer('SHA-1'), new SCRAMServer('SHA-256'), new PLAINServer()], credentials: store, secret: SECRET });
    for (const [user, mech] of [['user', 'SCRAM-SHA-1'], ['bob', 'SCRAM-SHA-256'], ['bob', 'PLAIN']] as const) {
      const intf = new LoopbackInterface(server, TLS);
      await authenticate(intf, [mech], [mech === 'PLAIN' ? new PLAIN(() => [user, 'pencil']) : new SCRAM(() => [user, 'pencil'])]);
      expect(intf.outcome?.authcid).toBe(user);
    }
  });

  it('authorize: admins may act as anyone, others only as themselves, disabled accounts refused', async () => {
    const credentials = new MemoryCredentialStore();
    for (const u of ['alice', 'carol', 'mallory']) await credentials.addUser(u, 'pw', { hashes: ['SHA-256'] });
    const server = new SASLServer({ mechanisms: [new PLAINServer()], credentials, authorize, secret: SECRET });
    const login = async (user: string, authzid: string | null) => {
      const intf = new LoopbackInterface(server, TLS);
      try {
        await authenticate(intf, ['PLAIN'], [new PLAIN(() => [user, 'pw'], { authzid })]);
        return intf.outcome;
      } catch (err) {
        return (err as SASLFailure).opaqueError;
      }
    };
    expect(await login('alice', 'carol')).toMatchObject({ authcid: 'alice', authzid: 'carol', claims: { admin: true } });
    expect(await login('carol', null)).toMatchObject({ authzid: 'carol', claims: { admin: false } });
    expect(await login('carol', 'alice')).toBe('invalid-authzid');
    expect(await login('mallory', null)).toBe('account-disabled');
  });
});

describe('docs/server.md quotes docs/examples/server*.ts verbatim', () => {
  const blocks = markdownBlocks('docs/server.md');
  const regions = [
    ['server', 'setup'],
    ['server-exchange', 'exchange'],
    ['server', 'store'],
    ['server', 'authorize'],
    ['server-loopback', 'loopback'],
    ['server-external', 'external'],
  ] as const;
  for (const [file, name] of regions) {
    it(`region ${name}`, () => {
      expect(blocks).toContain(exampleRegion(`docs/examples/${file}.ts`, name));
    });
  }
  it('quotes nothing else as TypeScript', () => {
    expect(blocks).toHaveLength(6);
  });
});
