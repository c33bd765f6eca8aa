import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
import { AuditService } from '../../../../libs/access/src/index.js';
import { DomainException, ErrorCode } from '../../../../libs/common/src/index.js';
import { requestOf } from '../auth/access.decorators.js';

type Args = Record<string, unknown> & { input?: Record<string, unknown> };
type Result = Record<string, unknown> | null | undefined;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const asUuid = (value: unknown): string | null => (typeof value === 'string' && UUID.test(value) ? value : null);

/**
 * Records every GraphQL root field in the audit log once it has an outcome: who (key, tenant), what
 * (field name, gallery, target id), when, how long and how it ended. Only ids and counts are kept,
 * never images, embeddings, names or external ids, so the trail may outlive an erasure.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger(AuditInterceptor.name);

  constructor(private readonly audit: AuditService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType<string>() !== 'graphql') return next.handle();
    const gql = GqlExecutionContext.create(context);
    const principal = requestOf(context).principal;
    if (!principal) return next.handle();
    const args = gql.getArgs<Args>();
    const action = gql.getInfo().fieldName;
    const started = performance.now();
    const record = (outcome: 'ok' | 'error', result: Result, errorCode: string | null) =>
      this.audit
        .record({
          tenantId: principal.tenantId,
          keyId: principal.keyId,
          action,
          outcome,
          errorCode,
          galleryId: asUuid(args.galleryId ?? args.input?.galleryId),
          targetId: asUuid(args.id) ?? targetOf(result),
          durationMs: Math.round(performance.now() - started),
          details: detailsOf(result),
        })
        // The operation's outcome stands even if its audit entry cannot be written: say so loudly.
        .catch((error: Error) => this.logger.error(`Audit entry for ${action} not written: ${error.message}`));
    return next.handle().pipe(
      mergeMap((result: Result) => from(record('ok', result, null).then(() => result))),
      catchError((error: unknown) =>
        from(record('error', null, error instanceof DomainException ? error.code : ErrorCode.INTERNAL)).pipe(mergeMap(() => throwError(() => error))),
      ),
    );
  }
}

/** The id a mutation created or removed (gallery, identity of an enrollment, API key, erasure). */
function targetOf(result: Result): string | null {
  if (!result) return null;
  const nested = (key: string) => (result[key] as Result)?.id;
  return asUuid(result.id) ?? asUuid(nested('identity')) ?? asUuid(nested('apiKey'));
}

/** Counts and matched identity ids: what an auditor needs to answer "who was identified, by whom". */
function detailsOf(result: Result): Record<string, unknown> | null {
  if (!result) return null;
  if (Array.isArray(result.faces)) {
    const faces = result.faces as { decision?: string; candidates?: { identity: { id: string } }[] }[];
    const matched = faces.filter((f) => f.decision === 'MATCH').map((f) => f.candidates![0].identity.id);
    return { faces: faces.length, ...(faces.some((f) => f.decision) ? { matchedIdentityIds: matched } : {}) };
  }
  if (typeof result.same === 'boolean') return { same: result.same };
  for (const key of ['deletedFaces', 'erasedFaces']) if (typeof result[key] === 'number') return { [key]: result[key] };
  // Model ids are not uuids: a registered, read or activated model is named here.
  const model = (result.model as Result) ?? result;
  if (typeof model.sha256 === 'string') return { modelId: model.id };
  return null;
}
