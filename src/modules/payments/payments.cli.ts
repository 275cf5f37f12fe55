// `npm run payments -- export|import …`: the exchange files of docs/payments.md#exchange-files from the command
// line, through the same services as the REST routes (built by buildApp, never over HTTP). The caller is the
// holder of a token (--token or ANSINH_TOKEN), checked like any request: the same roles, the same audit events.
// Uses DATABASE_URL when set, else the embedded database in DATA_DIR (stop the service first: an embedded database
// has one user at a time). Exits 0 when done, 1 when rows were rejected or the request refused, 2 on a usage or
// configuration error.
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { finished, pipeline } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import { buildApp } from '../../app.js';
import { cli, parseCliArgs, type Cli } from '../../ops/cli.js';
import { openDatabase } from '../../db/client.js';
import { DomainError } from '../../errors.js';
import { cycleCsv, writeCycleXlsx } from './exchange-files.js';

const HELP = `Usage: npm run payments -- <command> [options]

Commands:
  export <cycleId> --format csv|xlsx --out <file> [--lang vi|en]
      write the payment file of an approved cycle (docs/payments.md#payment-file)
  import <cycleId> <file> [--errors <file>]
      apply a reconciliation file (CSV, or .xlsx); rejected rows go to <file>.errors.csv (or --errors)

Options:
  --token <JWT>  who is acting (default: the ANSINH_TOKEN variable); e.g. npm run -s token -- --role district_officer
  --help         this text`;

const tool = cli('payments');
// Annotated, so that TypeScript narrows after a call (an assertion needs an explicit type).
const fail: Cli['fail'] = tool.fail;
const { values, positionals } = parseCliArgs(tool, HELP, {
  allowPositionals: true,
  options: {
    format: { type: 'string' },
    out: { type: 'string' },
    lang: { type: 'string', default: 'vi' },
    errors: { type: 'string' },
    token: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const [command, cycleId, file] = positionals;
if (command !== 'export' && command !== 'import') fail(`Unknown command "${command ?? ''}": export or import`);
if (!cycleId) fail(`${command} needs a cycle id`);
const lang = values.lang === 'en' ? 'en' : values.lang === 'vi' ? 'vi' : fail('--lang must be vi or en');
if (command === 'export' && values.format !== 'csv' && values.format !== 'xlsx') fail('export needs --format csv or --format xlsx');
if (command === 'export' && !values.out) fail('export needs --out <file>');
if (command === 'import' && !file) fail('import needs the file to read');
const token = values.token ?? process.env.ANSINH_TOKEN;
if (!token) fail('A token is required: --token <JWT> or ANSINH_TOKEN');

const config = tool.config();

const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
const app = await buildApp({ config, database });
const { auth, exchange } = app.services;
let exitCode = 0;
try {
  const principal = await auth.authenticate(`Bearer ${token}`);
  if (command === 'export') {
    const out = values.out ?? '';
    const exp = await exchange.exportCycle(principal, cycleId, lang);
    if (values.format === 'csv') await pipeline(cycleCsv(exp, lang), createWriteStream(out));
    else {
      const stream = createWriteStream(out);
      await writeCycleXlsx(exp, lang, stream);
      await finished(stream);
    }
    console.log(
      `${out}: commune ${exp.communeCode}, ${exp.period}: ${exp.payable.length} lines to pay, ${exp.totals.payableAmount} VND` +
        (exp.recoveries.length ? `; ${exp.recoveries.length} recovery lines (${values.format === 'xlsx' ? 'second sheet' : 'not in a CSV'})` : ''),
    );
  } else {
    const path = file ?? '';
    const body = await readFile(path);
    const format = /\.xlsx$/i.test(path) ? 'xlsx' : 'csv';
    // A bar on a terminal; on a pipe or in a log, a plain line at every tenth of the way (as audit:verify).
    const bar = process.stderr.isTTY
      ? new cliProgress.SingleBar(
          { stream: process.stderr, format: 'rows [{bar}] {percentage}% {value}/{total} {eta_formatted} left' },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    let lastTenth = -1;
    const outcome = await exchange.importReconciliation({ principal, requestId: undefined }, cycleId, { body, format }, (done, total) => {
      if (bar) {
        if (done === 1) bar.start(total, 0);
        bar.update(done);
        return;
      }
      const tenth = Math.floor((done * 10) / total);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        console.log(`rows processed: ${done} of ${total} (${tenth * 10}%)`);
      }
    });
    bar?.stop();
    console.log(`${path}: ${outcome.rows} rows: ${outcome.applied} applied, ${outcome.unchanged} already recorded, ${outcome.rejected} rejected`);
    if (outcome.errorFile) {
      const errors = values.errors ?? `${path}.errors.csv`;
      await writeFile(errors, outcome.errorFile);
      console.log(`rejected rows with their reasons: ${errors}`);
      exitCode = 1;
    }
  }
} catch (err) {
  if (!(err instanceof DomainError)) throw err;
  console.error(`${err.code}: ${err.text.en}\n${err.text.vi}`);
  exitCode = 1;
} finally {
  await app.close();
  await database.close();
}
process.exit(exitCode);
