/**
 * Property-based fuzzing (fast-check) of every RPC of EnvelopeProcessorService and
 * KeyManagementService, through the real servers on loopback (embedded mode):
 *
 *  1. raw request bodies: arbitrary bytes, and bit flips, truncations and extensions of a valid
 *     request, with a valid agent token, without one, and with a garbage one;
 *  2. mutated envelopes: bit flips, truncation, extension, part swaps between two valid envelopes,
 *     garbage headers and hostile EnvelopeHeader fields re-signed with real sender keys, each sent
 *     and verified;
 *  3. signed statements with hostile fields for RegisterIdentity, Authenticate, RotateIdentityKey,
 *     UploadPrekeyBundle and RotateSessionKey, signed with real keys.
 *
 * Every answer must be a status the caller can act on — never INTERNAL or UNKNOWN — and OK only
 * where the request was valid. Nothing invalid may be stored: the recipients' queues end up holding
 * exactly the accepted sends (delivered or reported expired), refused statements change nothing,
 * refused registrations leave no identity. The servers must answer normal calls afterwards.
 *
 * Two example tests pin down faults the fuzzing found (VerifyEnvelope INTERNAL on a superseded
 * key at a time beyond JavaScript dates; RegisterIdentity burning the credential when the key is
 * already registered). A failing property prints its seed and shrunk counterexample.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  create,
  type DescMessage,
  type DescMethod,
  fromBinary,
  type MessageInitShape,
  toBinary,
} from '@bufbuild/protobuf';
import { AgentKeys, KeyManagementClient, MemoryKeyStore } from '@proof-messenger/client-sdk';
import {
  CompositeSigner,
  equalBytes,
  KemKeyPair,
  keyIdOf,
  nativeProvider,
  suiteSizes,
  utf8,
} from '@proof-messenger/crypto';
import { Code, ProofMessengerError, Reason } from '@proof-messenger/errors';
import {
  AuthenticationStatementSchema,
  type ContentMode,
  type Envelope,
  type EnvelopeHeader,
  EnvelopeHeaderSchema,
  EnvelopeProcessorService,
  EnvelopeSchema,
  IdentityRegistrationSchema,
  IdentityRotationSchema,
  KeyManagementService,
  NoticeKind,
  PrekeySchema,
  type Priority,
  type RotationSchedule,
  SendMessageResponseSchema,
  SendMessagesResponseSchema,
  SessionKeySchema,
  type SignedStatement,
  SignedStatementSchema,
  type Suite,
} from '@proof-messenger/proto';
import {
  checkAgentId,
  envelopeSignedBytes,
  newMessageId,
  parseEnvelopeHeader,
  SIGNATURE_CONTEXT,
  sealEnvelope,
  signStatement,
  statementSignedBytes,
} from '@proof-messenger/protocol';
import {
  type Logger,
  PromiseClient,
  type RequestInit,
  type ResponseOf,
  type UnaryMethodName,
} from '@proof-messenger/rpc';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../key-management/test/service-harness.ts';
import { loadConfig } from '../src/config.ts';
import {
  createEnvelopeProcessorServer,
  type EnvelopeProcessorServer,
} from '../src/envelope-processor-server.ts';

const provider = nativeProvider;

/** Runs per property; together they keep the file well under a minute on two cores. */
const RUNS = { rawPerMethod: 40, envelopes: 300, statements: 80 } as const;

// --- A raw grpc-js client -------------------------------------------------------------------
// Raw bytes must reach the server unencoded, which only grpc-js's own Client allows (its request
// serializer is ours). grpc-js is a dependency of @proof-messenger/rpc, not of this service, so the
// copy rpc uses is loaded from rpc's location; only the few members used here are typed.

interface RawStatus {
  readonly code: number;
  readonly details: string;
}
interface RawMetadata {
  set(key: string, value: string): void;
}
type Pass = (bytes: Buffer) => Buffer;
interface RawStream {
  on(event: 'data', listener: (data: Buffer) => void): RawStream;
  on(event: 'error', listener: (error: RawStatus) => void): RawStream;
  on(event: 'status', listener: (status: RawStatus) => void): RawStream;
  cancel(): void;
}
interface RawClient {
  makeUnaryRequest(
    path: string,
    serialize: Pass,
    deserialize: Pass,
    argument: Buffer,
    metadata: RawMetadata,
    options: { deadline: number },
    callback: (error: RawStatus | null, value?: Buffer) => void,
  ): unknown;
  makeServerStreamRequest(
    path: string,
    serialize: Pass,
    deserialize: Pass,
    argument: Buffer,
    metadata: RawMetadata,
    options: object,
  ): RawStream;
  close(): void;
}
interface GrpcJs {
  readonly Client: new (address: string, credentials: unknown) => RawClient;
  readonly Metadata: new () => RawMetadata;
  readonly credentials: { createInsecure(): unknown };
}

const rpcEntry = createRequire(import.meta.url).resolve('@proof-messenger/rpc');
const grpc = createRequire(rpcEntry)('@grpc/grpc-js') as GrpcJs;
const pass: Pass = (bytes) => bytes;

function metadataFor(authorization: string | undefined): RawMetadata {
  const metadata = new grpc.Metadata();
  if (authorization !== undefined) metadata.set('authorization', authorization);
  return metadata;
}

interface RawAnswer {
  readonly code: number;
  readonly details: string;
  readonly response?: Buffer;
}

function rawUnary(
  client: RawClient,
  path: string,
  body: Uint8Array,
  authorization: string | undefined,
  timeoutMs: number,
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      pass,
      pass,
      Buffer.from(body),
      metadataFor(authorization),
      { deadline: Date.now() + timeoutMs },
      (error, response) =>
        resolve(
          error ? { code: error.code, details: error.details } : { code: 0, details: '', response },
        ),
    );
  });
}

/** Opens a server stream; answers its status, or 'open' if none came within `openMs` (then cancels). */
function rawStream(
  client: RawClient,
  path: string,
  body: Uint8Array,
  authorization: string | undefined,
  openMs: number,
): Promise<RawAnswer | 'open'> {
  return new Promise((resolve) => {
    const call = client.makeServerStreamRequest(
      path,
      pass,
      pass,
      Buffer.from(body),
      metadataFor(authorization),
      {},
    );
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      call.cancel();
      resolve('open');
    }, openMs);
    call.on('data', () => {});
    call.on('error', () => {}); // the 'status' event carries the same status
    call.on('status', (status) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ code: status.code, details: status.details });
    });
  });
}

// --- Statuses -------------------------------------------------------------------------------

/** Every status a refusal may carry: each tells the caller what to fix. */
const REFUSALS: readonly number[] = [
  Code.INVALID_ARGUMENT,
  Code.UNAUTHENTICATED,
  Code.PERMISSION_DENIED,
  Code.NOT_FOUND,
  Code.FAILED_PRECONDITION,
  Code.ALREADY_EXISTS,
  Code.RESOURCE_EXHAUSTED,
];

const codeNames = new Map(Object.entries(Code).map(([name, value]) => [value as number, name]));
const nameOf = (code: number) => codeNames.get(code) ?? String(code);

/** The status a PromiseClient call ends with, and the response when OK. */
async function outcome<T>(
  promise: Promise<T>,
): Promise<{ code: number; message: string; value?: T }> {
  try {
    return { code: Code.OK, message: '', value: await promise };
  } catch (error) {
    if (error instanceof ProofMessengerError) return { code: error.code, message: error.message };
    throw error;
  }
}

function expectRefusal(code: number, message: string, context: string): void {
  if (!REFUSALS.includes(code)) {
    throw new Error(`${context}: answered ${nameOf(code)} (${message}); expected a refusal status`);
  }
}

// --- Generators -----------------------------------------------------------------------------

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const i32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
const i64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme-ascii', maxLength }),
  );
const bytes = (maxLength: number) => fc.uint8Array({ maxLength });
const exactBytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
/** Byte strings of exactly `length`, one off, or anything short. */
const sizedBytes = (length: number) =>
  fc.oneof(exactBytes(length), exactBytes(length - 1), exactBytes(length + 1), bytes(48));
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const keyIdLike = fc.string({ unit: fc.constantFrom(...BASE64URL), minLength: 22, maxLength: 22 });

/** Mostly `valid`, sometimes one of `hostile`: deep code paths need most fields valid at once. */
function mostly<T>(valid: fc.Arbitrary<T>, ...hostile: fc.Arbitrary<T>[]): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: fc.oneof(...hostile), weight: 1 });
}

/** A time: an offset from the server clock, or any int64 (edges included). */
type When = { readonly offsetMs: number } | { readonly absolute: bigint };
const EDGE_TIMES = [
  0n,
  1n,
  -1n,
  8_640_000_000_000_000n, // the largest JavaScript Date
  8_640_000_000_000_001n,
  1n << 53n,
  (1n << 63n) - 1n,
  -(1n << 63n),
];
const freshWhen: fc.Arbitrary<When> = fc.record({
  offsetMs: fc.integer({ min: -200_000, max: 200_000 }),
});
const hostileWhen: fc.Arbitrary<When> = fc.oneof(
  fc.record({ offsetMs: fc.integer({ min: 400_000, max: 1e10 }) }),
  fc.record({ offsetMs: fc.integer({ min: -1e10, max: -400_000 }) }),
  fc.record({ absolute: i64 }),
  { arbitrary: fc.record({ absolute: fc.constantFrom(...EDGE_TIMES) }), weight: 3 },
);
const when: fc.Arbitrary<When> = mostly(freshWhen, hostileWhen);
/** Whether a time is within the servers' 300 s windows (the generator keeps clear of the edge). */
const isFresh = (w: When) => 'offsetMs' in w && Math.abs(w.offsetMs) <= 200_000;

// Raw request bodies derived from a valid request of the method.
function rawBodies(sample: Uint8Array): fc.Arbitrary<Uint8Array> {
  const bits = sample.length * 8;
  const arbitraries: fc.Arbitrary<Uint8Array>[] = [
    bytes(256),
    fc.constant(new Uint8Array(0)),
    fc
      .uint8Array({ minLength: 1, maxLength: 64 })
      .map((tail) => Uint8Array.from([...sample, ...tail])),
  ];
  if (sample.length > 0) {
    arbitraries.push(
      fc
        .uniqueArray(fc.nat({ max: bits - 1 }), { minLength: 1, maxLength: 4 })
        .map((positions) => flipBits(sample, positions)),
      fc.nat({ max: sample.length - 1 }).map((keep) => sample.slice(0, keep)),
    );
  }
  return fc.oneof(...arbitraries);
}

function flipBits(input: Uint8Array, positions: readonly number[]): Uint8Array {
  const copy = input.slice();
  for (const bit of new Set(positions.map((p) => p % (input.length * 8)))) {
    copy[bit >>> 3] = (copy[bit >>> 3] ?? 0) ^ (1 << (bit & 7));
  }
  return copy;
}

/** How a raw call authenticates. */
type RawAuth =
  | { readonly kind: 'agent' }
  | { readonly kind: 'none' }
  | { readonly kind: 'garbage'; readonly value: string };
const printable = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 80,
});
const rawAuth: fc.Arbitrary<RawAuth> = fc.oneof(
  fc.constant<RawAuth>({ kind: 'agent' }),
  fc.constant<RawAuth>({ kind: 'none' }),
  fc
    .tuple(fc.constantFrom('Bearer ', 'Operator ', 'Basic ', '', 'Bearer pm1.'), printable)
    .map(([scheme, value]): RawAuth => ({ kind: 'garbage', value: `${scheme}${value}`.trim() })),
);

function decodes(schema: DescMessage, body: Uint8Array): boolean {
  try {
    fromBinary(schema, body);
    return true;
  } catch {
    return false;
  }
}

/** True when `body` decodes to the same request as `sample` (unknown fields aside). */
function sameRequest(schema: DescMessage, body: Uint8Array, sample: Uint8Array): boolean {
  const canonical = (b: Uint8Array) =>
    toBinary(schema, fromBinary(schema, b), { writeUnknownFields: false });
  return decodes(schema, body) && equalBytes(canonical(body), canonical(sample));
}

// --- The suite ------------------------------------------------------------------------------

type EpService = typeof EnvelopeProcessorService;

interface Party {
  readonly agentId: string;
  readonly km: KeyManagementClient;
  /** Mutable: a rotation swaps the signer in place, as AgentKeys does. */
  readonly credentials: { agentId: string; signer: CompositeSigner };
  ep<K extends UnaryMethodName<EpService>>(
    method: K,
    request: RequestInit<EpService, K>,
  ): Promise<ResponseOf<EpService, K>>;
}

describe('fuzzing every RPC of the envelope processor and key management (embedded)', () => {
  let kms: Harness;
  let dataDir: string;
  let ep: EnvelopeProcessorServer;
  let epClient: PromiseClient<EpService>;
  let operator: KeyManagementClient;
  let rawKms: RawClient;
  let rawEp: RawClient;
  const internalErrors: string[] = [];
  const recordingLog: Logger = {
    info: () => {},
    warn: () => {},
    error: (fields, message) =>
      internalErrors.push(`${message} ${JSON.stringify(fields, errorJson)}`),
  };
  const opened: AgentKeys[] = [];
  const parties = new Map<string, Party>();
  /** The superseded identity key of `rot` (its first key), kept to sign with after the rotation. */
  let rotOldSigner: CompositeSigner;
  let stranger: CompositeSigner;
  let envelopeA: Envelope;
  let envelopeB: Envelope;

  // What the queues must end up holding: `${senderId}/${messageId}` of every accepted send.
  const accepted = new Set<string>();
  const received = new Set<string>();
  const expired = new Set<string>();
  const unexpectedNotices: string[] = [];

  const now = () => kms.clock.now();
  const party = (agentId: string): Party => {
    const found = parties.get(agentId);
    if (found === undefined) throw new Error(`no party ${agentId}`);
    return found;
  };

  async function enroll(agentId: string): Promise<string> {
    return (await operator.call('issueEnrollmentCredential', { agentId, ttlSeconds: 600 }))
      .credential;
  }

  function makeParty(agentId: string, signer: CompositeSigner): Party {
    const credentials = { agentId, signer };
    const km = new KeyManagementClient(kms.address, provider, { agent: credentials }, now);
    const made: Party = {
      agentId,
      km,
      credentials,
      ep: async (method, request) =>
        epClient.call(method, request, { metadata: { authorization: await km.authorization() } }),
    };
    parties.set(agentId, made);
    return made;
  }

  /** An agent through the SDK: registered with an enrollment credential, prekeys uploaded. */
  async function sdkAgent(agentId: string): Promise<Party> {
    const keys = await AgentKeys.open({
      address: kms.address,
      agentId,
      keyStore: new MemoryKeyStore({ provider }),
      provider,
      now,
      prekeys: { lowWater: 2, target: 5 },
    });
    opened.push(keys);
    await keys.register(await enroll(agentId));
    await keys.ensurePrekeys();
    return makeParty(agentId, keys.signer);
  }

  /** An agent whose signer this test holds directly (so it can keep superseded keys). */
  async function manualAgent(agentId: string, signer: CompositeSigner): Promise<Party> {
    await registerWith(agentId, signer, await enroll(agentId));
    return makeParty(agentId, signer);
  }

  /** Registers `agentId` with `signer`'s key, signed by that key, with `credential`. */
  async function registerWith(agentId: string, signer: CompositeSigner, credential: string) {
    const registration = await signStatement(
      signer,
      IdentityRegistrationSchema,
      create(IdentityRegistrationSchema, {
        agentId,
        identityKey: identityKeyOf(signer),
        createdAtMs: BigInt(now()),
      }),
    );
    return operator.anonymous('registerIdentity', {
      registration,
      enrollmentCredential: credential,
    });
  }

  async function rotationRequest(
    agentId: string,
    previousKeyId: string,
    current: CompositeSigner,
    next: CompositeSigner,
  ) {
    const rotation = await signStatement(
      current,
      IdentityRotationSchema,
      create(IdentityRotationSchema, {
        agentId,
        previousKeyId,
        newKey: identityKeyOf(next),
        createdAtMs: BigInt(now()),
      }),
    );
    return {
      rotation,
      newKeyProof: await resign(next, IdentityRotationSchema.typeName, rotation.body),
    };
  }

  async function prekeyOfBob(): Promise<{ keyId: string; publicKey: Uint8Array }> {
    const bundle = await party('alice').km.call('fetchPrekeyBundle', { agentId: 'bob' });
    const prekey = fromBinary(PrekeySchema, bundle.signedPrekey?.body ?? new Uint8Array());
    return { keyId: prekey.key?.keyId ?? '', publicKey: prekey.key?.publicKey ?? new Uint8Array() };
  }

  async function sealToBob(textContent: string): Promise<Envelope> {
    return sealEnvelope(
      provider,
      party('alice').credentials.signer,
      { senderId: 'alice', recipientId: 'bob', createdAtMs: now() },
      [await prekeyOfBob()],
      utf8(textContent),
    );
  }

  /** Records an accepted send; a duplicate answer must name one accepted before. */
  function recordSend(senderId: string, response: { messageId: string; duplicate: boolean }) {
    const key = `${senderId}/${response.messageId}`;
    if (response.duplicate) {
      expect(accepted.has(key), `duplicate answer for ${key}, never accepted`).toBe(true);
    } else {
      expect(accepted.has(key), `${key} accepted twice as new`).toBe(false);
      accepted.add(key);
    }
  }

  /** Receives and acknowledges everything queued for the test's agents, with expiry notices. */
  async function drain(): Promise<void> {
    for (let round = 0; round < 20; round++) {
      await ep.housekeeping.runOnce();
      let seen = 0;
      for (const agentId of ['alice', 'bob', 'rot']) {
        const who = party(agentId);
        for (;;) {
          const { deliveries } = await who.ep('pollMessages', { maxMessages: 256, waitMs: 0 });
          if (deliveries.length === 0) break;
          seen += deliveries.length;
          for (const delivery of deliveries) {
            const content = delivery.content;
            if (content.case === 'envelope') {
              const header = fromBinary(EnvelopeHeaderSchema, content.value.header);
              expect(header.destination.value).toBe(agentId);
              received.add(`${header.senderId}/${header.messageId}`);
            } else if (content.case === 'notice' && content.value.kind === NoticeKind.EXPIRED) {
              expired.add(`${agentId}/${content.value.messageId}`);
            } else {
              unexpectedNotices.push(`${agentId}: ${JSON.stringify(content.value, errorJson)}`);
            }
            await who.ep('acknowledge', { deliveryId: delivery.deliveryId });
          }
        }
      }
      if (seen === 0) return;
    }
    throw new Error('the queues did not drain in 20 rounds');
  }

  /** The queues held exactly the accepted sends: each delivered or reported expired, once. */
  async function expectQueuesMatchAcceptedSends(): Promise<void> {
    await drain();
    expect(unexpectedNotices).toEqual([]);
    expect([...received].filter((key) => expired.has(key))).toEqual([]);
    expect([...received, ...expired].sort()).toEqual([...accepted].sort());
  }

  beforeEach(() => {
    internalErrors.length = 0;
  });

  beforeAll(async () => {
    kms = await startHarness('embedded');
    operator = new KeyManagementClient(kms.address, provider, {
      operatorCredential: kms.operatorCredential,
    });
    dataDir = mkdtempSync(join(tmpdir(), 'pm-ep-fuzz-'));
    const config = loadConfig({
      PM_GRPC_PORT: '0',
      PM_DATA_DIR: dataDir,
      ...kms.peerEnv(),
      PM_MAX_ENVELOPE_BYTES: String(64 * 1024),
      PM_KEY_CACHE_TTL_MS: '0',
      PM_ACK_WAIT_MS: '1000',
    });
    ep = await createEnvelopeProcessorServer(config, {
      provider,
      now,
      log: recordingLog,
      housekeepingIntervalMs: 0,
    });
    const epAddress = `127.0.0.1:${await ep.start()}`;
    epClient = new PromiseClient(EnvelopeProcessorService, epAddress);
    rawKms = new grpc.Client(kms.address, grpc.credentials.createInsecure());
    rawEp = new grpc.Client(epAddress, grpc.credentials.createInsecure());

    await sdkAgent('alice');
    await sdkAgent('bob');
    // rot: registered with one key, then rotated to another; the first stays in its history.
    rotOldSigner = CompositeSigner.generate(provider).signer;
    const rot = await manualAgent('rot', rotOldSigner);
    const rotNew = CompositeSigner.generate(provider).signer;
    await rot.km.call(
      'rotateIdentityKey',
      await rotationRequest('rot', rotOldSigner.keyId, rotOldSigner, rotNew),
    );
    rot.credentials.signer = rotNew;
    rot.km.resetToken();
    await manualAgent('rotor', CompositeSigner.generate(provider).signer);
    await manualAgent('uploader', CompositeSigner.generate(provider).signer);
    stranger = CompositeSigner.generate(provider).signer;
    envelopeA = await sealToBob('envelope A');
    envelopeB = await sealToBob('envelope B');
  });

  afterAll(async () => {
    for (const keys of opened) keys.close();
    for (const p of parties.values()) p.km.close();
    rawKms?.close();
    rawEp?.close();
    epClient?.close();
    operator?.close();
    await ep?.destroy();
    await kms?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Both servers still answer ordinary calls: a round trip alice → bob and key lookups. */
  async function expectServersServe(): Promise<void> {
    const alice = party('alice');
    const bob = party('bob');
    const identity = await bob.km.call('getIdentity', { agentId: 'alice' });
    expect(identity.identity?.agentId).toBe('alice');
    const envelope = await sealToBob('still serving');
    const sent = await alice.ep('sendMessage', { envelope });
    recordSend('alice', sent);
    const verified = await bob.ep('verifyEnvelope', { envelope });
    expect(verified.valid).toBe(true);
    await expectQueuesMatchAcceptedSends();
    expect(received.has(`alice/${sent.messageId}`)).toBe(true);
    expect(internalErrors).toEqual([]);
  }

  // --- 1. raw bytes -------------------------------------------------------------------------

  /** A valid (or at least well-formed) request of each method, the seed of the mutations. */
  async function samples(): Promise<Record<string, Uint8Array>> {
    const alice = party('alice');
    const signer = alice.credentials.signer;
    const kemKey = KemKeyPair.generate(provider, 2).keyPair;
    const newcomer = CompositeSigner.generate(provider).signer;
    const km = (name: string, init: object) => {
      const method = KeyManagementService.methods.find((m) => m.localName === name);
      if (method === undefined) throw new Error(name);
      return toBinary(method.input, create(method.input, init as MessageInitShape<DescMessage>));
    };
    const epm = (name: string, init: object) => {
      const method = EnvelopeProcessorService.methods.find((m) => m.localName === name);
      if (method === undefined) throw new Error(name);
      return toBinary(method.input, create(method.input, init as MessageInitShape<DescMessage>));
    };
    return {
      authenticate: km('authenticate', {
        statement: await signStatement(
          signer,
          AuthenticationStatementSchema,
          create(AuthenticationStatementSchema, {
            agentId: 'alice',
            keyId: signer.keyId,
            audience: 'proof-messenger',
            issuedAtMs: BigInt(now()),
            nonce: 'raw-sample-nonce-0123456789',
          }),
        ),
      }),
      issueEnrollmentCredential: km('issueEnrollmentCredential', {
        agentId: 'raw-enroll',
        ttlSeconds: 60,
      }),
      registerIdentity: km('registerIdentity', {
        registration: await signStatement(
          newcomer,
          IdentityRegistrationSchema,
          create(IdentityRegistrationSchema, {
            agentId: 'raw-reg',
            identityKey: identityKeyOf(newcomer),
            createdAtMs: BigInt(now()),
          }),
        ),
        enrollmentCredential: `pmenr_${'A'.repeat(43)}`,
      }),
      getIdentity: km('getIdentity', { agentId: 'bob' }),
      rotateIdentityKey: km(
        'rotateIdentityKey',
        await rotationRequest('bob', stranger.keyId, stranger, newcomer),
      ),
      revokeKey: km('revokeKey', { agentId: 'bob', keyId: '', reason: 'fuzz' }),
      listKeyHistory: km('listKeyHistory', { agentId: 'bob' }),
      uploadPrekeyBundle: km('uploadPrekeyBundle', {
        oneTimePrekeys: [
          await signStatement(
            signer,
            PrekeySchema,
            create(PrekeySchema, {
              agentId: 'alice',
              key: { keyId: kemKey.keyId, suite: kemKey.suite, publicKey: kemKey.publicKey },
              oneTime: true,
            }),
          ),
        ],
      }),
      fetchPrekeyBundle: km('fetchPrekeyBundle', { agentId: 'bob' }),
      getPrekeyCount: km('getPrekeyCount', {}),
      rotateSessionKey: km('rotateSessionKey', {
        sessionKey: await signStatement(
          signer,
          SessionKeySchema,
          create(SessionKeySchema, {
            ownerId: 'alice',
            peerId: 'bob',
            key: { keyId: kemKey.keyId, suite: kemKey.suite, publicKey: kemKey.publicKey },
            schedule: 2,
            createdAtMs: BigInt(now()),
          }),
        ),
      }),
      getSessionKeys: km('getSessionKeys', { ownerId: 'alice', peerId: 'bob' }),
      listRotationNotices: km('listRotationNotices', {}),
      sendMessage: epm('sendMessage', { envelope: await sealToBob('raw sample') }),
      sendMessages: epm('sendMessages', { envelopes: [await sealToBob('raw batch sample')] }),
      receiveMessages: epm('receiveMessages', { maxInFlight: 1 }),
      pollMessages: epm('pollMessages', { maxMessages: 1, waitMs: 0 }),
      acknowledge: epm('acknowledge', { deliveryId: 'd'.repeat(24) }),
      nack: epm('nack', { deliveryId: 'd'.repeat(24), delayMs: 10 }),
      verifyEnvelope: epm('verifyEnvelope', { envelope: envelopeA }),
      getQueueState: epm('getQueueState', { agentId: 'alice' }),
    };
  }

  /** Methods that only read: any request that decodes and is authorized may be answered OK. */
  const READ_ONLY = new Set([
    'getIdentity',
    'listKeyHistory',
    'fetchPrekeyBundle',
    'getPrekeyCount',
    'getSessionKeys',
    'listRotationNotices',
    'pollMessages',
    'receiveMessages',
    'verifyEnvelope',
    'getQueueState',
  ]);
  /** Methods a caller reaches without authorization (how it gets an identity and a token). */
  const ANONYMOUS = new Set(['authenticate', 'registerIdentity']);

  async function fuzzRawMethod(
    serviceName: string,
    client: RawClient,
    method: DescMethod,
    sample: Uint8Array,
  ): Promise<void> {
    const path = `/${serviceName}/${method.name}`;
    const alice = party('alice');
    await fc.assert(
      fc.asyncProperty(rawBodies(sample), rawAuth, async (body, auth) => {
        const authorization =
          auth.kind === 'agent'
            ? await alice.km.authorization()
            : auth.kind === 'garbage'
              ? auth.value
              : undefined;
        const decoded = decodes(method.input, body);
        const authorized = auth.kind === 'agent' || ANONYMOUS.has(method.localName);
        const context = `${method.name} (${auth.kind} auth, ${body.length} bytes)`;

        if (method.methodKind === 'server_streaming') {
          // ReceiveMessages: a valid, authorized request keeps the stream open; anything else
          // must end it at once with a refusal.
          const request = decoded ? fromBinary(method.input, body) : undefined;
          const maxInFlight = (request as { maxInFlight?: number } | undefined)?.maxInFlight ?? 0;
          const staysOpen = decoded && authorized && maxInFlight <= 256;
          const answer = await rawStream(client, path, body, authorization, staysOpen ? 100 : 5000);
          if (staysOpen) {
            expect(answer, context).toBe('open');
          } else {
            if (answer === 'open') throw new Error(`${context}: stream stayed open`);
            expectRefusal(answer.code, answer.details, context);
            if (!decoded) expect(answer.code, context).toBe(Code.INVALID_ARGUMENT);
            else if (!authorized) expect(answer.code, context).toBe(Code.UNAUTHENTICATED);
          }
          return;
        }

        // PollMessages may legitimately wait (wait_ms ≤ 30 s) on an empty queue: give it a
        // deadline and accept DEADLINE_EXCEEDED only there.
        let mayWait = false;
        if (method.localName === 'pollMessages' && decoded && authorized) {
          const { maxMessages, waitMs } = fromBinary(method.input, body) as unknown as {
            maxMessages: number;
            waitMs: number;
          };
          mayWait = maxMessages <= 256 && waitMs >= 500 && waitMs <= 30_000;
        }
        const answer = await rawUnary(client, path, body, authorization, mayWait ? 1000 : 10_000);
        if (mayWait && answer.code === Code.DEADLINE_EXCEEDED) return;
        if (answer.code === Code.OK) {
          // SendMessages answers OK to any batch it accepts; each envelope gets its own verdict.
          const batch = method.localName === 'sendMessages';
          const mayAnswerOk =
            decoded &&
            authorized &&
            (batch || READ_ONLY.has(method.localName) || sameRequest(method.input, body, sample));
          if (!mayAnswerOk) throw new Error(`${context}: answered OK to an invalid request`);
          if (method.localName === 'sendMessage' && answer.response !== undefined) {
            recordSend('alice', fromBinary(SendMessageResponseSchema, answer.response));
          }
          if (batch && answer.response !== undefined) {
            for (const { outcome } of fromBinary(SendMessagesResponseSchema, answer.response)
              .results) {
              if (outcome.case === 'sent') recordSend('alice', outcome.value);
              else if (outcome.case === 'error')
                expectRefusal(outcome.value.code, outcome.value.message, `${context}, item`);
              else throw new Error(`${context}: an item without an outcome`);
            }
          }
          return;
        }
        expectRefusal(answer.code, answer.details, context);
        if (!decoded) {
          expect(answer.code, `${context}: ${answer.details}`).toBe(Code.INVALID_ARGUMENT);
        } else if (
          !authorized &&
          method.localName !== 'sendMessage' &&
          method.localName !== 'sendMessages'
        ) {
          // SendMessage(s) checks sizes and shape before the caller (cheap first).
          expect(answer.code, `${context}: ${answer.details}`).toBe(Code.UNAUTHENTICATED);
        }
      }),
      { numRuns: RUNS.rawPerMethod },
    );
  }

  it('answers arbitrary request bytes on every RPC with a refusal, never INTERNAL or UNKNOWN', async () => {
    const sampleOf = await samples();
    const services = [
      { service: KeyManagementService, client: rawKms },
      { service: EnvelopeProcessorService, client: rawEp },
    ];
    for (const { service, client } of services) {
      for (const method of service.methods) {
        const sample = sampleOf[method.localName];
        if (sample === undefined) throw new Error(`no sample request for ${method.name}`);
        await fuzzRawMethod(service.typeName, client, method, sample);
      }
    }
    // Every method was fuzzed: 13 + 8.
    expect(Object.keys(sampleOf)).toHaveLength(
      KeyManagementService.methods.length + EnvelopeProcessorService.methods.length,
    );
    await expectServersServe();
  }, 120_000);

  // --- 2. mutated envelopes -----------------------------------------------------------------

  type Part = 'header' | 'payload' | 'mlDsa65' | 'ed25519';
  const parts: readonly Part[] = ['header', 'payload', 'mlDsa65', 'ed25519'];
  type SignerName = 'alice' | 'rot-old' | 'rot' | 'stranger';

  /** Header fields as generated; `messageId` 'fresh' is a new UUIDv7 at send time. */
  interface HeaderFields {
    readonly version: number;
    readonly messageId: 'fresh' | 'replayed' | string;
    readonly senderId: string;
    readonly destination:
      | { case: 'recipientId'; value: string }
      | { case: 'channelId'; value: string }
      | { case: undefined; value?: undefined };
    readonly priority: number;
    readonly ttlSeconds: number;
    readonly createdAt: When;
    readonly correlationId: string;
    readonly senderKeyId: string;
    readonly suite: number;
    readonly mode: {
      readonly contentMode: number;
      readonly recipients: readonly {
        keyId: string;
        kemCiphertext: Uint8Array;
        wrappedKey: Uint8Array;
      }[];
      readonly nonce: Uint8Array;
    };
    readonly contentType: string;
    readonly channelEpoch: bigint;
  }

  type Mutation =
    | { readonly kind: 'none' }
    | { readonly kind: 'flip'; readonly part: Part; readonly bits: readonly number[] }
    | { readonly kind: 'truncate'; readonly part: Part; readonly keep: number }
    | { readonly kind: 'extend'; readonly part: Part; readonly extra: Uint8Array }
    | { readonly kind: 'swap'; readonly part: Part | 'signature' }
    | { readonly kind: 'drop'; readonly part: 'header' | 'payload' | 'signature' }
    | {
        readonly kind: 'garbage-header';
        readonly signer: SignerName;
        readonly header: Uint8Array;
      }
    | {
        readonly kind: 'hostile-header';
        readonly signer: SignerName;
        readonly fields: HeaderFields;
        readonly payload: Uint8Array | 'original';
        readonly signatureKeyId: 'header' | 'signer';
      };

  function signerOf(name: SignerName): { agentId: string; signer: CompositeSigner } {
    switch (name) {
      case 'alice':
        return { agentId: 'alice', signer: party('alice').credentials.signer };
      case 'rot-old':
        return { agentId: 'rot', signer: rotOldSigner };
      case 'rot':
        return { agentId: 'rot', signer: party('rot').credentials.signer };
      case 'stranger':
        return { agentId: 'stranger', signer: stranger };
    }
  }

  /**
   * Header fields for envelopes signed by `name`: a valid header with up to three fields replaced
   * by hostile values (so each hostile value reaches the check behind the others), or, less
   * often, every field mostly valid and sometimes hostile at once.
   */
  function headerFields(name: SignerName): fc.Arbitrary<HeaderFields> {
    const { agentId, signer } = signerOf(name);
    const original = fromBinary(EnvelopeHeaderSchema, envelopeA.header);
    const validMode = fc.oneof(
      {
        arbitrary: fc.constant({
          contentMode: 1,
          recipients: original.recipients,
          nonce: original.nonce,
        }),
        weight: 2,
      },
      fc.constant({ contentMode: 2, recipients: [], nonce: new Uint8Array(0) }),
    );
    const recipient = fc.record({
      keyId: mostly(keyIdLike, text(30)),
      kemCiphertext: mostly(exactBytes(1120), sizedBytes(1088), bytes(64)),
      wrappedKey: mostly(exactBytes(48), sizedBytes(48)),
    });
    const hostileMode = fc.record({
      contentMode: mostly(fc.constantFrom(1, 2), i32),
      recipients: fc.array(recipient, { maxLength: 3 }),
      nonce: sizedBytes(12),
    });
    const validDestination = fc.record({
      case: fc.constant('recipientId' as const),
      value: fc.constantFrom('bob', 'bob', 'alice', 'rot'),
    });
    const hostileDestination: fc.Arbitrary<HeaderFields['destination']> = fc.oneof(
      fc.record({
        case: fc.constant('recipientId' as const),
        value: fc.oneof(fc.constant('nobody'), text(140)),
      }),
      fc.record({ case: fc.constant('channelId' as const), value: text(140) }),
      fc.constant({ case: undefined }),
    );
    const otherKeyIds = fc.constantFrom(
      rotOldSigner.keyId,
      party('alice').credentials.signer.keyId,
    );
    const valid = {
      version: fc.constant(1),
      messageId: fc.constant('fresh'),
      senderId: fc.constant(agentId),
      destination: validDestination,
      priority: fc.integer({ min: 0, max: 4 }),
      ttlSeconds: fc.constantFrom(0, 1, 60, 2_592_000),
      // From just before the agents registered to well inside the replay window.
      createdAt: fc.record({ offsetMs: fc.integer({ min: -1_000, max: 200_000 }) }),
      correlationId: fc.constant(''),
      senderKeyId: fc.constant(signer.keyId),
      suite: fc.constant(original.suite as number),
      mode: validMode,
      contentType: fc.constantFrom('', 'application/json'),
      channelEpoch: fc.constant(0n),
    };
    const hostile = {
      version: u32,
      messageId: fc.oneof(fc.constant('replayed'), fc.uuid(), text(40)),
      senderId: fc.oneof(fc.constantFrom('alice', 'bob', 'rot'), text(140)),
      destination: hostileDestination,
      priority: i32,
      ttlSeconds: u32,
      createdAt: hostileWhen,
      correlationId: text(200),
      senderKeyId: fc.oneof(otherKeyIds, text(40)),
      suite: fc.oneof(fc.constantFrom(0, 1, 2, 3), i32),
      mode: hostileMode,
      contentType: text(200),
      channelEpoch: u64,
    };
    const override: fc.Arbitrary<Partial<HeaderFields>> = fc.oneof(
      fc.record({ version: hostile.version }),
      fc.record({ messageId: hostile.messageId }),
      fc.record({ senderId: hostile.senderId }),
      fc.record({ destination: hostile.destination }),
      fc.record({ priority: hostile.priority }),
      fc.record({ ttlSeconds: hostile.ttlSeconds }),
      // Times are where clocks, windows and key validity meet: fuzz them most.
      { arbitrary: fc.record({ createdAt: hostile.createdAt }), weight: 6 },
      fc.record({ correlationId: hostile.correlationId }),
      fc.record({ senderKeyId: hostile.senderKeyId }),
      fc.record({ suite: hostile.suite }),
      { arbitrary: fc.record({ mode: hostile.mode }), weight: 2 },
      fc.record({ contentType: hostile.contentType }),
      fc.record({ channelEpoch: hostile.channelEpoch }),
    );
    const overridden = fc
      .tuple(fc.record(valid), fc.array(override, { maxLength: 3 }))
      .map(([base, overrides]): HeaderFields => Object.assign({}, base, ...overrides));
    const mixed = fc.record({
      version: mostly(valid.version, hostile.version),
      messageId: mostly(valid.messageId, hostile.messageId),
      senderId: mostly(valid.senderId, hostile.senderId),
      destination: mostly<HeaderFields['destination']>(valid.destination, hostile.destination),
      priority: mostly(valid.priority, hostile.priority),
      ttlSeconds: mostly(valid.ttlSeconds, hostile.ttlSeconds),
      createdAt: mostly(valid.createdAt, hostile.createdAt),
      correlationId: mostly(valid.correlationId, hostile.correlationId),
      senderKeyId: mostly(valid.senderKeyId, hostile.senderKeyId),
      suite: mostly(valid.suite, hostile.suite),
      mode: mostly<HeaderFields['mode']>(valid.mode, hostile.mode),
      contentType: mostly(valid.contentType, hostile.contentType),
      channelEpoch: mostly(valid.channelEpoch, hostile.channelEpoch),
    });
    return fc.oneof({ arbitrary: overridden, weight: 3 }, mixed);
  }

  // The superseded key is the most interesting signer: its validity window is closed.
  const signerName: fc.Arbitrary<SignerName> = fc.oneof(
    { arbitrary: fc.constant('alice' as const), weight: 3 },
    { arbitrary: fc.constant('rot-old' as const), weight: 3 },
    { arbitrary: fc.constant('rot' as const), weight: 2 },
    { arbitrary: fc.constant('stranger' as const), weight: 1 },
  );
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.constant<Mutation>({ kind: 'none' }),
    fc.record({
      kind: fc.constant('flip' as const),
      part: fc.constantFrom(...parts),
      bits: fc.uniqueArray(fc.nat(), { minLength: 1, maxLength: 3 }),
    }),
    fc.record({
      kind: fc.constant('truncate' as const),
      part: fc.constantFrom(...parts),
      keep: fc.nat(),
    }),
    fc.record({
      kind: fc.constant('extend' as const),
      part: fc.constantFrom(...parts),
      extra: fc.uint8Array({ minLength: 1, maxLength: 32 }),
    }),
    fc.record({
      kind: fc.constant('swap' as const),
      part: fc.constantFrom<Part | 'signature'>(...parts, 'signature'),
    }),
    fc.record({
      kind: fc.constant('drop' as const),
      part: fc.constantFrom('header' as const, 'payload' as const, 'signature' as const),
    }),
    fc.record({
      kind: fc.constant('garbage-header' as const),
      signer: signerName,
      header: bytes(300),
    }),
    {
      arbitrary: signerName.chain((signer) =>
        fc.record({
          kind: fc.constant('hostile-header' as const),
          signer: fc.constant(signer),
          fields: headerFields(signer),
          payload: mostly<Uint8Array | 'original'>(fc.constant('original'), bytes(64)),
          signatureKeyId: mostly(fc.constant('header' as const), fc.constant('signer' as const)),
        }),
      ),
      weight: 6,
    },
  );

  function resolveTime(w: When): bigint {
    return 'offsetMs' in w ? BigInt(now() + w.offsetMs) : w.absolute;
  }

  function buildHeader(fields: HeaderFields): EnvelopeHeader {
    const original = fromBinary(EnvelopeHeaderSchema, envelopeA.header);
    return create(EnvelopeHeaderSchema, {
      version: fields.version,
      messageId:
        fields.messageId === 'fresh'
          ? newMessageId(now())
          : fields.messageId === 'replayed'
            ? original.messageId
            : fields.messageId,
      senderId: fields.senderId,
      destination: fields.destination,
      priority: fields.priority as Priority,
      ttlSeconds: fields.ttlSeconds,
      createdAtMs: resolveTime(fields.createdAt),
      correlationId: fields.correlationId,
      senderKeyId: fields.senderKeyId,
      suite: fields.suite as Suite,
      contentMode: fields.mode.contentMode as ContentMode,
      recipients: fields.mode.recipients.map((r) => ({ ...r })),
      nonce: fields.mode.nonce,
      contentType: fields.contentType,
      channelEpoch: fields.channelEpoch,
    });
  }

  async function signed(
    signerName: SignerName,
    header: Uint8Array,
    payload: Uint8Array,
    keyId?: string,
  ): Promise<Envelope> {
    const { signer } = signerOf(signerName);
    const signature = await signer.sign(envelopeSignedBytes(header, payload), SIGNATURE_CONTEXT);
    return create(EnvelopeSchema, {
      header,
      payload,
      signature: { keyId: keyId ?? signer.keyId, ...signature },
    });
  }

  function partOf(envelope: Envelope, part: Part): Uint8Array {
    switch (part) {
      case 'header':
        return envelope.header;
      case 'payload':
        return envelope.payload;
      case 'mlDsa65':
        return envelope.signature?.mlDsa65 ?? new Uint8Array();
      case 'ed25519':
        return envelope.signature?.ed25519 ?? new Uint8Array();
    }
  }

  function withPart(envelope: Envelope, part: Part, value: Uint8Array): Envelope {
    const signature = {
      keyId: envelope.signature?.keyId ?? '',
      mlDsa65: envelope.signature?.mlDsa65 ?? new Uint8Array(),
      ed25519: envelope.signature?.ed25519 ?? new Uint8Array(),
    };
    const { header, payload } = envelope;
    if (part === 'header') return create(EnvelopeSchema, { header: value, payload, signature });
    if (part === 'payload') return create(EnvelopeSchema, { header, payload: value, signature });
    return create(EnvelopeSchema, { header, payload, signature: { ...signature, [part]: value } });
  }

  async function applyMutation(m: Mutation): Promise<Envelope> {
    const a = envelopeA;
    switch (m.kind) {
      case 'none':
        return sealToBob(`fresh ${newMessageId()}`);
      case 'flip':
        return withPart(a, m.part, flipBits(partOf(a, m.part), m.bits));
      case 'truncate': {
        const value = partOf(a, m.part);
        return withPart(a, m.part, value.slice(0, m.keep % value.length));
      }
      case 'extend':
        return withPart(a, m.part, Uint8Array.from([...partOf(a, m.part), ...m.extra]));
      case 'swap':
        return m.part === 'signature'
          ? create(EnvelopeSchema, { ...a, signature: envelopeB.signature })
          : withPart(a, m.part, partOf(envelopeB, m.part));
      case 'drop':
        return m.part === 'signature'
          ? create(EnvelopeSchema, { header: a.header, payload: a.payload })
          : withPart(a, m.part, new Uint8Array(0));
      case 'garbage-header':
        return signed(m.signer, m.header, a.payload);
      case 'hostile-header': {
        const header = toBinary(EnvelopeHeaderSchema, buildHeader(m.fields));
        const payload = m.payload === 'original' ? a.payload : m.payload;
        const keyId = m.signatureKeyId === 'header' ? m.fields.senderKeyId : undefined;
        return signed(m.signer, header, payload, keyId);
      }
    }
  }

  it('refuses mutated and re-signed hostile envelopes without INTERNAL, and queues exactly the accepted ones', async () => {
    const counts = { ok: 0, refused: 0, valid: 0 };
    await fc.assert(
      fc.asyncProperty(
        mutation,
        mostly(fc.constant(false), fc.constant(true)),
        async (m, impersonate) => {
          const envelope = await applyMutation(m);
          // Mostly the signer's own agent sends (alice for mutations of her envelope); sometimes the
          // other one. A fresh envelope must be accepted from its sender.
          const natural =
            m.kind === 'hostile-header' || m.kind === 'garbage-header'
              ? m.signer.startsWith('rot')
                ? 'rot'
                : 'alice'
              : 'alice';
          const callerId =
            impersonate && m.kind !== 'none' ? (natural === 'alice' ? 'rot' : 'alice') : natural;
          const caller = party(callerId);
          const context = `${m.kind} sent by ${callerId}`;
          const sent = await outcome(caller.ep('sendMessage', { envelope }));
          const check = await outcome(party('bob').ep('verifyEnvelope', { envelope }));
          if (check.code !== Code.OK) {
            throw new Error(
              `${context}: VerifyEnvelope answered ${nameOf(check.code)} (${check.message})`,
            );
          }
          const verdict = check.value;
          if (verdict?.valid) counts.valid++;
          if (m.kind === 'none') expect(sent.code, `${context}: ${sent.message}`).toBe(Code.OK);
          if (sent.code !== Code.OK) {
            counts.refused++;
            expectRefusal(sent.code, sent.message, context);
            return;
          }
          counts.ok++;
          // Accepted: the proof verifies, the header is well-formed, and the caller is its sender.
          expect(
            verdict?.valid,
            `${context}: accepted but VerifyEnvelope says ${verdict?.failureMessage}`,
          ).toBe(true);
          const header = parseEnvelopeHeader(envelope.header);
          expect(header.senderId).toBe(callerId);
          expect(verdict?.signerId).toBe(callerId);
          const response = sent.value;
          if (response === undefined) throw new Error('no response');
          expect(response.messageId).toBe(header.messageId);
          recordSend(callerId, response);
        },
      ),
      { numRuns: RUNS.envelopes },
    );
    // Both outcomes were exercised, not only refusals.
    expect(counts.ok).toBeGreaterThan(10);
    expect(counts.refused).toBeGreaterThan(50);
    await expectServersServe();
  }, 120_000);

  it('VerifyEnvelope answers, not INTERNAL, for a superseded key at a time no Date can hold', async () => {
    // Found by the property above: a valid proof signed with rot's superseded key, created at
    // 8,640,000,000,000,001 ms (one past the largest JavaScript Date). The key directory's
    // KeyExpiredError message calls Date#toISOString on that time, which throws a RangeError.
    const original = fromBinary(EnvelopeHeaderSchema, envelopeA.header);
    const header = create(EnvelopeHeaderSchema, {
      ...original,
      senderId: 'rot',
      senderKeyId: rotOldSigner.keyId,
      createdAtMs: 8_640_000_000_000_001n,
    });
    const envelope = await signed(
      'rot-old',
      toBinary(EnvelopeHeaderSchema, header),
      envelopeA.payload,
    );
    const check = await outcome(party('bob').ep('verifyEnvelope', { envelope }));
    expect(`${nameOf(check.code)} ${check.message}`).toBe('OK ');
    expect(check.value?.valid).toBe(false);
    expect(check.value?.failureReason).toBe(Reason.KEY_EXPIRED);
  });

  // --- 3. signed statements with hostile fields ---------------------------------------------

  const kemKeys = [1, 1, 2, 2].map((suite) => KemKeyPair.generate(provider, suite).keyPair);
  /** A KEM public key as sent: a real one, random bytes with the right fingerprint, or hostile. */
  type KemChoice =
    | { readonly kind: 'real'; readonly index: number }
    | { readonly kind: 'fingerprinted'; readonly suite: 1 | 2; readonly seed: number }
    | {
        readonly kind: 'hostile';
        readonly keyId: string;
        readonly suite: number;
        readonly publicKey: Uint8Array;
      }
    | { readonly kind: 'absent' };
  const kemChoice: fc.Arbitrary<KemChoice> = mostly<KemChoice>(
    fc.record({ kind: fc.constant('real' as const), index: fc.nat({ max: kemKeys.length - 1 }) }),
    fc.record({
      kind: fc.constant('fingerprinted' as const),
      suite: fc.constantFrom(1 as const, 2 as const),
      seed: fc.nat(),
    }),
    fc.record({
      kind: fc.constant('hostile' as const),
      keyId: fc.oneof(keyIdLike, text(40)),
      suite: fc.oneof(fc.constantFrom(0, 1, 2, 3), i32),
      publicKey: fc.oneof(sizedBytes(1184), sizedBytes(1216), bytes(64)),
    }),
    fc.constant({ kind: 'absent' as const }),
  );

  function kemKeyOf(choice: KemChoice) {
    switch (choice.kind) {
      case 'real': {
        const key = kemKeys[choice.index % kemKeys.length] ?? kemKeys[0];
        if (key === undefined) throw new Error('no KEM keys');
        return { keyId: key.keyId, suite: key.suite, publicKey: key.publicKey };
      }
      case 'fingerprinted': {
        // Random bytes of the right length with a matching key id: shaped right, not a real key.
        const sizes = suiteSizes(choice.suite);
        const publicKey = provider.sha512(utf8(String(choice.seed)));
        const full = new Uint8Array(sizes.publicKey).map((_, i) => publicKey[i % 64] ?? 0);
        return {
          keyId: keyIdOf(provider, sizes.keyIdAlgorithm, full),
          suite: choice.suite,
          publicKey: full,
        };
      }
      case 'hostile':
        return { keyId: choice.keyId, suite: choice.suite, publicKey: choice.publicKey };
      case 'absent':
        return undefined;
    }
  }
  /**
   * Whether the server must accept a KEM key ('yes'), must refuse it ('no'), or may do either:
   * random bytes with a matching fingerprint are shaped right but are no ML-KEM / X-Wing key, and
   * the contract does not say whether the server checks that.
   */
  const kemKeyVerdict = (choice: KemChoice): Verdict =>
    choice.kind === 'real' ? 'yes' : choice.kind === 'fingerprinted' ? 'either' : 'no';

  type Verdict = 'yes' | 'no' | 'either';
  const all = (...verdicts: Verdict[]): Verdict =>
    verdicts.includes('no') ? 'no' : verdicts.includes('either') ? 'either' : 'yes';
  const given = (condition: boolean): Verdict => (condition ? 'yes' : 'no');

  /** Who signs a statement: the right key, another real key, or no signature at all. */
  type StatementSigner = 'own' | 'other' | 'unsigned' | 'garbage-body';
  const statementSigner = mostly<StatementSigner>(
    fc.constant('own'),
    fc.constantFrom('other', 'unsigned', 'garbage-body'),
  );

  async function statement<D extends DescMessage>(
    schema: D,
    init: MessageInitShape<D>,
    how: StatementSigner,
    own: CompositeSigner,
    garbage: Uint8Array,
  ): Promise<SignedStatement> {
    if (how === 'unsigned')
      return create(SignedStatementSchema, { body: toBinary(schema, create(schema, init)) });
    if (how === 'garbage-body') return resign(own, schema.typeName, garbage);
    return signStatement(how === 'own' ? own : stranger, schema, create(schema, init));
  }

  /** Agent ids refused by RegisterIdentity; none may exist afterwards. */
  const refusedAgentIds = new Set<string>();
  const registered = new Set(['alice', 'bob', 'rot', 'rotor', 'uploader']);
  let freshId = 0;
  /** Real credentials of refused registrations: each must still be usable. */
  const unburned: { agentId: string; credential: string }[] = [];
  let strangerRegistered = false;

  it('RegisterIdentity: hostile registrations are refused and leave no identity', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          agentId: mostly<string | null>(fc.constant(null), text(140)),
          key: mostly<
            'own' | 'other' | 'absent' | { keyId: string; mlDsa65: Uint8Array; ed25519: Uint8Array }
          >(
            fc.constant('own'),
            fc.constantFrom('other' as const, 'absent' as const),
            fc.record({
              keyId: fc.oneof(keyIdLike, text(40)),
              mlDsa65: sizedBytes(1952),
              ed25519: sizedBytes(32),
            }),
          ),
          createdAt: when,
          signedBy: statementSigner,
          credential: mostly<'real' | 'foreign' | 'none' | string>(
            fc.constant('real'),
            fc.constantFrom('foreign', 'none'),
            text(80),
          ),
          garbage: bytes(64),
        }),
        async (input) => {
          const agentId = input.agentId ?? `fz-${freshId++}`;
          const own = CompositeSigner.generate(provider).signer;
          const identityKey =
            input.key === 'own'
              ? identityKeyOf(own)
              : input.key === 'other'
                ? identityKeyOf(stranger)
                : input.key === 'absent'
                  ? undefined
                  : input.key;
          const registration = await statement(
            IdentityRegistrationSchema,
            { agentId, identityKey, createdAtMs: resolveTime(input.createdAt) },
            input.signedBy,
            own,
            input.garbage,
          );
          const syntaxOk = isAgentId(agentId);
          const enrollmentCredential =
            input.credential === 'real' && syntaxOk
              ? await enroll(agentId)
              : input.credential === 'foreign'
                ? await enroll('someone-else')
                : input.credential === 'none' || input.credential === 'real'
                  ? ''
                  : input.credential;
          // Valid: signed by the very key it registers (a fresh one, or the stranger's until it is
          // registered once: key ids are unique), fresh, with a credential for this id.
          const valid =
            syntaxOk &&
            !registered.has(agentId) &&
            ((input.key === 'own' && input.signedBy === 'own') ||
              (input.key === 'other' && input.signedBy === 'other' && !strangerRegistered)) &&
            isFresh(input.createdAt) &&
            input.credential === 'real';
          const answer = await outcome(
            operator.anonymous('registerIdentity', { registration, enrollmentCredential }),
          );
          const context = `RegisterIdentity ${JSON.stringify(agentId)}`;
          if (answer.code === Code.OK) {
            expect(valid, `${context}: accepted an invalid registration`).toBe(true);
            registered.add(agentId);
            if (input.key === 'other') strangerRegistered = true;
            return;
          }
          expectRefusal(answer.code, answer.message, context);
          expect(valid, `${context}: refused a valid registration: ${answer.message}`).toBe(false);
          if (!registered.has(agentId)) {
            refusedAgentIds.add(agentId);
            if (input.credential === 'real' && syntaxOk) {
              unburned.push({ agentId, credential: enrollmentCredential });
            }
          }
        },
      ),
      { numRuns: RUNS.statements },
    );
    // Nothing was stored for any refused id (unless a later, valid request registered it).
    for (const agentId of [...refusedAgentIds].filter((id) => !registered.has(id))) {
      const lookup = await outcome(operator.call('getIdentity', { agentId }));
      expect(lookup.code, `GetIdentity ${JSON.stringify(agentId)}`).toBe(
        isAgentId(agentId) ? Code.NOT_FOUND : Code.INVALID_ARGUMENT,
      );
    }
    expect([...refusedAgentIds].some(isAgentId)).toBe(true);
    // No refusal burned its enrollment credential: each still registers its agent (up to 20).
    const probes = unburned.filter(({ agentId }) => !registered.has(agentId)).slice(0, 20);
    for (const { agentId, credential } of probes) {
      const answer = await outcome(
        registerWith(agentId, CompositeSigner.generate(provider).signer, credential),
      );
      expect(`${nameOf(answer.code)} ${answer.message}`, `credential of ${agentId}`).toBe('OK ');
      registered.add(agentId);
    }
    expect(probes.length).toBeGreaterThan(0);
  }, 60_000);

  it('RegisterIdentity refused because its key is already registered keeps the enrollment credential', async () => {
    // Found while fuzzing: the route consumes the credential before the identity store refuses a
    // key id that is already registered (ALREADY_EXISTS), so the credential is burned — against
    // the route's rule that no refusal of bad input consumes it.
    const credential = await enroll('key-reuser');
    const reused = await outcome(
      registerWith('key-reuser', party('alice').credentials.signer, credential),
    );
    expect(reused.code).toBe(Code.ALREADY_EXISTS);
    const retry = await outcome(
      registerWith('key-reuser', CompositeSigner.generate(provider).signer, credential),
    );
    expect(`${nameOf(retry.code)} ${retry.message}`).toBe('OK ');
  });

  it('Authenticate: a token only for a fresh, well-formed statement signed by the current key', async () => {
    const usedNonces = new Set<string>();
    let nonceCounter = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          signer: fc.constantFrom<SignerName>('alice', 'rot', 'rot-old', 'stranger'),
          agentId: mostly<string | null>(
            fc.constant(null),
            fc.constantFrom('alice', 'rot', 'bob'),
            text(140),
          ),
          keyId: mostly<string | null>(fc.constant(null), keyIdLike, text(40)),
          audience: mostly(fc.constant('proof-messenger'), text(60)),
          issuedAt: when,
          nonce: mostly<string | null>(fc.constant(null), fc.constant('reused'), text(120)),
          signedBy: statementSigner,
          garbage: bytes(64),
        }),
        async (input) => {
          const { agentId: signerAgent, signer } = signerOf(input.signer);
          const agentId = input.agentId ?? signerAgent;
          const nonce =
            input.nonce === null
              ? `fuzz-nonce-${String(nonceCounter++).padStart(12, '0')}`
              : input.nonce === 'reused'
                ? 'fuzz-nonce-000000000000'
                : input.nonce;
          const body = {
            agentId,
            keyId: input.keyId ?? signer.keyId,
            audience: input.audience,
            issuedAtMs: resolveTime(input.issuedAt),
            nonce,
          };
          const signedStatement = await statement(
            AuthenticationStatementSchema,
            body,
            input.signedBy,
            signer,
            input.garbage,
          );
          const current =
            (input.signer === 'alice' || input.signer === 'rot') && agentId === signerAgent;
          const valid =
            current &&
            input.signedBy === 'own' &&
            body.keyId === signer.keyId &&
            input.audience === 'proof-messenger' &&
            /^[A-Za-z0-9_-]{22,128}$/.test(nonce) &&
            isFresh(input.issuedAt);
          const answer = await outcome(
            operator.anonymous('authenticate', { statement: signedStatement }),
          );
          const context = `Authenticate ${JSON.stringify(body, errorJson)}`;
          if (answer.code === Code.OK) {
            expect(valid, `${context}: issued a token for an invalid statement`).toBe(true);
            expect(usedNonces.has(`${agentId}:${nonce}`), `${context}: nonce replayed`).toBe(false);
            usedNonces.add(`${agentId}:${nonce}`);
            return;
          }
          expectRefusal(answer.code, answer.message, context);
          if (valid) {
            // Only a replayed nonce refuses an otherwise valid statement.
            expect(answer.code, `${context}: ${answer.message}`).toBe(Code.ALREADY_EXISTS);
            expect(usedNonces.has(`${agentId}:${nonce}`)).toBe(true);
          }
        },
      ),
      { numRuns: RUNS.statements },
    );
  }, 60_000);

  it('RotateIdentityKey: hostile rotations are refused and leave the current key in place', async () => {
    const rotor = party('rotor');
    let rotations = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          agentId: mostly<string | null>(
            fc.constant(null),
            fc.constantFrom('alice', 'bob'),
            text(140),
          ),
          previousKeyId: mostly<string | null>(fc.constant(null), keyIdLike, text(40)),
          newKey: mostly<
            | 'new'
            | 'current'
            | 'absent'
            | { keyId: string; mlDsa65: Uint8Array; ed25519: Uint8Array }
          >(
            fc.constant('new'),
            fc.constantFrom('current' as const, 'absent' as const),
            fc.record({
              keyId: fc.oneof(keyIdLike, text(40)),
              mlDsa65: sizedBytes(1952),
              ed25519: sizedBytes(32),
            }),
          ),
          createdAt: when,
          signedBy: statementSigner,
          proof: mostly<'new' | 'current' | 'other' | 'absent' | 'other-body'>(
            fc.constant('new'),
            fc.constantFrom(
              'current' as const,
              'other' as const,
              'absent' as const,
              'other-body' as const,
            ),
          ),
          caller: mostly<'rotor' | 'alice' | 'none'>(
            fc.constant('rotor'),
            fc.constantFrom('alice' as const, 'none' as const),
          ),
          garbage: bytes(64),
        }),
        async (input) => {
          const current = rotor.credentials.signer;
          const next = CompositeSigner.generate(provider).signer;
          const before = await rotor.km.call('getIdentity', { agentId: 'rotor' });
          const newKey =
            input.newKey === 'new'
              ? identityKeyOf(next)
              : input.newKey === 'current'
                ? identityKeyOf(current)
                : input.newKey === 'absent'
                  ? undefined
                  : input.newKey;
          const rotation = await statement(
            IdentityRotationSchema,
            {
              agentId: input.agentId ?? 'rotor',
              previousKeyId: input.previousKeyId ?? current.keyId,
              newKey,
              createdAtMs: resolveTime(input.createdAt),
            },
            input.signedBy,
            current,
            input.garbage,
          );
          const newKeyProof =
            input.proof === 'new'
              ? await resign(next, IdentityRotationSchema.typeName, rotation.body)
              : input.proof === 'current'
                ? await resign(current, IdentityRotationSchema.typeName, rotation.body)
                : input.proof === 'other'
                  ? await resign(stranger, IdentityRotationSchema.typeName, rotation.body)
                  : input.proof === 'other-body'
                    ? await resign(next, IdentityRotationSchema.typeName, input.garbage)
                    : undefined;
          const request = { rotation, newKeyProof };
          const answer = await outcome(
            input.caller === 'rotor'
              ? rotor.km.call('rotateIdentityKey', request)
              : input.caller === 'alice'
                ? party('alice').km.call('rotateIdentityKey', request)
                : operator.anonymous('rotateIdentityKey', request),
          );
          const valid =
            input.agentId === null &&
            input.previousKeyId === null &&
            input.newKey === 'new' &&
            isFresh(input.createdAt) &&
            input.signedBy === 'own' &&
            input.proof === 'new' &&
            input.caller === 'rotor';
          const context = `RotateIdentityKey ${JSON.stringify(input, errorJson).slice(0, 300)}`;
          if (answer.code === Code.OK) {
            expect(valid, `${context}: accepted an invalid rotation`).toBe(true);
            rotor.credentials.signer = next;
            rotor.km.resetToken();
            rotations++;
          } else {
            expectRefusal(answer.code, answer.message, context);
            expect(valid, `${context}: refused a valid rotation: ${answer.message}`).toBe(false);
          }
          const after = await rotor.km.call('getIdentity', { agentId: 'rotor' });
          expect(after.identity?.currentKey?.key?.keyId).toBe(
            answer.code === Code.OK ? next.keyId : before.identity?.currentKey?.key?.keyId,
          );
        },
      ),
      { numRuns: RUNS.statements },
    );
    expect(rotations).toBeGreaterThan(0);
  }, 60_000);

  it('UploadPrekeyBundle: hostile prekeys are refused and the pool is unchanged', async () => {
    const uploader = party('uploader');
    const pooled = new Set<string>();
    interface PrekeyInput {
      readonly agentId: string | null;
      readonly key: KemChoice;
      readonly oneTime: boolean;
      readonly validity: { notBeforeMs: bigint; notAfterMs: bigint } | undefined;
      readonly signedBy: StatementSigner;
      readonly garbage: Uint8Array;
    }
    const prekeyInput = (oneTime: boolean): fc.Arbitrary<PrekeyInput> =>
      fc.record({
        agentId: mostly<string | null>(
          fc.constant(null),
          fc.constantFrom('alice', 'bob'),
          text(140),
        ),
        key: kemChoice,
        oneTime: mostly(fc.constant(oneTime), fc.constant(!oneTime)),
        validity: fc.option(fc.record({ notBeforeMs: i64, notAfterMs: i64 }), { nil: undefined }),
        signedBy: statementSigner,
        garbage: bytes(64),
      });
    const build = (input: PrekeyInput) =>
      statement(
        PrekeySchema,
        {
          agentId: input.agentId ?? 'uploader',
          key: kemKeyOf(input.key),
          oneTime: input.oneTime,
          validity: input.validity,
        },
        input.signedBy,
        uploader.credentials.signer,
        input.garbage,
      );
    const verdict = (input: PrekeyInput, oneTime: boolean): Verdict =>
      all(
        given(input.agentId === null && input.oneTime === oneTime && input.signedBy === 'own'),
        kemKeyVerdict(input.key),
      );
    await fc.assert(
      fc.asyncProperty(
        fc.option(prekeyInput(false), { nil: undefined }),
        fc.array(prekeyInput(true), { maxLength: 3 }),
        async (signedInput, oneTimeInputs) => {
          const before = (await uploader.km.call('getPrekeyCount', {})).oneTimePrekeysRemaining;
          const request = {
            signedPrekey: signedInput === undefined ? undefined : await build(signedInput),
            oneTimePrekeys: await Promise.all(oneTimeInputs.map(build)),
          };
          const expected = all(
            given(signedInput !== undefined || oneTimeInputs.length > 0),
            signedInput === undefined ? 'yes' : verdict(signedInput, false),
            ...oneTimeInputs.map((input) => verdict(input, true)),
          );
          const answer = await outcome(uploader.km.call('uploadPrekeyBundle', request));
          const after = (await uploader.km.call('getPrekeyCount', {})).oneTimePrekeysRemaining;
          const context = `UploadPrekeyBundle ${JSON.stringify([signedInput, oneTimeInputs], errorJson).slice(0, 300)}`;
          if (answer.code === Code.OK) {
            expect(expected, `${context}: accepted invalid prekeys`).not.toBe('no');
            for (const input of oneTimeInputs) pooled.add(kemKeyOf(input.key)?.keyId ?? '');
            expect(after).toBe(pooled.size);
            expect(answer.value?.oneTimePrekeysRemaining).toBe(after);
            return;
          }
          expectRefusal(answer.code, answer.message, context);
          expect(expected, `${context}: refused valid prekeys: ${answer.message}`).not.toBe('yes');
          expect(after, `${context}: the pool changed on a refusal`).toBe(before);
        },
      ),
      { numRuns: RUNS.statements },
    );
    expect(pooled.size).toBeGreaterThan(0);
  }, 60_000);

  it('RotateSessionKey: hostile session keys are refused and the current key stays', async () => {
    const uploader = party('uploader');
    const installed = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          ownerId: mostly<string | null>(
            fc.constant(null),
            fc.constantFrom('alice', 'bob'),
            text(140),
          ),
          peerId: mostly(fc.constantFrom('peer-a', 'peer-b'), text(140)),
          key: kemChoice,
          schedule: mostly(fc.integer({ min: 0, max: 5 }), i32),
          createdAt: when,
          signedBy: statementSigner,
          garbage: bytes(64),
        }),
        async (input) => {
          const peerOk = isAgentId(input.peerId);
          const currentOf = async () =>
            peerOk
              ? (
                  await uploader.km.call('getSessionKeys', {
                    ownerId: 'uploader',
                    peerId: input.peerId,
                  })
                ).keys.find((key) => key.current)?.sessionKey?.body
              : undefined;
          const before = await currentOf();
          const key = kemKeyOf(input.key);
          const sessionKey = await statement(
            SessionKeySchema,
            {
              ownerId: input.ownerId ?? 'uploader',
              peerId: input.peerId,
              key,
              schedule: input.schedule as RotationSchedule,
              createdAtMs: resolveTime(input.createdAt),
            },
            input.signedBy,
            uploader.credentials.signer,
            input.garbage,
          );
          const answer = await outcome(uploader.km.call('rotateSessionKey', { sessionKey }));
          const expected = all(
            given(
              input.ownerId === null &&
                peerOk &&
                input.schedule >= 0 &&
                input.schedule <= 5 &&
                isFresh(input.createdAt) &&
                input.signedBy === 'own',
            ),
            kemKeyVerdict(input.key),
          );
          const installedKey = `${input.peerId}/${key?.keyId}`;
          const context = `RotateSessionKey ${JSON.stringify(input, errorJson).slice(0, 300)}`;
          if (answer.code === Code.OK) {
            expect(expected, `${context}: accepted an invalid session key`).not.toBe('no');
            expect(installed.has(installedKey), `${context}: installed twice`).toBe(false);
            installed.add(installedKey);
            expect(await currentOf()).toEqual(sessionKey.body);
            return;
          }
          expectRefusal(answer.code, answer.message, context);
          if (expected === 'yes') {
            // Only a key the session already had refuses an otherwise valid statement.
            expect(answer.code, `${context}: ${answer.message}`).toBe(Code.ALREADY_EXISTS);
            expect(installed.has(installedKey)).toBe(true);
          }
          expect(await currentOf(), `${context}: the current key changed on a refusal`).toEqual(
            before,
          );
        },
      ),
      { numRuns: RUNS.statements },
    );
    expect(installed.size).toBeGreaterThan(0);
    await expectServersServe();
  }, 60_000);
});

// --- Helpers ---------------------------------------------------------------------------------

function identityKeyOf(signer: CompositeSigner) {
  return {
    keyId: signer.keyId,
    mlDsa65: signer.publicKey.mlDsa65,
    ed25519: signer.publicKey.ed25519,
  };
}

/** Signs exact statement bytes (`body`) as a statement of `typeName`. */
async function resign(
  signer: CompositeSigner,
  typeName: string,
  body: Uint8Array,
): Promise<SignedStatement> {
  const signature = await signer.sign(statementSignedBytes(typeName, body), SIGNATURE_CONTEXT);
  return create(SignedStatementSchema, { body, signature: { keyId: signer.keyId, ...signature } });
}

function isAgentId(value: string): boolean {
  try {
    checkAgentId('agent_id', value);
    return true;
  } catch {
    return false;
  }
}

function errorJson(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
