// README's TypeScript table is true: for each row (package type, module,
// moduleResolution), a consumer package with saslkit in node_modules (a symlink
// to this repository, so the package.json exports and typesVersions are the
// real ones) is type-checked with tsc, and resolves or fails with the TS error
// the row names. dist/ is rebuilt first when a source file is newer than it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeDir } from './helpers/tls-certs.js';

const ROOT = join(import.meta.dirname, '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return t;
}

interface Row {
  readonly esm: boolean;
  readonly module: string;
  readonly resolution: string;
  readonly error: string | null;
  readonly line: string;
}

function readmeRows(): Row[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const rows: Row[] = [];
  for (const line of readme.split('\n')) {
    const m = /^\| (ESM|CommonJS) \([^|]*\) \| `(\w+)` \| `(\w+)` \| (resolves|fails: (TS\d+))/.exec(line);
    if (m) rows.push({ esm: m[1] === 'ESM', module: m[2]!, resolution: m[3]!, error: m[5] ?? null, line });
  }
  return rows;
}

let dir: string;
beforeAll(() => {
  dir = makeTempDir('saslkit-readme-ts-');
  const built = join(ROOT, 'dist', 'src', 'index.d.ts');
  if (!existsSync(built) || statSync(built).mtimeMs < Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'mechanisms')))) {
    const r = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }
}, 180_000);
afterAll(() => {
  if (dir) removeDir(dir);
});

describe("README's TypeScript resolution table", () => {
  const rows = readmeRows();

  it('has rows for ESM and CommonJS packages, and says where node16 fails', () => {
    expect(rows.length).toBeGreaterThanOrEqual(8);
    expect(rows.find((r) => !r.esm && r.resolution === 'node16')?.error).toBe('TS1479');
  });

  it.each(rows.map((r) => [r.line, r] as const))('%s', (_line, row) => {
    const project = join(dir, `${row.esm ? 'esm' : 'cjs'}-${row.module}-${row.resolution}`);
    mkdirSync(join(project, 'node_modules'), { recursive: true });
    symlinkSync(ROOT, join(project, 'node_modules', 'saslkit'), 'dir');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: row.esm ? 'module' : 'commonjs' }));
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: row.module, moduleResolution: row.resolution, strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['main.ts'] }),
    );
    writeFileSync(join(project, 'main.ts'), "import { SCRAM } from 'saslkit';\nimport { SASLServer } from 'saslkit/server';\nexport const used = [SCRAM, SASLServer];\n");
    const r = spawnSync(process.execPath, [TSC, '-p', '.'], { cwd: project, encoding: 'utf8' });
    const errors = [...new Set((r.stdout + r.stderr).match(/error TS\d+/g) ?? [])].map((e) => e.slice('error '.length));
    if (row.error === null) expect(errors, r.stdout).toEqual([]);
    else expect(errors, r.stdout).toEqual([row.error]);
  }, 60_000);
});
