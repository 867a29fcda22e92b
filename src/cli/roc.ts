#!/usr/bin/env node
import { Command } from 'commander';
import { VERSION } from '../version.js';
import type { DemoFlags } from './demo.js';
import { parsePartition } from './fitnesse-wiki.js';
import { parseDuration } from '../topology/duration.js';
import { reported, UsageError } from './exit.js';
import { labCommand } from './lab.js';

// Each command loads its own modules when it runs: roc slim, which FitNesse starts for every run, starts sooner.

const program = new Command('roc')
  .description('ROC host tools')
  .version(VERSION)
  .showHelpAfterError('(roc --help lists the commands)');

program
  .command('demo')
  .description(
    'the main job: the cluster example on a local lab, checked by its FitNesse suite (or node --test without Java); a per-table summary and a JUnit report',
  )
  .option('--example <name>', 'cluster (default), or etcd: etcd on three guests under real faults (root, etcd-server)')
  .option(
    '--suite <page>',
    'the FitNesse suite or page to run (default ClusterSuite.Checks; with --netns ClusterSuite.RealFaults; etcd: EtcdSuite)',
  )
  .option('--runner <runner>', 'fitnesse, node, or auto (FitNesse when Java is present)', 'auto')
  .option('--report <file>', 'where to write the JUnit XML (default reports/<example>-junit.xml)')
  .option('--netns', 'each guest in a network namespace of its own, and the suite with real faults (root)')
  .action(
    reported('roc demo', async (flags: DemoFlags) => {
      process.exitCode = await (await import('./demo.js')).runDemo(flags);
    }),
  );

program
  .command('fitnesse')
  .description(
    "run a FitNesse suite or page with roc slim, in one FitNesse process: each page's counts as it finishes (FitNesse's own), its failed tables and cells, a summary and a JUnit report; exits 1 when anything fails",
  )
  .argument('<page>', 'the suite or test page, e.g. ClusterSuite.Checks')
  .option('-d, --dir <folder>', "the folder that holds FitNesseRoot (FitNesse's -d)", '.')
  .option('-r, --root <name>', "the wiki folder's name (FitNesse's -r)", 'FitNesseRoot')
  .option('-t, --topology <file>', 'the topology remote fixtures use (default: ROC_TOPOLOGY or roc.yml)')
  .option('--report <file>', 'where to write the JUnit XML', 'reports/fitnesse-junit.xml')
  .option('--tags <a,b>', "only test pages (or suites) tagged with one of these (FitNesse's suiteFilter)")
  .option('--exclude-tags <c,d>', "no page or suite tagged with one of these (FitNesse's excludeSuiteFilter)")
  .option('--partition <i/n>', 'run the i-th of n disjoint shares of the test pages (one CI machine each)')
  .option('--page-timeout <duration>', 'stop a page that runs longer (e.g. 90s, 5m), report it as an error, go on')
  .option('--html <folder>', "keep FitNesse's HTML of each failed page there")
  .option('--no-preflight', "don't ping the topology's guests before the first page")
  .option('--jar <file>', "fitnesse-standalone.jar (default: the fitnesse npm package's)")
  .option('--log-lines <n>', "after a page fails, this many of each guest log's last lines (0: none)", '20')
  .action(
    reported(
      'roc fitnesse',
      async (
        page: string,
        flags: {
          dir: string;
          root: string;
          topology?: string;
          report: string;
          jar?: string;
          logLines: string;
          tags?: string;
          excludeTags?: string;
          partition?: string;
          pageTimeout?: string;
          html?: string;
          preflight: boolean;
        },
      ) => {
        const logLines = Number(flags.logLines);
        if (!Number.isInteger(logLines) || logLines < 0)
          throw new UsageError(
            `--log-lines takes a whole number of lines (0: none), got ${JSON.stringify(flags.logLines)}`,
            '--log-lines',
          );
        const pageTimeoutMs = flags.pageTimeout === undefined ? undefined : parseDuration(flags.pageTimeout);
        if (flags.pageTimeout !== undefined && !pageTimeoutMs)
          throw new UsageError(
            `--page-timeout takes a duration of more than 0 such as 90s, 5m or 1500ms, got ${JSON.stringify(flags.pageTimeout)}`,
            '--page-timeout',
          );
        const list = (s?: string): string[] | undefined =>
          s
            ?.split(',')
            .map((t) => t.trim())
            .filter(Boolean);
        const { runFitnesse } = await import('./fitnesse.js');
        const { ok } = await runFitnesse({
          page,
          dir: flags.dir,
          rootName: flags.root,
          topology: flags.topology,
          report: flags.report,
          jar: flags.jar,
          logLines,
          tags: list(flags.tags),
          excludeTags: list(flags.excludeTags),
          partition: flags.partition === undefined ? undefined : parsePartition(flags.partition),
          pageTimeoutMs,
          html: flags.html,
          preflight: flags.preflight,
        });
        process.exitCode = ok ? 0 : 1;
      },
    ),
  );

program
  .command('report')
  .description(
    'the run report of a recorded history (JSON Lines): one HTML page with a timeline per process, fault windows, latencies; with --model, the verdict (exit 1 when not linearizable, 2 when unknown)',
  )
  .argument('<history>', 'the history, as History.toJSONL() wrote it (Jepsen-shaped events, one a line)')
  .option('--faults <file>', "faults as JSON Lines (a Fault's toJSON(): description, startedAt, healedAt)")
  .option('--model <name>', 'check the history first: register, cas-register, kv, set or counter')
  .option('-o, --output <file>', 'where the HTML goes', 'report.html')
  .option('--title <text>', "the page's title")
  .action(
    reported(
      'roc report',
      async (file: string, flags: { faults?: string; model?: string; output: string; title?: string }) =>
        (await import('./report.js')).runReport(file, flags),
    ),
  );

program
  .command('quickstart')
  .description('start an agent serving examples/remote_class.js, drive it through the client, and shut it down')
  .action(
    reported('roc quickstart', async () => {
      await (await import('./quickstart.js')).runQuickstart();
    }),
  );

program
  .command('token')
  .description('write a new random token file (mode 0600) for agents and hosts to share; an existing one is kept')
  .argument('[file]', 'where to write it', '.roc/token')
  .option('-f, --force', 'replace an existing token file')
  .action(
    reported('roc token', async (...a: Parameters<typeof import('./token.js').runToken>) =>
      (await import('./token.js')).runToken(...a),
    ),
  );

program.addCommand(labCommand());

const init = program.command('init').description('write the files a project needs for ROC guests');
init
  .command('vagrant')
  .description(
    "a Vagrantfile here that makes the topology's guests Vagrant machines, provisioned from the installed roc-toolkit",
  )
  .option('-t, --topology <file>', 'the topology file, in this folder', 'roc.yml')
  .option('-f, --force', 'replace an existing Vagrantfile')
  .action(
    reported('roc init vagrant', async (flags: { topology?: string; force?: boolean }) =>
      (await import('./vagrant.js')).runInitVagrant(flags),
    ),
  );

const vagrantCmd = program.command('vagrant').description('Vagrant helpers');
vagrantCmd
  .command('nspawn')
  .description('the nspawn provider: Vagrant guests booted with systemd-nspawn, for Linux hosts without virtualization')
  .command('install')
  .description(
    "build the provider's Debian 12 box (cached) and load the provider from VAGRANT_HOME's Vagrantfile (root)",
  )
  .action(reported('roc vagrant nspawn install', async () => (await import('./vagrant.js')).runNspawnInstall()));

program
  .command('slim')
  .description("a SLIM server for FitNesse (FitNesse's SlimService options; the port last, 1 for stdin/stdout)")
  .argument('[port]', 'port to listen on; 1 (the default) speaks on stdin/stdout')
  .option('-v, --verbose', 'log each instruction and its result on stderr')
  .option('-s, --statement-timeout <seconds>', 'deadline for each statement')
  .option('-d, --daemon', 'keep accepting connections after bye')
  .option('--host <address>', 'address to listen on in socket mode', '127.0.0.1')
  .action(async (...a: Parameters<typeof import('./slim.js').runSlim>) => (await import('./slim.js')).runSlim(...a));

program
  .command('ping')
  .description('every guest of the topology: reachable, agent version, round trip, modules')
  .option('-t, --topology <file>', 'topology file (default: ROC_TOPOLOGY or roc.yml)')
  .option('--timeout <ms>', 'how long to wait for each guest', '3000')
  .option('--json', 'print the rows as JSON, for scripts')
  .action(async (...a: Parameters<typeof import('./ping.js').runPing>) => (await import('./ping.js')).runPing(...a));

await program.parseAsync(process.argv);
