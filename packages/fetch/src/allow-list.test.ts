import { describe, expect, test } from 'vitest';
import { HostAllowList } from './allow-list.js';

const allows = (list: string, url: string) => HostAllowList.parse(list).allows(new URL(url));

describe('HostAllowList', () => {
  test('compares hosts case-insensitively, ignoring a trailing dot', () => {
    expect(allows('KojiPkgs.FedoraProject.org', 'https://kojipkgs.fedoraproject.org/compose/')).toBe(true);
    expect(allows('kojipkgs.fedoraproject.org', 'https://KOJIPKGS.fedoraproject.org./x')).toBe(true);
    expect(allows('kojipkgs.fedoraproject.org', 'https://kojipkgs.fedoraproject.org.evil.example/')).toBe(
      false,
    );
    expect(allows('fedoraproject.org', 'https://kojipkgs.fedoraproject.org/')).toBe(false);
  });

  test('an entry without a port allows only the default port of http and https', () => {
    expect(allows('dl.fedoraproject.org', 'http://dl.fedoraproject.org/pub')).toBe(true);
    expect(allows('dl.fedoraproject.org', 'https://dl.fedoraproject.org/pub')).toBe(true);
    expect(allows('dl.fedoraproject.org', 'http://dl.fedoraproject.org:8080/pub')).toBe(false);
    expect(allows('dl.fedoraproject.org', 'http://dl.fedoraproject.org:443/pub')).toBe(false);
  });

  test('an entry with a port allows exactly that port', () => {
    expect(allows('127.0.0.1:8081', 'http://127.0.0.1:8081/x')).toBe(true);
    expect(allows('127.0.0.1:8081', 'http://127.0.0.1:8082/x')).toBe(false);
    expect(allows('127.0.0.1:8081', 'http://127.0.0.1/x')).toBe(false);
    expect(allows('mirror.example:443', 'https://mirror.example/x')).toBe(true);
    expect(allows('[::1]:8081', 'http://[::1]:8081/x')).toBe(true);
  });

  test('only http and https', () => {
    expect(allows('127.0.0.1', 'ftp://127.0.0.1/x')).toBe(false);
    expect(allows('127.0.0.1', 'file://127.0.0.1/etc/passwd')).toBe(false);
  });

  test('names every bad entry', () => {
    expect(HostAllowList.problems('ok.example, http://x.example/, a b, host:99999, ok:80')).toEqual([
      'http://x.example/ is not host or host:port',
      'a b is not host or host:port',
      'host:99999 is not host or host:port',
    ]);
    expect(() => HostAllowList.parse('a/b')).toThrow(/a\/b is not host or host:port/);
    expect(HostAllowList.parse(' a.example , b.example:81 ,').toString()).toBe('a.example,b.example:81');
  });
});
