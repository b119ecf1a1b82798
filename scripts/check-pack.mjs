// Fails unless `npm pack --dry-run --json` ships only built code, types (no
// source maps: the TypeScript sources are not shipped),
// README, LICENSE and package.json.
import { readFileSync } from 'node:fs';

const [report] = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const allowed = [/^package\.json$/, /^README\.md$/, /^LICENSE$/, /^dist\/(src|mechanisms)\/.+\.(js|d\.ts)$/];
const bad = report.files.map((f) => f.path).filter((p) => !allowed.some((re) => re.test(p)));
if (bad.length > 0) {
  console.error(`npm pack would ship unexpected files:\n  ${bad.join('\n  ')}`);
  process.exit(1);
}
if (!report.files.some((f) => f.path === 'dist/src/index.d.ts')) {
  console.error('npm pack would not ship dist/src/index.d.ts');
  process.exit(1);
}
console.log(`pack ok: ${report.files.length} files, ${report.size} bytes`);
