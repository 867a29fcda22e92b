/**
 * Vagrant as a package user has it: roc-toolkit packed and installed into a
 * new project (no checkout, no repository layout), `roc vagrant nspawn
 * install` of that installed package, `roc init vagrant` writing the
 * project's Vagrantfile, `vagrant up`, and the project's own served class
 * called on its guests.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installPackedPackage } from '../helpers.js';
import { VagrantEnv, vagrantTierSkip as why } from './harness.js';

let app: string;
let roc: string;
let machines: VagrantEnv;
const timings: Record<string, number> = {};

before(() => {
  if (why) return;
  ({ app, roc } = installPackedPackage());
  writeFileSync(join(app, 'package.json'), '{ "type": "module", "private": true }\n');
  mkdirSync(join(app, 'guest'));
  writeFileSync(
    join(app, 'guest', 'greeter.js'),
    'import { hostname } from "node:os";\nexport class Greeter {\n  greet(name) {\n    return `hello ${name} from ${hostname()}`;\n  }\n}\n',
  );
  writeFileSync(
    join(app, 'roc.yml'),
    [
      'defaults: { port: 7507, token_file: .roc/token, timeout: 15s, modules: [guest/greeter.js] }',
      'guests:',
      '  p1: { host: 192.168.56.51 }',
      '  p2: { host: 192.168.56.52 }',
      '',
    ].join('\n'),
  );
  machines = new VagrantEnv({ cwd: app, roc });
});

after(async () => {
  if (why) return;
  timings['vagrant destroy -f (2 guests)'] = (await machines.destroy()).ms;
  for (const [step, ms] of Object.entries(timings)) console.log(`# timing: ${step}: ${(ms / 1000).toFixed(1)} s`);
});

test(
  'roc init vagrant, roc vagrant nspawn install and vagrant up from the installed package; the guests serve the project',
  { skip: why, timeout: 900_000 },
  async (t) => {
    assert.match(machines.installed, /^provider: loaded from .*\/Vagrantfile$/m);
    assert.ok(
      readFileSync(join(machines.home, 'Vagrantfile'), 'utf8').includes(
        join(app, 'node_modules', 'roc-toolkit', 'provisioning', 'nspawn', 'plugin.rb'),
      ),
      "the provider is the installed package's",
    );
    const cli = (...args: string[]): string =>
      execFileSync(process.execPath, [roc, ...args], { cwd: app, encoding: 'utf8', env: machines.env });
    const init = cli('init', 'vagrant');
    t.diagnostic(init.trimEnd());
    assert.match(init, /^wrote .*\/Vagrantfile: 2 machine\(s\), p1, p2, from roc\.yml$/m);
    assert.match(init, /^next: roc token \.roc\/token$/m);
    cli('token', '.roc/token');

    const up = await machines.vagrant(['up']);
    timings['vagrant up (2 guests, parallel)'] = up.ms;
    assert.equal(up.code, 0, up.out);
    for (const name of ['p1', 'p2']) {
      assert.match(up.out, new RegExp(`${name}: install-agent: roc-agent answers on 127\\.0\\.0\\.1:7507`));
      assert.match(up.out, new RegExp(`-m /opt/roc/modules/greeter/greeter\\.js --token-file /etc/roc/token`));
    }
    const ping = cli('ping');
    t.diagnostic(ping.trimEnd());
    assert.equal(ping.split('\n').filter((l) => /^p\d\s+192\.168\.56\.5\d:7507\s+up\s/.test(l)).length, 2, ping);
    writeFileSync(
      join(app, 'call.mjs'),
      "import { guests } from 'roc-toolkit';\nconst r = await guests().module.Greeter();\nconsole.log((await Promise.all(r.values.map((g) => g.greet('package user')))).join('\\n'));\nprocess.exit(0);\n",
    );
    const called = execFileSync(process.execPath, ['call.mjs'], { cwd: app, encoding: 'utf8', env: machines.env });
    assert.deepEqual(called.trim().split('\n'), ['hello package user from p1', 'hello package user from p2']);
  },
);
