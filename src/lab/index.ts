export {
  isLabAgent,
  isRunning,
  labDir,
  labDown,
  labIdOf,
  labLogFile,
  labStateFile,
  labStatus,
  labUp,
  readLabState,
  type LabGuestState,
  type LabGuestStatus,
  type LabOptions,
  type LabState,
} from './lab.js';
export { bridgeName, netnsName } from './netns.js';
export { freePort } from '../topology/free-port.js';
export { AGENT_BUNDLE, AGENT_CLI, agentCommand, AgentLaunchError, launchAgent, type LaunchedAgent } from './launch.js';
export { LabAgentError, LabError, LabStartError, NetnsError, StopTimeoutError } from './errors.js';
export * as lab from './api.js';
export type { LabUpOptions, RunningLab } from './api.js';
