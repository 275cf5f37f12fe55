/**
 * A minimal zip writer for tests that need archives no honest tool writes: declared sizes that lie, thousands of
 * parts, a part that inflates a thousandfold. Entries are stored deflated; sizes and CRC are what the caller says
 * (by default the true ones). Nothing binary is committed: every archive is built by the test that uses it.
 */
import { crc32 as zlibCrc32, deflateRawSync, constants } from 'node:zlib';

export interface ZipPart {
  name: string;
  /** The deflated bytes (raw deflate). */
  deflated: Buffer;
  /** What the directory declares the part inflates to. */
  uncompressedSize: number;
  crc32?: number;
}

export const part = (name: string, content: string | Buffer): ZipPart => {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return { name, deflated: deflateRawSync(bytes), uncompressedSize: bytes.length, crc32: zlibCrc32(bytes) };
};

/**
 * A raw deflate stream of `mib` MiB of the byte `fill`, built by repeating one independently flushed MiB (a full
 * flush resets the dictionary, so the segments concatenate), then a final empty block: about 1 KB per MiB.
 */
export function deflatedRepeat(mib: number, fill = 0x20): Buffer {
  const segment = deflateRawSync(Buffer.alloc(1024 * 1024, fill), { finishFlush: constants.Z_FULL_FLUSH });
  const end = deflateRawSync(Buffer.alloc(0));
  return Buffer.concat([...Array.from({ length: mib }, () => segment), end]);
}

export function zip(parts: readonly ZipPart[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const p of parts) {
    const name = Buffer.from(p.name, 'utf8');
    const crc = p.crc32 ?? 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(p.deflated.length, 18);
    local.writeUInt32LE(p.uncompressedSize, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, p.deflated);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(p.deflated.length, 20);
    central.writeUInt32LE(p.uncompressedSize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + p.deflated.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** The parts every workbook has besides its sheet, enough for a reader to take it for an XLSX. */
export const workbookParts = (): ZipPart[] => [
  part(
    '[Content_Types].xml',
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
  ),
  part(
    'xl/workbook.xml',
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
  ),
];
