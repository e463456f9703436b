// The seccomp profile every build and dyno runs under (pure; bundle.ts puts it into config.json).
//
// A deny list over an allow-by-default filter, written from Docker's documented default profile
// ("Significant syscalls blocked by the default profile", docs.docker.com/engine/security/seccomp):
// the calls that reach kernel surface a tenant never needs (keyrings, BPF, perf, userfaultfd, module
// and kexec loading, clocks, swap, quotas, handles that escape a mount) or that would undo the
// container (mount, pivot_root, namespaces). Docker's own profile is an allow list that also depends on
// capabilities; ours has no capabilities to grant, so the deny list is the part that matters.
//
// Namespaces: `unshare` and `setns` are denied outright, and `clone` whenever its flags ask for any
// new namespace (one rule per flag: a seccomp rule can test `flags & F == F`, not `flags & M != 0`).
// `clone3` passes its flags in memory a filter cannot read, so it answers ENOSYS, which makes glibc
// and others fall back to `clone`, as under Docker. Without this, an unprivileged process may create a
// user namespace and be root in it (`unshare -Ur`), the door to most container escapes.
//
// ptrace is allowed, as Docker allows it on kernels from 4.8 (seccomp can no longer be bypassed
// through it): a dyno sees only its own processes (pid namespace), and each app has a uid of its own
// (tenants.ts), so the kernel's ptrace access check refuses another app's processes.
// The filter covers every ABI the machine can run (x86-64, i386 and x32 on amd64), so a 32-bit
// syscall is no way around it.

export interface SeccompRule {
  names: string[];
  action: 'SCMP_ACT_ERRNO';
  errnoRet: number;
  args?: { index: number; value: number; valueTwo: number; op: 'SCMP_CMP_MASKED_EQ' }[];
}

export interface SeccompProfile {
  defaultAction: 'SCMP_ACT_ALLOW';
  architectures: string[];
  syscalls: SeccompRule[];
}

const EPERM = 1;
const ENOSYS = 38;

/** Denied whatever their arguments. */
export const DENIED_SYSCALLS: readonly string[] = [
  // keyrings (shared by the whole machine, not namespaced)
  'add_key', 'keyctl', 'request_key',
  // kernel programs, tracing and page-fault handling: large attack surface
  'bpf', 'perf_event_open', 'userfaultfd', 'lookup_dcookie',
  // loading code into the kernel, rebooting it
  'init_module', 'finit_module', 'delete_module', 'create_module', 'query_module', 'get_kernel_syms',
  'kexec_load', 'kexec_file_load', 'reboot',
  // namespaces and the filesystem tree
  'unshare', 'setns', 'mount', 'umount', 'umount2', 'pivot_root', 'chroot',
  'fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree', 'mount_setattr',
  // file handles open files outside the container's mounts (the "shocker" escape)
  'name_to_handle_at', 'open_by_handle_at',
  // machine-wide state
  'acct', 'swapon', 'swapoff', 'settimeofday', 'stime', 'clock_settime', 'clock_adjtime', 'adjtimex',
  'quotactl', 'quotactl_fd', 'syslog', 'vhangup', 'nfsservctl', 'sysfs', '_sysctl', 'uselib', 'ustat',
  'fanotify_init',
  // raw I/O ports and legacy modes
  'ioperm', 'iopl', 'vm86', 'vm86old',
  // NUMA placement (Docker's profile allows these only with CAP_SYS_NICE)
  'mbind', 'set_mempolicy', 'get_mempolicy', 'move_pages',
  // comparing other processes' kernel objects
  'kcmp',
  // io_uring bypasses seccomp for the operations it performs (Docker's profile dropped it too)
  'io_uring_setup', 'io_uring_enter', 'io_uring_register',
];

/** clone(2) flags that make a namespace. */
export const NAMESPACE_FLAGS: Readonly<Record<string, number>> = {
  CLONE_NEWNS: 0x00020000,
  CLONE_NEWCGROUP: 0x02000000,
  CLONE_NEWUTS: 0x04000000,
  CLONE_NEWIPC: 0x08000000,
  CLONE_NEWUSER: 0x10000000,
  CLONE_NEWPID: 0x20000000,
  CLONE_NEWNET: 0x40000000,
};

/** The ABIs the filter must cover on this machine (libseccomp's names). */
export function architectures(arch: string = process.arch): string[] {
  if (arch === 'x64') return ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];
  if (arch === 'arm64') return ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'];
  if (arch === 'ia32') return ['SCMP_ARCH_X86'];
  if (arch === 'arm') return ['SCMP_ARCH_ARM'];
  throw new Error(`no seccomp profile for the ${arch} architecture`);
}

export function seccompProfile(arch: string = process.arch): SeccompProfile {
  // clone's flags are its first argument on x86 and arm (s390 swaps the first two; not supported).
  const cloneRules: SeccompRule[] = Object.values(NAMESPACE_FLAGS).map((flag) => ({
    names: ['clone'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM,
    args: [{ index: 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' }],
  }));
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: architectures(arch),
    syscalls: [
      { names: [...DENIED_SYSCALLS], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
      ...cloneRules,
    ],
  };
}
