// Text for one line (a notification, a message's summary): memwarden's mention tokens as "@id"
// (format/mentions.ts), so the line notifies no one, and each run of whitespace, line breaks
// included, as one space, so a name cannot start a line of its own.
import { plainMentions } from './mentions.js';

export function oneLine(text: string): string {
  return plainMentions(text).replace(/\s+/g, ' ').trim();
}
