// AWS Signature Version 4 for the GET/HEAD requests rkt sends to an auth.d `aws` domain (rkt signed
// them with aws-sdk-go's v4 signer, service "s3"): canonical request, string to sign, the derived
// key chain and the Authorization header, as the SigV4 documentation describes them. Requests
// carry no body, so the payload hash is always that of the empty string. The caller's clock is a
// parameter: the signature depends on it, and tests sign with AWS's fixed test-suite dates.

/** An access key pair (auth.d `accessKeyID`, `secretAccessKey`). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What a signature is scoped to: region (`us-east-1`) and service (`s3` for rkt). */
export interface AwsScope {
  region: string;
  service: string;
}

/** A request to sign: its headers with lowercase names, as they will be sent. */
export interface SignableRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
}

const ALGORITHM = "AWS4-HMAC-SHA256";
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/** left unsigned, as aws-sdk-go's signer did; accept-encoding is Go's transport's, added after signing */
const UNSIGNED = new Set(["authorization", "content-type", "content-length", "user-agent", "accept-encoding"]);

const sha256Hex = (s: string) => new Bun.CryptoHasher("sha256").update(s).digest("hex");
const hmac = (key: string | Uint8Array, data: string) => new Bun.CryptoHasher("sha256", key).update(data).digest();

/** RFC 3986 encoding of everything but the unreserved characters (SigV4's UriEncode). */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A URL component as the server will decode it (a stray `%` stays as it is). */
function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The path, each segment encoded once: S3's rule (other services encode twice; rkt signs for s3 only). */
function canonicalUri(url: URL): string {
  return url.pathname.split("/").map((seg) => uriEncode(decode(seg))).join("/") || "/";
}

function canonicalQuery(url: URL): string {
  return url.search
    .slice(1)
    .split("&")
    .filter((p) => p !== "")
    .map((p) => {
      const eq = p.indexOf("=");
      const [k, v] = eq < 0 ? [p, ""] : [p.slice(0, eq), p.slice(eq + 1)];
      return [uriEncode(decode(k)), uriEncode(decode(v))] as const;
    })
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

/** `20150830T123600Z` */
function amzDate(now: Date): string {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/**
 * The headers that sign `req` at time `now`: `x-amz-date`, `x-amz-content-sha256` (for s3, which
 * requires it) and `authorization`. Every header of `req` but the few aws-sdk-go left out is signed,
 * with `host` taken from the URL.
 */
export function signAwsV4(req: SignableRequest, creds: AwsCredentials, scope: AwsScope, now: Date): Record<string, string> {
  const date = amzDate(now);
  const added: Record<string, string> = { "x-amz-date": date };
  if (scope.service === "s3") added["x-amz-content-sha256"] = EMPTY_SHA256;
  const signed = new Map<string, string>([["host", req.url.host]]);
  for (const [name, value] of Object.entries({ ...req.headers, ...added })) {
    const n = name.toLowerCase();
    if (!UNSIGNED.has(n) && n !== "host") signed.set(n, value.trim().replace(/\s+/g, " "));
  }
  const names = [...signed.keys()].sort();
  const signedHeaders = names.join(";");
  const canonicalRequest = [
    req.method,
    canonicalUri(req.url),
    canonicalQuery(req.url),
    ...names.map((n) => `${n}:${signed.get(n)}`),
    "",
    signedHeaders,
    EMPTY_SHA256,
  ].join("\n");
  const credentialScope = `${date.slice(0, 8)}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = [ALGORITHM, date, credentialScope, sha256Hex(canonicalRequest)].join("\n");
  let key = hmac(`AWS4${creds.secretAccessKey}`, date.slice(0, 8));
  for (const part of [scope.region, scope.service, "aws4_request"]) key = hmac(key, part);
  const signature = hmac(key, stringToSign).toString("hex");
  return {
    ...added,
    authorization: `${ALGORITHM} Credential=${creds.accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

/**
 * The region of an S3 endpoint host as rkt's guessAWSRegion read it (`bucket.s3-eu-west-1.amazonaws.com`,
 * `bucket.s3.eu-west-1.amazonaws.com`), `us-east-1` for anything else.
 */
export function guessAwsRegion(host: string): string {
  const parts = host.split(":")[0]!.toLowerCase().split(".");
  const n = parts.length;
  if (n < 3 || parts[n - 2] !== "amazonaws") return "us-east-1";
  const name = parts.join(".");
  if (name.endsWith("s3.amazonaws.com") || name.endsWith("s3-external-1.amazonaws.com")) return "us-east-1";
  if (n > 3 && parts[n - 3]!.startsWith("s3-")) return parts[n - 3]!.slice(3);
  if (n > 4 && parts[n - 4] === "s3") return parts[n - 3]!;
  return "us-east-1";
}
