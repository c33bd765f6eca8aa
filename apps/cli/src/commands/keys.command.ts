import { NestFactory } from '@nestjs/core';
import { AccessModule, ApiKeyService, ROLES } from '../../../../libs/access/src/index.js';
import type { ApiKeyRole } from '../../../../libs/database/src/index.js';
import { TenantRepository } from '../../../../libs/database/src/index.js';
import { CliCommand, stringFlag, UsageError } from './command.js';

const USAGE = 'keys create --role admin|operator|reader --tenant NAME [--name LABEL] | keys list [--tenant NAME] | keys revoke ID';

/**
 * API keys from the command line, straight on the database: how the first admin key comes to be.
 * `create` prints the secret alone on its last line (and nowhere else, ever), so scripts can take it
 * with `tail -n 1`.
 */
export const keysCommand: CliCommand = {
  name: 'keys',
  summary: 'Create, list or revoke API keys (the first admin key comes from here)',
  usage: USAGE,
  async run(args) {
    const [action, id] = args.positional;
    if (!['create', 'list', 'revoke'].includes(action)) throw new UsageError('keys needs create, list or revoke');
    const app = await NestFactory.createApplicationContext(AccessModule, { logger: ['error', 'warn'] });
    try {
      const keys = app.get(ApiKeyService);
      if (action === 'create') {
        const role = stringFlag(args, 'role') as ApiKeyRole;
        if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
        const tenant = stringFlag(args, 'tenant');
        const { key, apiKey } = await keys.createKey({ tenant, role, name: stringFlag(args, 'name', `${role} key`) });
        console.error(`Created ${role} key ${apiKey.id} (${apiKey.prefix}…) for tenant ${tenant}. It is shown once, below; store it now.`);
        console.log(key);
        return undefined;
      }
      if (action === 'revoke') {
        if (!id) throw new UsageError('keys revoke needs the key id');
        return await keys.revokeKey(id);
      }
      const tenantId = args.flags.has('tenant') ? (await app.get(TenantRepository).getByName(stringFlag(args, 'tenant'))).id : undefined;
      const all = [];
      for (let after: string | undefined; ; ) {
        const page = await keys.listKeys(tenantId, { first: 100, after });
        all.push(...page.nodes);
        if (!page.hasNextPage) return all;
        after = page.endCursor!;
      }
    } finally {
      await app.close();
    }
  },
};
