/**
 * Command-line parsing shared by the saslkit commands: `node:util`'s
 * `parseArgs` in strict mode, with errors that name the option but never
 * echo a value (a mistyped flag may be followed by a password).
 *
 * @module
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkInteger } from '../core/checks.js';

/** Exit statuses of the `saslkit` command. */
export const EXIT = {
  /** The command did what was asked. */
  ok: 0,
  /**
   * The server refused the credentials or the authorization: a failure the
   * server sent (not-authorized, invalid-authzid, account-disabled,
   * credentials-expired, or any server condition on an
   * `AuthenticationFailure`), whatever the mechanism.
   */
  authenticationFailed: 1,
  /** The command line (or a file it names) is wrong. */
  usage: 2,
  /** A connection, TLS, protocol or other runtime error. */
  failure: 3,
  /**
   * The client refused the server's part of the SASL exchange (a SCRAM
   * iteration count above `--max-iterations`, a wrong server signature, a
   * server message the mechanism forbids), whatever the mechanism.
   */
  clientRefused: 4,
} as const;

/** A mistake on the command line: exit status 2, with a message and the usage hint. */
export class UsageError extends Error {
  /** @param message - what is wrong, without any value the user typed */
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One option of a command, as `parseArgs` takes it. */
export interface OptionSpec {
  /** `'string'` takes a value, `'boolean'` is a switch. */
  readonly type: 'string' | 'boolean';
  /** One-letter alias. */
  readonly short?: string;
  /** May be given more than once (values collected in order). */
  readonly multiple?: boolean;
}

/** Parsed option values: strings, booleans or lists of strings. */
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * Parse `argv` against `options`, strictly: unknown options, missing values
 * and any positional argument are {@link UsageError}s.
 *
 * @param argv - the arguments after the command name
 * @param options - the command's options
 * @returns the values by option name
 */
export function parseOptions(argv: readonly string[], options: Readonly<Record<string, OptionSpec>>): OptionValues {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: options as Record<string, OptionSpec>, strict: true, allowPositionals: true });
  } catch (err) {
    // Node's messages name the option, never its value; drop its long hint.
    const message = err instanceof Error ? err.message.split('. To specify')[0]! : String(err);
    throw new UsageError(message);
  }
  if (parsed.positionals.length > 0) {
    // Not echoed: it may be a password given where a flag was expected.
    throw new UsageError(`unexpected argument #${argv.indexOf(parsed.positionals[0]!) + 1} (options take the form --name VALUE)`);
  }
  return parsed.values as OptionValues;
}

/**
 * A string option's value, or `undefined`.
 *
 * @param values - parsed values
 * @param name - option name
 */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * A string option that must be present.
 *
 * @param values - parsed values
 * @param name - option name
 */
export function requiredOption(values: OptionValues, name: string): string {
  const v = stringOption(values, name);
  if (v === undefined || v.length === 0) throw new UsageError(`--${name} is required`);
  return v;
}

/**
 * The values of a repeatable string option, in order (empty when absent).
 *
 * @param values - parsed values
 * @param name - option name
 */
export function listOption(values: OptionValues, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * An option whose value must be one of `allowed`.
 *
 * @param values - parsed values
 * @param name - option name
 * @param allowed - the accepted values
 * @param fallback - the value when the option is absent
 */
export function choiceOption<T extends string>(values: OptionValues, name: string, allowed: readonly T[], fallback: T): T {
  const v = stringOption(values, name);
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of: ${allowed.join(', ')}`);
  return v as T;
}

/**
 * An integer option within `[min, max]`.
 *
 * @param values - parsed values
 * @param name - option name
 * @param min - smallest accepted value
 * @param max - largest accepted value
 * @returns the number, or `undefined` when absent
 */
export function integerOption(values: OptionValues, name: string, min: number, max: number): number | undefined {
  const v = stringOption(values, name);
  if (v === undefined) return undefined;
  const n = /^[0-9]{1,10}$/.test(v) ? Number(v) : NaN;
  return checkInteger(n, `--${name}`, min, max, (t) => new UsageError(t));
}

/** A host and port from `HOST:PORT` or `[IPv6]:PORT`. */
export interface HostPort {
  /** Host name or address (IPv6 without brackets). */
  readonly host: string;
  /** TCP port; 0 only where allowed. */
  readonly port: number;
}

/**
 * Parse `HOST:PORT` (IPv6 as `[::1]:PORT`).
 *
 * @param text - the option value
 * @param flag - the option name, for the message
 * @param allowZero - accept port 0 (a free port, for listening)
 */
export function parseHostPort(text: string, flag: string, allowZero = false): HostPort {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):([0-9]{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535 || (port === 0 && !allowZero)) {
    throw new UsageError(`--${flag} must be HOST:PORT (IPv6 as [ADDRESS]:PORT) with a port from ${allowZero ? 0 : 1} to 65535`);
  }
  return { host: m[1] ?? m[2]!, port };
}

/**
 * Read a file named on the command line (a certificate, a key, a CA bundle,
 * a credentials file); a missing or unreadable file is a {@link UsageError}.
 *
 * @param path - the path given
 * @param flag - the option name, for the message
 */
export function readFileOption(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new UsageError(`--${flag}: cannot read ${path}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
}

/** A PEM file that must hold what `check` accepts; anything else is a {@link UsageError}. */
function readPemOption(path: string, flag: string, check: (pem: string) => unknown, what: string): string {
  const pem = readFileOption(path, flag);
  try {
    check(pem);
  } catch {
    throw new UsageError(`--${flag}: ${path} does not hold ${what}`);
  }
  return pem;
}

/**
 * Read a PEM certificate (chain) named on the command line; unreadable or
 * not a certificate is a {@link UsageError}.
 *
 * @param path - the path given
 * @param flag - the option name, for the message
 */
export function readCertificateOption(path: string, flag: string): string {
  return readPemOption(path, flag, (pem) => new X509Certificate(pem), 'a PEM certificate');
}

/**
 * Read a PEM private key named on the command line; unreadable, encrypted
 * or not a key is a {@link UsageError}.
 *
 * @param path - the path given
 * @param flag - the option name, for the message
 */
export function readPrivateKeyOption(path: string, flag: string): string {
  return readPemOption(path, flag, (pem) => createPrivateKey(pem), 'a PEM private key (unencrypted)');
}

/** TLS versions `--tls-max` accepts, and Node's names for them. */
export const TLS_VERSIONS = { '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' } as const;

/**
 * The `maxVersion` for `--tls-max`, or `undefined` when absent.
 *
 * @param values - parsed values
 */
export function tlsMaxOption(values: OptionValues): 'TLSv1.2' | 'TLSv1.3' | undefined {
  const v = stringOption(values, 'tls-max');
  if (v === undefined) return undefined;
  return TLS_VERSIONS[choiceOption(values, 'tls-max', ['1.2', '1.3'] as const, '1.3')];
}
