import { expect, test } from "bun:test";
import { guessAwsRegion, signAwsV4 } from "./aws-sigv4.ts";

test("AWS SigV4 test suite: get-vanilla", () => {
  // aws-sig-v4-test-suite/get-vanilla: GET / on example.amazonaws.com, signed at 20150830T123600Z
  const headers = signAwsV4(
    { method: "GET", url: new URL("https://example.amazonaws.com/"), headers: {} },
    { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
    { region: "us-east-1", service: "service" },
    new Date(Date.UTC(2015, 7, 30, 12, 36, 0)),
  );
  expect(headers).toEqual({
    "x-amz-date": "20150830T123600Z",
    authorization:
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
  });
});

test("S3 GET Object example of the SigV4 documentation: range, content hash, user-agent left out", () => {
  // "Example: GET Object" of the S3 API reference (sig-v4-header-based-auth)
  const headers = signAwsV4(
    {
      method: "GET",
      url: new URL("https://examplebucket.s3.amazonaws.com/test.txt"),
      headers: { range: "bytes=0-9", "user-agent": "rkt/1.30.0", "accept-encoding": "identity" },
    },
    { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
    { region: "us-east-1", service: "s3" },
    new Date(Date.UTC(2013, 4, 24)),
  );
  expect(headers).toEqual({
    "x-amz-date": "20130524T000000Z",
    "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    authorization:
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
  });
});

test("the region of an S3 host, as rkt's guessAWSRegion", () => {
  expect(guessAwsRegion("bucket.s3.amazonaws.com")).toBe("us-east-1");
  expect(guessAwsRegion("bucket.s3-external-1.amazonaws.com:443")).toBe("us-east-1");
  expect(guessAwsRegion("bucket.s3-eu-west-1.amazonaws.com")).toBe("eu-west-1");
  expect(guessAwsRegion("bucket.s3.ap-south-1.amazonaws.com")).toBe("ap-south-1");
  expect(guessAwsRegion("images.example.com")).toBe("us-east-1");
  expect(guessAwsRegion("localhost:8443")).toBe("us-east-1");
});
