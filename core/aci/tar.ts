// The tar format of ACI archives: a push parser that never buffers file data (entries go to a
// TarSink as zero-copy subarrays of the pushed chunks) and a writer for the ACI builder and tests.
// Reads ustar, old GNU and v7 headers, GNU long names/links (L/K), pax extended (x) and global (g)
// headers and base-256 numbers, verifying each header checksum (POSIX.1-2017 pax, GNU tar manual
// "Basic Tar Format"). Writes ustar, with a pax header only for what ustar cannot hold.
import { RktError, VerificationError } from "../errors.ts";

export type TarEntryType = "file" | "directory" | "symlink" | "link" | "char" | "block" | "fifo";

export interface TarHeader {
  name: string;
  type: TarEntryType;
  /** permission bits plus setuid/setgid/sticky */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** bytes of data that follow (0 for every type but "file") */
  size: number;
  /** seconds since the epoch, fractional when a pax header says so */
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** pax SCHILY.xattr.* records */
  xattrs: Record<string, Uint8Array>;
}

/** Receives a tar stream entry by entry: entry(), data() for `size` bytes in total, end(). */
export interface TarSink {
  entry(h: TarHeader): void;
  /** a piece of the entry's data; only valid during the call (it aliases the pushed chunk) */
  data(chunk: Uint8Array): void;
  /** the current entry is complete */
  end(): void;
  /** the whole archive was read and is complete (TarParser.finish) */
  finish?(): void;
}

export interface TarParserOptions {
  /** refuse file entries larger than this (default: no limit) */
  maxEntrySize?: number;
  /** refuse archives with more entries than this (default: no limit) */
  maxEntries?: number;
}

const BLOCK = 512;
/** pax and GNU long-name payloads are held in memory: bound them */
const MAX_META_SIZE = 1 << 20;

const TYPES: Record<string, TarEntryType> = {
  "0": "file",
  "\0": "file",
  "7": "file",
  "1": "link",
  "2": "symlink",
  "3": "char",
  "4": "block",
  "5": "directory",
  "6": "fifo",
};
type MetaType = "L" | "K" | "x" | "g";
const META = new Set(["L", "K", "x", "g"]);

const utf8 = new TextDecoder("utf-8", { fatal: true });

function fail(msg: string): never {
  throw new VerificationError(`cannot read tar archive: ${msg}`);
}

/** A NUL-terminated string field. */
function str(b: Uint8Array, off: number, len: number): string {
  let end = off;
  const max = off + len;
  let ascii = true;
  while (end < max && b[end] !== 0) {
    if (b[end]! > 0x7f) ascii = false;
    end++;
  }
  if (ascii) return String.fromCharCode.apply(null, b.subarray(off, end) as unknown as number[]);
  try {
    return utf8.decode(b.subarray(off, end));
  } catch {
    return fail(`a header field is not valid UTF-8 at byte ${off}`);
  }
}

/** An octal field (space/NUL padded), or base-256 when the high bit of the first byte is set. */
function num(b: Uint8Array, off: number, len: number): number {
  const first = b[off]!;
  if (first & 0x80) {
    // GNU base-256: big-endian two's complement in the bits after the marker bit.
    let v = first & 0x40 ? (first & 0x7f) - 0x80 : first & 0x7f;
    for (let i = off + 1; i < off + len; i++) v = v * 256 + b[i]!;
    if (!Number.isSafeInteger(v)) fail(`a base-256 number at byte ${off} is too large`);
    return v;
  }
  let v = 0;
  let i = off;
  const end = off + len;
  while (i < end && (b[i] === 0x20 || b[i] === 0)) i++;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) fail(`invalid octal number at byte ${off}`);
    v = v * 8 + (c - 0x30);
  }
  return v;
}

function checksumOk(b: Uint8Array): boolean {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  const want = num(b, 148, 8);
  return want === unsigned || want === signed;
}

function roundUp(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

/** Pax records "LEN key=value\n", values kept as bytes (xattr values may be binary). */
function paxRecords(buf: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let pos = 0;
  while (pos < buf.length) {
    let sp = pos;
    while (sp < buf.length && buf[sp] !== 0x20) sp++;
    const len = Number(Buffer.from(buf.subarray(pos, sp)).toString("latin1"));
    if (!Number.isInteger(len) || len <= 0 || pos + len > buf.length || buf[pos + len - 1] !== 0x0a) {
      if (buf.subarray(pos).every((c) => c === 0)) break; // NUL padding after the last record
      fail("malformed pax record");
    }
    const rec = buf.subarray(sp + 1, pos + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) fail("malformed pax record");
    let key: string;
    try {
      key = utf8.decode(rec.subarray(0, eq));
    } catch {
      return fail("a pax record key is not valid UTF-8");
    }
    out.set(key, rec.subarray(eq + 1));
    pos += len;
  }
  return out;
}

function paxString(v: Uint8Array, key: string): string {
  try {
    return utf8.decode(v);
  } catch {
    return fail(`pax record ${key} is not valid UTF-8`);
  }
}

function paxNumber(v: Uint8Array, key: string): number {
  const s = paxString(v, key);
  const n = Number(s);
  if (s === "" || !Number.isFinite(n)) fail(`pax record ${key} is not a number: ${JSON.stringify(s)}`);
  return n;
}

/** Applies pax records to a header (POSIX.1-2017 pax "extended header keywords"). */
function applyPax(h: TarHeader, recs: Map<string, Uint8Array>): void {
  for (const [key, v] of recs) {
    if (v.length === 0) continue; // an empty value cancels a global one: nothing to apply
    switch (key) {
      case "path":
        h.name = paxString(v, key);
        break;
      case "linkpath":
        h.linkname = paxString(v, key);
        break;
      case "size":
        h.size = paxNumber(v, key);
        break;
      case "uid":
        h.uid = paxNumber(v, key);
        break;
      case "gid":
        h.gid = paxNumber(v, key);
        break;
      case "uname":
        h.uname = paxString(v, key);
        break;
      case "gname":
        h.gname = paxString(v, key);
        break;
      case "mtime":
        h.mtime = paxNumber(v, key);
        break;
      case "SCHILY.devmajor":
        h.devmajor = paxNumber(v, key);
        break;
      case "SCHILY.devminor":
        h.devminor = paxNumber(v, key);
        break;
      default:
        if (key.startsWith("SCHILY.xattr.")) h.xattrs[key.slice(13)] = v.slice();
        else if (key.startsWith("GNU.sparse.")) fail(`sparse files are not supported (${key})`);
    }
  }
}

const enum State {
  Header,
  Data,
  Padding,
  Meta,
  End,
}

/**
 * A synchronous push parser. Feed it with push() in any chunking; call finish() at the end of
 * input: it throws when the archive is truncated, and then calls the sink's finish().
 */
export class TarParser {
  private state = State.Header;
  /** a header block split across pushes */
  private partial = new Uint8Array(BLOCK);
  private partialLen = 0;
  /** bytes left of the current entry's data (or meta payload), then of its padding */
  private remaining = 0;
  private padding = 0;
  private current = "";
  private entries = 0;
  /** archive offset of the current header, for messages */
  private offset = 0;
  /** bytes pushed before the current chunk */
  private base = 0;
  private zeroBlocks = 0;
  private meta?: { type: MetaType; buf: Uint8Array; len: number };
  private longName?: string;
  private longLink?: string;
  private pax?: Map<string, Uint8Array>;
  private global = new Map<string, Uint8Array>();

  constructor(
    private readonly sink: TarSink,
    private readonly opts: TarParserOptions = {},
  ) {}

  /** Parses `chunk`; data reaches the sink as subarrays of it, before push returns. */
  push(chunk: Uint8Array): void {
    let pos = 0;
    const len = chunk.length;
    while (pos < len) {
      switch (this.state) {
        case State.Header: {
          if (this.partialLen === 0 && len - pos >= BLOCK) {
            pos += BLOCK;
            this.offset = this.base + pos - BLOCK;
            this.header(chunk.subarray(pos - BLOCK, pos));
          } else {
            const n = Math.min(BLOCK - this.partialLen, len - pos);
            this.partial.set(chunk.subarray(pos, pos + n), this.partialLen);
            this.partialLen += n;
            pos += n;
            if (this.partialLen === BLOCK) {
              this.partialLen = 0;
              this.offset = this.base + pos - BLOCK;
              this.header(this.partial);
            }
          }
          break;
        }
        case State.Data: {
          const n = Math.min(this.remaining, len - pos);
          this.sink.data(chunk.subarray(pos, pos + n));
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.endData();
          break;
        }
        case State.Meta: {
          const m = this.meta!;
          const n = Math.min(this.remaining, len - pos);
          m.buf.set(chunk.subarray(pos, pos + n), m.len);
          m.len += n;
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.endMeta();
          break;
        }
        case State.Padding: {
          const n = Math.min(this.padding, len - pos);
          pos += n;
          this.padding -= n;
          if (this.padding === 0) this.state = State.Header;
          break;
        }
        case State.End:
          return; // whatever follows the end marker (record padding) is not part of the archive
      }
    }
    this.base += len;
  }

  /** Declares the end of input; throws when the archive stops early. Calls the sink's finish(). */
  finish(): void {
    if (this.state === State.Data || this.state === State.Meta || this.state === State.Padding) {
      fail(`unexpected end of archive inside entry "${this.current}"`);
    }
    if (this.partialLen !== 0) fail("unexpected end of archive inside a header");
    if (this.state !== State.End && this.zeroBlocks === 0) fail("unexpected end of archive (no end-of-archive marker)");
    this.sink.finish?.();
  }

  private header(b: Uint8Array): void {
    if (isZero(b)) {
      // Two zero blocks end the archive; accept one at the very end as Go's archive/tar does.
      if (++this.zeroBlocks === 2) this.state = State.End;
      return;
    }
    if (this.zeroBlocks !== 0) fail(`data after an end-of-archive block at offset ${this.offset}`);
    if (!checksumOk(b)) fail(`invalid header checksum at offset ${this.offset}`);
    const flag = String.fromCharCode(b[156]!);
    const size = num(b, 124, 12);
    if (META.has(flag)) {
      if (size > MAX_META_SIZE) fail(`extended header of ${size} bytes at offset ${this.offset} is too large`);
      this.meta = { type: flag as MetaType, buf: new Uint8Array(size), len: 0 };
      this.current = `(${flag} header)`;
      this.remaining = size;
      this.padding = roundUp(size) - size;
      if (size === 0) this.endMeta();
      else this.state = State.Meta;
      return;
    }
    const h = this.parseHeader(b, flag, size);
    if (this.opts.maxEntries !== undefined && ++this.entries > this.opts.maxEntries) {
      fail(`more than ${this.opts.maxEntries} entries`);
    }
    if (h.size > 0 && this.opts.maxEntrySize !== undefined && h.size > this.opts.maxEntrySize) {
      fail(`entry "${h.name}" is ${h.size} bytes, more than the limit of ${this.opts.maxEntrySize}`);
    }
    this.current = h.name;
    this.sink.entry(h);
    this.remaining = h.size;
    // A GNU dumpdir's listing is skipped as padding: the sink sees a plain directory.
    this.padding = roundUp(flag === "D" ? size : h.size) - h.size;
    if (h.size === 0) this.endData();
    else this.state = State.Data;
  }

  private parseHeader(b: Uint8Array, flag: string, size: number): TarHeader {
    let type = TYPES[flag];
    if (flag === "D") type = "directory"; // GNU dumpdir: a directory plus a listing we skip
    if (type === undefined) fail(`unsupported entry type ${JSON.stringify(flag)} for "${str(b, 0, 100)}"`);
    const magic = str(b, 257, 8);
    const ustar = magic === "ustar";
    let name = str(b, 0, 100);
    // The prefix field exists in ustar only; old GNU headers keep other data there.
    if (ustar && b[345] !== 0) name = `${str(b, 345, 155)}/${name}`;
    const h: TarHeader = {
      name,
      type,
      mode: num(b, 100, 8) & 0o7777,
      uid: num(b, 108, 8),
      gid: num(b, 116, 8),
      uname: magic.startsWith("ustar") ? str(b, 265, 32) : "",
      gname: magic.startsWith("ustar") ? str(b, 297, 32) : "",
      size,
      mtime: num(b, 136, 12),
      linkname: str(b, 157, 100),
      devmajor: type === "char" || type === "block" ? num(b, 329, 8) : 0,
      devminor: type === "char" || type === "block" ? num(b, 337, 8) : 0,
      xattrs: {},
    };
    if (this.global.size) applyPax(h, this.global);
    if (this.pax) applyPax(h, this.pax);
    if (this.longName !== undefined) h.name = this.longName;
    if (this.longLink !== undefined) h.linkname = this.longLink;
    this.pax = this.longName = this.longLink = undefined;
    if (flag === "\0" && h.name.endsWith("/")) h.type = "directory"; // pre-POSIX directories
    if (h.type !== "file") h.size = 0; // header-only types carry no data
    if (!Number.isSafeInteger(h.size) || h.size < 0) fail(`entry "${h.name}" has an invalid size`);
    if (h.name === "") fail(`entry at offset ${this.offset} has an empty name`);
    return h;
  }

  private endData(): void {
    this.sink.end();
    this.state = this.padding ? State.Padding : State.Header;
  }

  private endMeta(): void {
    const m = this.meta!;
    this.meta = undefined;
    const payload = m.buf.subarray(0, m.len);
    if (m.type === "L" || m.type === "K") {
      const s = str(payload, 0, payload.length);
      if (m.type === "L") this.longName = s;
      else this.longLink = s;
    } else if (m.type === "x") {
      this.pax = paxRecords(payload);
    } else {
      for (const [k, v] of paxRecords(payload)) {
        if (v.length === 0) this.global.delete(k);
        else this.global.set(k, v);
      }
    }
    this.state = this.padding ? State.Padding : State.Header;
  }
}

/** An entry for TarWriter.add: the header fields it needs, the rest defaulted. */
export type TarEntry = Partial<TarHeader> & Pick<TarHeader, "name" | "type"> & { data?: Uint8Array };

const MAX_OCTAL = (digits: number) => 8 ** digits - 1;
const enc = new TextEncoder();

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Fills a complete TarHeader from a partial one. */
export function tarHeader(e: TarEntry): TarHeader {
  const { data, ...fields } = e;
  return {
    mode: e.type === "directory" ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    uname: "",
    gname: "",
    size: data?.length ?? 0,
    mtime: 0,
    linkname: "",
    devmajor: 0,
    devminor: 0,
    xattrs: {},
    ...fields,
  };
}

/**
 * Writes a tar stream: ustar headers, plus a pax header when a name, number or xattr does not fit
 * ustar. Output goes to `write` in chunks of up to `bufferSize` bytes (large data passes straight
 * through). As a TarSink it can copy a parsed archive; add() writes one entry at once.
 */
export class TarWriter implements TarSink {
  private buf: Uint8Array;
  private used = 0;
  private left = 0;
  private size = 0;
  private name = "";
  private paxCount = 0;

  constructor(
    private readonly write: (chunk: Uint8Array) => void,
    bufferSize = 256 * 1024,
  ) {
    this.buf = new Uint8Array(bufferSize);
  }

  /** Writes one whole entry; `data` (when given) sets the size. */
  add(e: TarEntry): void {
    this.entry(tarHeader(e));
    if (e.data?.length) this.data(e.data);
    this.end();
  }

  /** Starts an entry whose `size` bytes of data follow through data(). */
  entry(h: TarHeader): void {
    const pax: [string, Uint8Array | string][] = [];
    const name = h.type === "directory" && !h.name.endsWith("/") ? `${h.name}/` : h.name;
    const split = isAscii(name) ? splitUstarName(name) : undefined;
    if (!split) pax.push(["path", name]);
    if (!isAscii(h.linkname) || h.linkname.length > 100) pax.push(["linkpath", h.linkname]);
    if (!isAscii(h.uname) || h.uname.length > 32) pax.push(["uname", h.uname]);
    if (!isAscii(h.gname) || h.gname.length > 32) pax.push(["gname", h.gname]);
    const size = h.type === "file" ? h.size : 0;
    for (const [key, v, digits] of [["size", size, 11], ["uid", h.uid, 7], ["gid", h.gid, 7]] as const) {
      if (v > MAX_OCTAL(digits)) pax.push([key, String(v)]);
    }
    if (!Number.isInteger(h.mtime) || h.mtime < 0 || h.mtime > MAX_OCTAL(11)) pax.push(["mtime", String(h.mtime)]);
    for (const [k, v] of Object.entries(h.xattrs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      pax.push([`SCHILY.xattr.${k}`, v]);
    }
    if (pax.length) {
      const body = paxBody(pax);
      const base = (split ? split[1] : name).split("/").filter(Boolean).pop() ?? "";
      this.put(
        ustarBlock({ ...h, name: `PaxHeaders.${this.paxCount++}/${base}`.slice(0, 100), size: body.length, type: "file", linkname: "" }, "x"),
      );
      this.putData(body);
      this.pad(body.length);
    }
    const [prefix, short] = split ?? ["", name.slice(0, 100)];
    this.put(ustarBlock({ ...h, name: short, size, linkname: h.linkname.slice(0, 100) }, FLAG[h.type], prefix));
    this.name = h.name;
    this.size = this.left = size;
  }

  data(chunk: Uint8Array): void {
    if (chunk.length > this.left) throw new RktError(`cannot write tar entry "${this.name}": more data than its size`);
    this.left -= chunk.length;
    this.putData(chunk);
  }

  end(): void {
    if (this.left !== 0) throw new RktError(`cannot write tar entry "${this.name}": ${this.left} bytes of data missing`);
    this.pad(this.size);
  }

  /** Writes the end-of-archive marker and flushes. */
  finish(): void {
    this.put(new Uint8Array(BLOCK * 2));
    this.flush();
  }

  private putData(chunk: Uint8Array): void {
    if (chunk.length >= this.buf.length / 2) {
      this.flush();
      this.write(chunk);
    } else {
      this.put(chunk);
    }
  }

  private pad(n: number): void {
    const rest = (BLOCK - (n % BLOCK)) % BLOCK;
    if (rest) this.put(new Uint8Array(rest));
  }

  private put(b: Uint8Array): void {
    if (this.used + b.length > this.buf.length) this.flush();
    if (b.length > this.buf.length) return this.write(b);
    this.buf.set(b, this.used);
    this.used += b.length;
  }

  private flush(): void {
    if (this.used === 0) return;
    this.write(this.buf.slice(0, this.used));
    this.used = 0;
  }
}

/** The bytes of a tar of exactly these entries, for tests that feed a parser directly. */
export function tarBytes(entries: TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const w = new TarWriter((c) => parts.push(c));
  for (const e of entries) w.add(e);
  w.finish();
  const all = Buffer.concat(parts);
  return new Uint8Array(all.buffer, all.byteOffset, all.length);
}

const FLAG: Record<TarEntryType, string> = {
  file: "0",
  link: "1",
  symlink: "2",
  char: "3",
  block: "4",
  directory: "5",
  fifo: "6",
};

/** [prefix, name] when `name` fits ustar's 155+100 byte fields, split at a slash. */
function splitUstarName(name: string): [string, string] | undefined {
  if (name.length <= 100) return ["", name];
  // The split slash is never the last character (a directory's trailing slash stays in the name).
  const i = name.lastIndexOf("/", Math.min(name.length - 1, 156) - 1);
  const rest = name.length - i - 1;
  return i > 0 && i <= 155 && rest > 0 && rest <= 100 ? [name.slice(0, i), name.slice(i + 1)] : undefined;
}

/** Pax records; each record's length counts its own digits. */
function paxBody(recs: [string, Uint8Array | string][]): Uint8Array {
  const parts = recs.map(([k, v]) => {
    const val = typeof v === "string" ? enc.encode(v) : v;
    const rest = enc.encode(` ${k}=`).length + val.length + 1;
    let len = rest + String(rest).length;
    if (String(len).length !== String(rest).length) len = rest + String(len).length;
    return Buffer.concat([enc.encode(`${len} ${k}=`), val, enc.encode("\n")]);
  });
  return Buffer.concat(parts);
}

function putStr(b: Uint8Array, off: number, len: number, s: string): void {
  b.set(enc.encode(s).subarray(0, len), off);
}

function putNum(b: Uint8Array, off: number, len: number, v: number): void {
  if (v >= 0 && v <= MAX_OCTAL(len - 1)) {
    putStr(b, off, len - 1, Math.floor(v).toString(8).padStart(len - 1, "0"));
    return;
  }
  // GNU base-256 for what octal cannot hold (only device numbers get here; pax carries the rest).
  let x = BigInt(Math.floor(Math.max(0, v)));
  for (let i = off + len - 1; i > off; i--, x >>= 8n) b[i] = Number(x & 0xffn);
  b[off] = 0x80;
}

function ustarBlock(h: TarHeader, flag: string, prefix = ""): Uint8Array {
  const b = new Uint8Array(BLOCK);
  putStr(b, 0, 100, h.name);
  putNum(b, 100, 8, h.mode & 0o7777);
  putNum(b, 108, 8, Math.min(h.uid, MAX_OCTAL(7)));
  putNum(b, 116, 8, Math.min(h.gid, MAX_OCTAL(7)));
  putNum(b, 124, 12, h.size > MAX_OCTAL(11) ? 0 : h.size);
  putNum(b, 136, 12, Math.min(Math.max(0, Math.floor(h.mtime)), MAX_OCTAL(11)));
  b[156] = flag.charCodeAt(0);
  putStr(b, 157, 100, h.linkname);
  putStr(b, 257, 8, "ustar\u000000");
  putStr(b, 265, 32, h.uname.slice(0, 32));
  putStr(b, 297, 32, h.gname.slice(0, 32));
  putNum(b, 329, 8, h.devmajor);
  putNum(b, 337, 8, h.devminor);
  putStr(b, 345, 155, prefix);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  putStr(b, 148, 7, sum.toString(8).padStart(6, "0") + "\0");
  return b;
}
