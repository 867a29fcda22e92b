/**
 * ROC's defaults, each declared once: the agent, its CLI, the client, the
 * topology, the lab and the benchmarks import them from here.
 */

/** The port an agent listens on, and the topology's default. */
export const DEFAULT_AGENT_PORT = 7007;

/**
 * Node flags agents run with (the systemd unit, the lab, the benchmarks): a
 * 2 MB young generation bounds memory growth under bursts of calls
 * (BENCHMARKS.md). provisioning/roc-agent.service writes them out too; a
 * test keeps the two equal.
 */
export const AGENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/** A guest's call deadline when its topology gives none (`timeout:`). */
export const DEFAULT_GUEST_TIMEOUT_MS = 10_000;
