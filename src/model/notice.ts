// A notice: what memwarden tells people, as plain data that no platform owns. The domain builds
// notices (alerts/, remediate/, digest/); the delivery layer queues them (delivery/); a renderer
// turns one into what a platform shows: Block Kit in slack/render/render-notice.ts, text in
// console/render-notice.ts. A notice is stored as JSON in the outbox and rendered when it is
// sent, so it holds only data: no markup of any platform, no functions.
//
// Text is a list of spans. A plain string is outside text as it is (a container name, a reason):
// each renderer escapes it for its platform, so no string can mention anyone or format anything.
// memwarden's own emphasis, mentions of ids it validated, and times are spans of their own.

/** One piece of inline text. */
export type Span =
  | string
  | { strong: string | readonly Span[] }
  | { em: string | readonly Span[] }
  | { code: string }
  /** A block of preformatted lines (commands, output). */
  | { pre: string }
  /** A Slack user id memwarden validated (a runbook's approver, an admin): shown as a mention. */
  | { user: string }
  /** A Slack user group id (S…) memwarden validated: shown as a mention. */
  | { group: string }
  /** A channel memwarden posts to (an id, or a name as configured): shown as a link where it can be. */
  | { channel: string }
  /** Epoch milliseconds: shown in the reader's time zone where the platform can, else in UTC. */
  | { time: number };

export type Text = readonly Span[];

export interface NoticeField {
  /** '' for a line that is not a labelled value ("…and 3 more"). */
  label: string;
  value: Text;
}

/** What a button asks for when clicked; the listener that answers it is chosen by the kind. */
export type ButtonKind = 'silence-alert' | 'request-remediation' | 'approve-remediation' | 'reject-remediation';

/** The rows of buttons memwarden's notices carry: under an alert, under an approval request. */
export type ButtonRow = 'alert' | 'approval';

export interface NoticeButton {
  kind: ButtonKind;
  /** Opaque to the renderers: what the click refers to (a request id, "<fingerprint>|4h"). */
  value: string;
  label: string;
  /** Tells buttons of one kind in one row apart ("1h", "0"); platforms that need unique ids use it. */
  variant?: string;
  style?: 'primary' | 'danger';
  /** Asked before the click counts (high-risk approvals); `danger`: its confirm button is red. */
  confirm?: { title: string; text: Text; confirm: string; deny: string; danger?: boolean };
}

export type NoticeBlock =
  /** The title line. */
  | { type: 'heading'; text: string }
  /** A paragraph, with labelled values under it when there are fields. */
  | { type: 'text'; text: Text; fields?: readonly NoticeField[] }
  /** Labelled values alone. */
  | { type: 'fields'; fields: readonly NoticeField[] }
  /** Small print: one line per entry. */
  | { type: 'note'; lines: readonly Text[] }
  /** A row of buttons; `row` says which one, for a platform that names its rows. */
  | { type: 'buttons'; row?: ButtonRow; buttons: readonly NoticeButton[] }
  | { type: 'divider' }
  /**
   * Blocks a platform may cut from the end when the whole message would not fit, saying
   * "…and N more <noun>s: <hint>" instead (the rest of a long list).
   */
  | { type: 'list'; blocks: readonly NoticeBlock[]; noun: string; hint: Text };

export interface Notice {
  /** The notice in one line: notifications, and what is shown where blocks cannot be. */
  summary: Text;
  blocks: readonly NoticeBlock[];
}
