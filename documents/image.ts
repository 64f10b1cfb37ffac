// Image input (PNG, JPEG, TIFF with all its pages) decoded by sharp into grey pages, transparency flattened
// onto white.
import sharp from "sharp";
import type { GreyImage } from "../datasets/augment.ts";
import { DocumentError } from "./errors.ts";

export async function decodeImagePages(file: string, bytes: Uint8Array): Promise<GreyImage[]> {
  try {
    const meta = await sharp(bytes).metadata();
    const pages: GreyImage[] = [];
    for (let page = 0; page < (meta.pages ?? 1); page++) {
      const { data, info } = await sharp(bytes, { page, pages: 1 })
        .flatten({ background: "#ffffff" })
        .toColourspace("b-w")
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== 1) throw new Error(`expected 1 channel after conversion, got ${info.channels}`);
      pages.push({
        width: info.width,
        height: info.height,
        data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      });
    }
    return pages;
  } catch (error) {
    throw new DocumentError(
      file,
      "corrupt",
      `not a readable image (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

/** PNG bytes of a grey page (for the HTML report). */
export async function encodePng(image: GreyImage): Promise<Buffer> {
  return sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length), {
    raw: { width: image.width, height: image.height, channels: 1 },
  })
    .png({ compressionLevel: 6 })
    .toBuffer();
}
