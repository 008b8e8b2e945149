// The logger every part of the daemon writes to (pino in loopkeeperd, a silent one in tests).
export interface DaemonLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
