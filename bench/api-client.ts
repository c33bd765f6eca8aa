// What the benchmarks that drive real server processes share: GraphQL over HTTP, and waiting for a
// child's log line.
import { ServerProcess } from './server-process.js';

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
