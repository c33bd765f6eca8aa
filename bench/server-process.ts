// The real API server (`node dist/apps/api/src/main.js`) or worker as a child process, for the proofs
// and the end-to-end tests that boot, kill and restart them.
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export const SERVER_MAIN = resolve('dist/apps/api/src/main.js');
export const WORKER_MAIN = resolve('dist/apps/worker/src/main.js');

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().once('error', fail).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export interface ServerProcess {
  process: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output: () => string;
  /** Its exit status (null when ended by a signal). */
  exited: Promise<number | null>;
}

/** Starts the server (or `main`, e.g. WORKER_MAIN) with exactly `env` (plus PATH): the caller decides what it inherits. */
export function startServer(env: Record<string, string | undefined>, main = SERVER_MAIN): ServerProcess {
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first (\`npm test\` does).`);
  const child = spawn(process.execPath, [main], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { process: child, output: () => output, exited };
}

export interface HealthWait {
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/** Polls /health until it answers 200 and returns its body; fails with the server's output when it exits or times out. */
export async function waitForHealth(baseUrl: string, server: ServerProcess, { timeoutMs = 90_000, headers }: HealthWait = {}): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.process.exitCode !== null || server.process.signalCode !== null) throw new Error(`server exited early:\n${server.output()}`);
    try {
      const response = await fetch(`${baseUrl}/health`, { headers });
      if (response.ok) return (await response.json()) as Record<string, unknown>;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no /health within ${timeoutMs} ms:\n${server.output()}`);
}

/** SIGTERM (unless it has exited), then its exit status: 143 when Node ends by the signal after a clean shutdown. */
export async function stopServer(server: ServerProcess): Promise<number | null> {
  if (server.process.exitCode === null && server.process.signalCode === null) server.process.kill('SIGTERM');
  return server.exited;
}
