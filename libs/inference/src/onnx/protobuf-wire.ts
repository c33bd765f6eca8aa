// Protobuf wire format, read and written by hand: the project edits and emits ONNX models (a
// protobuf) without a protobuf library, and these few primitives are all that takes.

export const WIRE_VARINT = 0;
const WIRE_I64 = 1;
export const WIRE_LEN = 2;
const WIRE_I32 = 5;

export interface WireField {
  field: number;
  wireType: number;
  /** Offset of the tag. */
  start: number;
  /** Offset of the value; for length-delimited fields, of the payload after the length. */
  valueStart: number;
  /** Offset just past the field. */
  end: number;
}

// Arithmetic rather than bitwise ops: varints carry up to 64 bits and JS bitwise ops truncate to
// 32. Values above 2^53 lose precision, which only matters for comparisons we never make.
export function readVarint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= buf.length) throw new Error(`truncated protobuf varint at byte ${pos}`);
    const byte = buf[pos + i];
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return [value, pos + i + 1];
  }
  throw new Error(`protobuf varint longer than 10 bytes at byte ${pos}`);
}

export function encodeVarint(value: number): Uint8Array {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  bytes.push(value);
  return Uint8Array.from(bytes);
}

export function* wireFields(msg: Uint8Array): Generator<WireField> {
  let pos = 0;
  while (pos < msg.length) {
    const start = pos;
    const [tag, afterTag] = readVarint(msg, pos);
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    let valueStart = afterTag;
    let end: number;
    switch (wireType) {
      case WIRE_VARINT:
        end = readVarint(msg, afterTag)[1];
        break;
      case WIRE_I64:
        end = afterTag + 8;
        break;
      case WIRE_LEN: {
        const [length, payloadStart] = readVarint(msg, afterTag);
        valueStart = payloadStart;
        end = payloadStart + length;
        break;
      }
      case WIRE_I32:
        end = afterTag + 4;
        break;
      default:
        // Groups (3/4) are not used by onnx.proto; anything else is corruption.
        throw new Error(`unsupported protobuf wire type ${wireType} at byte ${start}`);
    }
    if (end > msg.length) throw new Error(`truncated protobuf field ${field} at byte ${start}`);
    yield { field, wireType, start, valueStart, end };
    pos = end;
  }
}

export function lenPayloads(msg: Uint8Array, field: number): Uint8Array[] {
  const payloads: Uint8Array[] = [];
  for (const f of wireFields(msg)) {
    if (f.field === field && f.wireType === WIRE_LEN) payloads.push(msg.subarray(f.valueStart, f.end));
  }
  return payloads;
}

const utf8 = new TextDecoder();

/** A string field's value; protobuf's last-one-wins rule for repeated occurrences. */
export function stringField(msg: Uint8Array, field: number): string {
  const payloads = lenPayloads(msg, field);
  return payloads.length === 0 ? '' : utf8.decode(payloads[payloads.length - 1]);
}

export function stringFields(msg: Uint8Array, field: number): string[] {
  return lenPayloads(msg, field).map((payload) => utf8.decode(payload));
}

export function varintField(msg: Uint8Array, field: number): number | undefined {
  let value: number | undefined;
  for (const f of wireFields(msg)) {
    if (f.field === field && f.wireType === WIRE_VARINT) value = readVarint(msg, f.valueStart)[0];
  }
  return value;
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

export function lenField(field: number, payload: Uint8Array): Uint8Array[] {
  return [encodeVarint(field * 8 + WIRE_LEN), encodeVarint(payload.length), payload];
}

/**
 * Builds one message field by field, in the order written: callers write fields in field-number
 * order, as protobuf's own serialisers do, so the same content always gives the same bytes.
 */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];

  /** A varint field (int32, int64, enum; non-negative values only: that is all ONNX needs here). */
  varint(field: number, value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`protobuf varint field ${field}: ${value} is not a non-negative integer`);
    this.chunks.push(encodeVarint(field * 8 + WIRE_VARINT), encodeVarint(value));
    return this;
  }

  bytes(field: number, payload: Uint8Array): this {
    this.chunks.push(...lenField(field, payload));
    return this;
  }

  string(field: number, text: string): this {
    return this.bytes(field, new TextEncoder().encode(text));
  }

  message(field: number, message: ProtoWriter): this {
    return this.bytes(field, message.finish());
  }

  finish(): Uint8Array {
    return concat(this.chunks);
  }
}
