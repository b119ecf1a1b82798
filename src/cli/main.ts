#!/usr/bin/env node
/**
 * The `saslkit` command: dispatch to `client`, `server` or `mkpasswd`, map
 * errors to exit statuses, and print them without secrets.
 *
 * @module
 */
import { AuthenticationFailure, SASLError } from '../index.js';
import { EXIT, UsageError } from './args.js';
import { decisiveError } from './attempts.js';
import { clientCommand } from './client.js';
import { demoCommand } from './demo.js';
import { EXIT_INTERRUPTED, Interrupted } from './errors.js';
import type { Command, CommandIO } from './io.js';
import { mechanismsCommand } from './mechanisms.js';
import { mkpasswdCommand } from './mkpasswd.js';
import { serverCommand } from './server.js';
import { packageVersion } from './version.js';

const COMMANDS: readonly Command[] = [clientCommand, serverCommand, mkpasswdCommand, mechanismsCommand, demoCommand];

const USAGE = `Usage: saslkit <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

"saslkit <command> --help" describes a command's options;
"saslkit --version" prints the version.
`;

/**
 * The exit status for an error: 1 for refused credentials, 2 for a usage
 * error, 130 for Ctrl-C at a prompt, 3 for everything else.
 *
 * @param err - what the command threw
 */
export function exitStatusOf(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof Interrupted) return EXIT_INTERRUPTED;
  if (err instanceof AuthenticationFailure) return EXIT.authenticationFailed;
  return EXIT.failure;
}

/**
 * One line describing an error. saslkit's errors never carry a password,
 * and no value from the command line is echoed.
 *
 * @param err - what the command threw
 */
export function describeError(err: unknown): string {
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
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`saslkit: unknown command (expected ${COMMANDS.map((c) => c.name).join(', ')})\n\n${USAGE}`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    const status = exitStatusOf(err);
    // With several attempts, the one that explains the failure first, then the others.
    const { error, others } = decisiveError(err);
    io.stderr.write(`saslkit ${command.name}: ${describeError(error)}\n`);
    for (const other of others) io.stderr.write(`  also tried ${other.mechanism}: ${describeError(other.error)}\n`);
    if (status === EXIT.usage) io.stderr.write(`Try "saslkit ${command.name} --help".\n`);
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
