// markUsed: the last use is recorded, but not rewritten within a minute of the recorded one.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tarBytes } from "../aci/tar.ts";
import { ImageStore } from "./store.ts";

const manifest = JSON.stringify({
  acKind: "ImageManifest",
  acVersion: "0.8.11",
  name: "example.com/used",
  labels: [{ name: "os", value: "linux" }, { name: "arch", value: "amd64" }],
});
let dir: string;
let key: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "last-used-"));
  using store = ImageStore.open(dir);
  const tar = tarBytes([{ name: "manifest", type: "file", data: new TextEncoder().encode(manifest) }, { name: "rootfs", type: "directory" }]);
  key = (await store.importAci((async function* () { yield tar; })())).key;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Sets the recorded last use `agoMs` before now, behind the store's back. */
function recordedAgo(agoMs: number): number {
  const db = new Database(join(dir, "cas/db/index.sqlite"));
  const at = Date.now() - agoMs;
  db.query("UPDATE aciinfo SET lastused = ? WHERE blobkey = ?").run(at, key);
  db.close();
  return at;
}

function markUsedThenRead(): number {
  using store = ImageStore.open(dir);
  store.markUsed(key);
  return store.info(key).lastUsed.getTime();
}

test("a use more than a minute after the recorded one is recorded", () => {
  recordedAgo(61_000);
  expect(Math.abs(markUsedThenRead() - Date.now())).toBeLessThan(5_000);
});

test("a use within a minute of the recorded one leaves it as it is", () => {
  const at = recordedAgo(30_000);
  expect(markUsedThenRead()).toBe(at);
});
