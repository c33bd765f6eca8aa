import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * Dependencies point one way: apps → {access, recognition} → database → {inference, vector-index} → {config, common}
 * (the database stores vectors in the engines' formats and may implement the vector-index port).
 * The engines (inference, vector-index) know nothing of Nest, transports or the database, so they
 * could be published alone.
 */
const ALLOWED: Record<string, string[]> = {
  'libs/common': [],
  'libs/config': ['libs/common'],
  'libs/inference': ['libs/common'],
  'libs/vector-index': ['libs/common'],
  'libs/evaluation': ['libs/common', 'libs/inference', 'libs/vector-index'],
  'libs/training': ['libs/common'],
  'libs/database': ['libs/common', 'libs/config', 'libs/vector-index', 'migrations'],
  'libs/access': ['libs/common', 'libs/config', 'libs/database'],
  'libs/recognition': ['libs/common', 'libs/config', 'libs/database', 'libs/inference', 'libs/vector-index'],
  'apps/api': ['libs/common', 'libs/config', 'libs/access', 'libs/recognition'],
  'apps/worker': ['libs/common', 'libs/config', 'libs/recognition'],
  'apps/cli': ['libs/common', 'libs/config', 'libs/access', 'libs/database', 'libs/inference', 'libs/vector-index', 'libs/evaluation', 'libs/training', 'libs/recognition'],
};
const ENGINES = ['libs/common', 'libs/inference', 'libs/vector-index', 'libs/evaluation', 'libs/training'];
const ROOT = resolve('.');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !/\.(spec|integration-spec|e2e-spec)\.ts$/.test(path) ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]);
}

const moduleOf = (path: string) => Object.keys(ALLOWED).find((m) => path === m || path.startsWith(`${m}/`)) ?? relative(ROOT, path).split('/')[0];

describe('architecture: import direction', () => {
  for (const [module, allowed] of Object.entries(ALLOWED)) {
    it(`${module} imports only ${allowed.join(', ') || 'nothing internal'}`, () => {
      const dir = resolve(module, module === 'migrations' ? '' : 'src');
      let files: string[];
      try {
        files = sourceFiles(dir);
      } catch {
        return; // module not created yet
      }
      const violations: string[] = [];
      for (const file of files) {
        for (const specifier of imports(file)) {
          if (!specifier.startsWith('.')) {
            if (ENGINES.includes(module) && /^@nestjs\/|^typeorm$|^pg$|^graphql/.test(specifier)) violations.push(`${relative(ROOT, file)} → ${specifier}`);
            continue;
          }
          const target = moduleOf(relative(ROOT, resolve(file, '..', specifier)));
          if (target !== module && !allowed.includes(target) && target !== 'test') violations.push(`${relative(ROOT, file)} → ${target}`);
        }
      }
      expect(violations).toEqual([]);
    });
  }
});
