// A RabbitMQ virtual host per test file on the local broker, so tests never see each other's queues.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestVhost {
  name: string;
  /** amqp:// URL for this vhost on the local broker. */
  url: string;
  dispose(): Promise<void>;
}

export async function createTestVhost(opts: { host?: string; port?: number } = {}): Promise<TestVhost> {
  const name = `autocloud-test-${randomBytes(4).toString('hex')}`;
  const host = opts.host ?? process.env.TEST_RABBITMQ_HOST ?? '127.0.0.1';
  const port = opts.port ?? Number(process.env.TEST_RABBITMQ_PORT ?? 5672);
  await run('rabbitmqctl', ['add_vhost', name]);
  await run('rabbitmqctl', ['set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
  return {
    name,
    url: `amqp://guest:guest@${host}:${port}/${encodeURIComponent(name)}`,
    dispose: async () => {
      await run('rabbitmqctl', ['delete_vhost', name]).catch(() => undefined);
    },
  };
}
