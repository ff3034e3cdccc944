export { type Config, parseConfig } from './config.js';
export { type Emulator, type EmulatorOptions, startEmulator } from './emulator.js';
