// What every listener is built with: the services it may ask, and our logger (Bolt's own
// logger argument is for Bolt; ours carries structured fields).
import type { Logger } from '../../log/logger.js';
import type { BotServices } from '../bot-services.js';

export interface ListenerDeps {
  services: BotServices;
  logger: Logger;
}
