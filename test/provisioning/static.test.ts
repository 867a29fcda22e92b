import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand, repoRoot } from '../helpers.js';

const skipUnless = (cmd: string, pkg: string): string | false => {
  if (hasCommand(cmd)) return false;
  const why = `${cmd} is not installed (Debian package ${pkg}; .ci/run installs it)`;
  console.log(`# SKIP: ${why}`);
  return why;
};

const provisioning = join(repoRoot, 'provisioning');
// The exposure systemd-analyze security gives the unit must stay at or below these (0 is best, 10 worst).
const MAX_EXPOSURE_ROOT = 4.0;
const MAX_EXPOSURE_USER = 2.0;

describe('static checks', () => {
  test('shellcheck: every shell script is clean', { skip: skipUnless('shellcheck', 'shellcheck') }, () => {
    const scripts = [
      ...readdirSync(provisioning)
        .filter((f) => f.endsWith('.sh'))
        .map((f) => join(provisioning, f)),
      join(repoRoot, '.ci', 'run'),
      ...readdirSync(join(provisioning, 'nspawn'))
        .filter((f) => f.endsWith('.sh'))
        .map((f) => join(provisioning, 'nspawn', f)),
      ...readdirSync(join(repoRoot, 'test', 'fixtures', 'fakebin')).map((f) =>
        join(repoRoot, 'test', 'fixtures', 'fakebin', f),
      ),
    ];
    assert.ok(scripts.length >= 5);
    const r = spawnSync('shellcheck', ['--severity=style', ...scripts], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  test(
    'systemd-analyze verify: the unit, alone and with the service-user drop-in, prints nothing',
    { skip: skipUnless('systemd-analyze', 'systemd') },
    () => {
      const alone = spawnSync('systemd-analyze', ['verify', join(provisioning, 'roc-agent.service')], {
        encoding: 'utf8',
      });
      assert.equal(alone.status, 0);
      assert.equal(
        alone.stderr + alone.stdout,
        '',
        'systemd-analyze verify warns on stderr but exits 0 for a misspelled key',
      );
      const dir = mkdtempSync(join(tmpdir(), 'roc-unit-'));
      mkdirSync(join(dir, 'roc-agent.service.d'));
      copyFileSync(join(provisioning, 'roc-agent.service'), join(dir, 'roc-agent.service'));
      copyFileSync(join(provisioning, 'roc-agent-user.conf'), join(dir, 'roc-agent.service.d', 'user.conf'));
      const withUser = spawnSync('systemd-analyze', ['verify', 'roc-agent.service'], {
        encoding: 'utf8',
        env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` },
      });
      assert.equal(withUser.status, 0);
      assert.equal(withUser.stderr + withUser.stdout, '');
      copyFileSync(join(provisioning, 'roc-agent-faults.conf'), join(dir, 'roc-agent.service.d', 'with-faults.conf'));
      const withFaults = spawnSync('systemd-analyze', ['verify', 'roc-agent.service'], {
        encoding: 'utf8',
        env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` },
      });
      assert.equal(withFaults.status, 0);
      assert.equal(withFaults.stderr + withFaults.stdout, '', 'the faults drop-in on top of the user one');
    },
  );

  test(
    'systemd-analyze verify catches a misspelled key (the check above can fail)',
    { skip: skipUnless('systemd-analyze', 'systemd') },
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'roc-unit-'));
      writeFileSync(
        join(dir, 'roc-agent.service'),
        readFileSync(join(provisioning, 'roc-agent.service'), 'utf8').replace('NoNewPrivileges=', 'NoNewPrivilege='),
      );
      const r = spawnSync('systemd-analyze', ['verify', join(dir, 'roc-agent.service')], { encoding: 'utf8' });
      assert.match(r.stderr, /Unknown key( name)? 'NoNewPrivilege'/);
      assert.equal(r.status, 0, 'and it still exits 0, which is why the check above reads stderr');
    },
  );

  test(
    `systemd-analyze security: exposure <= ${MAX_EXPOSURE_ROOT} as root, <= ${MAX_EXPOSURE_USER} as the service user`,
    { skip: skipUnless('systemd-analyze', 'systemd') },
    (t) => {
      const exposure = (env: NodeJS.ProcessEnv, unit: string): number => {
        const r = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', unit], {
          encoding: 'utf8',
          env,
        });
        const m = /Overall exposure level for roc-agent\.service: (\d+\.\d+)/.exec(r.stdout + r.stderr);
        assert.ok(m, r.stdout + r.stderr);
        return Number(m[1]);
      };
      const root = exposure(process.env, join(provisioning, 'roc-agent.service'));
      const dir = mkdtempSync(join(tmpdir(), 'roc-unit-'));
      mkdirSync(join(dir, 'roc-agent.service.d'));
      copyFileSync(join(provisioning, 'roc-agent.service'), join(dir, 'roc-agent.service'));
      copyFileSync(join(provisioning, 'roc-agent-user.conf'), join(dir, 'roc-agent.service.d', 'user.conf'));
      const user = exposure({ ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` }, 'roc-agent.service');
      t.diagnostic(`exposure: ${root} as root, ${user} as the service user`);
      assert.ok(root <= MAX_EXPOSURE_ROOT, `root: ${root}`);
      assert.ok(user <= MAX_EXPOSURE_USER, `user: ${user}`);
    },
  );

  test('vagrant validate --ignore-provider', { skip: skipUnless('vagrant', 'vagrant') }, () => {
    const r = spawnSync('vagrant', ['validate', '--ignore-provider'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, ROC_TOPOLOGY: 'examples/vagrant/roc.yml', VAGRANT_CHECKPOINT_DISABLE: '1' },
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Vagrantfile validated successfully\./);
  });
});

describe('the single-file agent', () => {
  const bundle = join(repoRoot, 'dist', 'agent', 'roc-agent.js');

  test('runs from a folder with no node_modules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'roc-bundle-'));
    copyFileSync(bundle, join(dir, 'roc-agent.js'));
    const r = spawnSync(process.execPath, [join(dir, 'roc-agent.js'), '--version'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
  });

  test('refuses Node older than 18 with a clear message', () => {
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '12.22.9' } }); require(${JSON.stringify(bundle)});`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 3);
    assert.match(r.stderr, /^roc-agent needs Node\.js 18 or later; this machine runs v\d+/);
  });

  test('the launcher old Node must parse is ES5', () => {
    const text = readFileSync(bundle, 'utf8');
    const launcher = text.replace(/self\._compile\(".*"\s*,\s*__filename\);/s, 'self._compile(BUNDLE, __filename);');
    assert.ok(launcher.length < 2_000, 'the bundle itself was cut out');
    for (const modern of ['=>', 'let ', 'const ', '`', '?.', '??', 'class ', 'async ', '...'])
      assert.ok(!launcher.includes(modern), `launcher uses ${modern}`);
  });
});
