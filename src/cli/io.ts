/**
 * What a command talks to: output streams, standard input and the
 * environment. `main.ts` gives the process's; tests may give others.
 *
 * @module
 */
import type { Readable } from 'node:stream';

/** The streams and environment a command runs with. */
export interface CommandIO {
  /** Results (one line per fact, or JSON lines). */
  readonly stdout: { write(text: string): unknown };
  /** Errors and prompts. */
  readonly stderr: { write(text: string): unknown };
  /** Where a password may come from; a TTY gets a prompt without echo. */
  readonly stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  /** Environment variables (`SASLKIT_PASSWORD`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Wait until the command should stop (SIGINT/SIGTERM), resolving with the
   * signal's name; used by `server`. Only a command that calls it catches
   * the signals.
   */
  waitForStop(): Promise<string>;
}

/** A subcommand of `saslkit`. */
export interface Command {
  /** The word after `saslkit`. */
  readonly name: string;
  /** One line for `saslkit --help`. */
  readonly summary: string;
  /** The full text of `saslkit <name> --help`. */
  readonly usage: string;
  /**
   * Run with the arguments after the command name.
   *
   * @param argv - the arguments
   * @param io - streams and environment
   * @returns the exit status (see {@link EXIT})
   */
  run(argv: readonly string[], io: CommandIO): Promise<number>;
}
