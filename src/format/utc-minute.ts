// A moment as people read it where no reader's time zone is known (fallbacks, the terminal, logs).

/** "2025-10-27 09:05 UTC". */
export function utcMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
