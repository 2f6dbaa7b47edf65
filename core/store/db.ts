// The store index: rkt's tables (`aciinfo`, `remote`) in bun:sqlite with WAL, so readers never wait
// for an import. Rows are written only after the blob they name has been renamed into place.
import { constants, Database } from "bun:sqlite";
import { mkdirSync } from "../../ffi/sync-fs.ts";
import { join } from "../posix-path.ts";

const SCHEMA_VERSION = 1;

export interface AciInfoRow {
  blobkey: string;
  name: string;
  importtime: number; // ms since epoch
  lastused: number;
  latest: number; // 0/1
  size: number;
  treestoresize: number;
}

export interface RemoteRow {
  aciurl: string;
  sigurl: string;
  etag: string;
  blobkey: string;
  cachemaxage: number; // seconds
  downloadtime: number; // ms since epoch
}

/** Opens (creating when needed) the index under `cas/db`. */
export function openIndex(dbDir: string): Database {
  mkdirSync(dbDir, { recursive: true });
  const db = new Database(join(dbDir, "index.sqlite"), { create: true, strict: true });
  db.exec("PRAGMA busy_timeout = 10000");
  // Switching a new database to WAL needs an exclusive lock, and SQLite reports SQLITE_BUSY at once
  // (no busy handler) while another process is opening the same new store: retry for a while.
  for (let i = 0; ; i++) {
    try {
      db.exec("PRAGMA journal_mode = WAL");
      break;
    } catch (e) {
      if (!/database is locked/.test(String(e)) || i >= 200) throw e;
      Bun.sleepSync(10);
    }
  }
  db.exec("PRAGMA synchronous = NORMAL");
  // The WAL file stays when the last connection closes: every writing command would otherwise
  // delete it and the next one create it again, ~0.3 ms on this disk. Emptied at each checkpoint,
  // though: a WAL left at its size is read through, frame by frame, by every command's open.
  db.fileControl(constants.SQLITE_FCNTL_PERSIST_WAL, 1);
  db.exec("PRAGMA journal_size_limit = 0");
  const version = () => (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
  if (version() < SCHEMA_VERSION) {
    // IMMEDIATE: two first fetches into a new store both get here; a deferred transaction would
    // fail with SQLITE_BUSY when upgrading to a write lock instead of waiting for the other.
    db.transaction(() => {
      if (version() >= SCHEMA_VERSION) return;
      db.exec(`CREATE TABLE IF NOT EXISTS aciinfo (
        blobkey TEXT PRIMARY KEY, name TEXT NOT NULL, importtime INTEGER NOT NULL, lastused INTEGER NOT NULL,
        latest INTEGER NOT NULL DEFAULT 0, size INTEGER NOT NULL DEFAULT 0, treestoresize INTEGER NOT NULL DEFAULT 0)`);
      db.exec("CREATE INDEX IF NOT EXISTS aciinfo_name ON aciinfo (name)");
      db.exec(`CREATE TABLE IF NOT EXISTS remote (
        aciurl TEXT PRIMARY KEY, sigurl TEXT NOT NULL DEFAULT '', etag TEXT NOT NULL DEFAULT '',
        blobkey TEXT NOT NULL, cachemaxage INTEGER NOT NULL DEFAULT 0, downloadtime INTEGER NOT NULL DEFAULT 0)`);
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    }).immediate();
  }
  return db;
}
