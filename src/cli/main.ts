#!/usr/bin/env node
/**
 * The `saslkit` command: pick the subcommand first, load only its module,
 * map errors to exit statuses, and print them without secrets.
 *
 * Nothing else is imported up front, so `saslkit --version` and
 * `saslkit --help` start in about the time of bare `node` (the `npm run
 * bench` startup row measures it), and `saslkit mkpasswd` never loads the
 * protocol servers.
 *
 * @module
 */
import { AuthenticationFailure, SASLError } from '../core/errors.js';
import { EXIT } from './args.js';
import { decisiveError, isClientRefusal, isServerRefusal } from './attempts.js';
import { exitStatusFor, trimOpenSSL } from './errors.js';
import type { Command, CommandIO } from './io.js';
import { packageVersion } from './version.js';

/** One subcommand: its line in `saslkit --help`, and how to load it. */
export interface CommandEntry {
  /** One line for `saslkit --help` (the module's `summary`, kept here so help loads no module). */
  readonly summary: string;
  /** Import the command's module; called only when the command runs. */
  load(): Promise<Command>;
}

/**
 * The subcommands, by name, in the order `--help` lists them. To add one,
 * add a line: `name: { summary: '...', load: async () => (await import('./name.js')).nameCommand }`.
 */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  client: {
    summary: 'connect to an IMAP, SMTP or XMPP server and authenticate',
    load: async () => (await import('./client.js')).clientCommand,
  },
  server: {
    summary: 'run an IMAP, SMTP or XMPP authentication server',
    load: async () => (await import('./server.js')).serverCommand,
  },
  mkpasswd: {
    summary: 'print the SCRAM verifier of a password (RFC 5803 or Dovecot form)',
    load: async () => (await import('./mkpasswd.js')).mkpasswdCommand,
  },
  mechanisms: {
    summary: 'list the SASL mechanisms this build supports, client and server',
    load: async () => (await import('./mechanisms.js')).mechanismsCommand,
  },
  demo: {
    summary: 'log in to local IMAP, SMTP and XMPP servers with every mechanism',
    load: async () => (await import('./demo.js')).demoCommand,
  },
};

const NAMES = Object.keys(COMMANDS);

const USAGE = `Usage: saslkit <command> [options]

Commands:
${NAMES.map((name) => `  ${name.padEnd(10)} ${COMMANDS[name]!.summary}`).join('\n')}

"saslkit <command> --help" describes a command's options;
"saslkit --version" prints the version.
`;

/**
 * The exit status for an error: 1 when the server refused the credentials
 * or the authorization, 4 when the client refused the server's part of the
 * exchange, 2 for a usage error, 130 for Ctrl-C at a prompt, 3 for
 * everything else; the same for every mechanism (see `exitStatusFor`).
 *
 * @param err - what the command threw
 */
export function exitStatusOf(err: unknown): number {
  return exitStatusFor(err);
}

/**
 * One line describing an error. saslkit's errors never carry a password,
 * and no value from the command line is echoed.
 *
 * @param err - what the command threw
 */
export function describeError(err: unknown): string {
  // Worded by who refused, not by the class the mechanism happened to raise.
  if (isClientRefusal(err) && err instanceof SASLError) return `refused by this client${err.text ? `: ${err.text}` : ''}`;
  if (isServerRefusal(err) && err instanceof SASLError) return `authentication failed (${err.opaqueError})${err.text ? `: ${err.text}` : ''}`;
  if (err instanceof AuthenticationFailure) return `authentication failed${err.opaqueError ? ` (${err.opaqueError})` : ''}${err.text ? `: ${err.text}` : ''}`;
  if (err instanceof SASLError) return `${err.kind}${err.opaqueError ? ` (${err.opaqueError})` : ''}${err.text ? `: ${err.text}` : ''}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Run `saslkit` with `argv` (the arguments after the program name).
 *
 * @param argv - the arguments
 * @param io - streams and environment
 * @returns the exit status
 */
export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(USAGE);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`saslkit ${packageVersion()}\n`);
    return EXIT.ok;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    io.stderr.write(`saslkit: unknown command (expected ${NAMES.join(', ')})\n\n${USAGE}`);
    return EXIT.usage;
  }
  try {
    const command = await entry.load();
    return await command.run(rest, io);
  } catch (err) {
    const status = exitStatusOf(err);
    // With several attempts, the one that explains the failure first, then the others.
    const { error, others } = decisiveError(err);
    io.stderr.write(`saslkit ${name}: ${trimOpenSSL(describeError(error))}\n`);
    for (const other of others) io.stderr.write(`  also tried ${other.mechanism}: ${trimOpenSSL(describeError(other.error))}\n`);
    if (status === EXIT.usage) io.stderr.write(`Try "saslkit ${name} --help".\n`);
    const hint = (err as { hint?: unknown } | null)?.hint;
    if (typeof hint === 'string') io.stderr.write(`hint: ${hint}\n`);
    return status;
  }
}

function processIO(): CommandIO {
  const waitForStop = (): Promise<string> =>
    new Promise((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal));
    });
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, waitForStop };
}

process.exitCode = await main(process.argv.slice(2), processIO());
// Anything still open (a half-closed socket, standard input) must not keep a finished command alive.
setTimeout(() => process.exit(), 2000).unref();
