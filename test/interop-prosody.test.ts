// saslkit's XMPP client against a real Prosody 0.12 over STARTTLS: the server
// runs from a temp dir with its own config, certificate and loopback port,
// and is stopped in afterAll. Prosody 0.12 binds channels with tls-unique only
// and offers -PLUS only on TLS 1.2, so the -PLUS case forces TLS 1.2.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ANONYMOUS, AuthenticationFailure, PLAIN, SASLFailure, SCRAM, SCRAMPLUS } from '../src/index.js';
import { connectXmpp, startXmppServer, type XmppClientConnection, type XmppConnectOptions } from '../src/node/index.js';
import { readChannelBindingTypes } from '../src/protocols/xmpp/features.js';
import { readMechanisms, xmlElement, type XmlElement } from '../src/protocols/xmpp/index.js';
import { NS_BIND, NS_CLIENT } from '../src/protocols/xmpp/namespaces.js';
import { NS_SESSION } from '../src/protocols/xmpp/namespaces.js';
import { childElement, textOf } from '../src/protocols/xmpp/element.js';
import { MemoryCredentialStore, SASLServer, scramServerMechanisms } from '../src/server/index.js';
import { describeWithPeers } from './helpers/peers.js';
import { freePort, waitForPort } from './helpers/ports.js';
import { makeTempDir, openssl, removeDir } from './helpers/tls-certs.js';

const DOMAIN = 'example.test';
const ANON_DOMAIN = 'anon.example.test';

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

describeWithPeers('XMPP client ↔ Prosody 0.12 (STARTTLS)', ['prosody', 'prosodyctl', 'openssl'], () => {
  let dir = '';
  let port = 0;
  let ca = '';
  let prosody: ChildProcess | null = null;
  const open: XmppClientConnection[] = [];

  beforeAll(async () => {
    dir = makeTempDir('saslkit-prosody-');
    mkdirSync(join(dir, 'data'));
    mkdirSync(join(dir, 'certs'));
    const keyPath = join(dir, 'certs', `${DOMAIN}.key`);
    const certPath = join(dir, 'certs', `${DOMAIN}.crt`);
    openssl([
      'req', '-x509', '-nodes', '-days', '2', '-newkey', 'rsa:2048', '-sha256',
      '-keyout', keyPath, '-out', certPath, '-subj', `/CN=${DOMAIN}`,
      '-addext', `subjectAltName=DNS:${DOMAIN},DNS:${ANON_DOMAIN}`,
    ]);
    ca = readFileSync(certPath, 'utf8');
    port = await freePort();
    const cfg = join(dir, 'prosody.cfg.lua');
    const q = (s: string): string => JSON.stringify(s);
    writeFileSync(
      cfg,
      [
        // We run as root in CI containers; Prosody refuses that unless told.
        'run_as_root = true',
        `pidfile = ${q(join(dir, 'prosody.pid'))}`,
        `data_path = ${q(join(dir, 'data'))}`,
        `certificates = ${q(join(dir, 'certs'))}`,
        'plugin_paths = {}',
        'modules_enabled = { "saslauth"; "tls"; "disco"; "posix" }',
        'modules_disabled = { "s2s"; "offline" }',
        `c2s_ports = { ${port} }`,
        'c2s_interfaces = { "127.0.0.1" }',
        'c2s_direct_tls_ports = {}',
        's2s_ports = {}',
        'http_ports = {}',
        'https_ports = {}',
        'c2s_require_encryption = true',
        `log = { { levels = { min = "debug" }, to = "file", filename = ${q(join(dir, 'prosody.log'))} } }`,
        `ssl = { certificate = ${q(certPath)}; key = ${q(keyPath)} }`,
        `VirtualHost ${q(DOMAIN)}`,
        '  authentication = "internal_hashed"',
        `VirtualHost ${q(ANON_DOMAIN)}`,
        '  authentication = "anonymous"',
        '',
      ].join('\n'),
    );
    const reg = spawnSync('prosodyctl', ['--config', cfg, 'register', 'user', DOMAIN, 'pencil'], { encoding: 'utf8', timeout: 30_000 });
    if (reg.status !== 0) throw new Error(`prosodyctl register failed: ${reg.stdout}${reg.stderr}`);
    // Missing lua-unbound etc. only produce warnings on stdout/stderr.
    prosody = spawn('prosody', ['-F', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    prosody.stdout?.resume();
    prosody.stderr?.resume();
    await waitForPort(port, prosody, { name: 'prosody', timeoutMs: 20_000, diagnostics: () => safeRead(join(dir, 'prosody.log')).slice(-2000) });
  });

  afterAll(async () => {
    for (const c of open) c.close();
    const child = prosody;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    removeDir(dir);
  });

  async function connect(domain = DOMAIN, tls: XmppConnectOptions['tls'] = {}): Promise<XmppClientConnection> {
    const c = await connectXmpp({ host: '127.0.0.1', port, domain, tls: { ca, ...tls }, readTimeoutMs: 10_000 });
    open.push(c);
    return c;
  }

  function expectBound(c: XmppClientConnection): void {
    // After the SASL restart the server offers resource binding.
    expect(childElement(c.features, 'bind', NS_BIND)).not.toBeNull();
  }

  it('offers SCRAM-SHA-1 and PLAIN after STARTTLS (and no XEP-0440 list)', async () => {
    const c = await connect();
    expect(c.tlsSocket?.encrypted).toBe(true);
    expect(c.mechanisms).toEqual(expect.arrayContaining(['SCRAM-SHA-1', 'PLAIN']));
    expect(readChannelBindingTypes(c.features)).toBeNull();
    c.close();
  });

  it('SCRAM-SHA-1 succeeds', async () => {
    const c = await connect();
    expect(await c.authenticate([new SCRAM(() => ['user', 'pencil'])])).toBe('SCRAM-SHA-1');
    expectBound(c);
    c.close();
  });

  it('SCRAM-SHA-1-PLUS with tls-unique succeeds on TLS 1.2', async () => {
    const c = await connect(DOMAIN, { maxVersion: 'TLSv1.2' });
    expect(c.tlsSocket?.getProtocol()).toBe('TLSv1.2');
    expect(c.mechanisms).toContain('SCRAM-SHA-1-PLUS');
    const cb = c.channelBinding({ policy: 'require' });
    expect(cb?.cbName).toBe('tls-unique');
    expect(await c.authenticate([new SCRAMPLUS(() => ['user', 'pencil'], cb!)])).toBe('SCRAM-SHA-1-PLUS');
    expectBound(c);
    c.close();
  });

  it('on TLS 1.2 Prosody offers -PLUS and so refuses a SCRAM client that sends the y flag (downgrade detection)', async () => {
    const c = await connect(DOMAIN, { maxVersion: 'TLSv1.2' });
    const err = await c.authenticate([new SCRAM(() => ['user', 'pencil'], { afterScramPlus: true })]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SASLFailure);
    c.close();
  });

  it('on TLS 1.3 Prosody offers no -PLUS, and SCRAM (without y flag) still succeeds', async () => {
    const c = await connect(DOMAIN, { minVersion: 'TLSv1.3' });
    expect(c.tlsSocket?.getProtocol()).toBe('TLSv1.3');
    expect(c.mechanisms).not.toContain('SCRAM-SHA-1-PLUS');
    expect(await c.authenticate([new SCRAM(() => ['user', 'pencil'])])).toBe('SCRAM-SHA-1');
    c.close();
  });

  it('PLAIN succeeds', async () => {
    const c = await connect();
    expect(await c.authenticate([new PLAIN(() => ['user', 'pencil'])])).toBe('PLAIN');
    expectBound(c);
    c.close();
  });

  it('ANONYMOUS succeeds on the anonymous host', async () => {
    const c = await connect(ANON_DOMAIN);
    expect(c.mechanisms).toContain('ANONYMOUS');
    expect(await c.authenticate([new ANONYMOUS('trace')])).toBe('ANONYMOUS');
    expectBound(c);
    c.close();
  });

  it('a wrong password is an AuthenticationFailure (SCRAM-SHA-1 and PLAIN), and the stream stays usable', async () => {
    const c = await connect();
    const err = await c.authenticate([new SCRAM(() => ['user', 'wrong'])]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect((err as AuthenticationFailure).opaqueError).toBe('not-authorized');
    const err2 = await c.authenticate([new PLAIN(() => ['user', 'wrong'])]).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(AuthenticationFailure);
    // RFC 6120 §6.4.5: the client may retry on the same stream.
    expect(await c.authenticate([new SCRAM(() => ['user', 'pencil'])])).toBe('SCRAM-SHA-1');
    c.close();
  });

  it('an unknown user is an AuthenticationFailure', async () => {
    const c = await connect();
    await expect(c.authenticate([new SCRAM(() => ['nobody', 'pencil'])])).rejects.toBeInstanceOf(AuthenticationFailure);
    c.close();
  });

  it('before STARTTLS Prosody offers no mechanisms (c2s_require_encryption)', async () => {
    const c = await connectXmpp({ host: '127.0.0.1', port, domain: DOMAIN, security: 'none', readTimeoutMs: 10_000 });
    open.push(c);
    expect(readMechanisms(c.features)).toEqual([]);
    c.close();
  });

  it("saslkit's XMPP server answers resource binding and the session IQ in the shape Prosody does", async () => {
    /** Element names, namespaces, attribute names and nesting; no text, ids or values. */
    const shape = (el: XmlElement): unknown => ({
      name: el.name,
      xmlns: el.xmlns,
      attrs: Object.keys(el.attrs).filter((a) => a !== 'id').sort(),
      type: el.attrs.type,
      children: el.children.filter((c): c is XmlElement => typeof c !== 'string').map(shape),
    });
    const exchange = async (c: XmppClientConnection): Promise<{ features: unknown; bind: unknown; jid: string; session: unknown }> => {
      await c.authenticate([new SCRAM(() => ['user', 'pencil'])]);
      const features = shape(c.features);
      await c.transport.send(xmlElement('iq', NS_CLIENT, { type: 'set', id: 'b1' }, [xmlElement('bind', NS_BIND, {}, [xmlElement('resource', NS_BIND, {}, ['laptop'])])]));
      const bound = await c.transport.receive();
      await c.transport.send(xmlElement('iq', NS_CLIENT, { type: 'set', id: 's1' }, [xmlElement('session', NS_SESSION)]));
      const session = await c.transport.receive();
      const jid = textOf(childElement(childElement(bound, 'bind', NS_BIND)!, 'jid', NS_BIND)!);
      c.close();
      return { features, bind: shape(bound), jid, session: shape(session) };
    };
    const fromProsody = await exchange(await connect());
    expect(fromProsody.jid).toBe(`user@${DOMAIN}/laptop`);

    const store = new MemoryCredentialStore();
    await store.addUser('user', 'pencil', { hashes: ['SHA-1'] });
    const server = await startXmppServer({
      sasl: new SASLServer({ mechanisms: scramServerMechanisms({ hashes: ['SHA-1'] }), credentials: store }),
      domain: DOMAIN,
      tls: { key: readFileSync(join(dir, 'certs', `${DOMAIN}.key`), 'utf8'), cert: ca },
    });
    try {
      const c = await connectXmpp({ host: '127.0.0.1', port: server.port, domain: DOMAIN, tls: { ca }, readTimeoutMs: 10_000 });
      open.push(c);
      const fromSaslkit = await exchange(c);
      expect(fromSaslkit.jid).toBe(fromProsody.jid);
      expect(fromSaslkit.bind).toEqual(fromProsody.bind);
      expect(fromSaslkit.session).toEqual(fromProsody.session);
      // Prosody may offer more after authentication (e.g. stream management); saslkit offers bind and session as it does.
      const names = (f: unknown): string[] => (f as { children: { name: string; xmlns: string }[] }).children.map((x) => `${x.xmlns} ${x.name}`);
      expect(names(fromProsody.features)).toEqual(expect.arrayContaining(names(fromSaslkit.features)));
    } finally {
      await server.close();
    }
  });
});
