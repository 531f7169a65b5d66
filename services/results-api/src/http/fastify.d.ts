// What this app adds to fastify's request.
import 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made an authenticated write (`token:<hash prefix>`), for the audit trail. */
    principal?: string;
  }
}
