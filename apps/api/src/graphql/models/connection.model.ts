import { Type } from '@nestjs/common';
import { Field, Int, ObjectType } from '@nestjs/graphql';

/** Base of a keyset-paginated list of `Node`s: nodes, total count and the cursor of the last node. Subclasses name the type. */
export function Connection<T>(Node: Type<T>) {
  @ObjectType({ isAbstract: true })
  abstract class ConnectionModel {
    @Field(() => [Node]) nodes: T[];
    @Field(() => Int) totalCount: number;
    @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page.' }) endCursor: string | null;
    @Field() hasNextPage: boolean;
  }
  return ConnectionModel;
}
