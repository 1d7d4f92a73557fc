// Whether the database takes writes, as plain data: the monitor (ops/store-writes.ts) keeps it,
// /healthz reports it and the "cannot write its database" alert follows it.
export type StoreWriteState = { writable: true } | { writable: false; reason: string; since: number };
