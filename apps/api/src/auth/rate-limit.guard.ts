import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { DomainException, ErrorCode } from '../../../../libs/common/src/index.js';
import { AppConfig } from '../../../../libs/config/src/index.js';
import { requestOf } from './access.decorators.js';
import { RateLimiter } from './rate-limiter.js';

/**
 * RATE_LIMIT requests per API key (per client address for keyless local use) per window, counted
 * per GraphQL root field, so aliasing many fields into one request spends as many. Runs after the
 * AccessGuard, which identified the key. (Our own: @nestjs/throttler 6 is CommonJS requiring
 * Nest 12's ESM-only packages, which jest cannot load on Node 20.)
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly limiter: RateLimiter;

  constructor(private readonly config: AppConfig) {
    this.limiter = new RateLimiter(config.rateLimit.limit, config.rateLimit.windowMs);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.config.rateLimit.limit === 0 || context.getType<string>() !== 'graphql') return true;
    const req = requestOf(context);
    const tracker = req.principal?.keyId ? `key:${req.principal.keyId}` : `ip:${req.ip}`;
    const { allowed, retryAfterSeconds } = this.limiter.hit(tracker);
    if (!allowed) {
      const { limit, windowMs } = this.config.rateLimit;
      throw new DomainException(ErrorCode.RATE_LIMITED, `Rate limit of ${limit} requests per ${windowMs / 1000} s reached; retry in ${retryAfterSeconds} s`, {
        limit,
        retryAfterSeconds,
      });
    }
    return true;
  }
}
