import { describe, expect, test } from "bun:test";
import { UsageError } from "../errors.ts";
import { formatDockerReference, parseDockerReference } from "./reference.ts";

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("parseDockerReference", () => {
  test.each([
    ["busybox", "registry-1.docker.io", "library/busybox", "latest"],
    ["docker://busybox:1.36", "registry-1.docker.io", "library/busybox", "1.36"],
    ["docker:nginx", "registry-1.docker.io", "library/nginx", "latest"],
    ["docker://foo/bar", "registry-1.docker.io", "foo/bar", "latest"],
    ["docker://docker.io/busybox", "registry-1.docker.io", "library/busybox", "latest"],
    ["docker://index.docker.io/library/busybox:musl", "registry-1.docker.io", "library/busybox", "musl"],
    ["docker://quay.io/coreos/etcd:v3.5.0", "quay.io", "coreos/etcd", "v3.5.0"],
    ["docker://localhost/app", "localhost", "app", "latest"],
    ["docker://127.0.0.1:5000/a/b/c:x_y", "127.0.0.1:5000", "a/b/c", "x_y"],
    ["docker://gcr.io/my-proj/some__name.x:1", "gcr.io", "my-proj/some__name.x", "1"],
  ])("%s", (input, registry, repository, tag) => {
    expect(parseDockerReference(input)).toMatchObject({ registry, repository, tag });
  });

  test("a digest replaces the tag and the original is kept without the scheme", () => {
    const r = parseDockerReference(`docker://localhost:5000/foo:1@${DIGEST}`);
    expect(r).toEqual({ original: `localhost:5000/foo:1@${DIGEST}`, registry: "localhost:5000", repository: "foo", digest: DIGEST });
    expect(formatDockerReference(r)).toBe(`docker://localhost:5000/foo@${DIGEST}`);
    expect(formatDockerReference(parseDockerReference("busybox"))).toBe("docker://registry-1.docker.io/library/busybox:latest");
  });

  test.each([
    ["docker://", "the image name is empty"],
    ["docker://Busybox", 'repository component "Busybox"'],
    ["docker://busybox:bad/tag/x:", "tag"],
    ["docker://busybox@sha256:abc", "is not sha256:<64"],
    ["docker://busybox:-x", 'tag "-x" is not valid'],
    ["docker://foo//bar", 'repository component ""'],
    ["docker://exa_mple.com/x", 'registry "exa_mple.com"'],
  ])("%s is refused", (input, why) => {
    expect(() => parseDockerReference(input)).toThrow(UsageError);
    expect(() => parseDockerReference(input)).toThrow(why);
  });
});
