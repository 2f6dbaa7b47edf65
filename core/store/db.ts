// The store index: rkt's tables (`aciinfo`, `remote`) in bun:sqlite with WAL, so readers never wait
// for an import. Rows are written only after the blob they name has been renamed into place.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

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
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  const have = (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
  if (have < SCHEMA_VERSION) {
    db.transaction(() => {
      db.exec(`CREATE TABLE IF NOT EXISTS aciinfo (
        blobkey TEXT PRIMARY KEY, name TEXT NOT NULL, importtime INTEGER NOT NULL, lastused INTEGER NOT NULL,
        latest INTEGER NOT NULL DEFAULT 0, size INTEGER NOT NULL DEFAULT 0, treestoresize INTEGER NOT NULL DEFAULT 0)`);
      db.exec("CREATE INDEX IF NOT EXISTS aciinfo_name ON aciinfo (name)");
      db.exec(`CREATE TABLE IF NOT EXISTS remote (
        aciurl TEXT PRIMARY KEY, sigurl TEXT NOT NULL DEFAULT '', etag TEXT NOT NULL DEFAULT '',
        blobkey TEXT NOT NULL, cachemaxage INTEGER NOT NULL DEFAULT 0, downloadtime INTEGER NOT NULL DEFAULT 0)`);
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    })();
  }
  return db;
}
