/**
 * `saslkit server`: run saslkit's IMAP, SMTP or XMPP server adapter on a
 * listener, with users from a credentials file (or `--user` names sharing one
 * password from the environment), writing audit lines (see `audit.ts`) on
 * standard output until SIGINT or SIGTERM. Without `--cert`/`--key` it
 * makes a self-signed certificate in memory.
 *
 * @module
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { HASHES } from '../mechanism.js';
import type { HashName } from '../index.js';
import {
  ANONYMOUSServer,
  EXTERNALServer,
  LOGINServer,
  MemoryCredentialStore,
  PLAINServer,
  SASLServer,
  scramServerMechanisms,
  type ServerMechanism,
} from '../server/index.js';
import { clientCertificateIdentity, startImapServer, startSmtpServer, startXmppServer, type RunningServer, type SessionServerOptions } from '../node/index.js';
import {
  EXIT,
  UsageError,
  choiceOption,
  integerOption,
  listOption,
  parseHostPort,
  parseOptions,
  readCertificateOption,
  readFileOption,
  readPrivateKeyOption,
  stringOption,
  tlsMaxOption,
  type OptionSpec,
} from './args.js';
import { AuditLog } from './audit.js';
import { PROTOCOLS, type Protocol } from './client-connection.js';
import { loadCredentialsFile } from './credentials-file.js';
import { parseScramMechanismName } from '../core/mechanism-name.js';
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
  'max-connections': { type: 'string' },
  'fake-salt-secret-file': { type: 'string' },
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

/** The names of every server mechanism the command can offer (for `saslkit mechanisms`). */
export function serverMechanismNames(): string[] {
  return allMechanisms(new Set(HASHES.map((h) => h.name)), true).map((m) => m.name);
}

const USAGE = `Usage: saslkit server --protocol imap|smtp|xmpp --credentials FILE [options]

Run saslkit's server adapter until SIGINT or SIGTERM. Prints one JSON line
per event on standard output, each starting with "time" (ISO 8601) and
"event": "listening" first; per connection "connect", "auth-success",
"auth-failure" (a failed login: peer, port, session id, mechanism, user),
"auth-aborted" (the client gave up) or "auth-error" (any other failed
exchange), and "close"; "stopped" last. Warnings go to standard error.

  --protocol P           imap, smtp or xmpp (required)
  -l, --listen H:P       address to listen on (default 127.0.0.1:0, a free port)
  --cert FILE            TLS certificate chain (PEM); without --cert and --key
  --key FILE             a self-signed certificate is made in memory (with a
                         warning giving its SHA-256 fingerprint)
  --implicit-tls         TLS from the first byte instead of STARTTLS
  --tls-max 1.2|1.3      highest TLS version (1.2 makes clients bind with tls-unique)
  --credentials FILE     users: "user credential" lines, the credential a SCRAM
                         verifier (RFC 5803/PostgreSQL, Dovecot, or what
                         "saslkit mkpasswd" and "gsasl --mkpasswd" print), or a
                         Dovecot passwd-file ("user:{SCRAM-SHA-256}...:...")
  --user NAME            a user whose password is read from ${PASSWORD_ENV} or
                         standard input (repeatable; all share that password)
  --client-ca FILE       ask clients for a certificate and trust those this CA
                         (PEM) signed: their subject CN logs in with EXTERNAL
  -m, --mechanism M      offer only these (repeatable); default every SCRAM
                         (with -PLUS), PLAIN and LOGIN, and EXTERNAL with
                         --client-ca. Also: ANONYMOUS
  --domain NAME          XMPP domain / SMTP host name (default localhost)
  --max-connections N    most simultaneous connections (default 64); more are
                         refused at once
  --fake-salt-secret-file FILE
                         secret (16 bytes or more) from which unknown users'
                         SCRAM salts are derived; default: derived from the
                         credentials file, so stable across restarts while
                         that file is unchanged
  -h, --help             this text

Exit status: 0 stopped by a signal, 2 usage error, 3 cannot listen.
`;

function mechanismsFrom(names: readonly string[], hashes: ReadonlySet<HashName>, external: boolean): ServerMechanism[] {
  const all = allMechanisms(hashes, external);
  if (names.length === 0) return all.filter((m) => !DEFAULT_EXCLUDED.has(m.name));
  return names.map((given) => {
    const m = all.find((x) => x.name === given.toUpperCase());
    const scram = m ? null : parseScramMechanismName(given.toUpperCase());
    if (scram && HASHES.some((h) => h.name === scram.hash)) {
      // A SCRAM saslkit has, but no user has a verifier for its hash.
      const have = [...hashes].map((h) => `SCRAM-${h}`).join(', ') || 'none';
      throw new UsageError(`-m ${given.toUpperCase()}: no user has a SCRAM-${scram.hash} verifier (the credentials have: ${have}); add them with "saslkit mkpasswd --hash ${scram.hash}", or use --user`);
    }
    if (!m) throw new UsageError(`unknown mechanism for -m; known: ${all.map((x) => x.name).join(' ')}`);
    return m;
  });
}

/**
 * A self-signed certificate for `domain` (and 127.0.0.1, ::1), made in
 * memory with the `selfsigned` package (ECDSA P-256, valid 30 days).
 */
async function selfSignedCertificate(domain: string): Promise<{ cert: string; key: string; fingerprint: string }> {
  const { generate } = await import('selfsigned');
  const now = Date.now();
  const made = await generate([{ name: 'commonName', value: domain }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 30 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: domain }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  return { cert: made.cert, key: made.private, fingerprint: new X509Certificate(made.cert).fingerprint256 };
}

/** Domain-separates the secrets derived here from any other use of the same bytes. */
const SECRET_LABEL = 'saslkit server fake-salt secret\0';

/**
 * The secret for unknown users' fake salts: from `--fake-salt-secret-file`
 * (16 bytes or more), else derived from the credentials file's content
 * (stable across restarts while the file is unchanged), else `undefined`
 * (random per run: `--user` verifiers get fresh salts each run anyway).
 */
function fakeSaltSecret(secretPath: string | undefined, credentials: string | undefined): Uint8Array | undefined {
  if (secretPath !== undefined) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(secretPath);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      throw new UsageError(`--fake-salt-secret-file: cannot read ${secretPath}${typeof code === 'string' ? ` (${code})` : ''}`);
    }
    if (bytes.length < 16) throw new UsageError('--fake-salt-secret-file: the secret must be at least 16 bytes (e.g. "head -c 32 /dev/urandom > FILE")');
    return createHash('sha256').update(SECRET_LABEL).update(bytes).digest();
  }
  if (credentials === undefined) return undefined;
  return createHash('sha256').update(SECRET_LABEL).update(credentials).digest();
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
  const certPath = stringOption(values, 'cert');
  const keyPath = stringOption(values, 'key');
  if ((certPath === undefined) !== (keyPath === undefined)) throw new UsageError('--cert and --key go together (give neither for a self-signed certificate)');
  let cert = certPath === undefined ? undefined : readCertificateOption(certPath, 'cert');
  let key = keyPath === undefined ? undefined : readPrivateKeyOption(keyPath, 'key');
  if (cert !== undefined && key !== undefined && !new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) {
    throw new UsageError('--cert and --key do not match: the key is not the private key of the certificate');
  }
  const maxVersion = tlsMaxOption(values);
  const domain = stringOption(values, 'domain') ?? 'localhost';
  const maxConnections = integerOption(values, 'max-connections', 1, 1_000_000) ?? 64;

  const store = new MemoryCredentialStore();
  const credentialsPath = stringOption(values, 'credentials');
  const users = listOption(values, 'user');
  const clientCaPath = stringOption(values, 'client-ca');
  const clientCa = clientCaPath === undefined ? undefined : readCertificateOption(clientCaPath, 'client-ca');
  if (credentialsPath === undefined && users.length === 0 && clientCa === undefined) {
    throw new UsageError('give --credentials FILE, --user NAME or --client-ca FILE');
  }
  const credentialsText = credentialsPath === undefined ? undefined : readFileOption(credentialsPath, 'credentials');
  const loaded = credentialsText === undefined ? undefined : loadCredentialsFile(credentialsText, store, credentialsPath!);
  for (const warning of loaded?.warnings ?? []) io.stderr.write(`saslkit server: warning: ${warning}\n`);
  if (loaded && loaded.verifiers === 0 && users.length === 0 && clientCa === undefined) {
    throw new UsageError(`${credentialsPath}: no usable SCRAM verifier`);
  }
  const fileHashes = loaded?.hashes ?? new Set<HashName>();
  const secret = fakeSaltSecret(stringOption(values, 'fake-salt-secret-file'), credentialsText);
  // --user derives verifiers for every hash. Checked before reading a password, so a usage error does not wait for it.
  const mechanisms = mechanismsFrom(listOption(values, 'mechanism'), users.length > 0 ? new Set(HASHES.map((h) => h.name)) : fileHashes, clientCa !== undefined);
  // Users of the file without a verifier for an offered SCRAM hash cannot log in with it (a client
  // picks the strongest hash offered): say how many, not who.
  for (const hash of fileHashes) {
    if (!mechanisms.some((m) => parseScramMechanismName(m.name)?.hash === hash)) continue;
    const lacking = [...(loaded?.userHashes.values() ?? [])].filter((h) => !h.has(hash)).length;
    if (lacking > 0) {
      io.stderr.write(
        `saslkit server: warning: ${lacking} of ${loaded!.userHashes.size} users in ${credentialsPath} have no SCRAM-${hash} verifier, ` +
          `which is offered: they cannot log in with SCRAM-${hash} (a client picks the strongest hash offered); ` +
          `add their SCRAM-${hash} verifiers, or offer only the hashes every user has (-m)\n`,
      );
    }
  }
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

  if (cert === undefined || key === undefined) {
    const made = await selfSignedCertificate(domain);
    ({ cert, key } = made);
    io.stderr.write(
      `saslkit server: warning: no --cert/--key: using a self-signed certificate for ${domain}, made in memory, ` +
        `SHA-256 fingerprint ${made.fingerprint} (clients must be told to trust it; for tests only)\n`,
    );
  }

  const audit = new AuditLog((line) => io.stdout.write(line), protocol);
  const sasl = new SASLServer({
    mechanisms,
    credentials: audit.watch(store),
    ...(secret === undefined ? {} : { secret }),
    onExchangeEnd: audit.onExchangeEnd,
    onInternalError: (err) => audit.emit('internal-error', { message: err instanceof Error ? err.message : String(err) }),
  });
  const server = await start(protocol, {
    sasl,
    domain,
    host,
    port,
    maxConnections,
    onConnection: audit.onConnection,
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
  audit.emit('listening', {
    protocol,
    host: server.host,
    port: server.port,
    tls: values['implicit-tls'] === true ? 'implicit' : 'starttls',
    mechanisms: mechanisms.map((m) => m.name),
    maxConnections,
  });
  const signal = await stopped;
  await server.close();
  await audit.drained(2000);
  audit.emit('stopped', { signal });
  return EXIT.ok;
}

/** The `server` command. */
export const serverCommand: Command = {
  name: 'server',
  summary: 'run an IMAP, SMTP or XMPP authentication server',
  usage: USAGE,
  run,
};
