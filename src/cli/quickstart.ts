import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { release, remoteModule, RemoteError, serverProxy } from '../client/index.js';
import { launchAgent } from '../lab/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The quickstart, end to end: start an agent process serving
 * examples/remote_class.js, drive it through the client, shut it down.
 */
export async function runQuickstart(
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<void> {
  const module = join(root, 'examples', 'remote_class.js');
  out(`$ roc-agent -m examples/remote_class.js -p 0`);
  const agent = await launchAgent(['-m', module, '-p', '0'], {
    stderr: 'inherit',
    onLine: (line) => out(`  agent | ${line}`),
  });
  const { child, exited, port } = agent;
  try {
    const proxy = serverProxy('127.0.0.1', port);
    const RModule = remoteModule(proxy);
    const show = async (label: string, value: Promise<unknown>): Promise<unknown> => {
      const v = await value;
      out(`${label.padEnd(40)} -> ${JSON.stringify(v)}`);
      return v;
    };
    await show('proxy.classes()', proxy.classes());
    const inst = await RModule.RemoteClass!(1, 2, 3);
    out(`${'RModule.RemoteClass(1, 2, 3)'.padEnd(40)} -> ${String(inst)}`);
    await show('inst.add(2, 3)', inst.add(2, 3));
    await show('inst.describe()', inst.describe());
    await show('inst.incr()', inst.incr());
    await show('await inst.counter', inst.counter);
    const point = await inst.point();
    out(`${'inst.point()  (returned by reference)'.padEnd(40)} -> ${String(point)}`);
    await show('point.norm()', point.norm());
    try {
      await inst.boom('bad thing');
    } catch (err) {
      if (!(err instanceof RemoteError)) throw err;
      out(`${"inst.boom('bad thing')".padEnd(40)} -> ${err.name}: ${err.remoteName}: ${err.remoteMessage}`);
    }
    await release(point);
    await release(inst);
    await show('proxy.instances()  (after release)', proxy.instances());
    await proxy.shutdown();
    out(`${'proxy.shutdown()'.padEnd(40)} -> agent exited with code ${await exited}`);
    proxy.close();
  } finally {
    if (child.exitCode === null) child.kill();
  }
}
