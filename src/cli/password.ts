/**
 * Where the CLI gets a password (or token) from: the `SASLKIT_PASSWORD`
 * environment variable, else the first line of standard input (a prompt
 * without echo when it is a terminal). Never from a command-line flag, which
 * other users can read in the process list, and never printed.
 *
 * @module
 */
import { UsageError } from './args.js';
import { Interrupted } from './errors.js';
import type { CommandIO } from './io.js';

/** The environment variable the password is read from first. */
export const PASSWORD_ENV = 'SASLKIT_PASSWORD';

/** The longest first line read from standard input. */
const MAX_LINE = 8192;

function readFirstLine(stdin: CommandIO['stdin']): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const finish = (error: Error | null): void => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      // Release standard input so it does not keep the process alive.
      stdin.pause();
      if (!stdin.isTTY) stdin.destroy();
      if (error) reject(error);
      else resolve(buffer);
    };
    const onData = (chunk: Buffer | string): void => {
      buffer += chunk.toString();
      const end = buffer.search(/\r|\n/);
      if (end >= 0) {
        buffer = buffer.slice(0, end);
        finish(null);
      } else if (buffer.length > MAX_LINE) {
        finish(new UsageError(`the password line on standard input is longer than ${MAX_LINE} characters`));
      }
    };
    const onEnd = (): void => finish(null);
    const onError = (err: Error): void => finish(new UsageError(`cannot read standard input: ${err.message}`));
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.once('error', onError);
    stdin.resume();
  });
}

function promptWithoutEcho(io: CommandIO, prompt: string): Promise<string> {
  const { stdin } = io;
  // Raw mode first: a Ctrl-C typed as soon as the prompt shows must reach us as a character.
  stdin.setRawMode?.(true);
  io.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error: Error | null): void => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(null);
        if (ch === '\u0003') return finish(new Interrupted('interrupted at the password prompt'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else if (typed.length < MAX_LINE) typed += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

/**
 * Read the password once: `SASLKIT_PASSWORD`, else the first line of
 * standard input (without its line ending).
 *
 * @param io - the command's streams and environment
 * @param what - what is asked for, in the prompt and messages (`'password'`, `'token'`)
 * @throws {@link UsageError} when neither gives a non-empty password
 */
export async function readPassword(io: CommandIO, what = 'password'): Promise<string> {
  const fromEnv = io.env[PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv.length > 0) return fromEnv;
  const line = io.stdin.isTTY ? await promptWithoutEcho(io, `${what[0]!.toUpperCase()}${what.slice(1)}: `) : await readFirstLine(io.stdin);
  if (line.length === 0) throw new UsageError(`no ${what}: set ${PASSWORD_ENV} or give it on the first line of standard input`);
  return line;
}

/**
 * A reader that asks for the password at most once, when first needed
 * (mechanisms ask for credentials only once chosen, and ANONYMOUS never).
 *
 * @param io - the command's streams and environment
 * @param what - see {@link readPassword}
 */
export function passwordOnce(io: CommandIO, what = 'password'): () => Promise<string> {
  let pending: Promise<string> | null = null;
  return () => (pending ??= readPassword(io, what));
}
