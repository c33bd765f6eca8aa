import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { Observable, TimeoutError, catchError, throwError, timeout } from 'rxjs';
import { DomainException, ErrorCode } from '../../../../libs/common/src/index.js';
import { AppConfig } from '../../../../libs/config/src/index.js';

/**
 * Answers a query that runs past REQUEST_TIMEOUT_MS with TIMEOUT. Mutations are left to finish:
 * abandoning one whose transaction then commits would tell the client it failed when it did not.
 */
@Injectable()
export class QueryTimeoutInterceptor implements NestInterceptor {
  constructor(private readonly config: AppConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType<string>() !== 'graphql') return next.handle();
    if (GqlExecutionContext.create(context).getInfo().operation.operation !== 'query') return next.handle();
    const ms = this.config.requestTimeoutMs;
    return next.handle().pipe(
      timeout(ms),
      catchError((error: unknown) =>
        throwError(() => (error instanceof TimeoutError ? new DomainException(ErrorCode.TIMEOUT, `The query ran longer than ${ms} ms`) : error)),
      ),
    );
  }
}
