// Headers on a dead letter (autocloud.deadletter.<service>); its body is the original message's bytes, unchanged.

export const DEADLETTER_HEADERS = {
  reason: 'Autocloud-Deadletter-Reason',
  subject: 'Autocloud-Original-Subject',
  stream: 'Autocloud-Original-Stream',
  seq: 'Autocloud-Original-Seq',
  msgId: 'Autocloud-Original-Msg-Id',
  service: 'Autocloud-Service',
} as const;
export type DeadletterHeader = (typeof DEADLETTER_HEADERS)[keyof typeof DEADLETTER_HEADERS];
