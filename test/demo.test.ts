// `npm start` (= `saslkit demo`) run as a user runs it: a child process
// under a time limit, its exit status, its progress on stderr and its table
// on stdout. The demo runs from dist/, which is rebuilt first when a source
// file is newer than the built CLI (CI has just built it).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HASHES } from '../src/mechanism.js';

const ROOT = join(import.meta.dirname, '..');
const BUILT = join(ROOT, 'dist', 'src', 'cli', 'demo.js');
const LIMIT_MS = 90_000;

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a command, killing it (and failing) after LIMIT_MS. */
function run(command: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${LIMIT_MS} ms\n${stderr}`));
    }, LIMIT_MS);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const PROTOCOLS = ['imap', 'smtp', 'xmpp'];
const SIMPLE = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'ANONYMOUS', 'EXTERNAL', 'OAUTHBEARER', 'XOAUTH2'];
const CELLS = PROTOCOLS.length * (SIMPLE.length + HASHES.length * 5 + 1);

/** The table's data rows as arrays of columns. */
function rows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((l) => PROTOCOLS.some((p) => l.startsWith(`${p} `)))
    .map((l) => l.split(/ {2,}/));
}

beforeAll(() => {
  let built = 0;
  try {
    built = statSync(BUILT).mtimeMs;
  } catch {
    // not built yet
  }
  if (built < Math.max(newestSource(join(ROOT, 'src')), newestSource(join(ROOT, 'mechanisms')))) {
    const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
    if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
  }
}, 250_000);

describe('npm start (saslkit demo)', () => {
  it('logs in with every mechanism and binding over IMAP, SMTP and XMPP, refuses the wrong passwords, and exits 0', async () => {
    const { status, stdout, stderr } = await run('npm', ['start', '--silent']);
    expect(status, stderr).toBe(0);
    const table = rows(stdout);
    expect(table).toHaveLength(CELLS);
    expect(stdout).toContain(`${CELLS}/${CELLS} logins as expected`);
    // Progress: one line per login on stderr.
    expect(stderr.match(/^\[\s*\d+\/\d+\] /gm)).toHaveLength(CELLS);
    for (const protocol of PROTOCOLS) {
      const mine = table.filter((r) => r[0] === protocol);
      for (const m of SIMPLE) expect(mine.find((r) => r[1] === m)?.[5], `${protocol} ${m}`).toBe('ok');
      for (const { name } of HASHES) {
        expect(mine.find((r) => r[1] === `SCRAM-${name}` && r[2] === '-')?.[5], `${protocol} SCRAM-${name}`).toBe('ok');
        for (const [binding, tls] of [['tls-exporter', '1.3'], ['tls-server-end-point', '1.3'], ['tls-unique', '1.2'], ['tls-server-end-point', '1.2']]) {
          const row = mine.find((r) => r[1] === `SCRAM-${name}-PLUS` && r[2] === binding && r[3] === tls);
          expect(row?.[5], `${protocol} SCRAM-${name}-PLUS ${binding} TLS ${tls}`).toBe('ok');
        }
      }
      const wrong = mine.filter((r) => r[1]!.endsWith('(wrong password)'));
      expect(wrong.map((r) => [r[4], r[5]]), protocol).toEqual([['refused', 'refused']]);
      // Every row has its milliseconds.
      for (const r of mine) expect(r[6], r.join(' ')).toMatch(/^\d+$/);
    }
  }, LIMIT_MS + 10_000);

  it('exits 1 and marks the row when a login does not come out as expected', async () => {
    const { status, stdout } = await run(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'demo', '--break', 'smtp SCRAM-SHA-256-PLUS tls-unique']);
    expect(status).toBe(1);
    const bad = rows(stdout).filter((r) => r.includes('UNEXPECTED'));
    expect(bad.map((r) => r.slice(0, 6))).toEqual([['smtp', 'SCRAM-SHA-256-PLUS (broken)', 'tls-unique', '1.2', 'ok', 'refused']]);
    expect(stdout).toContain(`${CELLS - 1}/${CELLS} logins as expected`);
  }, LIMIT_MS + 10_000);

  it('refuses an unknown --break cell as a usage error', async () => {
    const { status, stderr } = await run(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'demo', '--break', 'imap NOPE']);
    expect(status).toBe(2);
    expect(stderr).toContain('--break: no such cell');
  }, LIMIT_MS + 10_000);
});
