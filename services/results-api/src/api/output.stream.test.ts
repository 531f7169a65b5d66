import { describe, expect, test } from 'vitest';
import { contentTypeOf } from '../artifacts/artifact.store.js';
import { resumeAfter } from './output.stream.js';

describe('resumeAfter', () => {
  test('Last-Event-ID wins over ?after=; anything not a line number is ignored', () => {
    expect(resumeAfter('42', 7)).toBe(42);
    expect(resumeAfter(' 42 ', undefined)).toBe(42);
    expect(resumeAfter(undefined, 7)).toBe(7);
    expect(resumeAfter('abc', 7)).toBe(7);
    expect(resumeAfter('-1', undefined)).toBe(0);
    expect(resumeAfter('99999999999', 3)).toBe(3);
    expect(resumeAfter(['5', '6'], undefined)).toBe(5);
  });
});

describe('contentTypeOf', () => {
  test('logs are text, JSON is JSON, and nothing is ever served as HTML', () => {
    expect(contentTypeOf('serial-console.log')).toBe('text/plain; charset=utf-8');
    expect(contentTypeOf('steps.json')).toBe('application/json; charset=utf-8');
    expect(contentTypeOf('page.html', 'text/html')).toBe('application/octet-stream');
    expect(contentTypeOf('notes', 'text/plain')).toBe('text/plain');
  });
});
