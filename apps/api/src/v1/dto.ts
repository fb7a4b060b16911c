import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsObject,
  IsOptional,
  IsString,
  Length,
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

/** `rules` or `mapping_id`, never both (checkEvaluateFields), and the assertion to map. */
export class EvaluateDto {
  @ValidateIf((o: EvaluateDto) => o.mapping_id === undefined) @IsDefined() rules?: unknown;
  @IsOptional() @IsString() mapping_id?: string;
  @IsObject() assertion!: Record<string, unknown>;
}

export class TrackIdentityDto {
  /** A PEM client certificate; the identity's environment is what Apache would set for it. */
  @IsOptional() @IsString() @Length(1, 65536) certificate?: string;
  /** Or the SSL_CLIENT_* environment itself. */
  @IsOptional() @IsObject() env?: Record<string, unknown>;
  @IsOptional() @IsString() @Length(1, 255) label?: string;
}
