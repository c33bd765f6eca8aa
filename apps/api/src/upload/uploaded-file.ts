/** A file part of a GraphQL multipart request, buffered in memory (bounded by MAX_UPLOAD_BYTES). */
export class UploadedFile {
  constructor(
    readonly filename: string,
    readonly mimeType: string,
    readonly buffer: Buffer,
    /** True when the part was longer than the limit and was cut off. */
    readonly truncated: boolean,
  ) {}
}
