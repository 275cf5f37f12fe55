/**
 * Runs autocannon in a child process (bench/autocannon-worker.mjs) and returns its figures: the benches' load when
 * wrk is not installed, and the load test's (test/load.test.ts).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface LoadRun {
  url: string;
  /** Request bodies, sent in order. */
  bodies: string[];
  token: string;
  connections: number;
  seconds: number;
  /** Requests a second overall; absent: as fast as the connections go. */
  rate?: number;
}

export interface LoadFigures {
  /** Bodies handed out (a body is sent again only once all were). */
  sent: number;
  requests: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Socket errors. */
  errors: number;
  timeouts: number;
  non2xx: number;
  /** Answers with a GraphQL error. */
  mismatches: number;
  /** Every request that did not succeed: errors, timeouts, non-2xx and GraphQL errors. */
  failed: number;
}

export async function runLoadGenerator(run: LoadRun): Promise<LoadFigures> {
  const child = fork(fileURLToPath(new URL('./autocannon-worker.mjs', import.meta.url)), { stdio: 'inherit' });
  try {
    return await new Promise<LoadFigures>((resolve, reject) => {
      child.once('message', (m) => {
        resolve(m as LoadFigures);
      });
      child.once('error', reject);
      child.once('exit', (code) => {
        reject(new Error(`the load generator exited with ${code} before answering`));
      });
      child.send(run);
    });
  } finally {
    child.kill();
  }
}
