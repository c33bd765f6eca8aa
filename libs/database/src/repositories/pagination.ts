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

const badCursor = () => new DomainException(ErrorCode.VALIDATION, 'The `after` cursor is not one this API returned');

const encodeJson = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function decodeJson(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
}

export const encodeCursor = (row: { createdAt: Date; id: string }): string => encodeJson([row.createdAt.toISOString(), row.id]);

export function decodeCursor(cursor: string): Cursor {
  const value = decodeJson(cursor);
  if (!Array.isArray(value) || typeof value[0] !== 'string' || Number.isNaN(Date.parse(value[0])) || !/^[0-9a-f-]{36}$/i.test(String(value[1]))) {
    throw badCursor();
  }
  return { createdAt: value[0], id: value[1] };
}

/** Cursor over a row's position within its parent, for rows listed in the order they were given (batch items). */
export const encodePositionCursor = (row: { position: number }): string => encodeJson(row.position);

export function decodePositionCursor(cursor: string): number {
  const position = decodeJson(cursor);
  if (!Number.isInteger(position)) throw badCursor();
  return position as number;
}

/** Builds a page from `first + 1` fetched rows (the extra row only tells whether more exist). */
export function toPage<T>(rows: T[], first: number, totalCount: number, cursorOf: (row: T) => string): Page<T> {
  const nodes = rows.slice(0, first);
  return {
    nodes,
    totalCount,
    endCursor: nodes.length ? cursorOf(nodes[nodes.length - 1]) : null,
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
  return toPage(rows, page.first, totalCount, encodeCursor);
}
