import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { FaceIndex } from '../../../../libs/recognition/src/index.js';
import { PublicRoute } from '../auth/access.decorators.js';

@Controller('health')
export class HealthController {
  constructor(private readonly index: FaceIndex) {}

  /** 200 once models are loaded, Postgres is migrated and the index is built. */
  @Get()
  @PublicRoute()
  health() {
    if (!this.index.isReady) throw new ServiceUnavailableException({ status: 'starting' });
    return { status: 'ok', model: this.index.modelVersionId, indexedFaces: this.index.size };
  }
}
