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
];
