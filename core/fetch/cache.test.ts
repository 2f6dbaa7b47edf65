import { expect, test } from "bun:test";
import { isFresh, maxAgeOf } from "./cache.ts";
import { signatureURL } from "./remote.ts";

test("Cache-Control as rkt reads it", () => {
  expect(maxAgeOf(null)).toBe(0);
  expect(maxAgeOf("max-age=60")).toBe(60);
  expect(maxAgeOf("public, max-age=60")).toBe(60);
  expect(maxAgeOf("MAX-AGE=5 must-revalidate")).toBe(5);
  for (const v of ["no-store", "no-cache", "max-age=60, no-cache", "max-age=0", "max-age=010", "max-age=-1", "max-age=x"]) expect(maxAgeOf(v)).toBe(0);
});

test("a stored download is fresh within its max-age only", () => {
  const row = { aciurl: "u", sigurl: "", etag: "", blobkey: "k", cachemaxage: 10, downloadtime: 1_000_000 };
  expect(isFresh(row, 1_000_000 + 9_999)).toBe(true);
  expect(isFresh(row, 1_000_000 + 10_000)).toBe(false);
  expect(isFresh({ ...row, cachemaxage: 0 }, 1_000_000)).toBe(false);
});

test("signature URL beside the image URL", () => {
  expect(signatureURL("https://x/a/app.aci")).toBe("https://x/a/app.aci.asc");
  expect(signatureURL("https://x/a/app")).toBe("https://x/a/app.aci.asc");
  expect(signatureURL("https://x/app.aci?token=1")).toBe("https://x/app.aci.asc?token=1");
});
