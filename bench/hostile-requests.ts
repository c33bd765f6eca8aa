// Sends hostile cases (bench/hostile-images.ts) through the GraphQL API and judges each answer:
// shared by the fuzz proof (a server process) and its test subset (the API in-process).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Expectation, HostileCase, knownPeople } from './hostile-images.js';

/** verifyIdentity compares the image with an enrolled identity; verifyPair puts it second, after a reference photo. */
export type Operation = 'detectFaces' | 'identify' | 'enrollFace' | 'verifyIdentity' | 'verifyPair';
export const OPERATIONS: readonly Operation[] = ['detectFaces', 'identify', 'enrollFace', 'verifyIdentity', 'verifyPair'];

/** Case i of a run goes through this operation: every family meets every operation over a run. */
export const operationFor = (index: number): Operation => OPERATIONS[index % OPERATIONS.length];

const DOCUMENTS = {
  detectFaces: 'query($input: FaceDetectInput!) { detectFaces(input: $input) { imageWidth imageHeight faces { score } } }',
  identify: 'query($input: IdentifyInput!) { identify(input: $input) { imageWidth imageHeight threshold faces { decision candidates { identity { externalId } } } } }',
  enrollFace: 'mutation($input: FaceEnrollInput!) { enrollFace(input: $input) { identity { id externalId } faces { id } } }',
  verify: 'query($input: VerifyInput!) { verify(input: $input) { same distance } }',
};

/** Where the cases go: the known people are enrolled in `galleryId`; enrollFace cases go to `enrollGalleryId`. */
export interface HostileTarget {
  baseUrl: string;
  /** Sent with every request (e.g. Authorization). */
  headers: Record<string, string>;
  galleryId: string;
  enrollGalleryId: string;
  /** Base64 of each known person's enrolled photo, by externalId: image A of verifyPair. */
  references: Map<string, string>;
}

export interface CaseResult {
  name: string;
  kind: string;
  operation: Operation;
  transport: HostileCase['transport'];
  status: number;
  /** The error code, or OK for an answer. */
  outcome: string;
  /** Why the answer is wrong; absent when it is right. */
  failure?: string;
  /** A successful enrollFace: one identity, face and embedding were written. */
  enrolled: boolean;
  ms: number;
}

interface GraphqlBody {
  data?: Record<string, any> | null;
  errors?: { message?: string; extensions?: { code?: unknown } }[];
}

interface RawResponse {
  status: number;
  text: string;
}

async function post(target: HostileTarget, body: FormData | string, timeoutMs: number): Promise<RawResponse> {
  const headers = typeof body === 'string' ? { ...target.headers, 'content-type': 'application/json' } : { ...target.headers, 'apollo-require-preflight': 'true' };
  const response = await fetch(`${target.baseUrl}/graphql`, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, text: await response.text() };
}

/** A plain GraphQL request that must succeed (setup). */
async function request(target: HostileTarget, query: string, variables: Record<string, unknown>): Promise<Record<string, any>> {
  const { status, text } = await post(target, JSON.stringify({ query, variables }), 60_000);
  const body = JSON.parse(text) as GraphqlBody;
  if (!body.data || body.errors) throw new Error(`setup request failed (HTTP ${status}): ${text.slice(0, 500)}`);
  return body.data;
}

/**
 * Creates the two galleries (unique names, so a shared database is fine) and enrolls the known
 * people from their neutral photos.
 */
export async function prepareTarget(baseUrl: string, headers: Record<string, string>, datasetDir: string): Promise<HostileTarget> {
  const target: HostileTarget = { baseUrl, headers, galleryId: '', enrollGalleryId: '', references: new Map() };
  const suffix = randomBytes(4).toString('hex');
  const create = async (name: string) => (await request(target, 'mutation($name: String!) { createGallery(input: { name: $name }) { id } }', { name })).createGallery.id as string;
  target.galleryId = await create(`fuzz-known-${suffix}`);
  target.enrollGalleryId = await create(`fuzz-enroll-${suffix}`);
  for (const person of knownPeople(datasetDir)) {
    const base64 = (await readFile(person.enrollPhoto)).toString('base64');
    await request(target, DOCUMENTS.enrollFace, { input: { galleryId: target.galleryId, externalId: person.externalId, imageBase64: base64 } });
    target.references.set(person.externalId, base64);
  }
  return target;
}

/** The GraphQL request for `operation` with the case's image in its transport. */
function buildRequest(target: HostileTarget, hostile: HostileCase, operation: Operation, enrollAs: string): FormData | string {
  // The person a verification compares with: the one in the photo when there is one.
  const [firstKnown] = target.references.keys();
  const knownId = hostile.expect.answer === 'person' ? hostile.expect.externalId : firstKnown;
  const { query, input, field } = {
    detectFaces: { query: DOCUMENTS.detectFaces, input: {}, field: 'image' },
    identify: { query: DOCUMENTS.identify, input: { galleryId: target.galleryId, k: 3 }, field: 'image' },
    enrollFace: { query: DOCUMENTS.enrollFace, input: { galleryId: target.enrollGalleryId, externalId: enrollAs }, field: 'image' },
    verifyIdentity: { query: DOCUMENTS.verify, input: { galleryId: target.galleryId, externalId: knownId }, field: 'imageA' },
    verifyPair: { query: DOCUMENTS.verify, input: { imageABase64: target.references.get(knownId) }, field: 'imageB' },
  }[operation];
  if (hostile.transport === 'base64') return JSON.stringify({ query, variables: { input: { ...input, [`${field}Base64`]: hostile.base64 } } });
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables: { input: { ...input, [field]: null } } }));
  form.append('map', JSON.stringify({ 0: [`variables.input.${field}`] }));
  form.append('0', new Blob([hostile.bytes]), 'image.bin');
  return form;
}

/** Sends one case and judges the answer; never throws for a bad answer (that is a failure). */
export async function sendCase(target: HostileTarget, hostile: HostileCase, operation: Operation, enrollAs: string, timeoutMs = 60_000): Promise<CaseResult> {
  const started = performance.now();
  const result = (status: number, outcome: string, failure?: string, enrolled = false): CaseResult => ({
    name: hostile.name, kind: hostile.kind, operation, transport: hostile.transport, status, outcome, failure, enrolled, ms: Math.round(performance.now() - started),
  });
  let raw: RawResponse;
  try {
    raw = await post(target, buildRequest(target, hostile, operation, enrollAs), timeoutMs);
  } catch (error) {
    return result(0, 'NO_ANSWER', `no HTTP answer: ${(error as Error).message}`);
  }
  let body: GraphqlBody;
  try {
    body = JSON.parse(raw.text) as GraphqlBody;
  } catch {
    return result(raw.status, 'NOT_JSON', `HTTP ${raw.status} with a non-JSON body: ${raw.text.slice(0, 200)}`);
  }
  const judged = judge(hostile.expect, operation, enrollAs, body);
  const failure = raw.status >= 500 ? `HTTP ${raw.status}${judged.failure ? `; ${judged.failure}` : ''}` : judged.failure;
  return result(raw.status, judged.outcome, failure, judged.outcome === 'OK' && operation === 'enrollFace');
}

const FIELD: Record<Operation, string> = {
  detectFaces: 'detectFaces', identify: 'identify', enrollFace: 'enrollFace', verifyIdentity: 'verify', verifyPair: 'verify',
};

/** The codes a case may end in for this operation (a face-free image is an answer for detect and identify). */
function allowedCodes(expect: Expectation, operation: Operation): readonly string[] {
  if (expect.answer === 'rejected' || expect.answer === 'undetermined') return expect.codes;
  if (expect.answer === 'no-face' && !['detectFaces', 'identify'].includes(operation)) return ['NO_FACE'];
  return [];
}

function judge(expect: Expectation, operation: Operation, enrollAs: string, body: GraphqlBody): { outcome: string; failure?: string } {
  if (typeof body !== 'object' || body === null || (!('data' in body) && !('errors' in body))) return { outcome: 'NOT_GRAPHQL', failure: 'a JSON body without data or errors' };
  if (body.errors?.length) {
    const codes = body.errors.map((e) => (typeof e.extensions?.code === 'string' ? e.extensions.code : 'NO_CODE'));
    const outcome = codes[0];
    const allowed = allowedCodes(expect, operation);
    const wrong = codes.find((code) => !allowed.includes(code));
    if (wrong === undefined && typeof body.errors[0].message === 'string') return { outcome };
    return { outcome, failure: `${wrong ?? outcome} (${body.errors[0].message}); expected ${describe(expect, operation)}` };
  }
  const answer = body.data?.[FIELD[operation]];
  const shapeProblem = answer && typeof answer === 'object' ? malformed(operation, answer) : 'no data for the operation';
  if (shapeProblem) return { outcome: 'MALFORMED', failure: shapeProblem };
  const wrong = incorrect(expect, operation, enrollAs, answer);
  return wrong ? { outcome: 'OK', failure: `${wrong}; expected ${describe(expect, operation)}` } : { outcome: 'OK' };
}

/** What any answer of the operation must look like. */
function malformed(operation: Operation, a: Record<string, any>): string | undefined {
  const ok = {
    detectFaces: () => Number.isInteger(a.imageWidth) && Number.isInteger(a.imageHeight) && Array.isArray(a.faces),
    identify: () => Number.isInteger(a.imageWidth) && Number.isInteger(a.imageHeight) && Array.isArray(a.faces) && typeof a.threshold === 'number',
    enrollFace: () => typeof a.identity?.id === 'string' && Array.isArray(a.faces) && a.faces.length === 1,
    verifyIdentity: () => typeof a.same === 'boolean' && typeof a.distance === 'number',
    verifyPair: () => typeof a.same === 'boolean' && typeof a.distance === 'number',
  }[operation]();
  return ok ? undefined : `malformed answer ${JSON.stringify(a).slice(0, 200)}`;
}

/** Why a well-formed answer is not the correct one; undefined when it is. */
function incorrect(expect: Expectation, operation: Operation, enrollAs: string, a: Record<string, any>): string | undefined {
  if (expect.answer === 'rejected') return 'answered instead of refusing';
  if (expect.answer === 'undetermined') return undefined;
  if ((operation === 'detectFaces' || operation === 'identify') && (a.imageWidth !== expect.width || a.imageHeight !== expect.height)) {
    return `image reported as ${a.imageWidth}×${a.imageHeight}`;
  }
  if (expect.answer === 'no-face') {
    return operation === 'detectFaces' || operation === 'identify' ? (a.faces.length === 0 ? undefined : `${a.faces.length} face(s) found`) : 'answered instead of NO_FACE';
  }
  switch (operation) {
    case 'detectFaces':
      return a.faces.length === 1 ? undefined : `${a.faces.length} faces found`;
    case 'identify': {
      const [face] = a.faces;
      const best = face?.candidates?.[0]?.identity?.externalId;
      return a.faces.length === 1 && face.decision === 'MATCH' && best === expect.externalId ? undefined : `${a.faces.length} face(s), first ${face?.decision} as ${best}`;
    }
    case 'enrollFace':
      return a.identity.externalId === enrollAs ? undefined : `enrolled as ${a.identity.externalId}`;
    case 'verifyIdentity':
    case 'verifyPair':
      return a.same ? undefined : `not the same person (distance ${a.distance})`;
  }
}

function describe(expect: Expectation, operation: Operation): string {
  switch (expect.answer) {
    case 'person': return `${expect.externalId} recognised in a ${expect.width}×${expect.height} image`;
    case 'no-face': return allowedCodes(expect, operation).length ? 'NO_FACE' : `no face in a ${expect.width}×${expect.height} image`;
    case 'rejected': return `one of ${expect.codes.join(', ')}`;
    case 'undetermined': return `an answer or one of ${expect.codes.join(', ')}`;
  }
}
