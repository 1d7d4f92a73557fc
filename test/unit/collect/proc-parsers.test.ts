import { describe, expect, it } from 'vitest';
import {
  classifyMlLibrary,
  parseCgroupContainerId,
  parseCmdline,
  parseMapsMlLibraries,
  parseSmapsRollup,
  parseStatus,
} from '../../../src/collect/proc-parsers.js';

const ID = '044cebd82719ef93a79e859ba823a608db7a25205dd39a5d996274b9fc1149a9';
const KIB = 1024;
const MIB = 1024 * 1024;

// Trimmed from /proc/<pid>/status of a Celery master in a container (kernel 6.x).
const CELERY_STATUS = [
  'Name:\tpython3',
  'Umask:\t0022',
  'State:\tS (sleeping)',
  'Tgid:\t15463',
  'Pid:\t15463',
  'PPid:\t15442',
  'NStgid:\t15463\t1',
  'NSpid:\t15463\t1',
  'Kthread:\t0',
  'VmPeak:\t   54588 kB',
  'VmRSS:\t   49032 kB',
  'RssAnon:\t   37484 kB',
  'Threads:\t1',
  '',
].join('\n');

describe('parseStatus', () => {
  it('reads Name, PPid, VmRSS and the in-container pid', () => {
    expect(parseStatus(CELERY_STATUS, 15463)).toEqual({
      name: 'python3',
      ppid: 15442,
      rssBytes: 49032 * KIB,
      nsPid: 1,
      kernelThread: false,
    });
  });

  it('gives nsPid null when the process is in the root pid namespace', () => {
    const status = CELERY_STATUS.replace('NSpid:\t15463\t1', 'NSpid:\t15463');
    expect(parseStatus(status, 15463)?.nsPid).toBeNull();
  });

  it('takes the last NSpid entry for nested namespaces', () => {
    const status = CELERY_STATUS.replace('NSpid:\t15463\t1', 'NSpid:\t15463\t220\t7');
    expect(parseStatus(status, 15463)?.nsPid).toBe(7);
  });

  it('keeps spaces in the comm', () => {
    expect(parseStatus(CELERY_STATUS.replace('python3', 'Web Content'), 15463)?.name).toBe('Web Content');
  });

  it('reports kernel threads: Kthread 1 and no VmRSS', () => {
    const status = 'Name:\tkthreadd\nState:\tS (sleeping)\nPid:\t2\nPPid:\t0\nKthread:\t1\nThreads:\t1\n';
    expect(parseStatus(status, 2)).toEqual({ name: 'kthreadd', ppid: 0, rssBytes: null, nsPid: null, kernelThread: true });
  });

  it('gives rssBytes null for a zombie (no VmRSS) and for an unparseable VmRSS', () => {
    expect(parseStatus('Name:\tdefunct\nState:\tZ (zombie)\nPPid:\t1\n', 9)?.rssBytes).toBeNull();
    expect(parseStatus(CELERY_STATUS.replace('   49032 kB', 'lots kB'), 15463)?.rssBytes).toBeNull();
    expect(parseStatus(CELERY_STATUS.replace('   49032 kB', '-5 kB'), 15463)?.rssBytes).toBeNull();
  });

  it('returns null for garbage', () => {
    expect(parseStatus('', 1)).toBeNull();
    expect(parseStatus('\u0000\u00ff\u00fegarbage\nno colon here\n:\t\n', 1)).toBeNull();
    expect(parseStatus('Name:\tx\nPPid:\tnot-a-number\n', 1)).toBeNull();
    expect(parseStatus('PPid:\t1\n', 1)).toBeNull();
  });
});

describe('parseCmdline', () => {
  it('splits NUL-separated argv', () => {
    expect(parseCmdline('python3\0/usr/bin/celery\0-A\0mwtest\0worker\0')).toEqual([
      'python3',
      '/usr/bin/celery',
      '-A',
      'mwtest',
      'worker',
    ]);
  });

  it('keeps arguments with spaces and empty arguments in the middle', () => {
    expect(parseCmdline('sh\0-c\0sleep 5\0\0x\0')).toEqual(['sh', '-c', 'sleep 5', '', 'x']);
  });

  it('drops the NUL padding setproctitle leaves behind', () => {
    expect(parseCmdline(`gunicorn: master [app]${'\0'.repeat(40)}`)).toEqual(['gunicorn: master [app]']);
    expect(parseCmdline(`[celeryd: w@h:MainProcess]   ${'\0'.repeat(3)}`)).toEqual(['[celeryd: w@h:MainProcess]   ']);
  });

  it('is empty for kernel threads and zombies', () => {
    expect(parseCmdline('')).toEqual([]);
    expect(parseCmdline('\0')).toEqual([]);
  });
});

describe('parseCgroupContainerId', () => {
  it('reads cgroup v1 with the cgroupfs driver from the memory line', () => {
    const text = `12:pids:/docker/${ID}\n4:memory:/docker/${ID}\n1:cpu,cpuacct:/docker/${ID}\n0::/\n`;
    expect(parseCgroupContainerId(text)).toBe(ID);
  });

  it('reads cgroup v1 with the systemd driver', () => {
    expect(parseCgroupContainerId(`4:memory:/system.slice/docker-${ID}.scope\n`)).toBe(ID);
  });

  it('reads cgroup v2 with the systemd and cgroupfs drivers', () => {
    expect(parseCgroupContainerId(`0::/system.slice/docker-${ID}.scope\n`)).toBe(ID);
    expect(parseCgroupContainerId(`0::/docker/${ID}\n`)).toBe(ID);
  });

  it('prefers the memory controller when v1 controllers disagree', () => {
    const other = 'f'.repeat(64);
    expect(parseCgroupContainerId(`12:pids:/docker/${other}\n4:memory:/docker/${ID}\n`)).toBe(ID);
  });

  it('takes the outer container for docker-in-docker', () => {
    expect(parseCgroupContainerId(`4:memory:/docker/${ID}/docker/${'e'.repeat(64)}\n`)).toBe(ID);
  });

  it('is null on the host and for look-alikes', () => {
    expect(parseCgroupContainerId('12:pids:/init.scope\n4:memory:/\n0::/\n')).toBeNull();
    expect(parseCgroupContainerId('0::/user.slice/user-1000.slice/session-2.scope\n')).toBeNull();
    expect(parseCgroupContainerId('4:memory:/process_api/d24b5b33d09ad7e4898d78788ef1da2d\n')).toBeNull();
    expect(parseCgroupContainerId(`0::/docker/${ID.slice(0, 12)}\n`)).toBeNull();
    expect(parseCgroupContainerId(`0::/docker/${ID}x\n`)).toBeNull();
    expect(parseCgroupContainerId('')).toBeNull();
    expect(parseCgroupContainerId('garbage without colons\n')).toBeNull();
  });
});

describe('parseSmapsRollup', () => {
  // /proc/self/smaps_rollup of `cat` on the test host.
  const ROLLUP = [
    '5625dd88a000-7ffe2420b000 ---p 00000000 00:00 0                          [rollup]',
    'Rss:                1708 kB',
    'Pss:                 318 kB',
    'Pss_Dirty:           112 kB',
    'Pss_Anon:            112 kB',
    'Pss_File:            206 kB',
    'Pss_Shmem:             0 kB',
    'Shared_Clean:       1556 kB',
    'Shared_Dirty:          0 kB',
    'Private_Clean:        40 kB',
    'Private_Dirty:       112 kB',
    'Referenced:         1708 kB',
    'Swap:                  0 kB',
    '',
  ].join('\n');

  it('reads Rss and Pss, and USS = Private_Clean + Private_Dirty', () => {
    // USS: 40 + 112 = 152 kB.
    expect(parseSmapsRollup(ROLLUP)).toEqual({ rssBytes: 1708 * KIB, pssBytes: 318 * KIB, ussBytes: 152 * KIB });
  });

  it('is null when a figure is missing or garbled, or the file is empty', () => {
    expect(parseSmapsRollup('')).toBeNull();
    expect(parseSmapsRollup(ROLLUP.replace('Pss:                 318 kB\n', ''))).toBeNull();
    expect(parseSmapsRollup(ROLLUP.replace('Private_Dirty:       112 kB', 'Private_Dirty: ? kB'))).toBeNull();
  });
});

describe('parseMapsMlLibraries', () => {
  const line = (range: string, path: string): string =>
    `${range} r-xp 00000000 fe:00 2000001                    ${path}`;

  it('sums end - start per library and counts a repeated mapping once', () => {
    const maps = [
      '00400000-0041f000 r--p 00000000 fe:00 1525613                            /usr/bin/python3.11',
      line('7f3a30000000-7f3a30400000', '/venv/lib/python3.11/site-packages/torch/lib/libtorch_cpu.so'), // 4 MiB
      line('7f3a30400000-7f3a31400000', '/venv/lib/python3.11/site-packages/torch/lib/libtorch_cpu.so'), // 16 MiB
      line('7f3a30400000-7f3a31400000', '/venv/lib/python3.11/site-packages/torch/lib/libtorch_cpu.so'), // again
      line('7f3a31400000-7f3a31500000', '/venv/lib/python3.11/site-packages/torch/lib/libc10.so'), // 1 MiB
      line('7f3a32000000-7f3a32200000', '/usr/local/lib/libtorch_global_deps.so'), // 2 MiB
      '7f3a1c000000-7f3a1c021000 rw-p 00000000 00:00 0 ',
      '7ffd8b2e1000-7ffd8b302000 rw-p 00000000 00:00 0                          [stack]',
      '',
    ].join('\n');
    expect(parseMapsMlLibraries(maps)).toEqual([{ name: 'torch', mappedBytes: 23 * MIB }]);
  });

  it('recognises every library, with " (deleted)" and spaces in paths', () => {
    const maps = [
      line('7f1000000000-7f1000800000', '/opt/x/onnxruntime/capi/libonnxruntime_providers_shared.so'), // 8 MiB
      line('7f1000800000-7f1000a00000', '/opt/my env/opencv_python_headless.libs/libavcodec-9aae2d4e.so.59'), // 2 MiB
      line('7f1000a00000-7f1000b00000', '/opt/x/cv2/cv2.abi3.so (deleted)'), // 1 MiB
      line('7f1000b00000-7f1000c00000', '/usr/lib/x86_64-linux-gnu/libopencv_core.so.406'), // 1 MiB
      line('7f1000c00000-7f1000e00000', '/opt/x/paddle/base/libpaddle.so'), // 2 MiB
      line('7f1000e00000-7f1000f00000', '/opt/x/paddle/libs/libphi.so'), // 1 MiB
      line('7f1001000000-7f1005000000', '/opt/x/tensorflow/libtensorflow_framework.so.2'), // 64 MiB
      '',
    ].join('\n');
    expect(parseMapsMlLibraries(maps)).toEqual([
      { name: 'tensorflow', mappedBytes: 64 * MIB },
      { name: 'onnxruntime', mappedBytes: 8 * MIB },
      { name: 'opencv', mappedBytes: 4 * MIB },
      { name: 'paddle', mappedBytes: 3 * MIB },
    ]);
  });

  it('handles addresses above 2^53', () => {
    const maps = line('ff00000000000000-ff00000000001000', '/opt/torch/lib/libc10.so');
    expect(parseMapsMlLibraries(maps)).toEqual([{ name: 'torch', mappedBytes: 4096 }]);
  });

  it('ignores garbage, anonymous mappings and look-alikes', () => {
    const maps = [
      'torch torch torch',
      '7f10-7f00 r-xp 00000000 fe:00 1 /opt/torch/lib/libc10.so', // end < start
      'zzzz-7f00 r-xp 00000000 fe:00 1 /opt/torch/lib/libc10.so',
      '7f1000000000-7f1000800000 rw-p 00000000 00:00 0                          [anon:torch]',
      line('7f1000000000-7f1000800000', '/home/me/torchvision-notes.txt'),
      line('7f1000000000-7f1000800000', '/usr/lib/libpaddleboat.txt/readme'),
      '',
    ].join('\n');
    expect(parseMapsMlLibraries(maps)).toEqual([]);
    expect(parseMapsMlLibraries('')).toEqual([]);
  });

  it('classifies by file name and directory', () => {
    expect(classifyMlLibrary('/x/site-packages/torch/lib/libgomp-a34b3233.so.1')).toBe('torch');
    expect(classifyMlLibrary('/x/site-packages/torch/_C.cpython-311-x86_64-linux-gnu.so')).toBeNull();
    expect(classifyMlLibrary('/usr/lib/libtensorflow_cc.so.2')).toBe('tensorflow');
    expect(classifyMlLibrary('/usr/lib/libonnxruntime.so.1.17.1')).toBe('onnxruntime');
    expect(classifyMlLibrary('/x/site-packages/opencv_python.libs/libQt5Core-39545cc7.so.5.15.0')).toBe('opencv');
    expect(classifyMlLibrary('/usr/lib/x86_64-linux-gnu/libc.so.6')).toBeNull();
  });
});
