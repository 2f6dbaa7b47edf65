// `rkt image extract IMAGE DIR`: the image's own files (see core/image/files.ts).
import { extractImage } from "../../core/image/files.ts";
import { imageToDirCommand } from "./_to-dir.ts";

export default imageToDirCommand("extract", "Extract a stored image to a directory", extractImage);
