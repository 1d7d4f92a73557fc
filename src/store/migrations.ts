// The schema, as an append-only list: migration i (0-based) moves a database from
// `PRAGMA user_version = i` to `i + 1`, in its own transaction (see openDatabase).
// Never edit or reorder a migration that has shipped: a fix is a new migration at the end.
// Later features (alert state, silences, approvals, audit, outbox) append their own entries.
//
// Sample rows are kept narrow (integers, no JSON): a poll writes 1 host row plus one row per
// container and per stored process group. Names, images and ids live once in the `containers`,
// `process_groups` and `images` tables and samples refer to them by an integer `ref`.
// Sample and rollup tables are keyed by time first, so retention deletes a contiguous range.
// Rollups store min, sum and max with a count, so merging two partial rollups of one bucket
// is exact (avg = sum / n, i.e. the count-weighted average of the parts).

export const MIGRATIONS: readonly string[] = [
  // 1: memory samples, their 5-minute rollups, and what they refer to.
  `
CREATE TABLE containers (
  ref INTEGER PRIMARY KEY,
  container_id TEXT NOT NULL,
  name TEXT NOT NULL,
  image TEXT NOT NULL,
  image_id TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  UNIQUE (container_id, name)
);
CREATE INDEX containers_by_name ON containers (name);

CREATE TABLE process_groups (
  ref INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  -- '' when the group runs on the host (a NULL would defeat the UNIQUE constraint)
  container_name TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  UNIQUE (name, kind, container_name)
);

CREATE TABLE images (
  repository TEXT NOT NULL,
  image_id TEXT NOT NULL,
  image TEXT NOT NULL,
  size_bytes INTEGER,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  PRIMARY KEY (repository, image_id)
) WITHOUT ROWID;

CREATE TABLE host_samples (
  t INTEGER PRIMARY KEY,
  total INTEGER NOT NULL,
  used INTEGER NOT NULL,
  available INTEGER NOT NULL,
  buff_cache INTEGER NOT NULL,
  swap_total INTEGER NOT NULL,
  swap_used INTEGER NOT NULL,
  -- PSI avg60 (percent); NULL when the kernel does not expose /proc/pressure/memory
  psi_some REAL,
  psi_full REAL,
  oom_kills INTEGER
);

CREATE TABLE container_samples (
  t INTEGER NOT NULL,
  container_ref INTEGER NOT NULL REFERENCES containers (ref),
  usage INTEGER NOT NULL,
  -- NULL when the container has no limit
  mem_limit INTEGER,
  percent REAL,
  limit_hits INTEGER,
  oom_kills INTEGER,
  restarts INTEGER NOT NULL,
  PRIMARY KEY (t, container_ref)
) WITHOUT ROWID;

CREATE TABLE group_samples (
  t INTEGER NOT NULL,
  group_ref INTEGER NOT NULL REFERENCES process_groups (ref),
  pss INTEGER NOT NULL,
  rss INTEGER NOT NULL,
  uss INTEGER NOT NULL,
  members INTEGER NOT NULL,
  pool_size INTEGER,
  PRIMARY KEY (t, group_ref)
) WITHOUT ROWID;

-- bucket = start of a fixed, epoch-aligned interval; n = samples merged into the row;
-- <metric>_n = samples where a nullable metric was known.
CREATE TABLE host_rollups (
  bucket INTEGER PRIMARY KEY,
  n INTEGER NOT NULL,
  used_min INTEGER, used_sum INTEGER, used_max INTEGER,
  available_min INTEGER, available_sum INTEGER, available_max INTEGER,
  swap_used_min INTEGER, swap_used_sum INTEGER, swap_used_max INTEGER,
  psi_some_n INTEGER NOT NULL, psi_some_min REAL, psi_some_sum REAL, psi_some_max REAL,
  psi_full_n INTEGER NOT NULL, psi_full_min REAL, psi_full_sum REAL, psi_full_max REAL
);

CREATE TABLE container_rollups (
  bucket INTEGER NOT NULL,
  container_ref INTEGER NOT NULL REFERENCES containers (ref),
  n INTEGER NOT NULL,
  usage_min INTEGER, usage_sum INTEGER, usage_max INTEGER,
  mem_limit_n INTEGER NOT NULL, mem_limit_min INTEGER, mem_limit_sum INTEGER, mem_limit_max INTEGER,
  PRIMARY KEY (bucket, container_ref)
) WITHOUT ROWID;

CREATE TABLE group_rollups (
  bucket INTEGER NOT NULL,
  group_ref INTEGER NOT NULL REFERENCES process_groups (ref),
  n INTEGER NOT NULL,
  pss_min INTEGER, pss_sum INTEGER, pss_max INTEGER,
  rss_min INTEGER, rss_sum INTEGER, rss_max INTEGER,
  uss_min INTEGER, uss_sum INTEGER, uss_max INTEGER,
  PRIMARY KEY (bucket, group_ref)
) WITHOUT ROWID;
`,
  // 2: alert state per fingerprint (rule x target), the append-only transition history, silences.
  // Times are epoch ms; target and evidence are JSON (small, read whole, never queried into).
  `
CREATE TABLE alert_state (
  fingerprint TEXT PRIMARY KEY,
  rule_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  target TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
  severity TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
  value REAL NOT NULL,
  threshold REAL NOT NULL,
  unit TEXT NOT NULL,
  since INTEGER NOT NULL,
  pending_since INTEGER NOT NULL,
  firing_since INTEGER,
  cleared_at INTEGER,
  reported_value REAL NOT NULL,
  last_notified INTEGER,
  firing_notified INTEGER NOT NULL DEFAULT 0,
  evidence TEXT NOT NULL DEFAULT '{}',
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE alert_transitions (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  event TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  severity TEXT NOT NULL,
  previous_severity TEXT,
  value REAL NOT NULL,
  threshold REAL NOT NULL,
  unit TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  silenced INTEGER NOT NULL,
  reason TEXT,
  summary TEXT NOT NULL,
  target TEXT NOT NULL,
  evidence TEXT NOT NULL
);
CREATE INDEX alert_transitions_by_at ON alert_transitions (at);
CREATE INDEX alert_transitions_by_fingerprint ON alert_transitions (fingerprint, at);

CREATE TABLE alert_silences (
  id INTEGER PRIMARY KEY,
  -- NULL: every rule / every target; never both NULL
  rule_id TEXT,
  target TEXT,
  until INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  CHECK (rule_id IS NOT NULL OR target IS NOT NULL)
);
CREATE INDEX alert_silences_by_until ON alert_silences (until);
`,
];
