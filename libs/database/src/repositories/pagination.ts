import { SelectQueryBuilder } from 'typeorm';
import { DomainException, ErrorCode } from '../../../common/src/index.js';

export interface PageRequest {
  first: number;
  after?: string;
}

export interface Page<T> {
  nodes: T[];
  totalCount: number;
  endCursor: string | null;
  hasNextPage: boolean;
}

/** Keyset cursor over (created_at, id): stable while rows are added or removed. */
export interface Cursor {
  createdAt: string;
  id: string;
}

export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Cursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    if (Number.isNaN(Date.parse(createdAt)) || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error('bad cursor');
    return { createdAt, id };
  } catch {
    throw new DomainException(ErrorCode.VALIDATION, 'The `after` cursor is not one this API returned');
  }
}

/** Builds a page from `first + 1` fetched rows (the extra row only tells whether more exist). */
export function toPage<T extends { createdAt: Date; id: string }>(rows: T[], first: number, totalCount: number): Page<T> {
  const nodes = rows.slice(0, first);
  return {
    nodes,
    totalCount,
    endCursor: nodes.length ? encodeCursor(nodes[nodes.length - 1]) : null,
    hasNextPage: rows.length > first,
  };
}

/** One page of `query` (alias `alias`, with created_at and id columns) in (created_at, id) order. */
export async function paginate<T extends { createdAt: Date; id: string }>(
  query: SelectQueryBuilder<T>,
  alias: string,
  page: PageRequest,
): Promise<Page<T>> {
  const totalCount = await query.getCount();
  if (page.after) query.andWhere(`(${alias}.created_at, ${alias}.id) > (:createdAt, :id)`, decodeCursor(page.after));
  const rows = await query.orderBy(`${alias}.created_at`, 'ASC').addOrderBy(`${alias}.id`, 'ASC').take(page.first + 1).getMany();
  return toPage(rows, page.first, totalCount);
}
