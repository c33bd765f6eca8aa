import { Logger } from '@nestjs/common';
import { DatabaseConnection } from '../../../../libs/database/src/index.js';
import { CliCommand } from './command.js';

/** Applies pending migrations (the API also does this at boot, under the same advisory lock). */
export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'Apply pending database migrations',
  usage: 'migrate',
  async run(_args, config) {
    const connection = new DatabaseConnection(config);
    try {
      const dataSource = await connection.open();
      const applied = await dataSource.query('SELECT name FROM schema_migrations ORDER BY id');
      new Logger('migrate').log(`Schema at ${applied[applied.length - 1]?.name ?? 'empty'}`);
      return { migrations: applied.map((m: { name: string }) => m.name) };
    } finally {
      await connection.onApplicationShutdown();
    }
  },
};
