/**
 * A restricted unpickler for what `np.save(path, {"keys": ..., "cam": ..., "high_res": ...})` writes
 * (docs/ARCHITECTURE.md run folder, engine/wsss_engine/data/cam_files.py): dicts, lists, tuples, numbers,
 * strings, bytes and numpy arrays/dtypes/scalars. It runs no code: only the numpy reconstructors below are
 * recognised; any other global is refused with an error naming it.
 */
import { typedFromBytes, type NdArray } from './npyFile';

/** A numpy dtype as the pickle builds it: dtype('f2') then BUILD sets the byte order. */
class PickledDtype {
  byteOrder = '|';
  constructor(readonly code: string) {}
  get descr(): string {
    const order = this.byteOrder === '=' ? '<' : this.byteOrder;
    return /^[a-zA-Z]\d+$/.test(this.code) && !this.code.startsWith('O') ? `${order}${this.code}` : this.code;
  }
}

/** An ndarray under construction: _reconstruct(ndarray, (0,), b'b') then BUILD (version, shape, dtype, fortran, data). */
class PickledArray {
  value: NdArray | unknown[] | undefined;
}

type Global = 'reconstruct' | 'ndarray' | 'dtype' | 'scalar' | 'OrderedDict' | 'encode';
const GLOBALS: Record<string, Global> = {
  'numpy.core.multiarray._reconstruct': 'reconstruct',
  'numpy._core.multiarray._reconstruct': 'reconstruct',
  'numpy.ndarray': 'ndarray',
  'numpy.dtype': 'dtype',
  'numpy.core.multiarray.scalar': 'scalar',
  'numpy._core.multiarray.scalar': 'scalar',
  'collections.OrderedDict': 'OrderedDict',
  '_codecs.encode': 'encode',
};

class GlobalRef {
  constructor(readonly name: Global) {}
}

const MARK = Symbol('mark');

/** Unpickle `bytes` (protocols 2-4) into plain JS values; numpy arrays become NdArray. */
export function unpickle(bytes: Uint8Array): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  const u8 = (): number => bytes[pos++];
  const u16 = (): number => ((pos += 2), view.getUint16(pos - 2, true));
  const u32 = (): number => ((pos += 4), view.getUint32(pos - 4, true));
  const u64 = (): number => ((pos += 8), Number(view.getBigUint64(pos - 8, true)));
  const take = (n: number): Uint8Array => {
    if (pos + n > bytes.length) throw new Error('truncated pickle');
    return bytes.subarray((pos += n) - n, pos);
  };
  const text = (n: number): string => new TextDecoder().decode(take(n));
  const line = (): string => {
    const end = bytes.indexOf(10, pos);
    if (end < 0) throw new Error('truncated pickle');
    const s = new TextDecoder('latin1').decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new Error('pickle MARK missing');
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const global = (module: string, name: string): GlobalRef => {
    const g = GLOBALS[`${module}.${name}`];
    if (!g) throw new Error(`refusing to load ${module}.${name} from a pickle (only numpy arrays are read)`);
    return new GlobalRef(g);
  };
  const top = (): unknown => stack[stack.length - 1];

  while (pos < bytes.length) {
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        pos += 8;
        break; // FRAME
      case 0x2e:
        return stack.pop(); // STOP
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x68:
        stack.push(memo.get(u8()));
        break; // BINGET
      case 0x6a:
        stack.push(memo.get(u32()));
        break; // LONG_BINGET
      case 0x28:
        stack.push(MARK);
        break; // MARK
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x4a:
        stack.push(view.getInt32((pos += 4) - 4, true));
        break; // BININT
      case 0x8a: {
        // LONG1
        const n = u8();
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[pos + i]);
        if (n > 0 && bytes[pos + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        pos += n;
        stack.push(Number(v));
        break;
      }
      case 0x47:
        stack.push(view.getFloat64((pos += 8) - 8, false));
        break; // BINFLOAT (big-endian)
      case 0x8c:
        stack.push(text(u8()));
        break; // SHORT_BINUNICODE
      case 0x58:
        stack.push(text(u32()));
        break; // BINUNICODE
      case 0x8d:
        stack.push(text(u64()));
        break; // BINUNICODE8
      case 0x55:
        stack.push(new TextDecoder('latin1').decode(take(u8())));
        break; // SHORT_BINSTRING
      case 0x54:
        stack.push(new TextDecoder('latin1').decode(take(u32())));
        break; // BINSTRING
      case 0x43:
        stack.push(take(u8()));
        break; // SHORT_BINBYTES
      case 0x42:
        stack.push(take(u32()));
        break; // BINBYTES
      case 0x8e:
        stack.push(take(u64()));
        break; // BINBYTES8
      case 0x96:
        stack.push(take(u64()));
        break; // BYTEARRAY8
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x85:
        stack.push([stack.pop()]);
        break; // TUPLE1
      case 0x86: {
        const b = stack.pop();
        stack.push([stack.pop(), b]);
        break;
      } // TUPLE2
      case 0x87: {
        const c = stack.pop();
        const b = stack.pop();
        stack.push([stack.pop(), b, c]);
        break;
      } // TUPLE3
      case 0x74:
        stack.push(popMark());
        break; // TUPLE
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x61: {
        const v = stack.pop();
        (top() as unknown[]).push(v);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        (top() as unknown[]).push(...items);
        break;
      } // APPENDS
      case 0x7d:
        stack.push({});
        break; // EMPTY_DICT
      case 0x73: {
        const v = stack.pop();
        const k = stack.pop();
        (top() as Record<string, unknown>)[String(k)] = v;
        break;
      } // SETITEM
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const d = top() as Record<string, unknown>;
        for (let i = 0; i < items.length; i += 2) d[String(items[i])] = items[i + 1];
        break;
      }
      case 0x63: {
        const module = line();
        stack.push(global(module, line()));
        break;
      } // GLOBAL
      case 0x93: {
        const name = stack.pop() as string;
        stack.push(global(stack.pop() as string, name));
        break;
      } // STACK_GLOBAL
      case 0x52: {
        const args = stack.pop() as unknown[];
        stack.push(reduce(stack.pop(), args));
        break;
      } // REDUCE
      case 0x62: {
        const state = stack.pop();
        build(top(), state);
        break;
      } // BUILD
      default:
        throw new Error(`unsupported pickle opcode 0x${op.toString(16)} at byte ${pos - 1}`);
    }
  }
  throw new Error('pickle has no STOP');
}

function reduce(callable: unknown, args: unknown[]): unknown {
  if (!(callable instanceof GlobalRef)) throw new Error('pickle REDUCE on something that is not a known global');
  switch (callable.name) {
    case 'reconstruct':
      return new PickledArray();
    case 'dtype':
      return new PickledDtype(String(args[0]));
    case 'OrderedDict':
      return {};
    case 'encode':
      return Uint8Array.from(String(args[0]), (c) => c.charCodeAt(0) & 0xff); // protocol 2 bytes, latin1
    case 'scalar': {
      const dtype = args[0] as PickledDtype;
      const data = typedFromBytes(dtype.descr, args[1] as Uint8Array);
      return data[0];
    }
    default:
      throw new Error(`pickle calls ${callable.name} in an unsupported way`);
  }
}

function build(obj: unknown, state: unknown): void {
  if (obj instanceof PickledDtype) {
    obj.byteOrder = String((state as unknown[])[1]);
    return;
  }
  if (obj instanceof PickledArray) {
    const [, shape, dtype, fortran, data] = state as [number, number[], PickledDtype, boolean, unknown];
    if (data instanceof Uint8Array) {
      obj.value = { descr: dtype.descr, shape, fortranOrder: fortran, data: typedFromBytes(dtype.descr, data) };
    } else {
      obj.value = data as unknown[]; // object array: its elements (np.save of a dict: [dict])
    }
    return;
  }
  throw new Error('pickle BUILD on an unsupported object');
}

/** Replace every PickledArray in an unpickled tree by its NdArray (0-d object arrays by their element). */
export function resolveArrays(value: unknown): unknown {
  if (value instanceof PickledArray) {
    const v = value.value;
    if (Array.isArray(v)) return v.length === 1 ? resolveArrays(v[0]) : v.map(resolveArrays);
    return v;
  }
  if (Array.isArray(value)) return value.map(resolveArrays);
  if (value && typeof value === 'object' && !(value instanceof Uint8Array) && !ArrayBuffer.isView(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveArrays(v)]));
  }
  return value;
}
