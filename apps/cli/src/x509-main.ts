/**
 * A CLI with only the x509 commands, for testing them while the main
 * `tokenless` program is assembled elsewhere.
 */
import { Command } from 'commander';
import { registerX509Commands } from './commands/x509';

const program = new Command('tokenless');
registerX509Commands(program);
program.parse(process.argv);
