// Images from local files (a path or file:// URL): the bytes are read once, checked against their
// detached signature when one is required, and imported. A file whose identity (device, inode, size,
// mtime, ctime) is unchanged since its last import is not read again.
import { statSync } from "node:fs";
import { FetchError } from "../errors.ts";
import type { ImageStore } from "../store/store.ts";
import { withProgress } from "./progress.ts";
import type { SignatureCheck } from "./signature.ts";

function identity(path: string): string {
  const st = statSync(path, { bigint: true });
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

async function* readFile(path: string): AsyncIterable<Uint8Array> {
  for await (const chunk of Bun.file(path).stream()) yield chunk;
}

/** Imports the image file at `path`; returns its store key. */
export async function fetchFile(store: ImageStore, path: string, sig: SignatureCheck): Promise<string> {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new FetchError(`cannot fetch image "${path}": not a regular file`);
    size = st.size;
  } catch (e) {
    if (e instanceof FetchError) throw e;
    // the stat error only repeats the path: the message says it all
    throw new FetchError(`cannot fetch image "${path}": no such file`);
  }
  const url = `file://${path}`;
  const id = identity(path);
  const cached = store.getRemote(url);
  if (cached && cached.etag === id && store.blobSize(cached.blobkey) > 0) {
    const verifier = await sig.start();
    if (verifier) {
      for await (const chunk of readFile(path)) verifier.push(chunk);
      await verifier.finish(store.manifest(cached.blobkey).name);
    }
    return cached.blobkey;
  }
  const verifier = await sig.start();
  const { key } = await store.importAci(withProgress(readFile(path), `Fetching ${path}`, size), {
    tap: verifier && ((c) => verifier.push(c)),
    beforeCommit: verifier && ((m) => verifier.finish(m.name)),
  });
  store.setRemote({ aciurl: url, sigurl: "", etag: id, blobkey: key, cachemaxage: 0, downloadtime: Date.now() });
  return key;
}
