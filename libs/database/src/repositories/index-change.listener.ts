import { Injectable } from '@nestjs/common';
import pg from 'pg';
import { DatabaseConnection } from '../database.connection.js';
import { INDEX_CHANGES_CHANNEL } from './index-change.repository.js';

export interface IndexChangeSubscription {
  /** False once closed or once the connection dropped: subscribe again to resume. */
  readonly open: boolean;
  close(): Promise<void>;
}

/**
 * Wakes a process when any process commits index changes (LISTEN on a connection of its own, as
 * pooled connections are shared). Notifications are a shortcut only: one lost while disconnected
 * merely waits for the next poll of the outbox.
 */
@Injectable()
export class IndexChangeListener {
  constructor(private readonly connection: DatabaseConnection) {}

  /** Calls `onChange` with the newest change id of each committed transaction that recorded changes. */
  async subscribe(onChange: (changeId: number) => void): Promise<IndexChangeSubscription> {
    const client = new pg.Client({ connectionString: this.connection.url });
    let open = true;
    const drop = () => (open = false);
    client.on('error', drop);
    client.on('end', drop);
    client.on('notification', (message) => {
      if (message.channel === INDEX_CHANGES_CHANNEL) onChange(Number(message.payload));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${INDEX_CHANGES_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return {
      get open() {
        return open;
      },
      close: async () => {
        open = false;
        await client.end().catch(() => undefined);
      },
    };
  }
}
