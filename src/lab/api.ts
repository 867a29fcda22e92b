import { loadTopology, type Topology } from '../topology/index.js';
import { labDown, labStatus, labUp, type LabGuestStatus, type LabOptions, type LabState } from './lab.js';

/** A lab that is up: its topology, loaded, to reach its guests; down() (or `await using`) stops it. */
export interface RunningLab extends AsyncDisposable {
  /** The topology file, as an absolute path. */
  readonly file: string;
  /** The loaded topology: `l.topology.guest('n1')`, `l.topology.nemesis`; `useTopology(l.topology)` makes guest() use it. */
  readonly topology: Topology;
  /** What the lab started: each guest's agent pid, endpoint and log, the namespaces with --netns. */
  readonly state: LabState;
  /** Stops every agent and removes the namespaces; answers what it did, a line each. Again: nothing more. */
  down(): Promise<string[]>;
}

export type LabUpOptions = Omit<LabOptions, 'topology'>;

/**
 * Starts the topology's guests as local agents (`{ netns: true }`: each in a
 * network namespace of its own, as root) and resolves once every one answers:
 * `await using l = await lab.up('roc.yml', { netns: true })`.
 */
export async function up(topologyFile?: string, options: LabUpOptions = {}): Promise<RunningLab> {
  const state = await labUp({ ...options, topology: topologyFile });
  const topology = loadTopology(state.topology);
  let stopped: Promise<string[]> | undefined;
  const down = (): Promise<string[]> =>
    (stopped ??= (async () => {
      topology.close();
      return labDown({ topology: state.topology, log: options.log });
    })());
  return { file: state.topology, topology, state, down, [Symbol.asyncDispose]: async () => void (await down()) };
}

/** Each guest of the topology's lab: running, answering, its log; a lab that is not up is down and asks nothing. */
export function status(topologyFile?: string): Promise<LabGuestStatus[]> {
  return labStatus({ topology: topologyFile });
}

/** Stops the topology's lab (whoever started it); answers what it did, a line each. */
export function down(topologyFile?: string, options: { log?: (line: string) => void } = {}): Promise<string[]> {
  return labDown({ topology: topologyFile, log: options.log });
}
