import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { EventStore } from '../../../libs/store/src';
import { REGISTRY_CONFIG, type RegistryConfig } from './config';
import { AuthGuard } from './http/auth.guard';
import { KeystoneErrorFilter } from './http/error.filter';
import { FederationController } from './keystone/federation.controller';
import {
  DomainsController,
  GroupsController,
  ProjectsController,
  UsersController,
} from './keystone/identity.controller';
import { GrantsController, RolesController } from './keystone/roles.controller';
import { VersionController } from './keystone/version.controller';
import { ChangesService } from './registry/changes.service';
import { RecordChangeHandler } from './registry/record-change';
import { PointInTimeService } from './registry/point-in-time.service';
import { RegistryIndexService } from './registry/registry-index.service';
import { SeenDecisionsService } from './registry/seen-decisions.service';
import { ForwardAuthController } from './v1/forward-auth.controller';
import { ClientCertificateService } from './http/client-certificate';
import { AuditController } from './v1/audit.controller';
import { HistoryController } from './v1/history.controller';
import { MappingsController } from './v1/mappings.controller';
import { TokenlessController } from './v1/tokenless.controller';
import { TokensController } from './tokens/tokens.controller';

@Module({})
export class AppModule {
  static register(config: RegistryConfig, dataSource: DataSource): DynamicModule {
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot()],
      controllers: [
        VersionController,
        DomainsController,
        ProjectsController,
        UsersController,
        GroupsController,
        RolesController,
        FederationController,
        TokenlessController,
        ForwardAuthController,
        MappingsController,
        HistoryController,
        TokensController,
        AuditController,
        // Last: its parametric routes must not shadow the static ones above.
        GrantsController,
      ],
      providers: [
        { provide: REGISTRY_CONFIG, useValue: config },
        { provide: DataSource, useValue: dataSource },
        { provide: EventStore, useFactory: () => new EventStore(dataSource) },
        RegistryIndexService,
        PointInTimeService,
        SeenDecisionsService,
        RecordChangeHandler,
        ChangesService,
        ClientCertificateService,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useFactory: () => new KeystoneErrorFilter(config.insecureDebug) },
      ],
    };
  }
}
