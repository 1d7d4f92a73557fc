// Text from outside (a button value, a forged id) shown back in logs, the audit and messages.

/** Cut to 80 characters with control characters replaced: a forged value cannot fill or garble the audit. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  return text.slice(0, 80).replace(/[\u0000-\u001f\u007f]/g, '?');
}
