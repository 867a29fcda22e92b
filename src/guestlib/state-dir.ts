import { lstatSync, mkdirSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Owned by this agent's user, and none of the `shut` mode bits set (others may not write it). */
export const mine = (st: Stats, shut: number): boolean => st.uid === process.getuid?.() && (st.mode & shut) === 0;

/**
 * Where the agent keeps its state: systemd's STATE_DIRECTORY, else a folder
 * of its own under the temporary folder, made with mode 0700 and checked to
 * be its user's and nobody else's (a folder another user planted is not used).
 */
export function privateStateDir(log?: (line: string) => void): string | undefined {
  const given = process.env.STATE_DIRECTORY?.split(':')[0];
  const dir = given ?? join(tmpdir(), `roc-agent-${process.getuid?.() ?? 'user'}`);
  if (!given) {
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch {
      // there already: checked below
    }
  }
  try {
    const st = lstatSync(dir);
    // systemd makes STATE_DIRECTORY 0755 and the service user's; a folder of our own under /tmp is 0700.
    const shut = given ? 0o022 : 0o077;
    if (st.isDirectory() && mine(st, shut)) return dir;
    log?.(
      `not keeping state in ${dir}: it is not a private folder of this user's (owner ${st.uid}, mode ${(st.mode & 0o777).toString(8)})`,
    );
  } catch (err) {
    log?.(`not keeping state: ${(err as Error).message}`);
  }
  return undefined;
}
