// XMPP over WebSocket framing (RFC 7395): the same client and server
// adapters over FramedXmppTransport, wired through an in-memory pair of
// WebSocket-like objects (Node 20 has no WebSocket; the framing, parsing and
// SASL run for real). Checks the frames' shape and full authentications.
import { describe, expect, it } from 'vitest';
import { AuthenticationFailure, PLAIN, SCRAM, SCRAMPLUS } from '../src/index.js';
import { MemoryCredentialStore, PLAINServer, SASLServer, scramServerMechanisms, type ServerConnection } from '../src/server/index.js';
import { XmppServerSession, type XmppServerResult } from '../src/node/index.js';
import { XmppStreamError, authenticateXmpp, clientStreamHeader, openClientStream, readMechanisms, webSocketXmppTransport } from '../src/protocols/xmpp/index.js';
import { readChannelBindingTypes } from '../src/protocols/xmpp/features.js';
import { socketPair } from './helpers/websocket-pair.js';

async function setup(connection: ServerConnection = { secure: true }) {
  const credentials = new MemoryCredentialStore();
  await credentials.addUser('user', 'pencil', { hashes: ['SHA-256'] });
  const sasl = new SASLServer({ mechanisms: [...scramServerMechanisms({ hashes: ['SHA-256'] }), new PLAINServer()], credentials });
  const { a, b } = socketPair();
  const client = webSocketXmppTransport(a, { readTimeoutMs: 5000 });
  const serverTransport = webSocketXmppTransport(b, { readTimeoutMs: 5000 });
  const session = new XmppServerSession(serverTransport, { sasl, domain: 'example.test', connection: () => connection });
  const served: Promise<XmppServerResult> = session.run();
  return { a, b, client, served, header: clientStreamHeader('example.test') };
}

describe('XMPP over WebSocket framing (RFC 7395)', () => {
  it('opens with <open/> frames and authenticates with SCRAM-SHA-256, then restarts', async () => {
    const { a, b, client, served, header } = await setup();
    const features = await openClientStream(client, header);
    expect(readMechanisms(features)).toEqual(['SCRAM-SHA-256', 'PLAIN']);
    const result = await authenticateXmpp(client, features, [new SCRAM(() => ['user', 'pencil'])], header);
    expect(result.mechanism).toBe('SCRAM-SHA-256');
    const outcome = await served;
    expect(outcome).toMatchObject({ kind: 'authenticated', outcome: { mechanism: 'SCRAM-SHA-256', authcid: 'user' } });
    // Frame shapes: <open/> with the framing namespace, each element with its own namespace declarations.
    expect(a.sent[0]).toBe("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.test' version='1.0' xml:lang='en'/>");
    expect(b.sent[0]).toMatch(/^<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='example.test' id='[0-9a-f]{24}' version='1.0' xml:lang='en'\/>$/);
    expect(b.sent[1]).toMatch(/^<stream:features xmlns:stream='http:\/\/etherx.jabber.org\/streams'><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>/);
    expect(a.sent[1]).toMatch(/^<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>[A-Za-z0-9+/=]+<\/auth>$/);
    expect(b.sent.some((f) => /^<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>[A-Za-z0-9+/=]+<\/success>$/.test(f))).toBe(true);
    // After success: a second <open/> each way, then the bind feature.
    expect(a.sent.filter((f) => f.startsWith('<open ')).length).toBe(2);
    expect(result.features.children.some((c) => typeof c !== 'string' && c.name === 'bind')).toBe(true);
    client.close();
  });

  it('SCRAM-PLUS over a binding the application provides, advertised with XEP-0440', async () => {
    const data = new Uint8Array(32).fill(9);
    const provider = { cbName: 'tls-exporter', extractCbData: () => data };
    const { client, served, header } = await setup({ secure: true, channelBindings: [provider] });
    const features = await openClientStream(client, header);
    expect(readChannelBindingTypes(features)).toEqual(['tls-exporter']);
    const result = await authenticateXmpp(client, features, [new SCRAMPLUS(() => ['user', 'pencil'], provider)], header);
    expect(result.mechanism).toBe('SCRAM-SHA-256-PLUS');
    expect(await served).toMatchObject({ outcome: { channelBinding: 'tls-exporter' } });
    client.close();
  });

  it('a wrong password is an AuthenticationFailure; a closed socket is an XmppStreamError', async () => {
    const { a, client, header } = await setup();
    const features = await openClientStream(client, header);
    await expect(authenticateXmpp(client, features, [new PLAIN(() => ['user', 'nope'], { allowInsecureChannel: true })], header)).rejects.toBeInstanceOf(AuthenticationFailure);
    a.close();
    await expect(authenticateXmpp(client, features, [new PLAIN(() => ['user', 'pencil'], { allowInsecureChannel: true })], header)).rejects.toBeInstanceOf(XmppStreamError);
  });

  it('a hostile frame (entity bomb) ends the server session with a stream error', async () => {
    const { a, b, served } = await setup();
    a.send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.test' version='1.0'/>");
    a.send("<!DOCTYPE x [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;&a;'>]><x>&b;</x>");
    expect(await served).toMatchObject({ kind: 'closed' });
    expect(b.sent.some((f) => f.includes('<restricted-xml'))).toBe(true);
  });
});
