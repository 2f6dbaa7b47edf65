// The import pass alone, for the bench: the file through core/aci's decompressor into sha512.
import { decompress } from "../../core/aci/compression.ts";

const hasher = new Bun.CryptoHasher("sha512");
for await (const chunk of decompress(Bun.file(process.argv[2]!).stream())) hasher.update(chunk);
console.log(hasher.digest("hex"));
