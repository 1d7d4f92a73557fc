// The slash commands memwarden answers; manifest.yml declares the same list (the manifest test
// checks that they agree).
import type { App } from '@slack/bolt';
import { SLASH_COMMAND } from '../../ids.js';
import type { ListenerDeps } from '../listener-deps.js';
import { memCommand } from './mem-command.js';

export const COMMAND_LISTENERS = [{ command: SLASH_COMMAND, create: memCommand }] as const;

export function registerCommands(app: App, deps: ListenerDeps): void {
  for (const listener of COMMAND_LISTENERS) app.command(listener.command, listener.create(deps));
}
