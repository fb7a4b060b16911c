import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsObject, IsString, Length, ValidateNested } from 'class-validator';
import { API_TOKEN_ROLES } from '../../../../libs/domain/src';

export class ApiTokenInputDto {
  @IsString() @Length(1, 64) name!: string;
  @IsIn(API_TOKEN_ROLES as string[]) role!: string;
}

/** `{"token": {"name": ..., "role": "admin" | "auditor" | "reader"}}` */
export class CreateApiTokenDto {
  @IsDefined() @IsObject() @ValidateNested() @Type(() => ApiTokenInputDto) token!: ApiTokenInputDto;
}
