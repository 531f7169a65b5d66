// The two productmd 1.x documents the resolver reads from {location}/metadata/: images.json and composeinfo.json.
// Upstream-owned and extended over the years, so objects stay open; only the fields we use are required.
import { Type, type Static } from '@sinclair/typebox';

const header = (type: string) =>
  Type.Object(
    {
      type: Type.Literal(type),
      version: Type.String({ pattern: '^1\\.[0-9]+$', description: 'productmd format version, 1.x' }),
    },
    { additionalProperties: true },
  );

const composeDate = Type.String({ pattern: '^[0-9]{8}$', description: 'YYYYMMDD' });

export const ProductmdImage = Type.Object(
  {
    path: Type.String({ minLength: 1, description: 'relative to the compose location' }),
    checksums: Type.Object(
      { sha256: Type.String({ pattern: '^[0-9a-fA-F]{64}$' }) },
      { additionalProperties: true },
    ),
    size: Type.Integer({ minimum: 0 }),
    type: Type.String({ minLength: 1, description: 'e.g. qcow2, raw-xz, vagrant-libvirt' }),
    format: Type.String({ minLength: 1, description: 'e.g. qcow2, raw.xz, vagrant-libvirt.box' }),
    arch: Type.String({ minLength: 1 }),
    subvariant: Type.String({ description: 'e.g. Cloud_Base, AtomicHost; may be empty in old composes' }),
  },
  { $id: 'ProductmdImage', additionalProperties: true },
);
export type ProductmdImage = Static<typeof ProductmdImage>;

export const ImagesManifest = Type.Object(
  {
    header: header('productmd.images'),
    payload: Type.Object(
      {
        compose: Type.Object(
          { id: Type.String({ minLength: 1 }), date: composeDate, respin: Type.Integer({ minimum: 0 }) },
          { additionalProperties: true },
        ),
        // variant -> arch -> images
        images: Type.Record(Type.String(), Type.Record(Type.String(), Type.Array(ProductmdImage))),
      },
      { additionalProperties: true },
    ),
  },
  { $id: 'ImagesManifest', additionalProperties: true },
);
export type ImagesManifest = Static<typeof ImagesManifest>;

export const ComposeInfo = Type.Object(
  {
    header: header('productmd.composeinfo'),
    payload: Type.Object(
      {
        compose: Type.Object(
          {
            id: Type.String({ minLength: 1 }),
            date: composeDate,
            respin: Type.Integer({ minimum: 0 }),
            type: Type.String({ minLength: 1, description: 'production, nightly, test, ci' }),
            label: Type.Optional(Type.Union([Type.String(), Type.Null()])),
          },
          { additionalProperties: true },
        ),
        release: Type.Object(
          {
            version: Type.String({ minLength: 1, description: 'e.g. 27 or Rawhide' }),
            short: Type.String({ minLength: 1, description: 'e.g. Fedora-Cloud' }),
            name: Type.Optional(Type.String()),
            type: Type.Optional(Type.String()),
          },
          { additionalProperties: true },
        ),
      },
      { additionalProperties: true },
    ),
  },
  { $id: 'ComposeInfo', additionalProperties: true },
);
export type ComposeInfo = Static<typeof ComposeInfo>;
