import { expect, test } from 'vitest';
import { formatBytes } from './output.js';

test('formatBytes: whole bytes, then one decimal in binary units', () => {
  expect(formatBytes(0)).toBe('0 B');
  expect(formatBytes(1023)).toBe('1023 B');
  expect(formatBytes(1024)).toBe('1.0 KiB');
  expect(formatBytes(54 * 1024 * 1024 + 512 * 1024)).toBe('54.5 MiB');
  expect(formatBytes(2.25 * 1024 ** 3)).toBe('2.3 GiB');
  expect(formatBytes(3 * 1024 ** 5)).toBe('3072.0 TiB');
});
