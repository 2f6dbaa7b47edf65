// `rkt image render IMAGE DIR`: the image with its dependencies applied (see core/image/files.ts).
import { renderImage } from "../../core/image/files.ts";
import { imageToDirCommand } from "./_to-dir.ts";

export default imageToDirCommand("render", "Render a stored image to a directory with all its dependencies", renderImage);
