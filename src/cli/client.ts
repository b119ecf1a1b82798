/**
 * `saslkit client`: connect to an IMAP, SMTP or XMPP server with the Node
 * helpers and authenticate with saslkit's mechanisms, like `gsasl --connect`.
 * The server is given as a URL (`imaps://alice@host`) or with flags.
 *
 * @module
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { PBKDF2_HARD_LIMIT } from '../crypto/pbkdf2.js';
import type { ChannelBindingProvider, ChannelBindingType } from '../index.js';
import type { ChannelBindingPolicy } from '../node/index.js';
import {
  EXIT,
  UsageError,
  choiceOption,
  integerOption,
  listOption,
  parseHostPort,
  parseOptions,
  readCertificateOption,
  readPrivateKeyOption,
  requiredOption,
  stringOption,
  tlsMaxOption,
  type OptionSpec,
  type OptionValues,
} from './args.js';
import { PROTOCOLS, connectClient, type ClientConnection, type ClientSecurity, type Protocol } from './client-connection.js';
import { checkMechanismNames, clientMechanisms, CLIENT_MECHANISMS } from './client-mechanisms.js';
import { failureJson, hintFor } from './errors.js';
import type { Command, CommandIO } from './io.js';
import { PASSWORD_ENV, passwordOnce } from './password.js';
import { DialogueLog, tapSockets } from './verbose.js';
import { parseScramMechanismName } from '../core/mechanism-name.js';

const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  protocol: { type: 'string' },
  connect: { type: 'string', short: 'c' },
  starttls: { type: 'boolean' },
  tls: { type: 'boolean' },
  plain: { type: 'boolean' },
  authcid: { type: 'string', short: 'a' },
  mechanism: { type: 'string', short: 'm', multiple: true },
  authzid: { type: 'string' },
  'cb-type': { type: 'string' },
  'cb-policy': { type: 'string' },
  ca: { type: 'string' },
  'client-cert': { type: 'string' },
  'client-key': { type: 'string' },
  insecure: { type: 'boolean' },
  'allow-insecure-password': { type: 'boolean' },
  'max-iterations': { type: 'string' },
  servername: { type: 'string' },
  'tls-max': { type: 'string' },
  domain: { type: 'string' },
  timeout: { type: 'string' },
  'local-address': { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
};

/**
 * URL schemes: protocol, how TLS is used, default port. `submission` is
 * SMTP on the message submission port with STARTTLS (RFC 6409).
 */
const SCHEMES: Readonly<Record<string, { protocol: Protocol; security: ClientSecurity; port: number }>> = {
  imap: { protocol: 'imap', security: 'starttls', port: 143 },
  imaps: { protocol: 'imap', security: 'implicit', port: 993 },
  smtp: { protocol: 'smtp', security: 'starttls', port: 25 },
  smtps: { protocol: 'smtp', security: 'implicit', port: 465 },
  submission: { protocol: 'smtp', security: 'starttls', port: 587 },
  xmpp: { protocol: 'xmpp', security: 'starttls', port: 5222 },
  xmpps: { protocol: 'xmpp', security: 'implicit', port: 5223 },
};

/** What a server URL gives. */
interface ServerUrl {
  readonly protocol: Protocol;
  readonly security: ClientSecurity;
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
}

const URL_SHAPE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * Parse `scheme://[user@]host[:port]`. The user part is the authcid
 * (percent-decoded, so `alice%40example.org@host` logs in as
 * `alice@example.org`); a password in the URL is refused, and so is a path.
 */
function parseServerUrl(text: string): ServerUrl {
  const scheme = text.slice(0, text.indexOf(':')).toLowerCase();
  const known = SCHEMES[scheme];
  if (!known) throw new UsageError(`unknown URL scheme (expected ${Object.keys(SCHEMES).join(', ')})`);
  let url: URL;
  try {
    // The WHATWG parser treats unknown schemes opaquely; parse as http to get host and port.
    url = new URL(`http${text.slice(scheme.length)}`);
  } catch {
    throw new UsageError('the server URL is not valid (expected SCHEME://[USER@]HOST[:PORT])');
  }
  if (url.password !== '') throw new UsageError(`no password in the URL: set ${PASSWORD_ENV} or give it on standard input`);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new UsageError('the server URL has a path, query or fragment; expected SCHEME://[USER@]HOST[:PORT]');
  }
  // An explicit default port (":80" in the http reparse) would be dropped: read it from the text.
  const explicitPort = /^[^/]*\/\/[^/]*?:([0-9]{1,5})\/?$/.exec(text)?.[1];
  const port = explicitPort === undefined ? known.port : Number(explicitPort);
  if (port < 1 || port > 65535) throw new UsageError('the URL port must be from 1 to 65535');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let user: string | undefined;
  try {
    user = url.username === '' ? undefined : decodeURIComponent(url.username);
  } catch {
    throw new UsageError('the user name in the URL is not valid percent-encoding');
  }
  return { protocol: known.protocol, security: known.security, host, port, user };
}

/** Take the server URL out of `argv` (the one argument shaped like a URL that is not an option's value). */
function splitUrl(argv: readonly string[]): { url: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let url: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const previous = i > 0 ? argv[i - 1]! : '';
    const isValue = /^--?[A-Za-z]/.test(previous) && !previous.includes('=') && takesValue(previous);
    if (!isValue && URL_SHAPE.test(arg)) {
      if (url !== undefined) throw new UsageError('give one server URL');
      url = arg;
    } else {
      rest.push(arg);
    }
  }
  return { url, rest };
}

function takesValue(flag: string): boolean {
  if (flag.startsWith('--')) return OPTIONS[flag.slice(2)]?.type === 'string';
  return Object.values(OPTIONS).some((o) => o.short === flag.slice(1, 2) && o.type === 'string');
}

const CB_TYPES: readonly ChannelBindingType[] = ['tls-exporter', 'tls-unique', 'tls-server-end-point'];
const CB_POLICIES: readonly ChannelBindingPolicy[] = ['disable', 'prefer', 'require'];

const USAGE = `Usage: saslkit client SCHEME://USER@HOST[:PORT] [options]
       saslkit client --protocol imap|smtp|xmpp --connect HOST:PORT -a USER [options]

Connect to a server and authenticate. The password (or OAuth token) comes
from ${PASSWORD_ENV}, else from the first line of standard input (a prompt
without echo on a terminal); it is never a command-line argument.

Server URL schemes (the user part is the authcid; no password in the URL):
  imap:// (STARTTLS, 143)  imaps:// (TLS, 993)
  smtp:// (STARTTLS, 25)   smtps:// (TLS, 465)   submission:// (STARTTLS, 587)
  xmpp:// (STARTTLS, 5222) xmpps:// (TLS, 5223)

Connection:
  --protocol P           imap, smtp or xmpp (required)
  -c, --connect H:P      server address; IPv6 as [ADDRESS]:PORT (required)
  --starttls             upgrade with STARTTLS (default)
  --tls                  TLS from the first byte (IMAPS 993, SMTPS 465, XMPP 5223)
  --plain                no TLS at all (PLAIN and LOGIN then need -m and
                         --allow-insecure-password)
  --ca FILE              trust this CA (PEM) instead of the system's
  --insecure             do not verify the server certificate
  --client-cert FILE     present this certificate (PEM); EXTERNAL is then tried
  --client-key FILE      first, as the identity the certificate names
                         its private key (PEM)
  --servername NAME      TLS server name (SNI and verification); default the host
  --tls-max 1.2|1.3      highest TLS version
  --domain NAME          XMPP domain (default: the host)
  --timeout MS           connect and read timeout (default 30000)
  --local-address ADDR   connect from this local address
Authentication:
  -a, --authcid USER     user name (ANONYMOUS: the trace token)
  -m, --mechanism M      try M (repeatable, in order); default: SCRAM-PLUS when
                         channel binding is possible, SCRAM, PLAIN over TLS.
                         Known: ${CLIENT_MECHANISMS.join(' ')}
  --authzid ID           act as ID (PLAIN, SCRAM, EXTERNAL)
  --allow-insecure-password
                         let -m PLAIN or LOGIN send the password over a
                         connection without TLS (--plain): anyone on the path
                         can read it
  --max-iterations N     largest SCRAM iteration count to accept (default
                         100000; a server asking for more is refused)
  --cb-policy P          channel binding: disable, prefer (default) or require
  --cb-type T            tls-exporter, tls-unique or tls-server-end-point
                         (default: tls-exporter on TLS 1.3, tls-unique on 1.2)
Output:
  --json                 one JSON object instead of lines (also on failure)
  -v, --verbose          print the dialogue on standard error (C: and S:
                         lines), passwords, proofs and tokens redacted
  -h, --help             this text

Exit status: 0 authenticated, 1 the server refused the credentials or
authorization, 2 usage error, 3 connection, TLS or protocol error (or no
mechanism in common), 4 this client refused the server's exchange (e.g. an
iteration count above --max-iterations), 130 interrupted at the password prompt.
`;

function securityOf(values: Record<string, unknown>): ClientSecurity {
  const chosen = (['starttls', 'tls', 'plain'] as const).filter((f) => values[f] === true);
  if (chosen.length > 1) throw new UsageError('give only one of --starttls, --tls and --plain');
  return chosen[0] === 'tls' ? 'implicit' : chosen[0] === 'plain' ? 'none' : 'starttls';
}

async function run(argv: readonly string[], io: CommandIO): Promise<number> {
  try {
    return await parseAndRun(argv, io);
  } catch (err) {
    // A usage error (found before the connection) gets its JSON object too; '--json' is looked
    // for in argv itself, since parsing may be what failed. A later failure printed its own.
    if (err instanceof UsageError && !(err as { printed?: unknown }).printed && argv.includes('--json')) {
      io.stdout.write(`${JSON.stringify(failureJson(err, null))}\n`);
    }
    throw err;
  }
}

async function parseAndRun(argv: readonly string[], io: CommandIO): Promise<number> {
  const { url: urlText, rest } = splitUrl(argv);
  const values = parseOptions(rest, OPTIONS);
  if (values.help === true) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const url = urlText === undefined ? undefined : parseServerUrl(urlText);
  if (url && (stringOption(values, 'protocol') !== undefined || stringOption(values, 'connect') !== undefined)) {
    throw new UsageError('give the server as a URL or with --protocol and --connect, not both');
  }
  const protocol = url ? url.protocol : choiceOption(values, 'protocol', PROTOCOLS, 'imap');
  if (!url && stringOption(values, 'protocol') === undefined) throw new UsageError('--protocol is required (or give a URL such as imaps://USER@HOST)');
  const { host, port } = url ?? parseHostPort(requiredOption(values, 'connect'), 'connect');
  // --starttls/--tls/--plain override the scheme's choice.
  const security = url && !['starttls', 'tls', 'plain'].some((f) => values[f] === true) ? url.security : securityOf(values);
  const context = { security, port, protocol };
  const json = values.json === true;
  try {
    return await connectAndAuthenticate(values, io, { protocol, host, port, security, user: stringOption(values, 'authcid') ?? url?.user });
  } catch (err) {
    const hint = hintFor(err, context);
    if (hint !== null && err instanceof Error) Object.assign(err, { hint });
    if (json) {
      io.stdout.write(`${JSON.stringify(failureJson(err, hint))}\n`);
      if (err instanceof Error) Object.assign(err, { printed: true });
    }
    throw err;
  }
}

interface Target {
  readonly protocol: Protocol;
  readonly host: string;
  readonly port: number;
  readonly security: ClientSecurity;
  readonly user: string | undefined;
}

async function connectAndAuthenticate(values: OptionValues, io: CommandIO, target: Target): Promise<number> {
  const { protocol, security, user } = target;
  const cbPolicy = choiceOption(values, 'cb-policy', CB_POLICIES, 'prefer');
  const cbTypeText = stringOption(values, 'cb-type');
  const cbType = cbTypeText === undefined ? undefined : choiceOption(values, 'cb-type', CB_TYPES, 'tls-exporter');
  const names = checkMechanismNames(listOption(values, 'mechanism'), cbPolicy === 'require');
  const clientCertPath = stringOption(values, 'client-cert');
  const clientKeyPath = stringOption(values, 'client-key');
  // With a client certificate and no -m, EXTERNAL leads the default list: alone when no user is given.
  const certificateOnly = names.length === 0 && user === undefined && clientCertPath !== undefined && cbPolicy !== 'require' && security !== 'none';
  if (user === undefined && !certificateOnly && !(names.length > 0 && names.every((n) => n === 'ANONYMOUS' || n === 'EXTERNAL'))) {
    throw new UsageError('-a USER (or USER@ in the URL) is required (except with -m ANONYMOUS, -m EXTERNAL, or --client-cert without -m)');
  }
  if ((clientCertPath === undefined) !== (clientKeyPath === undefined)) throw new UsageError('--client-cert and --client-key go together');
  if (names.includes('EXTERNAL') && clientCertPath === undefined) throw new UsageError('-m EXTERNAL needs --client-cert and --client-key');
  if (security === 'none' && cbPolicy === 'require') throw new UsageError('--cb-policy require needs TLS, not --plain');
  if (security === 'none' && cbType !== undefined) throw new UsageError('--cb-type needs TLS, not --plain');
  const allowInsecurePassword = values['allow-insecure-password'] === true;
  const cleartext = names.filter((n) => n === 'PLAIN' || n === 'LOGIN');
  if (security === 'none' && cleartext.length > 0 && !allowInsecurePassword) {
    throw new UsageError(`-m ${cleartext[0]} with --plain sends the password in clear; add --allow-insecure-password to do so anyway`);
  }
  const maxIterationCount = integerOption(values, 'max-iterations', 1, PBKDF2_HARD_LIMIT);
  const timeoutMs = integerOption(values, 'timeout', 1, 3_600_000) ?? 30_000;
  const caPath = stringOption(values, 'ca');
  const servername = stringOption(values, 'servername');
  const maxVersion = tlsMaxOption(values);
  const tls: ConnectionOptions = {
    ...(caPath === undefined ? {} : { ca: readCertificateOption(caPath, 'ca') }),
    ...(values.insecure === true ? { rejectUnauthorized: false } : {}),
    ...(servername === undefined ? {} : { servername }),
    ...(maxVersion === undefined ? {} : { maxVersion }),
    ...(clientCertPath === undefined || clientKeyPath === undefined
      ? {}
      : {
          cert: readCertificateOption(clientCertPath, 'client-cert'),
          key: readPrivateKeyOption(clientKeyPath, 'client-key'),
        }),
  };
  const insecure = values.insecure === true;
  if (insecure && security !== 'none') io.stderr.write('saslkit client: warning: --insecure: the server certificate is not verified\n');
  const untap = values.verbose === true ? tapSockets(new DialogueLog(protocol, (line) => io.stderr.write(line))) : () => undefined;
  try {
    return await session(values, io, { ...target, tls, timeoutMs, cbPolicy, cbType, names, clientCertificate: clientCertPath !== undefined, insecure, allowInsecurePassword, maxIterationCount });
  } finally {
    untap();
  }
}

interface SessionSetup extends Target {
  readonly tls: ConnectionOptions;
  readonly timeoutMs: number;
  readonly cbPolicy: ChannelBindingPolicy;
  readonly cbType: ChannelBindingType | undefined;
  readonly names: string[];
  readonly clientCertificate: boolean;
  readonly insecure: boolean;
  readonly allowInsecurePassword: boolean;
  readonly maxIterationCount: number | undefined;
}

async function session(values: OptionValues, io: CommandIO, setup: SessionSetup): Promise<number> {
  const { protocol, host, port, security, user, tls, timeoutMs, cbPolicy, cbType, names, insecure, allowInsecurePassword, maxIterationCount } = setup;

  const password = passwordOnce(io, names.length > 0 && names.every((n) => n === 'OAUTHBEARER' || n === 'XOAUTH2') ? 'token' : 'password');
  const domain = stringOption(values, 'domain') ?? host;
  // The XMPP helper names the domain in SNI; an IP address is no server name (RFC 6066 §3,
  // Node's DEP0123): send none, the certificate is then checked against the address.
  const noServerName = protocol === 'xmpp' && tls.servername === undefined && isIP(domain) !== 0;
  const connection = await connectClient({
    protocol,
    host,
    port,
    security,
    tls: noServerName ? { ...tls, servername: undefined } : tls,
    domain,
    timeoutMs,
    localAddress: stringOption(values, 'local-address'),
  });
  try {
    const cb = channelBindingOf(connection, cbPolicy, cbType);
    const mechanisms = clientMechanisms(names, {
      credentials: async () => [user ?? '', await password()] as const,
      user,
      authzid: stringOption(values, 'authzid'),
      channelBinding: cb,
      requireChannelBinding: cbPolicy === 'require',
      secure: connection.tlsVersion !== null,
      clientCertificate: setup.clientCertificate && connection.tlsVersion !== null,
      server: { host, port },
      allowInsecurePassword,
      ...(maxIterationCount === undefined ? {} : { maxIterationCount }),
    });
    const mechanism = await connection.authenticate(mechanisms);
    const report = {
      protocol,
      tls: connection.tlsVersion,
      mechanism,
      channelBinding: parseScramMechanismName(mechanism)?.plus === true && cb ? cb.cbName : null,
      capabilities: connection.capabilities(),
      ...(insecure && connection.tlsVersion !== null ? { certificateVerified: false } : {}),
    };
    // EXTERNAL logs in as the identity the server derives from the certificate (or as --authzid).
    const identity = mechanism === 'EXTERNAL' ? externalIdentity(tls, stringOption(values, 'authzid')) : undefined;
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify({ ok: true, ...report, ...(identity === undefined ? {} : { identity }) })}\n`);
    } else {
      io.stdout.write(`tls: ${report.tls ?? 'none'}\nmechanism: ${report.mechanism}\nchannel-binding: ${report.channelBinding ?? 'none'}\n`);
      if (identity !== undefined) io.stdout.write(`identity: ${identity}\n`);
      if (report.certificateVerified === false) io.stdout.write('certificate: NOT VERIFIED (--insecure)\n');
      if (report.capabilities) io.stdout.write(`capabilities: ${report.capabilities.join(' ')}\n`);
    }
    return EXIT.ok;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/**
 * Who EXTERNAL logged in as: the --authzid asked for, else the identity the
 * server derives from the client certificate (its subject's CN, as saslkit
 * server and Dovecot map it by default).
 */
function externalIdentity(tls: ConnectionOptions, authzid: string | undefined): string {
  if (authzid !== undefined) return `${authzid} (--authzid)`;
  try {
    const subject = new X509Certificate(tls.cert as Buffer).subject;
    const cn = /^CN=(.*)$/m.exec(subject)?.[1];
    return `the client certificate's identity${cn === undefined ? '' : ` (subject CN=${cn})`}`;
  } catch {
    return "the client certificate's identity";
  }
}

/**
 * The channel binding to use. A `--cb-type` the user asked for that this
 * connection cannot give (tls-unique on TLS 1.3, tls-exporter on TLS 1.2)
 * is a usage error naming the type and the TLS version, never a silent
 * fallback to SCRAM without -PLUS.
 */
function channelBindingOf(connection: ClientConnection, policy: ChannelBindingPolicy, type: ChannelBindingType | undefined): ChannelBindingProvider | null {
  if (type === undefined || policy === 'disable') return connection.channelBinding(policy, type);
  try {
    return connection.channelBinding('require', type);
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^[^:]*: channel binding[^:]*: /, '') : String(err);
    const other = connection.tlsVersion === 'TLSv1.3' ? 'tls-exporter or tls-server-end-point' : 'tls-unique or tls-server-end-point';
    throw new UsageError(`--cb-type ${type} cannot be used here: ${why}; use ${other}, or leave --cb-type out`);
  }
}

/** The `client` command. */
export const clientCommand: Command = {
  name: 'client',
  summary: 'connect to an IMAP, SMTP or XMPP server and authenticate',
  usage: USAGE,
  run,
};
