import type { ApiKeyRole } from '../../database/src/index.js';

export type Role = ApiKeyRole;

/** Roles from least to most powerful; each includes what the ones before it may do. */
export const ROLES: readonly Role[] = ['reader', 'operator', 'admin'];

/** Who is calling: the key (null when authentication is disabled and none was sent), its tenant and role. */
export interface Principal {
  keyId: string | null;
  tenantId: string;
  tenantName: string;
  role: Role;
}

export const roleAllows = (have: Role, need: Role): boolean => ROLES.indexOf(have) >= ROLES.indexOf(need);
