// `loopkeeper install [--root DIR]`: the launchd / systemd service and /etc/loopkeeper.
import { runServiceCommand, type ServiceCommandOptions } from '../../service/command';
import type { CommandRun } from '../context';

export const run: CommandRun<ServiceCommandOptions> = (ctx, opts) => runServiceCommand('install', ctx, opts);
