// The client's classes too, so a test suite needs one import for the emulator and its client.
export {
  PspClient,
  VippsApiError,
  VippsAuthError,
  VippsError,
  VippsNetworkError,
  VippsProblemError,
  VippsTimeoutError,
} from './client/index.js';
export { type Config, ConfigError, parseConfig } from './config.js';
export { type Emulator, type EmulatorCredentials, type EmulatorOptions, startEmulator } from './emulator.js';
export { OperatingError } from './operating-error.js';
export { SeedError } from './seed.js';
