// What the benchmarks that drive real server processes share: GraphQL over HTTP, the London
// portraits as enrollment items, and worker processes.
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ServerProcess, startServer, WORKER_MAIN } from './server-process.js';

/** A GraphQL request without a key (the benchmark servers run with AUTH_MODE off on loopback); throws on errors. */
export async function graphql(baseUrl: string, query: string, variables: Record<string, unknown>): Promise<Record<string, any>> {
  const response = await fetch(`${baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: { message: string }[] };
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data!;
}

/** Resolves once the child has printed `text`; rejects if it exits first. */
export async function waitForOutput(child: ServerProcess, text: string): Promise<void> {
  while (!child.output().includes(text)) {
    if (child.process.exitCode !== null) throw new Error(`process exited early:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The first `count` London neutral portraits as enrollBatch items (DATASET_DIR, default ../shared/datasets). */
export async function londonEnrollItems(count: number): Promise<{ externalId: string; imageBase64: string }[]> {
  const londonDir = resolve(process.env.DATASET_DIR ?? '../shared/datasets', 'london', 'neutral_front');
  const files = (await readdir(londonDir)).sort().slice(0, count);
  return Promise.all(
    files.map(async (file) => ({ externalId: `person-${file.split('_')[0]}`, imageBase64: (await readFile(join(londonDir, file))).toString('base64') })),
  );
}

/** A worker process (`dist/apps/worker/src/main.js`) named `name`, once it says it is ready. */
export async function startReadyWorker(env: NodeJS.ProcessEnv, name: string): Promise<ServerProcess> {
  const worker = startServer({ ...env, WORKER_NAME: name }, WORKER_MAIN);
  await waitForOutput(worker, `Worker ${name} ready`);
  return worker;
}

/** SIGTERM to each, resolved once all have exited. */
export async function stopProcesses(children: ServerProcess[]): Promise<void> {
  for (const child of children) child.process.kill('SIGTERM');
  await Promise.all(children.map((c) => c.exited));
}
