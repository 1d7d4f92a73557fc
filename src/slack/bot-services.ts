// What the Slack listeners may ask of the rest of memwarden: plain functions over plain data,
// so listener tests hand in fakes and the composition root (run-bot.ts) wires the real ones.
import type { AlertEngine } from '../alerts/alert-engine.js';
import type { HistoryReader } from '../model/alert.js';
import type { Snapshot } from '../model/snapshot.js';
import type { Config } from '../config/schema.js';
import type { Finding } from '../model/finding.js';
import type { Digest } from '../digest/digest-data.js';
import type { Remediation } from '../remediate/remediation.js';
import type { SilenceNotes } from '../alerts/silence-notes.js';

export interface BotServices {
  config: Config;
  /** Epoch milliseconds. */
  clock: () => number;
  /** The last poll's snapshot, or null before the first poll finished. */
  latestSnapshot: () => Snapshot | null;
  /** A fresh snapshot (falls back to the latest when a poll is running). */
  takeSnapshot: () => Promise<Snapshot>;
  history: HistoryReader;
  alerts: AlertEngine;
  /**
   * The Slack user groups a user is in (ids and @handles), for the silence policy's groups;
   * throws when Slack cannot tell (the request is refused and can be tried again).
   */
  groupsOf: (userId: string) => Promise<string[]>;
  /** Posts who silenced what (or ended a silence) where the channel sees it, through the outbox. */
  silenceNotes: SilenceNotes;
  /** Findings for a snapshot (history read from the store). */
  diagnose: (snapshot: Snapshot) => Finding[];
  /** Approved remediations; absent when this memwarden has none configured (the commands say so). */
  remediation?: Remediation;
  /** Today's digest (digest/start-digest.ts digestNow); absent when this memwarden has no store for it. */
  digest?: () => Digest;
}
