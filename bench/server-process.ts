import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

// The real server as a child process, for the end-to-end tests and the boot benchmark.

/** The build output `npm start` runs (`npm test` builds first). */
export const MAIN = resolve('dist/apps/api/src/main.js');

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().once('error', fail).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export interface Server {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Spawns the real server with exactly `env` (plus PATH), capturing its output. */
export function startServer(env: Record<string, string>): Server {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (\`npm test\` does).`);
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { process: child, output: () => output, exited };
}

/** The body of /health once it answers 200, asking every `pollMs`. */
export async function waitForHealth(baseUrl: string, server: Server, timeoutMs = 90_000, pollMs = 250): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.process.exitCode !== null) throw new Error(`server exited early:\n${server.output()}`);
    try {
      const response = await fetch(`${baseUrl}/health`);
      if (response.ok) return (await response.json()) as Record<string, unknown>;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`no /health within ${timeoutMs} ms:\n${server.output()}`);
}

/** SIGTERM, then the exit status (143 when Node ends by the signal after a clean shutdown). */
export async function stopServer(server: Server): Promise<number | null> {
  if (server.process.exitCode === null) server.process.kill('SIGTERM');
  return server.exited;
}
