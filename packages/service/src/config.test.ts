import { Type } from '@sinclair/typebox';
import { describe, expect, test } from 'vitest';
import { checkNatsUrl, CommonConfig, ConfigError, healthPort, list, loadConfig } from './config.js';

const Schema = Type.Composite([
  CommonConfig,
  Type.Object({ HEALTH_PORT: healthPort(9000), SLOTS: Type.Integer({ minimum: 1, default: 2 }) }),
]);

describe('loadConfig', () => {
  test('applies defaults and converts numbers', () => {
    const c = loadConfig(Schema, { SLOTS: '4' });
    expect(c).toMatchObject({
      NATS_URL: 'nats://127.0.0.1:4222',
      HEALTH_PORT: 9000,
      SLOTS: 4,
      LOG_LEVEL: 'info',
    });
  });

  test('reports every problem at once', () => {
    let error: unknown;
    try {
      loadConfig(Schema, { SLOTS: '0', HEALTH_PORT: 'eighty', LOG_LEVEL: 'loud', NATS_URL: 'nonsense' }, [
        checkNatsUrl,
      ]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/SLOTS/);
    expect(problems).toMatch(/HEALTH_PORT/);
    expect(problems).toMatch(/LOG_LEVEL/);
  });

  test('a NATS_URL that is not a URL is named, without echoing the value', () => {
    expect(() => loadConfig(Schema, { NATS_URL: 'nonsense' }, [checkNatsUrl])).toThrow(
      /NATS_URL: expected nats:\/\//,
    );
    expect(() => loadConfig(Schema, { NATS_URL: 'nonsense' }, [checkNatsUrl])).not.toThrow(/nonsense/);
    expect(loadConfig(Schema, { NATS_URL: 'nats://a:4222, tls://b:4222' }, [checkNatsUrl]).NATS_URL).toBe(
      'nats://a:4222, tls://b:4222',
    );
  });

  test('NATS_STREAM_REPLICAS defaults to 1 and accepts 1 to 5 only', () => {
    expect(loadConfig(Schema, {}).NATS_STREAM_REPLICAS).toBe(1);
    expect(loadConfig(Schema, { NATS_STREAM_REPLICAS: '3' }).NATS_STREAM_REPLICAS).toBe(3);
    for (const bad of ['0', '6', 'three']) {
      expect(() => loadConfig(Schema, { NATS_STREAM_REPLICAS: bad })).toThrow(/NATS_STREAM_REPLICAS/);
    }
  });

  test('numbers are read strictly: no truncation, no hex, no booleans', () => {
    expect(loadConfig(Schema, { SLOTS: '1e3' }).SLOTS).toBe(1000);
    expect(loadConfig(Schema, { SLOTS: ' 7 ' }).SLOTS).toBe(7);
    for (const bad of ['1.5', '0x10', 'true', '10abc', 'Infinity']) {
      expect(() => loadConfig(Schema, { SLOTS: bad }), bad).toThrow(/SLOTS: Expected integer/);
    }
    const Ratio = Type.Object({ RATIO: Type.Number({ default: 1 }) });
    expect(loadConfig(Ratio, { RATIO: '.25' }).RATIO).toBe(0.25);
    expect(() => loadConfig(Ratio, { RATIO: '0x10' })).toThrow(/RATIO: Expected number/);
  });

  test('empty variables count as unset', () => {
    expect(loadConfig(Schema, { SLOTS: '' }).SLOTS).toBe(2);
  });
});

test('list splits, trims and drops empty entries', () => {
  expect(list(' a, b,,c ')).toEqual(['a', 'b', 'c']);
  expect(list(undefined)).toEqual([]);
});
