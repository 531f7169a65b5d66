import { describe, expect, test } from 'vitest';
import { parsePlan, PlanParseError } from './plan.js';

// A Tunir job file as Fedora's cloud SIG wrote them (fedora-cloud-base.txt style), unchanged.
const tunirJob = `sudo su -c"echo Hello > /var/log/testlog.txt"
## sudo systemctl is-active firewalld
curl -O https://example.invalid/x.tar.gz
@@ sudo reboot
SLEEP 40
POLL
ls /
HOSTCOMMAND: echo host side
HOSTTEST: test -d /tmp
`;

describe('parsePlan', () => {
  test('reads every Tunir form, with kinds, gating and line numbers', () => {
    const plan = parsePlan('tunir', tunirJob);
    expect(plan.stepTimeoutS).toBe(600);
    expect(plan.steps.map((s) => [s.index, s.line, s.kind, s.command, s.gating])).toEqual([
      [0, 1, 'command', 'sudo su -c"echo Hello > /var/log/testlog.txt"', true],
      [1, 2, 'non-gating', 'sudo systemctl is-active firewalld', false],
      [2, 3, 'command', 'curl -O https://example.invalid/x.tar.gz', true],
      [3, 4, 'expected-fail', 'sudo reboot', true],
      [4, 5, 'sleep', '', true],
      [5, 6, 'poll', '', true],
      [6, 7, 'command', 'ls /', true],
      [7, 8, 'host-command', 'echo host side', false],
      [8, 9, 'host-test', 'test -d /tmp', true],
    ]);
    expect(plan.steps[4]!.seconds).toBe(40);
  });

  test('comments, blank lines and the timeout directive', () => {
    const plan = parsePlan('p', '# a comment\n\n# autocloud: timeout=900\nuname -a\r\n');
    expect(plan.stepTimeoutS).toBe(900);
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0]).toMatchObject({ line: 4, command: 'uname -a' });
  });

  test('every problem is reported at once, with its line number', () => {
    let error: unknown;
    try {
      parsePlan('bad', 'ls\nSLEEP\nSLEEP soon\n##\n@@\nHOSTCOMMAND:\nPOLL now\n# autocloud: retries=3\n');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PlanParseError);
    expect((error as PlanParseError).problems).toEqual([
      'line 2: SLEEP needs a number of seconds, got ""',
      'line 3: SLEEP needs a number of seconds, got "soon"',
      'line 4: "##" needs a command after it',
      'line 5: "@@" needs a command after it',
      'line 6: HOSTCOMMAND: needs a command',
      'line 7: POLL takes no arguments',
      'line 8: unknown directive "retries=3" (known: timeout=<seconds>)',
    ]);
    expect((error as Error).message).toMatch(/^test plan bad is invalid:/);
  });

  test('an empty plan is an error', () => {
    expect(() => parsePlan('empty', '\n# nothing\n')).toThrow(/the plan has no steps/);
  });
});
