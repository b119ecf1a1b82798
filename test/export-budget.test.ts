// The public surface by audience (issue 10): the root entry is the
// application API, at most 30 runtime exports; all entries together at most
// 130. Counted as a user counts them, `Object.keys(await import(entry))`, on
// the source module behind each entry of package.json's `exports`.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ROOT_BUDGET = 30;
const TOTAL_BUDGET = 130;

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
};

/** Entry name → the source module it is built from (`./dist/src/x.js` → `../src/x.ts`). */
const entries = Object.entries(pkg.exports)
  .filter(([name]) => name !== './package.json')
  .map(([name, target]) => {
    const built = typeof target === 'string' ? target : target.default;
    const source = built.replace(/^\.\/dist\//, '../').replace(/\.js$/, '.ts');
    return { name: name === '.' ? 'saslkit' : `saslkit/${name.slice(2)}`, source };
  });

async function counts(): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  for (const { name, source } of entries) {
    const mod = (await import(/* @vite-ignore */ source)) as Record<string, unknown>;
    result.set(name, Object.keys(mod).length);
  }
  return result;
}

describe('export budget', () => {
  it(`root ≤ ${ROOT_BUDGET} runtime exports, all entries ≤ ${TOTAL_BUDGET}`, async () => {
    const byEntry = await counts();
    const total = [...byEntry.values()].reduce((a, b) => a + b, 0);
    console.log(
      `runtime exports per entry: ${[...byEntry].map(([name, n]) => `${name} ${n}`).join(', ')}; total ${total} (budgets: root ${ROOT_BUDGET}, total ${TOTAL_BUDGET})`,
    );
    expect(byEntry.get('saslkit')).toBeGreaterThan(0);
    expect(byEntry.get('saslkit')!).toBeLessThanOrEqual(ROOT_BUDGET);
    expect(total).toBeLessThanOrEqual(TOTAL_BUDGET);
  }, 60_000);

  it('every entry has runtime exports and a module comment naming it', async () => {
    for (const { name, source } of entries) {
      const text = readFileSync(new URL(source, import.meta.url), 'utf8');
      expect(text, `${source} names its entry`).toContain(`@module ${name}`);
    }
    for (const [name, n] of await counts()) expect(n, name).toBeGreaterThan(0);
  }, 60_000);
});
