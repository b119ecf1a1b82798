/**
 * `saslkit client`: connect to an IMAP, SMTP or XMPP server with the Node
 * helpers and authenticate with saslkit's mechanisms, like `gsasl --connect`.
 *
 * @module
 */
import type { ConnectionOptions } from 'node:tls';
import { PBKDF2_HARD_LIMIT, type ChannelBindingType } from '../index.js';
import type { ChannelBindingPolicy } from '../node/index.js';
import {
  EXIT,
  UsageError,
  choiceOption,
  integerOption,
  listOption,
  parseHostPort,
  parseOptions,
  readFileOption,
  requiredOption,
  stringOption,
  tlsMaxOption,
  type OptionSpec,
} from './args.js';
import { PROTOCOLS, connectClient, type ClientSecurity } from './client-connection.js';
import { checkMechanismNames, clientMechanisms, CLIENT_MECHANISMS } from './client-mechanisms.js';
import type { Command, CommandIO } from './io.js';
import { PASSWORD_ENV, passwordOnce } from './password.js';

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
  help: { type: 'boolean', short: 'h' },
};

const CB_TYPES: readonly ChannelBindingType[] = ['tls-exporter', 'tls-unique', 'tls-server-end-point'];
const CB_POLICIES: readonly ChannelBindingPolicy[] = ['disable', 'prefer', 'require'];

const USAGE = `Usage: saslkit client --protocol imap|smtp|xmpp --connect HOST:PORT -a USER [options]

Connect to a server and authenticate. The password (or OAuth token) comes
from ${PASSWORD_ENV}, else from the first line of standard input (a prompt
without echo on a terminal); it is never a command-line argument.

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
  --json                 one JSON object instead of lines
  -h, --help             this text

Exit status: 0 authenticated, 1 credentials refused, 2 usage error,
3 connection, TLS or protocol error (or no mechanism in common).
`;

function securityOf(values: Record<string, unknown>): ClientSecurity {
  const chosen = (['starttls', 'tls', 'plain'] as const).filter((f) => values[f] === true);
  if (chosen.length > 1) throw new UsageError('give only one of --starttls, --tls and --plain');
  return chosen[0] === 'tls' ? 'implicit' : chosen[0] === 'plain' ? 'none' : 'starttls';
}

async function run(argv: readonly string[], io: CommandIO): Promise<number> {
  const values = parseOptions(argv, OPTIONS);
  if (values.help === true) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const protocol = choiceOption(values, 'protocol', PROTOCOLS, 'imap');
  if (stringOption(values, 'protocol') === undefined) throw new UsageError('--protocol is required');
  const { host, port } = parseHostPort(requiredOption(values, 'connect'), 'connect');
  const security = securityOf(values);
  const cbPolicy = choiceOption(values, 'cb-policy', CB_POLICIES, 'prefer');
  const cbTypeText = stringOption(values, 'cb-type');
  const cbType = cbTypeText === undefined ? undefined : choiceOption(values, 'cb-type', CB_TYPES, 'tls-exporter');
  const names = checkMechanismNames(listOption(values, 'mechanism'), cbPolicy === 'require');
  const user = stringOption(values, 'authcid');
  if (user === undefined && !(names.length > 0 && names.every((n) => n === 'ANONYMOUS' || n === 'EXTERNAL'))) {
    throw new UsageError('-a USER is required (except with -m ANONYMOUS or -m EXTERNAL)');
  }
  const clientCertPath = stringOption(values, 'client-cert');
  const clientKeyPath = stringOption(values, 'client-key');
  if ((clientCertPath === undefined) !== (clientKeyPath === undefined)) throw new UsageError('--client-cert and --client-key go together');
  if (names.includes('EXTERNAL') && clientCertPath === undefined) throw new UsageError('-m EXTERNAL needs --client-cert and --client-key');
  if (security === 'none' && cbPolicy === 'require') throw new UsageError('--cb-policy require needs TLS, not --plain');
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
    ...(caPath === undefined ? {} : { ca: readFileOption(caPath, 'ca') }),
    ...(values.insecure === true ? { rejectUnauthorized: false } : {}),
    ...(servername === undefined ? {} : { servername }),
    ...(maxVersion === undefined ? {} : { maxVersion }),
    ...(clientCertPath === undefined || clientKeyPath === undefined
      ? {}
      : { cert: readFileOption(clientCertPath, 'client-cert'), key: readFileOption(clientKeyPath, 'client-key') }),
  };

  const password = passwordOnce(io, names.length > 0 && names.every((n) => n === 'OAUTHBEARER' || n === 'XOAUTH2') ? 'token' : 'password');
  const connection = await connectClient({
    protocol,
    host,
    port,
    security,
    tls,
    domain: stringOption(values, 'domain') ?? host,
    timeoutMs,
    localAddress: stringOption(values, 'local-address'),
  });
  try {
    const cb = connection.channelBinding(cbPolicy, cbType);
    const mechanisms = clientMechanisms(names, {
      credentials: async () => [user ?? '', await password()] as const,
      user,
      authzid: stringOption(values, 'authzid'),
      channelBinding: cb,
      requireChannelBinding: cbPolicy === 'require',
      secure: connection.tlsVersion !== null,
      clientCertificate: clientCertPath !== undefined && connection.tlsVersion !== null,
      server: { host, port },
      allowInsecurePassword,
      ...(maxIterationCount === undefined ? {} : { maxIterationCount }),
    });
    const mechanism = await connection.authenticate(mechanisms);
    const report = {
      protocol,
      tls: connection.tlsVersion,
      mechanism,
      channelBinding: mechanism.endsWith('-PLUS') && cb ? cb.cbName : null,
      capabilities: connection.capabilities(),
    };
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      io.stdout.write(`tls: ${report.tls ?? 'none'}\nmechanism: ${report.mechanism}\nchannel-binding: ${report.channelBinding ?? 'none'}\n`);
      if (report.capabilities) io.stdout.write(`capabilities: ${report.capabilities.join(' ')}\n`);
    }
    return EXIT.ok;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** The `client` command. */
export const clientCommand: Command = {
  name: 'client',
  summary: 'connect to an IMAP, SMTP or XMPP server and authenticate',
  usage: USAGE,
  run,
};
