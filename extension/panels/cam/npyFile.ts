/**
 * Reads NumPy .npy files (format 1.0-3.0): plain numeric arrays of any common dtype (float16 included), and
 * object arrays — `np.save` of a dict, as the engine writes CAMs — through the restricted unpickler.
 * Numeric data comes back as a typed array in C order.
 */
import { resolveArrays, unpickle } from './pickleReader';

export type NumericData =
  Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** A numeric array: descr as numpy writes it ('<f2', '|u1'...), shape, values in C order. */
export interface NdArray {
  descr: string;
  shape: number[];
  fortranOrder: boolean;
  data: NumericData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parse a whole .npy file: an NdArray, or for object arrays the unpickled value (a dict for CAM files). */
export function parseNpy(bytes: Uint8Array): NdArray | unknown {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b))
    throw new Error('not a .npy file (no \\x93NUMPY magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1] === 'True';
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new Error(`unreadable .npy header: ${header.trim()}`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const body = bytes.subarray(start + headerLen);
  if (descr === '|O') return resolveArrays(unpickle(body));
  const count = shape.reduce((a, b) => a * b, 1);
  const data = typedFromBytes(descr, body, count);
  return { descr, shape, fortranOrder: fortran, data } satisfies NdArray;
}

/** Decode raw bytes of a numpy dtype ('<f2', '>i4', '|u1', '<i8'...) into a typed array (int64 -> Float64). */
export function typedFromBytes(descr: string, bytes: Uint8Array, count?: number): NumericData {
  const m = /^([<>|=]?)([fiub])(\d+)$/.exec(descr);
  if (!m) throw new Error(`unsupported dtype ${descr} (numbers only)`);
  const [, order, kind, sizeText] = m;
  const size = Number(sizeText);
  const n = count ?? Math.floor(bytes.length / size);
  if (bytes.length < n * size) throw new Error(`array data is truncated: ${bytes.length} bytes for ${n} × ${descr}`);
  const little = order !== '>';
  const view = new DataView(bytes.buffer, bytes.byteOffset, n * size);
  const read = <T extends NumericData>(out: T, get: (offset: number) => number): T => {
    for (let i = 0; i < n; i++) out[i] = get(i * size);
    return out;
  };
  switch (`${kind}${size}`) {
    case 'f2':
      return read(new Float32Array(n), (o) => halfToFloat(view.getUint16(o, little)));
    case 'f4':
      return read(new Float32Array(n), (o) => view.getFloat32(o, little));
    case 'f8':
      return read(new Float64Array(n), (o) => view.getFloat64(o, little));
    case 'i1':
      return read(new Int8Array(n), (o) => view.getInt8(o));
    case 'u1':
    case 'b1':
      return read(new Uint8Array(n), (o) => view.getUint8(o));
    case 'i2':
      return read(new Int16Array(n), (o) => view.getInt16(o, little));
    case 'u2':
      return read(new Uint16Array(n), (o) => view.getUint16(o, little));
    case 'i4':
      return read(new Int32Array(n), (o) => view.getInt32(o, little));
    case 'u4':
      return read(new Uint32Array(n), (o) => view.getUint32(o, little));
    case 'i8':
      return read(new Float64Array(n), (o) => Number(view.getBigInt64(o, little)));
    case 'u8':
      return read(new Float64Array(n), (o) => Number(view.getBigUint64(o, little)));
    default:
      throw new Error(`unsupported dtype ${descr}`);
  }
}

/** IEEE 754 half -> number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Type guard for parseNpy's numeric result. */
export function isNdArray(v: unknown): v is NdArray {
  return typeof v === 'object' && v !== null && 'descr' in v && 'shape' in v && 'data' in v;
}
