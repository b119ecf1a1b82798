/**
 * `saslkit server`: run saslkit's IMAP, SMTP or XMPP server adapter on a
 * listener, with users from a credentials file (or `--user` names sharing one
 * password from the environment), reporting each authentication as a JSON
 * line on standard output until SIGINT or SIGTERM.
 *
 * @module
 */
import { HASHES, type HashName } from '../index.js';
import {
  ANONYMOUSServer,
  EXTERNALServer,
  LOGINServer,
  MemoryCredentialStore,
  PLAINServer,
  SASLServer,
  scramServerMechanisms,
  type ExchangeEnd,
  type ServerMechanism,
} from '../server/index.js';
import { clientCertificateIdentity, startImapServer, startSmtpServer, startXmppServer, type RunningServer, type SessionServerOptions } from '../node/index.js';
import {
  EXIT,
  UsageError,
  choiceOption,
  listOption,
  parseHostPort,
  parseOptions,
  readFileOption,
  requiredOption,
  stringOption,
  tlsMaxOption,
  type OptionSpec,
} from './args.js';
import { PROTOCOLS, type Protocol } from './client-connection.js';
import { loadCredentialsFile } from './credentials-file.js';
import type { Command, CommandIO } from './io.js';
import { PASSWORD_ENV, readPassword } from './password.js';

const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  protocol: { type: 'string' },
  listen: { type: 'string', short: 'l' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'implicit-tls': { type: 'boolean' },
  credentials: { type: 'string' },
  'client-ca': { type: 'string' },
  user: { type: 'string', multiple: true },
  mechanism: { type: 'string', short: 'm', multiple: true },
  domain: { type: 'string' },
  'tls-max': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/**
 * Every server mechanism the command can run, SCRAM only for the hashes
 * some user has a verifier for (a client picks the strongest hash offered).
 * No CRAM-MD5: it needs stored passwords, which the command never has.
 */
function allMechanisms(hashes: ReadonlySet<HashName>, external: boolean): ServerMechanism[] {
  const scram = hashes.size > 0 ? scramServerMechanisms({ hashes: [...hashes] }) : [];
  return [...(external ? [new EXTERNALServer()] : []), ...scram, new PLAINServer(), new LOGINServer(), new ANONYMOUSServer()];
}
const DEFAULT_EXCLUDED = new Set(['ANONYMOUS']);

const USAGE = `Usage: saslkit server --protocol imap|smtp|xmpp --cert FILE --key FILE [options]

Run saslkit's server adapter until SIGINT or SIGTERM. Prints one JSON line
per event on standard output: {"event":"listening",...} first, then
"authenticated" (mechanism, authcid, authzid, channelBinding) or "failed"
(mechanism, condition) for each authentication, and "stopped".

  --protocol P           imap, smtp or xmpp (required)
  -l, --listen H:P       address to listen on (default 127.0.0.1:0, a free port)
  --cert FILE            TLS certificate chain (PEM, required)
  --key FILE             TLS private key (PEM, required)
  --implicit-tls         TLS from the first byte instead of STARTTLS
  --tls-max 1.2|1.3      highest TLS version (1.2 makes clients bind with tls-unique)
  --credentials FILE     users: one "user credential" per line, the credential a
                         SCRAM verifier (RFC 5803/PostgreSQL, Dovecot, or what
                         "saslkit mkpasswd" and "gsasl --mkpasswd" print)
  --user NAME            a user whose password is read from ${PASSWORD_ENV} or
                         standard input (repeatable; all share that password)
  --client-ca FILE       ask clients for a certificate and trust those this CA
                         (PEM) signed: their subject CN logs in with EXTERNAL
  -m, --mechanism M      offer only these (repeatable); default every SCRAM
                         (with -PLUS), PLAIN and LOGIN, and EXTERNAL with
                         --client-ca. Also: ANONYMOUS
  --domain NAME          XMPP domain / SMTP host name (default localhost)
  -h, --help             this text

Exit status: 0 stopped by a signal, 2 usage error, 3 cannot listen.
`;

function mechanismsFrom(names: readonly string[], hashes: ReadonlySet<HashName>, external: boolean): ServerMechanism[] {
  const all = allMechanisms(hashes, external);
  if (names.length === 0) return all.filter((m) => !DEFAULT_EXCLUDED.has(m.name));
  return names.map((given) => {
    const m = all.find((x) => x.name === given.toUpperCase());
    if (!m) throw new UsageError(`unknown mechanism for -m; known: ${all.map((x) => x.name).join(' ')}`);
    return m;
  });
}

function eventOf(protocol: Protocol, end: ExchangeEnd): Record<string, unknown> {
  const mechanism = end.mechanism.slice(0, 40);
  if (end.result.kind === 'success') {
    const { outcome } = end.result;
    return { event: 'authenticated', protocol, mechanism, authcid: outcome.authcid, authzid: outcome.authzid, channelBinding: outcome.channelBinding };
  }
  return { event: 'failed', protocol, mechanism, condition: end.result.condition };
}

function start(protocol: Protocol, options: SessionServerOptions & { sasl: SASLServer; domain: string }): Promise<RunningServer> {
  switch (protocol) {
    case 'imap':
      return startImapServer(options);
    case 'smtp':
      return startSmtpServer({ ...options, hostname: options.domain });
    case 'xmpp':
      return startXmppServer(options);
  }
}

async function run(argv: readonly string[], io: CommandIO): Promise<number> {
  const values = parseOptions(argv, OPTIONS);
  if (values.help === true) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (stringOption(values, 'protocol') === undefined) throw new UsageError('--protocol is required');
  const protocol = choiceOption(values, 'protocol', PROTOCOLS, 'imap');
  const { host, port } = parseHostPort(stringOption(values, 'listen') ?? '127.0.0.1:0', 'listen', true);
  const cert = readFileOption(requiredOption(values, 'cert'), 'cert');
  const key = readFileOption(requiredOption(values, 'key'), 'key');
  const maxVersion = tlsMaxOption(values);
  const domain = stringOption(values, 'domain') ?? 'localhost';

  const store = new MemoryCredentialStore();
  const credentialsPath = stringOption(values, 'credentials');
  const users = listOption(values, 'user');
  const clientCaPath = stringOption(values, 'client-ca');
  const clientCa = clientCaPath === undefined ? undefined : readFileOption(clientCaPath, 'client-ca');
  if (credentialsPath === undefined && users.length === 0 && clientCa === undefined) {
    throw new UsageError('give --credentials FILE, --user NAME or --client-ca FILE');
  }
  const fileHashes = credentialsPath === undefined ? new Set<HashName>() : loadCredentialsFile(readFileOption(credentialsPath, 'credentials'), store, credentialsPath);
  // --user derives verifiers for every hash. Checked before reading a password, so a usage error does not wait for it.
  const mechanisms = mechanismsFrom(listOption(values, 'mechanism'), users.length > 0 ? new Set(HASHES.map((h) => h.name)) : fileHashes, clientCa !== undefined);
  if (users.length > 0) {
    const password = await readPassword(io);
    for (const user of users) {
      try {
        await store.addUser(user, password);
      } catch {
        throw new UsageError('--user: the name or the password is not usable (SASLprep refused it, or it is empty)');
      }
    }
  }

  const emit = (event: Record<string, unknown>): void => {
    io.stdout.write(`${JSON.stringify(event)}\n`);
  };
  const sasl = new SASLServer({
    mechanisms,
    credentials: store,
    onExchangeEnd: (end) => emit(eventOf(protocol, end)),
    onInternalError: (err) => io.stderr.write(`${JSON.stringify({ event: 'internal-error', message: err instanceof Error ? err.message : String(err) })}\n`),
  });
  const server = await start(protocol, {
    sasl,
    domain,
    host,
    port,
    tls: {
      cert,
      key,
      ...(maxVersion === undefined ? {} : { maxVersion }),
      // Clients without a trusted certificate still connect (for passwords); EXTERNAL is then not offered.
      ...(clientCa === undefined ? {} : { ca: [clientCa], requestCert: true, rejectUnauthorized: false }),
    },
    implicitTLS: values['implicit-tls'] === true,
    ...(clientCa === undefined ? {} : { externalIdentity: clientCertificateIdentity }),
  });
  // Install the signal handlers before announcing readiness: a SIGTERM sent
  // right after the 'listening' line must stop the server cleanly.
  const stopped = io.waitForStop();
  emit({ event: 'listening', protocol, host: server.host, port: server.port, tls: values['implicit-tls'] === true ? 'implicit' : 'starttls', mechanisms: mechanisms.map((m) => m.name) });
  const signal = await stopped;
  await server.close();
  emit({ event: 'stopped', signal });
  return EXIT.ok;
}

/** The `server` command. */
export const serverCommand: Command = {
  name: 'server',
  summary: 'run an IMAP, SMTP or XMPP authentication server',
  usage: USAGE,
  run,
};
