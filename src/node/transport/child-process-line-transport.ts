/**
 * Run a command-line SASL peer (such as `gsasl`) as a child process and talk
 * to it in lines: its stdin/stdout as the data transport, its stderr as a
 * second, read-only line channel for its diagnostics.
 *
 * @module
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { LineTransport } from '../../protocols/transport.js';
import { TransportError } from './line-buffer.js';
import { StreamLineTransport, type StreamLineTransportOptions } from './stream-line-transport.js';

/** How a child process ended. */
export interface ChildExit {
  /** The exit status, or `null` when a signal ended it or it never started. */
  readonly code: number | null;
  /** The signal that ended it, or `null`. */
  readonly signal: NodeJS.Signals | null;
  /** Why it could not be started (e.g. `ENOENT`), or `null`. */
  readonly spawnError: Error | null;
}

/** Options of {@link ChildProcessLineTransport.spawn}. */
export interface ChildProcessLineTransportOptions extends StreamLineTransportOptions {
  /** The child's environment. Default: this process's, with `LC_ALL=C` so diagnostics are not translated. */
  readonly env?: NodeJS.ProcessEnv;
  /** The child's working directory. */
  readonly cwd?: string;
  /** Milliseconds {@link ChildProcessLineTransport.stop} waits after closing stdin before it kills. Default 2000. */
  readonly stopGraceMs?: number;
}

/**
 * A child process spoken to in lines. It is itself the data
 * {@link LineTransport} (stdout in, stdin out); {@link diagnostics} reads its
 * stderr.
 *
 * Pipes are block-buffered by C programs unless they flush; gsasl 2.x sets
 * its stdout to line buffering when it is not a terminal and flushes stderr,
 * so each line arrives as soon as it is written. For another tool, check
 * that it does the same (or run it under `stdbuf -oL`).
 *
 * Always end it with {@link stop} (or {@link kill}), also on failure paths.
 */
export class ChildProcessLineTransport implements LineTransport {
  readonly #child: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly #data: StreamLineTransport;
  readonly #exited: Promise<ChildExit>;
  readonly #stopGraceMs: number;
  #exit: ChildExit | null = null;
  /** The child's stderr, as lines (read-only). */
  readonly diagnostics: StreamLineTransport;

  /**
   * True: the data goes through pipes to a process on this host and crosses
   * no network, so PLAIN and LOGIN may use them without an opt-in.
   */
  get secure(): boolean {
    return true;
  }

  private constructor(child: ChildProcessByStdio<Writable, Readable, Readable>, options: ChildProcessLineTransportOptions) {
    this.#child = child;
    this.#stopGraceMs = options.stopGraceMs ?? 2000;
    this.#exited = new Promise<ChildExit>((resolve) => {
      child.once('error', (err) => {
        this.#exit ??= { code: null, signal: null, spawnError: err };
        resolve(this.#exit);
      });
      child.once('exit', (code, signal) => {
        this.#exit ??= { code, signal, spawnError: null };
        resolve(this.#exit);
      });
    });
    this.#data = new StreamLineTransport(child.stdout, child.stdin, options);
    this.diagnostics = new StreamLineTransport(child.stderr, null, options);
  }

  /**
   * Start `command` with `args` (no shell) and connect to it.
   *
   * @param command - the program, e.g. `'gsasl'`
   * @param args - its arguments
   * @param options - see {@link ChildProcessLineTransportOptions}
   */
  static spawn(command: string, args: readonly string[], options: ChildProcessLineTransportOptions = {}): ChildProcessLineTransport {
    const child = spawn(command, [...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? { ...process.env, LC_ALL: 'C', LANGUAGE: '' },
      cwd: options.cwd,
      shell: false,
    });
    return new ChildProcessLineTransport(child, options);
  }

  /** The child's process id (undefined if it failed to start). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** How the child ended, or `null` while it runs. */
  get exit(): ChildExit | null {
    return this.#exit;
  }

  /** Resolves once the child has ended. */
  get exited(): Promise<ChildExit> {
    return this.#exited;
  }

  /** Read the next line of the child's stdout. */
  readLine(): Promise<string> {
    return this.#data.readLine();
  }

  /**
   * Write a line to the child's stdin.
   *
   * @param line - the line; must not contain CR or LF
   */
  writeLine(line: string): Promise<void> {
    if (this.#exit?.spawnError) return Promise.reject(new TransportError(`could not start the peer: ${this.#exit.spawnError.message}`));
    return this.#data.writeLine(line);
  }

  /** Close stdin (the child sees end of input) and stop reading stdout. */
  close(): void {
    this.#data.close();
  }

  /** Kill the child at once (SIGKILL) if it still runs. */
  kill(): void {
    if (this.#exit === null && this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }

  /**
   * End the child: close stdin, wait up to `stopGraceMs` for it to exit,
   * then kill it. Never rejects.
   *
   * @returns how it ended
   */
  async stop(): Promise<ChildExit> {
    this.close();
    if (this.#exit) return this.#exit;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#stopGraceMs);
    });
    await Promise.race([this.#exited, graceOver]);
    clearTimeout(timer);
    this.kill();
    return this.#exited;
  }
}
