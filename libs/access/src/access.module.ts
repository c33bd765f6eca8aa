import { Module } from '@nestjs/common';
import { ConfigModule } from '../../config/src/index.js';
import { DatabaseModule } from '../../database/src/index.js';
import { ApiKeyService } from './api-key.service.js';
import { AuditService } from './audit.service.js';

/** API keys, tenants and the audit trail. Transports decide when to authenticate and what to record. */
@Module({
  imports: [ConfigModule, DatabaseModule],
  providers: [ApiKeyService, AuditService],
  exports: [ApiKeyService, AuditService],
})
export class AccessModule {}
