// The fedmsg envelope (ZeroMQ and datagrepper) and a datagrepper /raw page, as fedmsg-bridge receives them.
// Upstream-owned and open: only the fields the bridge relies on are required.
import { Type, type Static } from '@sinclair/typebox';

const optionalText = (description: string) =>
  Type.Optional(Type.Union([Type.String(), Type.Null()], { description }));

export const FedmsgEnvelope = Type.Object(
  {
    topic: Type.String({
      minLength: 1,
      description: 'Full topic, e.g. org.fedoraproject.prod.pungi.compose.status.change',
    }),
    msg: Type.Record(Type.String(), Type.Unknown(), { description: 'The message body' }),
    msg_id: Type.String({ minLength: 1, description: 'Unique message id, e.g. 2018-<uuid>' }),
    timestamp: Type.Number({ description: 'When it was sent, seconds since the epoch' }),
    i: Type.Integer({ description: 'Sequence number of the message from its sender' }),
    username: optionalText('User the sender ran as'),
    source_name: optionalText('Sending software, e.g. datanommer'),
    source_version: optionalText('Version of the sending software'),
    signature: optionalText('Signature over the message (base64)'),
    crypto: optionalText('Signature scheme, e.g. x509'),
    certificate: optionalText('Signing certificate (base64)'),
    headers: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'fedora-messaging headers, where present' }),
    ),
  },
  { $id: 'FedmsgEnvelope', description: 'A fedmsg message envelope', additionalProperties: true },
);
export type FedmsgEnvelope = Static<typeof FedmsgEnvelope>;

export const DatagrepperPage = Type.Object(
  {
    arguments: Type.Record(Type.String(), Type.Unknown(), {
      description: 'The query as datagrepper understood it',
    }),
    count: Type.Integer({ minimum: 0, description: 'Messages on this page' }),
    pages: Type.Integer({ minimum: 0, description: 'Total number of pages' }),
    total: Type.Integer({ minimum: 0, description: 'Total number of matching messages' }),
    raw_messages: Type.Array(FedmsgEnvelope, {
      description: 'The messages of this page, in the requested order',
    }),
  },
  {
    $id: 'DatagrepperPage',
    description: 'One page of GET {datagrepper}/raw',
    additionalProperties: true,
  },
);
export type DatagrepperPage = Static<typeof DatagrepperPage>;
