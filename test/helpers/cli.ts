// Spawning the saslkit command from source (node --import tsx src/cli/main.ts) as
// a user runs it: one-shot runs with their output, and `saslkit server` processes
// with the JSON lines they print. Every child is killed by killAll().
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const CLI_MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRunOptions {
  readonly env?: Record<string, string>;
  readonly input?: string;
  readonly timeoutMs?: number;
}

const children = new Set<ChildProcess>();

/** Our environment without any SASLKIT_PASSWORD, plus `extra`. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('SASLKIT_PASSWORD' in extra)) delete env.SASLKIT_PASSWORD;
  return env;
}

/** Run `command ...args` to its end (SIGKILL after the timeout, default 20 s), with {@link cliEnv}. */
export function runCommand(command: string, args: readonly string[], options: CliRunOptions = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: cliEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-262144)));
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-65536)));
    child.stdin!.on('error', () => {});
    child.stdin!.end(options.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Run `saslkit ...args` from source to its end (SIGKILL after the timeout, default 20 s). */
export function saslkit(args: readonly string[], options: CliRunOptions = {}): Promise<CliResult> {
  return runCommand(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], options);
}

/** A running `saslkit server` and every JSON line it printed, in order. */
export interface CliServer {
  readonly port: number;
  readonly events: Record<string, unknown>[];
  /** Every raw line of standard output (for regex checks). */
  readonly lines: string[];
  stderr(): string;
  /** Wait until `predicate` holds for some event (at most `ms`, default 10 s). */
  waitFor(predicate: (e: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  /** SIGTERM, then wait for the exit (SIGKILL after 5 s). */
  stop(): Promise<number | null>;
}

/** Start `saslkit server ...args` and wait for its `listening` line. */
export async function startCliServer(args: readonly string[], env: Record<string, string> = {}): Promise<CliServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, 'server', ...args], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const events: Record<string, unknown>[] = [];
  const lines: string[] = [];
  let stderr = '';
  let buffer = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-16384)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`saslkit server did not listen: ${stderr}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        const event = JSON.parse(line) as Record<string, unknown>;
        events.push(event);
        if (event.event === 'listening') {
          clearTimeout(timer);
          resolve(event.port as number);
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`saslkit server exited with ${code}: ${stderr}`));
    });
  });
  return {
    port,
    events,
    lines,
    stderr: () => stderr,
    async waitFor(predicate, ms = 10_000) {
      for (let waited = 0; ; waited += 50) {
        const found = events.find(predicate);
        if (found) return found;
        if (waited >= ms) throw new Error(`no such event in ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(timer);
      children.delete(child);
      return code;
    },
  };
}

/** Kill every child still running (afterAll). */
export function killAll(): void {
  for (const child of children) child.kill('SIGKILL');
}
