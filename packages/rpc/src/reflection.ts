/**
 * gRPC server reflection, v1 and v1alpha (https://github.com/grpc/grpc/blob/master/doc/server-reflection.md),
 * served by `@grpc/reflection`, so grpcurl and similar tools can list and call the services
 * without a copy of `proto/`.
 *
 * `@grpc/reflection` takes a proto-loader PackageDefinition but only reads the
 * `fileDescriptorProtos` (serialized google.protobuf.FileDescriptorProto) of its entries. This
 * module builds that from the protobuf-es descriptors the services already carry: each service's
 * file plus all its transitive imports, serialized once and shared by one entry per top-level
 * message (the shape proto-loader itself produces).
 */
import { type DescFile, type DescService, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { ReflectionService } from '@grpc/reflection';

/** The proto-loader package definition `@grpc/reflection` analyses. */
export type ReflectionPackageDefinition = ConstructorParameters<typeof ReflectionService>[0];

/**
 * Builds the reflection service for `services`, merged with `extra` definitions made by
 * proto-loader (e.g. the health service's). Add it to a server with `addToServer(server)`.
 */
export function createReflectionService(
  services: readonly DescService[],
  extra: ReflectionPackageDefinition = {},
): ReflectionService {
  return new ReflectionService({ ...toReflectionPackageDefinition(services), ...extra });
}

/** The package definition describing `services` and every file they import. */
export function toReflectionPackageDefinition(
  services: readonly DescService[],
): ReflectionPackageDefinition {
  const files = new Map<string, DescFile>();
  const visit = (file: DescFile): void => {
    if (files.has(file.name)) return;
    files.set(file.name, file);
    for (const dependency of file.dependencies) visit(dependency);
  };
  for (const service of services) visit(service.file);

  const fileDescriptorProtos = [...files.values()].map((file) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)),
  );
  const definition: ReflectionPackageDefinition = {};
  for (const file of files.values()) {
    for (const message of file.messages) {
      definition[message.typeName] = {
        format: 'Protocol Buffer 3 DescriptorProto',
        type: message.proto,
        fileDescriptorProtos,
      };
    }
  }
  return definition;
}
