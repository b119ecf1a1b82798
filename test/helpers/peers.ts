// Interop suites need real peers (gsasl, dovecot, prosody, python3, Cyrus
// sasl2-bin's sasl-sample-server/saslpasswd2; daemons live in /usr/sbin, which .ci/run puts on PATH). On a
// developer's laptop without them a suite skips; under CI (CI set) a missing
// peer is a failure, never a silent skip.
import { spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';

/** True when `command` is on PATH (or an absolute path that exists and runs). */
export function hasCommand(command: string): boolean {
  const r = spawnSync('sh', ['-c', `command -v "${command}"`], { stdio: 'pipe' });
  return r.status === 0;
}

/** True under CI, where interop suites must run. */
export const UNDER_CI = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';

/**
 * `describe` an interop suite that needs `peers` (commands on PATH).
 * Missing peers: skipped locally, a failing test under CI.
 */
export function describeWithPeers(name: string, peers: readonly string[], fn: () => void): void {
  const missing = peers.filter((p) => !hasCommand(p));
  if (missing.length === 0) {
    describe(name, fn);
  } else if (UNDER_CI) {
    describe(name, () => {
      it(`has its peers installed (${peers.join(', ')})`, () => {
        throw new Error(`interop peer(s) missing under CI: ${missing.join(', ')}; .ci/run must install them`);
      });
    });
  } else {
    describe.skip(`${name} (missing: ${missing.join(', ')})`, fn);
  }
}
