// The config language: which files, how they are read and validated, and the desired state they
// produce. The rest of the program uses only what is exported here.
export { loadConfig, loadDesiredState, type LoadedConfig } from './load';
export { resolveConfigFiles, configWatchPaths } from './files';
export { configJsonSchema } from './json-schema';
