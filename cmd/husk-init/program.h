// The operations of a cinit program. runtime/program.go has the same
// numbers; TestOpsMatchHeader checks that they agree.
#define OP_STEP 1        // name: what failures are reported as
#define OP_UNSHARE 2     // flags
#define OP_KEYRING 3     // name
#define OP_MOUNT 4       // source, target, type, flags, data
#define OP_ROOT 5        // rootfs path, opened for the *_IN ops
#define OP_MOUNT_IN 6    // dest, "d"|"f", source, type, flags, data
#define OP_CHANGE_IN 7   // dest, source, type, flags, data
#define OP_SETATTR_IN 8  // dest, set, clear, propagation
#define OP_MKNOD_IN 9    // path, mode, major, minor, uid, gid
#define OP_SYMLINK_DEV 10 // name, target
#define OP_PIVOT 11      // rootfs path
#define OP_READONLY 12   // path
#define OP_MASK 13       // path
#define OP_REMOUNT_RO 14 // path
#define OP_HOSTNAME 15   // name
#define OP_DOMAINNAME 16 // name
#define OP_LOOPBACK 17   //
#define OP_WRITE 18      // path, data
#define OP_RLIMIT 19     // resource, soft, hard
#define OP_CWD 20        // path
#define OP_LOOKUP 21     // file, PATH
#define OP_BOUNDING 22   // mask of capabilities to keep
#define OP_SECCOMP 23    // flags, filter
#define OP_UMASK 24      // mask
#define OP_USER 25       // uid, gid, groups, "1"|"0", eff, prm, inh, ambient
#define OP_NNP 26        //
#define OP_PDEATHSIG 27  // signal
#define OP_CLOSEFDS 28   // first fd
#define OP_WAIT_START 29 //
#define OP_WAIT_FIFO 30  // fd
#define OP_EXEC 31       // argc, argv..., envp...
