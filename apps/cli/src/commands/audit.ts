import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { configFromEnv } from '../../../api/src/config';
import { createDataSource } from '../../../../libs/store/src';
import {
  AuditExport,
  verifyHashChain,
  writeExport,
  type ExportFormat,
  type ExportManifest,
} from '../../../worker/src/audit-export';

function instant(name: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  const d = new Date(value);
  if (!/(?:[zZ]|[+-]\d\d(?::?\d\d)?)$|^\d{4}-\d\d-\d\d$/.test(value) || Number.isNaN(d.getTime())) {
    throw new Error(`--${name} must be an ISO 8601 instant with a time zone, got ${value}`);
  }
  return d.toISOString();
}

async function withDatabase<T>(work: (ds: ReturnType<typeof createDataSource>) => Promise<T>): Promise<T> {
  const config = configFromEnv();
  if (!config.databaseUrl) throw new Error('audit commands need DATABASE_URL');
  const ds = createDataSource({ url: config.databaseUrl, poolSize: 2 });
  await ds.initialize();
  try {
    return await work(ds);
  } finally {
    await ds.destroy();
  }
}

function progressBar(enabled: boolean, label: string): SingleBar | undefined {
  if (!enabled) return undefined;
  return new SingleBar({ format: `${label} [{bar}] {value}/{total} rows`, stream: process.stderr }, Presets.shades_classic);
}

/** Where in an export the file first differs from what the database produces again for its plan. */
async function firstDifference(exp: AuditExport, file: string): Promise<{ position: number | null; row: number } | null> {
  const input = createReadStream(file);
  const reader = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let pending = Buffer.alloc(0);
  let ended = false;
  const take = async (n: number): Promise<Buffer> => {
    while (pending.length < n && !ended) {
      const next = await reader.next();
      if (next.done) ended = true;
      else pending = Buffer.concat([pending, next.value]);
    }
    const out = pending.subarray(0, n);
    pending = pending.subarray(out.length);
    return out;
  };
  let row = 0;
  try {
    for await (const { text, position } of exp.chunks()) {
      const expected = Buffer.from(text, 'utf8');
      const actual = await take(expected.length);
      if (!actual.equals(expected)) return { position, row };
      row++;
    }
    const rest = await take(1);
    return rest.length > 0 ? { position: null, row } : null;
  } finally {
    input.destroy();
  }
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('compliance exports and integrity checks (DATABASE_URL)');

  audit
    .command('export')
    .description('write the change history and grant timeline to FILE, and FILE.manifest.json beside it')
    .requiredOption('--out <file>', 'the export file')
    .option('--from <instant>', 'ISO 8601 start (inclusive)')
    .option('--to <instant>', 'ISO 8601 end (exclusive)')
    .option('--format <format>', 'csv or jsonl', 'csv')
    .option('--no-progress', 'no progress bar')
    .action(async (opts: { out: string; from?: string; to?: string; format: string; progress: boolean }) => {
      if (opts.format !== 'csv' && opts.format !== 'jsonl') throw new Error('--format must be csv or jsonl');
      const from = instant('from', opts.from);
      const to = instant('to', opts.to);
      await withDatabase(async (ds) => {
        const exp = await AuditExport.open(ds, { format: opts.format as ExportFormat, from, to });
        const bar = progressBar(opts.progress && process.stderr.isTTY === true, 'export');
        bar?.start(exp.plan.position_range.to, 0);
        const out = createWriteStream(opts.out);
        try {
          const manifest = await writeExport(
            exp,
            async (chunk) => {
              if (!out.write(chunk)) await once(out, 'drain');
            },
            (rows) => bar?.update(rows, { total: Math.max(rows, exp.plan.position_range.to) }),
          );
          out.end();
          await once(out, 'finish');
          bar?.stop();
          writeFileSync(`${opts.out}.manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
          console.log(JSON.stringify({ file: opts.out, rows: manifest.rows, sha256: manifest.sha256 }));
        } finally {
          await exp.close();
        }
      });
    });

  audit
    .command('verify')
    .description('recompute the event hash chain; with --export, check FILE against its manifest and the log')
    .option('--export <file>', 'an export written by `audit export`')
    .action(async (opts: { export?: string }) => {
      const report = await withDatabase(async (ds) => {
        const chain = await verifyHashChain(ds);
        const result: Record<string, unknown> = { chain };
        let ok = chain.ok;
        if (opts.export) {
          const manifest = JSON.parse(readFileSync(`${opts.export}.manifest.json`, 'utf8')) as ExportManifest;
          const sha = createHash('sha256');
          for await (const chunk of createReadStream(opts.export)) sha.update(chunk as Buffer);
          const digest = sha.digest('hex');
          const exp = await AuditExport.open(ds, {
            plan: {
              format: manifest.format,
              filters: manifest.filters,
              position_range: manifest.position_range,
              hash_chain_head: manifest.hash_chain_head,
              timeline_through: manifest.timeline_through,
            },
          });
          let difference;
          try {
            difference = await firstDifference(exp, opts.export);
          } finally {
            await exp.close();
          }
          const exportOk = digest === manifest.sha256 && difference === null;
          ok &&= exportOk;
          result.export = {
            ok: exportOk,
            sha256_matches_manifest: digest === manifest.sha256,
            first_tampered_position: difference?.position ?? null,
            first_tampered_row: difference?.row ?? null,
          };
        }
        result.ok = ok;
        return result;
      });
      console.log(JSON.stringify(report));
      if (!report.ok) process.exitCode = 1;
    });
}
