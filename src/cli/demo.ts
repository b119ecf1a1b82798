/**
 * `saslkit demo` (also `npm start`): saslkit's main job, end to end, on one
 * machine. It starts the IMAP, SMTP and XMPP servers of `saslkit/node` on
 * free loopback ports (STARTTLS, a certificate authority, server and client
 * certificates generated in memory with the `selfsigned` package), with one
 * demo user, then logs in to each server with every mechanism saslkit has:
 *
 * - PLAIN, LOGIN, CRAM-MD5, ANONYMOUS, OAUTHBEARER and XOAUTH2 (a demo token
 *   validator), EXTERNAL (the generated client certificate, RFC 4422 App. A);
 * - SCRAM-SHA-1, -256, -512 and SHA3-512 (RFC 5802, RFC 7677), and each
 *   -PLUS with every channel-binding type the TLS version allows: on TLS 1.3
 *   `tls-exporter` (RFC 9266) and `tls-server-end-point` (RFC 5929 §4); on
 *   TLS 1.2 `tls-unique` (RFC 5929 §3) and `tls-server-end-point` (the
 *   servers keep their default of no `tls-exporter` on TLS 1.2);
 * - one wrong password per protocol, which must be refused.
 *
 * One line of progress per login goes to standard error, the table to
 * standard output. Exit status 0 when every login came out as expected, 1
 * otherwise. Every connection has a 15-second limit.
 *
 * @module
 */
import type { ConnectionOptions } from 'node:tls';
import { generate } from 'selfsigned';
import { AuthenticationFailure, SASLError, type ChannelBindingType } from '../index.js';
import { HASHES } from '../mechanism.js';
import { clientCertificateIdentity, startImapServer, startSmtpServer, startXmppServer, type RunningServer } from '../node/index.js';
import {
  ANONYMOUSServer,
  CRAMMD5Server,
  EXTERNALServer,
  LOGINServer,
  MemoryCredentialStore,
  OAUTHBEARERServer,
  PLAINServer,
  SASLServer,
  XOAUTH2Server,
  scramServerMechanisms,
  type OAuthTokenValidator,
} from '../server/index.js';
import { EXIT, UsageError, listOption, parseOptions } from './args.js';
import { connectClient, PROTOCOLS, type Protocol } from './client-connection.js';
import { clientMechanisms } from './client-mechanisms.js';
import type { Command, CommandIO } from './io.js';
import { scramMechanismName } from '../core/mechanism-name.js';

const USER = 'demo';
// Demo secrets, printed in the usage text on purpose: nothing here protects anything.
const PASSWORD = 'demo-password';
const TOKEN = 'demo-token';
const TIMEOUT_MS = 15_000;
/** Logins run at once: enough to overlap handshakes, few enough for a small machine. */
const PARALLEL = 4;

/** One login: what to try, and what must come of it. */
export interface DemoCell {
  /** The protocol. */
  readonly protocol: Protocol;
  /** The SASL mechanism. */
  readonly mechanism: string;
  /** The channel-binding type (-PLUS mechanisms only). */
  readonly binding: ChannelBindingType | null;
  /** The TLS version the client allows at most. */
  readonly tls: '1.2' | '1.3';
  /** `'ok'`, or `'refused'` for the wrong password. */
  readonly expected: 'ok' | 'refused';
  /** Log in with a wrong password (or token). */
  readonly wrongSecret: boolean;
}

/** How a login came out: `'ok'`, `'refused'`, or `'error: ...'`. */
export interface DemoResult extends DemoCell {
  /** The result. */
  readonly result: string;
  /** Connect, STARTTLS and login, in milliseconds. */
  readonly ms: number;
}

/**
 * Every login the demo tries, in table order.
 *
 * @param breakCells - cells (`"imap PLAIN"`, `"smtp SCRAM-SHA-256-PLUS tls-unique"`)
 *   to try with a wrong password while still expecting `ok`: a seam for
 *   testing that a bad cell fails the demo
 */
export function demoCells(breakCells: readonly string[] = []): DemoCell[] {
  const cells: DemoCell[] = [];
  for (const protocol of PROTOCOLS) {
    const add = (mechanism: string, binding: ChannelBindingType | null, tls: '1.2' | '1.3', expected: 'ok' | 'refused' = 'ok'): void => {
      const id = [protocol, mechanism, ...(binding ? [binding] : [])].join(' ');
      const broken = breakCells.some((b) => b.toLowerCase() === id.toLowerCase());
      cells.push({ protocol, mechanism, binding, tls, expected, wrongSecret: expected === 'refused' || broken });
    };
    for (const m of ['PLAIN', 'LOGIN', 'CRAM-MD5', 'ANONYMOUS', 'EXTERNAL', 'OAUTHBEARER', 'XOAUTH2']) add(m, null, '1.3');
    for (const { name } of HASHES) {
      const [scram, plus] = [scramMechanismName(name, false), scramMechanismName(name, true)];
      add(scram, null, '1.3');
      add(plus, 'tls-exporter', '1.3');
      add(plus, 'tls-server-end-point', '1.3');
      add(plus, 'tls-unique', '1.2');
      add(plus, 'tls-server-end-point', '1.2');
    }
    add('SCRAM-SHA-256', null, '1.3', 'refused');
  }
  return cells;
}

/** A CA, a server certificate for localhost and a client certificate for the demo user, all in memory. */
async function certificates(): Promise<{ ca: string; server: { key: string; cert: string }; client: { key: string; cert: string } }> {
  const ec = { keyType: 'ec' as const, curve: 'P-256' as const, algorithm: 'sha256' };
  const ca = await generate([{ name: 'commonName', value: 'saslkit demo CA' }], {
    ...ec,
    extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }],
  });
  const signer = { ca: { key: ca.private, cert: ca.cert } };
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    ...ec,
    ...signer,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const client = await generate([{ name: 'commonName', value: USER }], {
    ...ec,
    ...signer,
    extensions: [{ name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true }, { name: 'extKeyUsage', clientAuth: true }],
  });
  return { ca: ca.cert, server: { key: server.private, cert: server.cert }, client: { key: client.private, cert: client.cert } };
}

async function sasl(): Promise<SASLServer> {
  const credentials = new MemoryCredentialStore();
  // Each hash's default iteration count: the smallest every client accepts by default.
  await credentials.addUser(USER, PASSWORD);
  const validateToken: OAuthTokenValidator = ({ token }) => (token === TOKEN ? { valid: true, authcid: USER } : { valid: false });
  return new SASLServer({
    mechanisms: [
      ...scramServerMechanisms(),
      new PLAINServer(),
      new LOGINServer(),
      // CRAM-MD5 needs the password itself on the server: fine for a demo, a reason to avoid it elsewhere.
      new CRAMMD5Server({ lookupSecret: (name) => (name === USER ? PASSWORD : null), hostname: 'localhost' }),
      new ANONYMOUSServer(),
      new EXTERNALServer(),
      new OAUTHBEARERServer({ validateToken }),
      new XOAUTH2Server({ validateToken }),
    ],
    credentials,
  });
}

async function login(cell: DemoCell, port: number, pem: Awaited<ReturnType<typeof certificates>>): Promise<string> {
  const external = cell.mechanism === 'EXTERNAL';
  const tls: ConnectionOptions = {
    ca: [pem.ca],
    servername: 'localhost',
    maxVersion: cell.tls === '1.2' ? 'TLSv1.2' : 'TLSv1.3',
    // The client certificate only where it is the credential, so the other logins prove themselves.
    ...(external ? { cert: pem.client.cert, key: pem.client.key } : {}),
  };
  let conn: Awaited<ReturnType<typeof connectClient>>;
  try {
    conn = await connectClient({ protocol: cell.protocol, host: '127.0.0.1', port, security: 'starttls', tls, domain: 'localhost', timeoutMs: TIMEOUT_MS, localAddress: undefined });
  } catch (err) {
    // A cell that cannot even connect is a result of its own, not the end of the demo.
    return `error: cannot connect: ${err instanceof Error ? err.message : String(err)}`;
  }
  try {
    const secret = cell.mechanism === 'OAUTHBEARER' || cell.mechanism === 'XOAUTH2' ? TOKEN : PASSWORD;
    const cb = cell.binding === null ? null : conn.channelBinding('require', cell.binding);
    if (cell.binding !== null && cb === null) return `error: no ${cell.binding} binding on this connection`;
    const mechanisms = clientMechanisms([cell.mechanism], {
      credentials: () => [USER, cell.wrongSecret ? `wrong-${secret}` : secret],
      user: USER,
      authzid: undefined,
      channelBinding: cb,
      requireChannelBinding: cb !== null,
      secure: true,
      clientCertificate: external,
      server: { host: 'localhost', port },
    });
    const used = await conn.authenticate(mechanisms);
    return used === cell.mechanism ? 'ok' : `error: logged in with ${used}`;
  } catch (err) {
    if (err instanceof AuthenticationFailure) return 'refused';
    if (err instanceof SASLError) return `error: ${err.kind}${err.opaqueError ? ` (${err.opaqueError})` : ''}${err.text ? `: ${err.text}` : ''}`;
    return `error: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/**
 * Start the servers, run every cell (at most {@link PARALLEL} at once),
 * stop the servers.
 *
 * @param cells - the logins to try
 * @param progress - called once per finished login
 * @returns the results, in the order of `cells`
 */
export async function runDemo(cells: readonly DemoCell[], progress: (r: DemoResult, done: number) => void): Promise<DemoResult[]> {
  const pem = await certificates();
  const server = await sasl();
  const tls = { key: pem.server.key, cert: pem.server.cert, ca: [pem.ca], requestCert: true, rejectUnauthorized: false };
  const common = { sasl: server, host: '127.0.0.1', port: 0, tls, externalIdentity: clientCertificateIdentity };
  const running: RunningServer[] = [];
  try {
    running.push(await startImapServer(common));
    running.push(await startSmtpServer({ ...common, hostname: 'localhost' }));
    running.push(await startXmppServer({ ...common, domain: 'localhost' }));
    const portOf = (p: Protocol): number => running[PROTOCOLS.indexOf(p)]!.port;
    const results: DemoResult[] = new Array(cells.length);
    let next = 0;
    let done = 0;
    const worker = async (): Promise<void> => {
      while (next < cells.length) {
        const i = next++;
        const cell = cells[i]!;
        const started = performance.now();
        const result = await login(cell, portOf(cell.protocol), pem);
        results[i] = { ...cell, result, ms: Math.round(performance.now() - started) };
        progress(results[i]!, ++done);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    return results;
  } finally {
    await Promise.all(running.map((s) => s.close()));
  }
}

/** Whether a result is what its cell expected. */
export function asExpected(r: DemoResult): boolean {
  return r.result === r.expected;
}

/**
 * The results as a text table, one row per login, with a summary line.
 *
 * @param results - from {@link runDemo}
 */
export function formatTable(results: readonly DemoResult[]): string {
  const header = ['protocol', 'mechanism', 'binding', 'TLS', 'expected', 'result', 'ms', ''];
  const label = (r: DemoResult): string => (r.wrongSecret ? `${r.mechanism} (${r.expected === 'refused' ? 'wrong password' : 'broken'})` : r.mechanism);
  // Errors in full are on the progress lines; the table keeps its columns.
  const short = (text: string): string => (text.length > 40 ? `${text.slice(0, 39)}…` : text);
  const rows = results.map((r) => [r.protocol, label(r), r.binding ?? '-', r.tls, r.expected, short(r.result), String(r.ms), asExpected(r) ? '' : 'UNEXPECTED']);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cols: readonly string[]): string => cols.map((v, c) => (c === 6 ? v.padStart(widths[c]!) : v.padEnd(widths[c]!))).join('  ').trimEnd();
  const good = results.filter(asExpected).length;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), '', `${good}/${results.length} logins as expected`, ''].join('\n');
}

const USAGE = `Usage: saslkit demo [--break CELL]...

Start saslkit's IMAP, SMTP and XMPP servers on free loopback ports
(STARTTLS, certificates generated in memory, user "${USER}" with password
"${PASSWORD}", OAuth token "${TOKEN}"), log in to each with every mechanism
saslkit has (SCRAM-PLUS with each channel-binding type of TLS 1.3 and
TLS 1.2) and once with a wrong password, and print a table of the results.
Progress goes to standard error, the table to standard output.

  --break CELL   try this cell with a wrong secret but still expect "ok",
                 e.g. --break "imap PLAIN" (for testing the demo itself)
  -h, --help     this text

Exit status: 0 every login came out as expected, 1 otherwise.
`;

/**
 * Run `saslkit demo`.
 *
 * @param argv - the arguments after `demo`
 * @param io - streams
 * @returns the exit status
 */
export async function run(argv: readonly string[], io: CommandIO): Promise<number> {
  const values = parseOptions(argv, { break: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } });
  if (values.help === true) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const cells = demoCells(listOption(values, 'break'));
  const known = new Set(cells.map((c) => [c.protocol, c.mechanism, ...(c.binding ? [c.binding] : [])].join(' ').toLowerCase()));
  for (const b of listOption(values, 'break')) if (!known.has(b.toLowerCase())) throw new UsageError('--break: no such cell (see the table for protocol, mechanism and binding)');
  io.stderr.write(`saslkit demo: ${cells.length} logins over IMAP, SMTP and XMPP on 127.0.0.1\n`);
  const results = await runDemo(cells, (r, done) => {
    const mark = asExpected(r) ? r.result : `${r.result} (expected ${r.expected})`;
    io.stderr.write(`[${String(done).padStart(String(cells.length).length)}/${cells.length}] ${r.protocol} ${r.mechanism}${r.binding ? ` ${r.binding}` : ''} TLS ${r.tls}: ${mark}, ${r.ms} ms\n`);
  });
  io.stdout.write(formatTable(results));
  return results.every(asExpected) ? EXIT.ok : EXIT.authenticationFailed;
}

/** The `demo` command. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'log in to local IMAP, SMTP and XMPP servers with every mechanism',
  usage: USAGE,
  run,
};
