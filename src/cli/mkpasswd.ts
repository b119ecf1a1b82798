/**
 * `saslkit mkpasswd`: derive a SCRAM verifier (salt, iteration count,
 * StoredKey, ServerKey) from a password and print it in RFC 5803 /
 * PostgreSQL or Dovecot form, like `gsasl --mkpasswd` and `doveadm pw`.
 *
 * @module
 */
import { HASHES, hashByName } from '../mechanism.js';
import { PBKDF2_HARD_LIMIT } from '../crypto/pbkdf2.js';
import type { HashName } from '../index.js';
import { defaultIterationCount, deriveScramVerifier } from '../server/credentials/scram.js';
import { formatScramVerifier, type ScramVerifierFormat } from '../server/credentials/formats.js';
import { iterationCountWarning } from '../scram/iterations.js';
import { EXIT, choiceOption, integerOption, parseOptions, type OptionSpec } from './args.js';
import type { Command, CommandIO } from './io.js';
import { PASSWORD_ENV, readPassword } from './password.js';

const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  hash: { type: 'string' },
  iterations: { type: 'string', short: 'i' },
  format: { type: 'string', short: 'f' },
  help: { type: 'boolean', short: 'h' },
};

const HASH_NAMES = HASHES.map((h) => h.name) as readonly HashName[];
const FORMATS: readonly ScramVerifierFormat[] = ['dovecot', 'rfc5803'];

const USAGE = `Usage: saslkit mkpasswd [--hash H] [--iterations N] [--format F]

Print the SCRAM verifier of a password read from ${PASSWORD_ENV}, else from
the first line of standard input. The password itself is never printed.

  --hash H               ${HASH_NAMES.join(', ')} (default SHA-256)
  -i, --iterations N     PBKDF2 iterations (default 4096 for SHA-1 and
                         SHA-256, 10000 for the 512-bit hashes); a warning
                         is printed above 100000, which SCRAM clients refuse
                         by default
  -f, --format F         dovecot: {SCRAM-SHA-256}<iter>,<salt>,<StoredKey>,<ServerKey>
                         (also gsasl's; the default), or
                         rfc5803: SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>
                         (PostgreSQL, LDAP authPassword)
  -h, --help             this text

Either form is accepted by "saslkit server --credentials".
`;

async function run(argv: readonly string[], io: CommandIO): Promise<number> {
  const values = parseOptions(argv, OPTIONS);
  if (values.help === true) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const hash = choiceOption(values, 'hash', HASH_NAMES, 'SHA-256');
  const iterations = integerOption(values, 'iterations', 1, PBKDF2_HARD_LIMIT) ?? defaultIterationCount(hash);
  const format = choiceOption(values, 'format', FORMATS, 'dovecot');
  // A count that default clients refuse locks every user of the verifier out.
  const warning = iterationCountWarning(hashByName(hash)!, iterations);
  if (warning !== null) io.stderr.write(`saslkit mkpasswd: warning: ${warning}\n`);
  const password = await readPassword(io);
  const credential = await deriveScramVerifier(password, { hash, iterations });
  io.stdout.write(`${formatScramVerifier(credential, format)}\n`);
  return EXIT.ok;
}

/** The `mkpasswd` command. */
export const mkpasswdCommand: Command = {
  name: 'mkpasswd',
  summary: 'print the SCRAM verifier of a password (RFC 5803 or Dovecot form)',
  usage: USAGE,
  run,
};
