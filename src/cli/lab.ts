import { Command } from 'commander';
import { reported } from './exit.js';
import { table } from './table.js';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export function labCommand(): Command {
  const lab = new Command('lab').description(
    "run the topology's guests as local agents: no VMs, no root (or --netns, as root)",
  );
  lab
    .command('up')
    .description('start one agent per guest (again: only those not running)')
    .option('-t, --topology <file>', 'topology file (default: ROC_TOPOLOGY or roc.yml)')
    .option('--netns', 'each guest in its own network namespace with its topology address (root)')
    .action(
      reported('roc lab up', async (flags: { topology?: string; netns?: boolean }) => {
        const { labUp } = await import('../lab/index.js');
        await labUp({ topology: flags.topology, netns: flags.netns, log: out });
      }),
    );
  lab
    .command('status')
    .description("each guest: running, answering (and whether what answers is this lab's agent), log file")
    .option('-t, --topology <file>', 'topology file')
    .option('--json', 'print the rows as JSON, for scripts')
    .action(
      reported('roc lab status', async (flags: { topology?: string; json?: boolean }) => {
        const { labStatus } = await import('../lab/index.js');
        const rows = await labStatus({ topology: flags.topology });
        if (flags.json) out(JSON.stringify(rows, null, 2));
        else {
          const state = (r: (typeof rows)[number]): string =>
            r.state === 'up' ? 'up' : r.state === 'down' ? 'down' : `${r.state}: ${r.error}`;
          out(
            table(
              ['GUEST', 'ENDPOINT', 'PID', 'STATE', 'LOG'],
              rows.map((r) => [r.name, r.endpoint, r.pid ? String(r.pid) : '-', state(r), r.log ?? '-']),
            ),
          );
        }
        if (rows.some((r) => r.state !== 'up')) process.exitCode = 1;
      }),
    );
  lab
    .command('down')
    .description('stop every agent of the lab and remove its namespaces and links')
    .option('-t, --topology <file>', 'topology file')
    .action(
      reported('roc lab down', async (flags: { topology?: string }) => {
        const { labDown } = await import('../lab/index.js');
        await labDown({ topology: flags.topology, log: out });
      }),
    );
  return lab;
}
