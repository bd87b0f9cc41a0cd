import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { create, createFileRegistry, fromBinary } from '@bufbuild/protobuf';
import {
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  ChannelService,
  EnvelopeProcessorService,
  KeyManagementService,
} from '@proof-messenger/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingLogger } from './_testing.ts';
import { createGrpcServer, type GrpcServer } from './grpc-server.ts';

// A real reflection client: grpc-js with the reflection protos @grpc/reflection ships, loaded by
// proto-loader (camelCase fields, bytes as Buffer).
interface ReflectionRequest {
  listServices?: string;
  fileContainingSymbol?: string;
}
interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}
type ReflectionClient = grpc.Client & {
  ServerReflectionInfo(): grpc.ClientDuplexStream<ReflectionRequest, ReflectionResponse>;
};
type ReflectionClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => ReflectionClient;

function reflectionClient(version: 'v1' | 'v1alpha'): ReflectionClientConstructor {
  const root = dirname(createRequire(import.meta.url).resolve('@grpc/reflection/package.json'));
  const name = `grpc.reflection.${version}.ServerReflection`;
  const definition = protoLoader.loadSync(
    join(root, 'build/proto/grpc/reflection', version, 'reflection.proto'),
  )[name];
  if (definition === undefined || 'format' in definition) throw new Error(`${name} not found`);
  const clientClass = grpc.makeGenericClientConstructor(definition, name);
  return clientClass as unknown as ReflectionClientConstructor;
}

async function ask(client: ReflectionClient, request: ReflectionRequest) {
  const call = client.ServerReflectionInfo();
  const response = new Promise<ReflectionResponse>((resolve, reject) => {
    call.once('data', resolve);
    call.once('error', reject);
  });
  call.write(request);
  call.end();
  return response;
}

// Reflection answers with the requested file first; a FileDescriptorSet wants imports first.
// (createFileRegistry's resolver form would sort, but in protobuf-es 2.17 it mis-orders diamond
// imports such as envelope_processor -> {envelope -> common, common}.)
function importsFirst(files: readonly FileDescriptorProto[]): FileDescriptorProto[] {
  const byName = new Map(files.map((file) => [file.name, file]));
  const ordered: FileDescriptorProto[] = [];
  const visit = (file: FileDescriptorProto): void => {
    if (ordered.includes(file)) return;
    for (const name of file.dependency) {
      const dependency = byName.get(name);
      if (dependency !== undefined) visit(dependency);
    }
    ordered.push(file);
  };
  for (const file of files) visit(file);
  return ordered;
}

const OUR_SERVICES = [
  'grpc.health.v1.Health',
  'proofmessenger.v1.ChannelService',
  'proofmessenger.v1.EnvelopeProcessorService',
  'proofmessenger.v1.KeyManagementService',
];

describe('reflection', () => {
  let server: GrpcServer;
  let address: string;
  let v1: ReflectionClient;

  beforeAll(async () => {
    server = createGrpcServer({
      log: recordingLogger(),
      services: [
        { service: EnvelopeProcessorService, implementation: {} },
        { service: KeyManagementService, implementation: {} },
        { service: ChannelService, implementation: {} },
      ],
    });
    address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
    v1 = new (reflectionClient('v1'))(address, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    v1.close();
    await server.shutdown();
  });

  it('lists the services, and health, over v1', async () => {
    const response = await ask(v1, { listServices: '*' });
    const names = response.listServicesResponse?.service.map((service) => service.name);
    expect(names?.sort()).toEqual(OUR_SERVICES);
  });

  it('lists the same services over v1alpha', async () => {
    const client = new (reflectionClient('v1alpha'))(address, grpc.credentials.createInsecure());
    try {
      const response = await ask(client, { listServices: '*' });
      const names = response.listServicesResponse?.service.map((service) => service.name);
      expect(names?.sort()).toEqual(OUR_SERVICES);
    } finally {
      client.close();
    }
  });

  it.each([EnvelopeProcessorService, KeyManagementService, ChannelService])(
    'returns decodable descriptors for $typeName and all its imports',
    async (service) => {
      const response = await ask(v1, { fileContainingSymbol: service.typeName });
      const files = (response.fileDescriptorResponse?.fileDescriptorProto ?? []).map((bytes) =>
        fromBinary(FileDescriptorProtoSchema, bytes),
      );
      expect(files[0]?.name).toBe(`${service.file.name}.proto`);
      // The files must be complete: a registry built from them alone resolves the service.
      const registry = createFileRegistry(
        create(FileDescriptorSetSchema, { file: importsFirst(files) }),
      );
      const reflected = registry.getService(service.typeName);
      expect(reflected?.methods.map((method) => method.name)).toEqual(
        service.methods.map((method) => method.name),
      );
      expect(reflected?.methods.map((method) => method.input.typeName)).toEqual(
        service.methods.map((method) => method.input.typeName),
      );
    },
  );

  it('finds the file of a method and of a message', async () => {
    for (const symbol of [
      'proofmessenger.v1.EnvelopeProcessorService.VerifyEnvelope',
      'proofmessenger.v1.ErrorDetail',
    ]) {
      const response = await ask(v1, { fileContainingSymbol: symbol });
      expect(response.fileDescriptorResponse?.fileDescriptorProto.length).toBeGreaterThan(0);
    }
  });

  it('answers NOT_FOUND for an unknown symbol', async () => {
    const response = await ask(v1, { fileContainingSymbol: 'no.such.Symbol' });
    expect(response.errorResponse).toEqual({
      errorCode: grpc.status.NOT_FOUND,
      errorMessage: 'Symbol not found: no.such.Symbol',
    });
  });
});
