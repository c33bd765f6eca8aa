import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a script of the build output (`npm test` builds first) as a user would, e.g. `dist/apps/cli/src/main.js`. */
export function runBuiltScript(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ScriptResult> {
  const path = resolve(script);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first (\`npm test\` does).`);
  return new Promise((done) => {
    execFile(process.execPath, [path, ...args], { env, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
