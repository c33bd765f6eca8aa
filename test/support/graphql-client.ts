/** Minimal GraphQL-over-HTTP client for end-to-end tests: JSON bodies and multipart uploads. */
export interface GraphqlResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; [key: string]: unknown } }[];
}

export interface UploadFile {
  /** Where in `variables` the file goes, e.g. "input.image". */
  variablePath: string;
  bytes: Uint8Array;
  filename?: string;
}

export class GraphqlClient {
  constructor(
    readonly baseUrl: string,
    /** Sent as `Authorization: Bearer <apiKey>` when set. */
    readonly apiKey?: string,
  ) {}

  /** The same server, called with another API key. */
  withKey(apiKey: string): GraphqlClient {
    return new GraphqlClient(this.baseUrl, apiKey);
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    return this.apiKey ? { ...extra, authorization: `Bearer ${this.apiKey}` } : extra;
  }

  async request<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}): Promise<GraphqlResponse<T>> {
    const response = await fetch(`${this.baseUrl}/graphql`, {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/json' }),
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, ...((await response.json()) as object) };
  }

  /** GraphQL multipart request spec: `operations`, `map`, then the files. */
  async upload<T = Record<string, any>>(query: string, variables: Record<string, unknown>, files: UploadFile[]): Promise<GraphqlResponse<T>> {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query, variables: withNullPlaceholders(variables, files) }));
    form.append('map', JSON.stringify(Object.fromEntries(files.map((f, i) => [String(i), [`variables.${f.variablePath}`]]))));
    files.forEach((f, i) => form.append(String(i), new Blob([f.bytes]), f.filename ?? `file${i}`));
    const response = await fetch(`${this.baseUrl}/graphql`, {
      method: 'POST',
      headers: this.headers({ 'apollo-require-preflight': 'true' }),
      body: form,
    });
    return { status: response.status, ...((await response.json()) as object) };
  }
}

function withNullPlaceholders(variables: Record<string, unknown>, files: UploadFile[]): Record<string, unknown> {
  const copy = structuredClone(variables);
  for (const { variablePath } of files) {
    const keys = variablePath.split('.');
    let node = copy as Record<string, any>;
    for (const key of keys.slice(0, -1)) node = node[key] ??= {};
    node[keys[keys.length - 1]] = null;
  }
  return copy;
}

export const errorCode = (response: GraphqlResponse) => response.errors?.[0]?.extensions?.code;
