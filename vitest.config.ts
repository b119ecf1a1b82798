import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Under CI a JSON report is written too, so .ci/run can print the one
// "N passed, N failed" line that CI reads (scripts/test-summary.mjs).
const ci = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';

export default defineConfig({
  // package.json's `#crypto-backend` import points into dist/ (built code);
  // tests run the sources, under Node, so they get the Node backend, as the
  // `node` condition gives it to the built package (tsconfig.json's `paths`
  // give the portable one, the safe default for browser bundlers).
  resolve: {
    alias: { '#crypto-backend': fileURLToPath(new URL('./src/crypto/backend.node.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Interop suites start real servers on loopback; keep parallelism modest
    // on a 2-core machine.
    maxWorkers: 2,
    reporters: ci ? ['default', ['json', { outputFile: '.tmp/vitest-report.json' }]] : ['default'],
  },
});
