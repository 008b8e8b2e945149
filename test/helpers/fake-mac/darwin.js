'use strict';
// Preloaded (NODE_OPTIONS=--require …) into every node process of the emulated Mac, and only
// there: the code under test takes its macOS paths (process.platform, and os.platform(), which
// returns it). Nothing else is changed: what macOS tools would answer comes from the fakes at
// Apple's paths.
Object.defineProperty(process, 'platform', { value: 'darwin', enumerable: true, configurable: true, writable: false });
