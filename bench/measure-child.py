#!/usr/bin/python3
"""Runs one command and reports its wall time and CPU time, for bench/snapshot.bench.ts.

Usage: measure-child.py COMMAND [ARGS...]

The command inherits stdin, stdout and stderr. When it has exited, one line is appended to
stderr:  @@measure {"wallMs": ..., "userMs": ..., "sysMs": ..., "maxRssKiB": ..., "exitCode": ...}

CPU time comes from the rusage that wait4(2) returns for the child (ru_utime/ru_stime, which
include the child's own waited-for descendants), in microseconds. Node has no wait4 or
getrusage(RUSAGE_CHILDREN); the alternative it can reach, cutime/cstime in /proc/self/stat, is in
clock ticks (10 ms at CLK_TCK=100), too coarse for commands that use 20-50 ms of CPU. Wall time is
taken here around posix_spawn .. wait4, so this wrapper's own start-up is in neither figure.
"""
import json
import os
import sys
import time


def main() -> int:
    argv = sys.argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    started = time.perf_counter_ns()
    pid = os.posix_spawnp(argv[0], argv, os.environ)
    _, status, usage = os.wait4(pid, 0)
    wall_ns = time.perf_counter_ns() - started
    result = {
        "wallMs": wall_ns / 1e6,
        "userMs": usage.ru_utime * 1000,
        "sysMs": usage.ru_stime * 1000,
        "maxRssKiB": usage.ru_maxrss,
        "exitCode": os.waitstatus_to_exitcode(status),
    }
    sys.stderr.write("@@measure " + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
