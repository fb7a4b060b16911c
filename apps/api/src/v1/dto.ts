import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';

export class TokenlessSettingsDto {
  @IsArray() @ArrayMaxSize(1000) @IsString({ each: true }) trusted_issuer!: string[];
  @IsOptional() @IsString() @Length(1, 255) protocol?: string;
  @IsOptional() @IsString() @Length(1, 255) issuer_attribute?: string;
}

export class TrustedIssuerDto {
  @IsString() @Length(1, 4096) issuer!: string;
}

export class AuthorizeDto {
  @IsOptional() @IsObject() env?: Record<string, unknown>;
  @IsOptional() @IsObject() headers?: Record<string, unknown>;
  /** A PEM client certificate; the registry derives `env` as `terminator` would. */
  @IsOptional() @IsString() @MaxLength(65536) certificate?: string;
  @IsOptional() @IsString() @MaxLength(64) terminator?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) min_position?: number;
}

export class EvaluateDto {
  @ValidateIf((o: EvaluateDto) => o.mapping_id === undefined) @IsDefined() rules?: unknown;
  @IsOptional() @IsString() mapping_id?: string;
  @IsObject() assertion!: Record<string, unknown>;
}
