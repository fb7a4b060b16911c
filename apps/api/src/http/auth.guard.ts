import { createHash, timingSafeEqual } from 'node:crypto';
import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  ForbiddenException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { GENERIC_401 } from '../../../../libs/domain/src';
import { REGISTRY_CONFIG, type RegistryConfig } from '../config';
import { RegistryIndexService } from '../registry/registry-index.service';
import { secretSha256 } from '../tokens/secrets';
import type { RegistryRole } from './request-context';

export type Access = 'public' | RegistryRole;
const ACCESS_KEY = 'registry:access';

/**
 * The least role a route needs. Without it, reads need `reader` and every
 * other method needs `admin`.
 */
export const RequireAccess = (access: Access) => SetMetadata(ACCESS_KEY, access);

const RANK: Record<RegistryRole, number> = { reader: 1, auditor: 2, admin: 3 };

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

@Injectable()
export class AuthGuard implements CanActivate {
  private readonly adminDigest?: Buffer;

  constructor(
    private readonly reflector: Reflector,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
    private readonly registry: RegistryIndexService,
  ) {
    if (config.adminToken) this.adminDigest = digest(config.adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const declared = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    const needed: Access = declared ?? (req.method === 'GET' || req.method === 'HEAD' ? 'reader' : 'admin');
    if (needed === 'public') return true;

    const token = req.headers['x-auth-token'];
    if (typeof token !== 'string' || token === '') {
      throw new UnauthorizedException({ message: GENERIC_401, reason: 'token_missing' });
    }
    // Compare digests so the comparison takes the same time whatever the token.
    const apiToken = this.apiToken(token);
    if (apiToken) {
      req.caller = { name: apiToken.name, kind: 'token', role: apiToken.role };
    } else if (this.adminDigest && timingSafeEqual(digest(token), this.adminDigest)) {
      req.caller = { name: 'admin-token', kind: 'token', role: 'admin' };
    } else {
      throw new UnauthorizedException({ message: GENERIC_401, reason: 'token_invalid' });
    }
    if (RANK[req.caller.role] < RANK[needed]) {
      throw new ForbiddenException({
        message: `You are not authorized to perform the requested action: needs the ${needed} role.`,
        reason: 'insufficient_role',
      });
    }
    return true;
  }

  /** A registry API token in force, found by the SHA-256 of the presented secret. */
  private apiToken(secret: string) {
    const id = this.registry.state.apiTokenIdBySecretHash.get(secretSha256(secret));
    return id === undefined ? undefined : this.registry.state.apiTokens.get(id);
  }
}
