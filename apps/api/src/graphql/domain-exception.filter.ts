import { Catch } from '@nestjs/common';
import { GqlExceptionFilter } from '@nestjs/graphql';
import { DomainException } from '../../../../libs/common/src/index.js';

/**
 * Domain exceptions are answers (NO_FACE, NOT_FOUND…), not faults: hand them to GraphQL as the
 * field's error without Nest logging a stack trace for each. `formatGraphqlError` maps them.
 */
@Catch(DomainException)
export class DomainExceptionFilter implements GqlExceptionFilter {
  catch(exception: DomainException): DomainException {
    return exception;
  }
}
