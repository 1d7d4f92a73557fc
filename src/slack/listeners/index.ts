// Every listener, registered by its folder's index. The lists are exported for the manifest
// test: manifest.yml must declare exactly these commands, and interactivity when there are actions.
import type { App } from '@slack/bolt';
import { ACTION_LISTENERS, registerActions } from './actions/index.js';
import { COMMAND_LISTENERS, registerCommands } from './commands/index.js';
import { EVENT_LISTENERS, registerEvents } from './events/index.js';
import type { ListenerDeps } from './listener-deps.js';

export type { ListenerDeps } from './listener-deps.js';

export const REGISTERED_COMMANDS: readonly string[] = COMMAND_LISTENERS.map((listener) => listener.command);
export const REGISTERED_EVENTS: readonly string[] = EVENT_LISTENERS.map((listener) => listener.event);
/** action_id patterns (a button's action_id is ACTION.x or ACTION.x plus ":suffix"). */
export const REGISTERED_ACTIONS: readonly RegExp[] = ACTION_LISTENERS.map((listener) => listener.actionId);

export function registerListeners(app: App, deps: ListenerDeps): void {
  registerCommands(app, deps);
  registerActions(app, deps);
  registerEvents(app, deps);
}
