import { userInfo } from 'node:os';
import type { Command } from 'commander';
import {
  API_TOKEN_ROLES,
  DomainError,
  RegistryState,
  decide,
  type ApiTokenRole,
  type EventMetadata,
  type RegistryCommand,
} from '../../../../libs/domain/src';
import { EventStore, createDataSource, migrate } from '../../../../libs/store/src';
import { configFromEnv } from '../../../api/src/config';
import { mintApiToken, presentApiToken } from '../../../api/src/tokens/secrets';

/**
 * Decides and appends one change straight to the log, the way the API does
 * (under the append lock, on state caught up to the head), so the first
 * admin token can be made before any token exists.
 */
async function withLog<T>(work: (state: RegistryState, record: (c: RegistryCommand, reason?: string) => Promise<void>) => Promise<T>): Promise<T> {
  const config = configFromEnv();
  if (!config.databaseUrl) throw new Error('token commands need DATABASE_URL (the registry\'s database)');
  // Two connections: migrating holds one for its lock while it runs on the other.
  const ds = createDataSource({ url: config.databaseUrl, poolSize: 2 });
  await ds.initialize();
  try {
    await migrate(ds);
    const store = new EventStore(ds);
    const state = RegistryState.withDefaultDomain();
    const catchUp = async (read: (from: number) => Promise<import('../../../../libs/domain/src').RecordedEvent[]>) => {
      for (;;) {
        const batch = await read(state.position);
        for (const e of batch) state.applyRecorded(e);
        if (batch.length < 10_000) return;
      }
    };
    await catchUp((from) => store.readAfter(from));
    const record = async (change: RegistryCommand, reason?: string) => {
      const metadata: EventMetadata = {
        actor: `cli:${userInfo().username}`,
        actor_kind: 'system',
        ...(reason ? { reason } : {}),
      };
      await store.transaction(async (tx) => {
        await tx.lock();
        await catchUp((from) => tx.readAfter(from));
        const events = decide(state, change).map((e) => ({ ...e, version: state.version(e.stream) + 1 }));
        for (const e of await tx.append(events, metadata)) state.applyRecorded(e);
      });
    };
    return await work(state, record);
  } finally {
    await ds.destroy();
  }
}

function fail(err: unknown): never {
  if (err instanceof DomainError) {
    console.error(`tokenless: ${err.message} (${err.reason})`);
    process.exit(1);
  }
  throw err;
}

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('registry API tokens (X-Auth-Token), recorded in DATABASE_URL');

  token
    .command('create')
    .description('create a token and print its secret once (only its SHA-256 is stored)')
    .requiredOption('--name <name>', 'who holds it: recorded as the actor of every change it makes')
    .requiredOption('--role <role>', `one of ${API_TOKEN_ROLES.join(', ')}`)
    .option('--reason <text>', 'why, kept in the history')
    .option('--json', 'print JSON')
    .action(async (opts: { name: string; role: string; reason?: string; json?: boolean }) => {
      if (!API_TOKEN_ROLES.includes(opts.role as ApiTokenRole)) {
        console.error(`tokenless: --role must be one of ${API_TOKEN_ROLES.join(', ')}`);
        process.exit(2);
      }
      const { token: created, secret } = mintApiToken(opts.name, opts.role as ApiTokenRole);
      await withLog((_, record) => record({ kind: 'CreateApiToken', token: created }, opts.reason)).catch(fail);
      if (opts.json) console.log(JSON.stringify({ ...presentApiToken(created), secret }));
      else console.log(`id: ${created.id}\nname: ${created.name}\nrole: ${created.role}\nsecret: ${secret}`);
    });

  token
    .command('list')
    .description('list tokens in force (never their secrets)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const tokens = await withLog(async (state) => [...state.apiTokens.values()].map(presentApiToken));
      if (opts.json) console.log(JSON.stringify(tokens));
      else for (const t of tokens) console.log(`${t.id}  ${t.role.padEnd(7)}  ${t.name}`);
    });

  token
    .command('revoke <id>')
    .description('revoke a token by id')
    .option('--reason <text>', 'why, kept in the history')
    .action(async (id: string, opts: { reason?: string }) => {
      await withLog((_, record) => record({ kind: 'RevokeApiToken', id }, opts.reason)).catch(fail);
      console.log(`revoked ${id}`);
    });
}
