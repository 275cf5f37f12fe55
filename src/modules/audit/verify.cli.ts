// `npm run audit:verify [-- --anchor] [--batch N]`: walks every chain of the audit log, recomputing each hash and
// link and checking the roots. Exits 0 when intact, 1 naming the first broken event, 2 on a usage or configuration
// error. Uses DATABASE_URL when set, else the embedded database in DATA_DIR (stop the service first: an embedded
// database has one user at a time).
import cliProgress from 'cli-progress';
import { cli, parseCliArgs, type Cli } from '../../ops/cli.js';
import { openDatabase } from '../../db/client.js';
import { anchorRoot, verifyChain, type AuditChainBreak } from './audit.service.js';

const HELP = `Usage: npm run audit:verify -- [options]

Recomputes every hash chain of the audit log and checks it against the roots. Exits 0 when intact,
1 naming the first broken event, 2 on a usage or configuration error.

Options:
  --anchor       when intact, record a root anchoring the heads just verified (run it daily, e.g. from cron)
  --batch <n>    events read per query (default 5000)
  --help         this text`;

const tool = cli('audit:verify');
// Annotated, so that TypeScript narrows after a call (an assertion needs an explicit type).
const fail: Cli['fail'] = tool.fail;

const WHAT_DIFFERS: Record<AuditChainBreak['problem'], string> = {
  BROKEN_LINK: 'broken link: its previous hash is not the hash of the event before it in the chain (an event was deleted, inserted or moved)',
  HASH_MISMATCH: 'hash mismatch: its content no longer gives its hash (the event was edited)',
  ROOT_MISMATCH: 'root mismatch: its hash is not the one a root recorded (the chain was edited and re-hashed at or before it)',
  MISSING_EVENT: 'missing event: a root names it but its chain no longer has it (the chain was cut short)',
};

const { values } = parseCliArgs(tool, HELP, {
  options: {
    anchor: { type: 'boolean', default: false },
    batch: { type: 'string', default: '5000' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const batchSize = Number(values.batch);
if (!Number.isInteger(batchSize) || batchSize < 1) fail(`--batch must be a positive integer, not "${values.batch}"`);

const config = tool.config();

const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
const started = Date.now();
// A bar on a terminal; on a pipe or in a log, a plain line at every tenth of the way (a bar's redraws would
// fill a log with control characters).
const bar = process.stderr.isTTY
  ? new cliProgress.SingleBar(
      { stream: process.stderr, format: 'audit events [{bar}] {percentage}% {value}/{total} {eta_formatted} left' },
      cliProgress.Presets.shades_classic,
    )
  : undefined;
let lastTenth = -1;
let barStarted = false;
const check = await verifyChain(database.db, {
  batchSize,
  onProgress(checked, total) {
    if (bar) {
      if (!barStarted) bar.start(total, 0);
      barStarted = true;
      // Events appended during the walk make the count exceed the total read at the start.
      bar.setTotal(Math.max(total, checked));
      bar.update(checked);
      return;
    }
    const tenth = total === 0 ? 10 : Math.min(10, Math.floor((checked * 10) / total));
    if (tenth > lastTenth) {
      lastTenth = tenth;
      console.log(`audit events checked: ${checked} of ${total} (${tenth * 10}%)`);
    }
  },
});
bar?.stop();

const summary = `${check.eventsChecked} events in ${check.chainsChecked} chains, ${check.rootsChecked} roots, ${Date.now() - started} ms`;
if (check.ok) {
  console.log(`audit log intact: ${summary}`);
  if (values.anchor && check.heads.length > 0) {
    const root = await anchorRoot(database.db, check.heads);
    console.log(`root ${root.seq} anchors the heads of ${check.heads.length} chains: ${root.hash}`);
  }
  await database.close();
  process.exit(0);
}
const b = check.firstBroken;
if (b) {
  const what = b.entityType === null ? '' : ` (${b.action ?? ''} of ${b.entityType} ${b.entityId ?? ''})`;
  console.error(`audit log BROKEN at event seq ${b.seq}, chain ${b.chain}${what}: ${WHAT_DIFFERS[b.problem]}`);
  console.error(`  expected hash ${b.expected}\n  found    hash ${b.found ?? '(none)'}`);
}
if (check.firstBrokenRootSeq !== null) {
  console.error(`audit log BROKEN at root seq ${check.firstBrokenRootSeq}: its hash does not match its heads and the previous root`);
}
console.error(`checked ${summary}`);
await database.close();
process.exit(1);
