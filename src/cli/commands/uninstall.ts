// `loopkeeper uninstall [--root DIR]`: stop and remove the service; keep config and state.
import { runServiceCommand, type ServiceCommandOptions } from '../../service/command';
import type { CommandRun } from '../context';

export const run: CommandRun<ServiceCommandOptions> = (ctx, opts) => runServiceCommand('uninstall', ctx, opts);
