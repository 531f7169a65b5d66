import { describe, expect, test } from 'vitest';
import { parseNodeScript, serviceCommand } from './service-command.js';
import { SERVICES } from './services.js';

describe('parseNodeScript', () => {
  test("a start script's variables (with ${NAME-default}) and node flags", () => {
    const script =
      'OTEL_NODE_ENABLED_INSTRUMENTATIONS=${OTEL_NODE_ENABLED_INSTRUMENTATIONS-http,pg} node --enable-source-maps --import @autocloud/telemetry/register ./dist/main.js';
    expect(parseNodeScript(script, {})).toEqual({
      env: { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg' },
      nodeArgs: ['--enable-source-maps', '--import', '@autocloud/telemetry/register', './dist/main.js'],
    });
    expect(parseNodeScript(script, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http' }).env).toEqual({
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http',
    });
    expect(parseNodeScript('A=${A:-x} node main.js', { A: '' }).env).toEqual({ A: 'x' });
  });

  test('a dev script runs tsx as a loader of node', () => {
    expect(parseNodeScript('tsx --conditions=@autocloud/source ./src/main.ts', {}).nodeArgs).toEqual([
      '--import',
      'tsx',
      '--conditions=@autocloud/source',
      './src/main.ts',
    ]);
  });

  test('anything but node or tsx is refused', () => {
    expect(() => parseNodeScript('node a.js | tee log', {})).toThrow(/only \[NAME=value/);
    expect(() => parseNodeScript('bash run.sh', {})).toThrow(/does not start node or tsx/);
  });
});

test('every service has a command `up` can run, from dist/ or (AUTOCLOUD_FROM_SOURCE=1) src/', () => {
  for (const name of SERVICES) {
    const fromSource = serviceCommand(name, { AUTOCLOUD_FROM_SOURCE: '1' });
    expect(fromSource.source).toBe('src');
    expect(fromSource.nodeArgs.at(-1)).toBe('./src/main.ts');
    expect(fromSource.cwd).toMatch(new RegExp(`/services/${name}$`));
    const command = serviceCommand(name, {});
    expect(command.nodeArgs.at(-1)).toBe(command.source === 'dist' ? './dist/main.js' : './src/main.ts');
  }
});
