export {
  isLabAgent,
  isRunning,
  labDir,
  labDown,
  labIdOf,
  labStatus,
  labUp,
  LabStartError,
  readLabState,
  type LabGuestState,
  type LabGuestStatus,
  type LabOptions,
  type LabState,
} from './lab.js';
export { bridgeName, netnsName } from './netns.js';
export { freePort } from './free-port.js';
export { AGENT_BUNDLE, AGENT_CLI, agentCommand, AgentLaunchError, launchAgent, type LaunchedAgent } from './launch.js';
