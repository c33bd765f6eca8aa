import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import { ApiKeyService, AuditService, Principal, Role, roleAllows } from '../../../../libs/access/src/index.js';
import { DomainException, ErrorCode } from '../../../../libs/common/src/index.js';
import { AppConfig } from '../../../../libs/config/src/index.js';
import { AuthenticatedRequest, PUBLIC_ROUTE, REQUIRED_ROLE, requestOf } from './access.decorators.js';

/**
 * Authenticates the request once (Bearer API key; without one, the default tenant's admin when
 * authentication is disabled) and checks the role each GraphQL root field requires. Fails closed:
 * a field that declares no role is refused. Refusals of known keys are audited.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly logger = new Logger(AccessGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
    private readonly keys: ApiKeyService,
    private readonly audit: AuditService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()])) return true;
    const required = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]);
    const operation = this.operationName(context);
    if (!required) throw new DomainException(ErrorCode.FORBIDDEN, `${operation} declares no role and is refused`);
    const principal = await this.principalOf(requestOf(context));
    if (!roleAllows(principal.role, required)) {
      await this.audit.record({
        tenantId: principal.tenantId, keyId: principal.keyId, action: operation, outcome: 'denied',
        errorCode: ErrorCode.FORBIDDEN, galleryId: null, targetId: null, durationMs: 0, details: null,
      });
      throw new DomainException(ErrorCode.FORBIDDEN, `${operation} needs the ${required} role; this key is ${principal.role}`, { required, role: principal.role });
    }
    return true;
  }

  private async principalOf(req: AuthenticatedRequest): Promise<Principal> {
    if (req.principal) return req.principal;
    const authorization = req.headers.authorization;
    if (authorization) {
      req.principal = await this.keys.authenticate(authorization).catch((error: unknown) => {
        this.logger.warn(`Refused an API key from ${req.ip}`);
        throw error;
      });
    } else if (this.config.auth.required) {
      throw new DomainException(ErrorCode.UNAUTHENTICATED, 'Send an API key: `Authorization: Bearer <key>`');
    } else {
      req.principal = await this.keys.anonymousPrincipal();
    }
    return req.principal;
  }

  private operationName(context: ExecutionContext): string {
    return context.getType<string>() === 'graphql' ? GqlExecutionContext.create(context).getInfo().fieldName : context.getHandler().name;
  }
}
