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
import { CertificateAuth, INSUFFICIENT_ROLE, insufficientRoleMessage } from './certificate-auth';
import { ClientCertificateService } from './client-certificate';
import type { Caller, RegistryRole } from './request-context';

export type Access = 'public' | RegistryRole;
const ACCESS_KEY = 'registry:access';

/**
 * The least role a route needs. Without it, reads need `reader` and every
 * other method needs `admin`.
 */
export const RequireAccess = (access: Access) => SetMetadata(ACCESS_KEY, access);

const RANK: Record<RegistryRole, number> = { reader: 1, auditor: 2, admin: 3 };
/** Whoever presents the start-up admin token (one object, since nothing changes it). */
const ADMIN_TOKEN_CALLER: Caller = Object.freeze({ name: 'admin-token', kind: 'token', role: 'admin' });

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Longest token compared byte for byte; longer ones are compared by digest. */
const TOKEN_SLOT = 256;

/** The token in a fixed-size slot (zero-padded), so comparing slots takes the same time whatever the token. */
function slot(value: string, into: Buffer): boolean {
  into.fill(0);
  return into.write(value, 'utf8') === Buffer.byteLength(value, 'utf8');
}

@Injectable()
export class AuthGuard implements CanActivate {
  private readonly adminDigest?: Buffer;
  private readonly adminSlot = Buffer.alloc(TOKEN_SLOT);
  private adminFitsSlot = false;
  private readonly scratch = Buffer.alloc(TOKEN_SLOT);
  /** Rights from a client certificate's own roles on the registry project (REGISTRY_AUTH_PROJECT). */
  private readonly certificateAuth?: CertificateAuth;

  constructor(
    private readonly reflector: Reflector,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
    private readonly registry: RegistryIndexService,
    certificates: ClientCertificateService,
  ) {
    if (config.adminToken) {
      this.adminDigest = digest(config.adminToken);
      this.adminFitsSlot = slot(config.adminToken, this.adminSlot);
    }
    if (config.registryProject) this.certificateAuth = new CertificateAuth(config.registryProject, registry, certificates);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const declared = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    const needed: Access = declared ?? (req.method === 'GET' || req.method === 'HEAD' ? 'reader' : 'admin');
    return this.admit(req, needed);
  }

  /**
   * Establishes the caller and checks it holds `needed`; throws 401 or 403.
   * The caller is its X-Auth-Token's; without one, with REGISTRY_AUTH_PROJECT
   * set, its client certificate's roles on the registry project.
   * Routes served outside Nest's pipeline (the authorize hot path) call it directly.
   */
  admit(req: FastifyRequest, needed: Access): true {
    if (needed === 'public') return true;

    const token = req.headers['x-auth-token'];
    if (typeof token !== 'string' || token === '') {
      if (!this.certificateAuth) throw new UnauthorizedException({ message: GENERIC_401, reason: 'token_missing' });
      // No token: the client certificate may carry registry rights (a token, when present, always wins).
      const caller = this.certificateAuth.caller(req, needed);
      req.caller = caller;
      if (RANK[caller.role] < RANK[needed]) {
        this.certificateAuth.refuseRole(req, caller, needed);
        throw new ForbiddenException({ message: insufficientRoleMessage(needed), reason: INSUFFICIENT_ROLE });
      }
      return true;
    }
    // The start-up admin token first: it is compared without hashing, which keeps it off the hot path.
    const apiToken = this.isAdminToken(token) ? 'admin-token' : this.apiToken(token);
    if (apiToken === 'admin-token') {
      req.caller = ADMIN_TOKEN_CALLER;
    } else if (apiToken) {
      req.caller = { name: apiToken.name, kind: 'token', role: apiToken.role };
    } else {
      throw new UnauthorizedException({ message: GENERIC_401, reason: 'token_invalid' });
    }
    if (RANK[req.caller.role] < RANK[needed]) {
      throw new ForbiddenException({ message: insufficientRoleMessage(needed), reason: INSUFFICIENT_ROLE });
    }
    return true;
  }

  /**
   * Constant-time comparison with the admin token: in a fixed-size slot
   * (no hashing on the hot path) when both fit, by SHA-256 digest otherwise.
   */
  private isAdminToken(token: string): boolean {
    if (!this.adminDigest) return false;
    if (this.adminFitsSlot && token.length <= TOKEN_SLOT) {
      // Header values cannot hold NUL, so equal zero-padded slots mean equal tokens.
      const fits = slot(token, this.scratch);
      return timingSafeEqual(this.scratch, this.adminSlot) && fits;
    }
    return timingSafeEqual(digest(token), this.adminDigest);
  }

  /** A registry API token in force, found by the SHA-256 of the presented secret. */
  private apiToken(secret: string) {
    const id = this.registry.state.apiTokenIdBySecretHash.get(secretSha256(secret));
    return id === undefined ? undefined : this.registry.state.apiTokens.get(id);
  }
}
