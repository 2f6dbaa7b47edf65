import { describe, expect, test } from "bun:test";
import { aciEndpoints, parseMetaTags, publicKeyLocations } from "./discovery.ts";

describe("meta tags", () => {
  test("ac-* tags in document order, whatever the case and quoting; others and malformed ones dropped", () => {
    const html = `<html><head>
      <meta name="description" content="a b">
      <META NAME='ac-discovery' CONTENT='  example.com   https://example.com/{name}-{version}.{ext}  '>
      <meta name="ac-discovery-pubkeys" content="example.com https://example.com/pubkeys.gpg"/>
      <meta name="ac-discovery" content="no-uri">
      <meta name="ac-discovery" content=" ">
    </head><body><meta name="ac-discovery" content="example.com/late https://late/{name}.{ext}"></body></html>`;
    expect(parseMetaTags(html)).toEqual([
      { name: "ac-discovery", prefix: "example.com", uri: "https://example.com/{name}-{version}.{ext}" },
      { name: "ac-discovery-pubkeys", prefix: "example.com", uri: "https://example.com/pubkeys.gpg" },
      { name: "ac-discovery", prefix: "example.com/late", uri: "https://late/{name}.{ext}" },
    ]);
  });
});

describe("templates", () => {
  const tag = (prefix: string, uri: string) => ({ name: "ac-discovery", prefix, uri });
  const app = { name: "example.com/app", labels: { os: "linux", arch: "amd64" } };

  test("name, version (latest by default), os, arch, other labels and ext", () => {
    expect(aciEndpoints(app, [tag("example.com", "https://x/{name}-{version}-{os}-{arch}.{ext}")])).toEqual([
      { aci: "https://x/example.com/app-latest-linux-amd64.aci", asc: "https://x/example.com/app-latest-linux-amd64.aci.asc" },
    ]);
    const labelled = { ...app, labels: { ...app.labels, version: "1.0", channel: "beta" } };
    expect(aciEndpoints(labelled, [tag("example.com/a", "https://x/{channel}/{version}.{ext}")])).toEqual([
      { aci: "https://x/beta/1.0.aci", asc: "https://x/beta/1.0.aci.asc" },
    ]);
  });

  test("skipped: another prefix, no {ext}, an unknown variable; the prefix is a string prefix", () => {
    const tags = [
      tag("example.org", "https://x/{name}.{ext}"),
      tag("example.com", "https://x/{name}.aci"),
      tag("example.com", "https://x/{channel}/{name}.{ext}"),
      tag("example.com/ap", "https://y/{name}.{ext}"),
    ];
    expect(aciEndpoints(app, tags)).toEqual([{ aci: "https://y/example.com/app.aci", asc: "https://y/example.com/app.aci.asc" }]);
  });

  test("public keys for the name's prefixes only", () => {
    const tags = [
      { name: "ac-discovery-pubkeys", prefix: "example.com", uri: "https://k/1" },
      { name: "ac-discovery-pubkeys", prefix: "example.org", uri: "https://k/2" },
      tag("example.com", "https://x/{name}.{ext}"),
    ];
    expect(publicKeyLocations("example.com/app", tags)).toEqual(["https://k/1"]);
  });
});
