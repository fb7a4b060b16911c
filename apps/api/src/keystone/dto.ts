import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

const ID = /^[a-zA-Z0-9_\-.~]+$/;

export class DomainDto {
  @IsOptional() @IsString() @Length(1, 64) @Matches(ID) id?: string;
  @IsOptional() @IsString() @Length(1, 64) name?: string;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() description?: string | null;
  @IsOptional() @IsBoolean() enabled?: boolean;
  @IsOptional() @IsArray() @IsString({ each: true }) tags?: string[];
  @IsOptional() @IsObject() options?: Record<string, unknown>;
}
export class DomainBody {
  @IsDefined() @ValidateNested() @Type(() => DomainDto) domain!: DomainDto;
}

export class ProjectDto {
  @IsOptional() @IsString() @Length(1, 64) @Matches(ID) id?: string;
  @IsOptional() @IsString() @Length(1, 64) name?: string;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() domain_id?: string | null;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() parent_id?: string | null;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() description?: string | null;
  @IsOptional() @IsBoolean() enabled?: boolean;
  @IsOptional() @IsBoolean() is_domain?: boolean;
  @IsOptional() @IsArray() @IsString({ each: true }) tags?: string[];
  @IsOptional() @IsObject() options?: Record<string, unknown>;
}
export class ProjectBody {
  @IsDefined() @ValidateNested() @Type(() => ProjectDto) project!: ProjectDto;
}

export class UserDto {
  @IsOptional() @IsString() @Length(1, 64) @Matches(ID) id?: string;
  @IsOptional() @IsString() @Length(1, 255) name?: string;
  @IsOptional() @IsString() domain_id?: string;
  @IsOptional() @IsBoolean() enabled?: boolean;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() default_project_id?: string | null;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() password?: string | null;
  @IsOptional() @IsObject() options?: Record<string, unknown>;
}
export class UserBody {
  @IsDefined() @ValidateNested() @Type(() => UserDto) user!: UserDto;
}

export class GroupDto {
  @IsOptional() @IsString() @Length(1, 64) @Matches(ID) id?: string;
  @IsOptional() @IsString() @Length(1, 64) name?: string;
  @IsOptional() @IsString() domain_id?: string;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() description?: string | null;
}
export class GroupBody {
  @IsDefined() @ValidateNested() @Type(() => GroupDto) group!: GroupDto;
}

export class RoleDto {
  @IsOptional() @IsString() @Length(1, 64) @Matches(ID) id?: string;
  @IsOptional() @IsString() @Length(1, 255) name?: string;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() domain_id?: string | null;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() description?: string | null;
  @IsOptional() @IsObject() options?: Record<string, unknown>;
}
export class RoleBody {
  @IsDefined() @ValidateNested() @Type(() => RoleDto) role!: RoleDto;
}

export class IdentityProviderDto {
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() domain_id?: string | null;
  @IsOptional() @IsBoolean() enabled?: boolean;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() description?: string | null;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsArray() @IsString({ each: true }) remote_ids?: string[] | null;
  @IsOptional() @ValidateIf((_, v) => v !== null) authorization_ttl?: number | null;
}
export class IdentityProviderBody {
  @IsDefined() @ValidateNested() @Type(() => IdentityProviderDto) identity_provider!: IdentityProviderDto;
}

export class MappingOptionsDto {
  @IsOptional() @IsBoolean() filtered_values_gate_rule?: boolean;
}
export class MappingDto {
  @IsDefined() rules!: unknown;
  @IsOptional() @ValidateNested() @Type(() => MappingOptionsDto) options?: MappingOptionsDto;
}
export class MappingBody {
  @IsDefined() @IsObject() mapping!: MappingDto;
}

export class ProtocolDto {
  @IsString() @Length(1, 64) mapping_id!: string;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() remote_id_attribute?: string | null;
}
export class ProtocolBody {
  @IsDefined() @ValidateNested() @Type(() => ProtocolDto) protocol!: ProtocolDto;
}

export const ROLE_ASSIGNMENT_TARGETS = ['projects', 'domains'] as const;
export const ROLE_ASSIGNMENT_ACTORS = ['users', 'groups'] as const;
export class TargetParam {
  @IsIn(ROLE_ASSIGNMENT_TARGETS) target!: string;
}
