export { isLabAgent, isRunning, labDir, labDown, labIdOf, labStatus, labUp, LabStartError, readLabState, type LabGuestState, type LabGuestStatus, type LabOptions, type LabState } from './lab.js';
export { bridgeName, netnsName } from './netns.js';
export { freePort } from './free-port.js';
