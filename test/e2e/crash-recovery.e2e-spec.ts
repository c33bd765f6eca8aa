import { runCrashProof } from '../../bench/crash.proof.js';
import { MANIFEST_DIR, MODEL_DIR } from '../support/shared-data.js';

/**
 * Issue 6 in CI size: the crash proof (bench/crash.proof.ts) against the real server process on
 * embedded Postgres, killed with SIGKILL mid-request 20 times. Uses the build output (`npm test`
 * builds first). About 3 minutes on two cores.
 */
describe('crash recovery: SIGKILL mid-enrollment, restart, nothing lost or half-written (end to end)', () => {
  it('keeps every acknowledged enrollment, stores cut ones wholly or not at all, and rebuilds the index equal to Postgres', async () => {
    const kills = 20;
    const report = await runCrashProof({
      kills,
      concurrency: 4,
      seed: 1,
      serverEnv: { MODEL_DIR, MODEL_MANIFEST_DIR: MANIFEST_DIR, ORT_INTRA_OP_THREADS: '1', LOG_LEVEL: 'warn' },
    });
    expect(report.violations).toEqual([]);
    expect(report.kills).toBe(kills);
    // Every kill cut at least one request, and every acknowledged face was identified as itself.
    expect(report.enrollments.inFlightAtKill).toBeGreaterThanOrEqual(kills);
    expect(report.enrollments.acknowledged).toBeGreaterThan(kills);
    expect(report.identified).toBe(report.enrollments.acknowledged + report.enrollments.inFlightLanded);
    expect(report.index.indexedFaces).toBe(report.index.embeddings);
  }, 8 * 60_000);
});
