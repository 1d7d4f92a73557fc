// memwarden's own mention of a Slack user or user group it validated (a runbook's approvers, the
// admins, the silence policy's people) inside a sentence that also holds outside text, such as a
// refusal reason ("… may not run on <container>: ask one of <approvers>"). Slack markup (<@U…>)
// written into that sentence gets escaped with the outside text around it, and un-escaping it
// again would let outside text mention people too. So the domain writes a token, and only the
// Slack renderer (render/command-common.ts mrkdwnWithMentions) turns a token into a mention;
// logs, the audit and the terminal read it as "@U0123ABCD" (plainMentions).
//
// The delimiters are Unicode noncharacters, reserved for a program's internal use: no Slack
// input, Docker name or /proc text should carry them, and printable() (so describeValue, which
// quotes typed values in refusals) escapes them. The renderer still makes a mention only of a
// well-formed Slack id, so a forged token could at worst name a real id to the person reading it.

const USER = '\ufdd0';
const GROUP = '\ufdd1';
const END = '\ufdd2';
const TOKEN = /([\ufdd0\ufdd1])([^\ufdd0-\ufdd2]{1,100})\ufdd2/gu;

export type Mention = { kind: 'user' | 'group'; id: string };

/** A user id (U0123ABCD) as a mention token. */
export function mentionUser(id: string): string {
  return `${USER}${id}${END}`;
}

/** A user group id (S0123ABCD) or handle (@oncall) as a mention token. */
export function mentionGroup(idOrHandle: string): string {
  return `${GROUP}${idOrHandle}${END}`;
}

/** The text cut at its mention tokens: plain strings and the mentions between them, in order. */
export function splitMentions(text: string): (string | Mention)[] {
  const parts: (string | Mention)[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push({ kind: match[1] === USER ? 'user' : 'group', id: match[2] as string });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

/** The text with each mention token as "@id" (a handle keeps its one "@"): for logs, the audit and the terminal. */
export function plainMentions(text: string): string {
  return text.replace(TOKEN, (_token, _kind: string, id: string) => (id.startsWith('@') ? id : `@${id}`));
}
