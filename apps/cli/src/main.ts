#!/usr/bin/env node
import 'reflect-metadata';
import { Command } from 'commander';
import { registerAuditCommands } from './commands/audit';
import { registerServeCommands } from './commands/serve';
import { registerTokenCommands } from './commands/token';
import { registerX509Commands } from './commands/x509';

const program = new Command('tokenless')
  .description('Tokenless Registry: X.509 tokenless authorization, event-sourced')
  .showHelpAfterError();

registerServeCommands(program);
registerX509Commands(program);
registerTokenCommands(program);
registerAuditCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`tokenless: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
