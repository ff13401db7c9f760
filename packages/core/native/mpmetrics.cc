// The native half of the mpmetrics heap: only what JavaScript cannot do by itself.
//   open/close   the heap file, safely (O_EXCL, O_NOFOLLOW, O_CLOEXEC, mode 0600), tracked per thread
//   map          a page-aligned range of the file, as an external ArrayBuffer (unmapped when collected)
//   allocate     reserve disk blocks for a grown file, so a full disk is an error and never a SIGBUS
//   lock/unlock/isLocked
//                open-file-description byte locks: held per open file (so per worker thread), released by
//                the kernel when the holder exits or is killed; this is how liveness is known.
// Nothing here is on the update path: JavaScript writes the mapped memory directly.
#include <napi.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <csignal>
#include <fcntl.h>
#include <mutex>
#include <set>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

// Descriptors opened by one JavaScript environment (main thread or a worker). They are closed when that
// environment is torn down, so a terminated worker thread releases its locks like an exited process does.
struct EnvState {
  std::set<int> fds;
  std::string own_dir;   // a directory made for this thread alone (removeWithThread), removed with it
  int own_slot = -1;     // its slot in g_cleanup, also removed at exit if the thread outlives the process
};

EnvState* State(Napi::Env env) { return env.GetInstanceData<EnvState>(); }

Napi::Error SysError(Napi::Env env, int err, const char* syscall, const std::string& detail) {
  std::string message = std::string(syscall) + " failed: " + std::strerror(err);
  if (!detail.empty()) message += " (" + detail + ")";
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", Napi::String::New(env, syscall));
  // Same codes as Node's own fs errors, so callers can treat both alike.
  const char* code = "EUNKNOWN";
  switch (err) {
    case ENOENT: code = "ENOENT"; break;
    case EEXIST: code = "EEXIST"; break;
    case EACCES: code = "EACCES"; break;
    case EPERM: code = "EPERM"; break;
    case ELOOP: code = "ELOOP"; break;
    case ENOSPC: code = "ENOSPC"; break;
    case EINVAL: code = "EINVAL"; break;
    case ENOMEM: code = "ENOMEM"; break;
    case EBADF: code = "EBADF"; break;
    case EISDIR: code = "EISDIR"; break;
    case ENOTDIR: code = "ENOTDIR"; break;
    case EROFS: code = "EROFS"; break;
    case EDEADLK: code = "EDEADLK"; break;
    case EINTR: code = "EINTR"; break;
    case ERANGE: code = "ERANGE"; break;
    case EOPNOTSUPP: code = "EOPNOTSUPP"; break;
    case EFBIG: code = "EFBIG"; break;
    case EIO: code = "EIO"; break;
    default: break;
  }
  error.Set("code", Napi::String::New(env, code));
  return error;
}

// fstat through the raw system call. glibc 2.33 turned fstat into a new versioned symbol (fstat64@GLIBC_2.33), and a
// binary bound to it refuses to load on an older glibc (RHEL 8 has 2.28). On x86-64 and arm64 the kernel's struct
// stat is glibc's, so the syscall fills the same struct; errors come back as -1 with errno, as from fstat. Elsewhere
// (32-bit ABIs, where the kernel's struct differs, and other systems) a source build calls fstat itself.
#if defined(__linux__) && defined(__x86_64__) && !defined(__ILP32__)
static_assert(sizeof(struct stat) == 144, "x86-64 kernel struct stat");
int FileStat(int fd, struct stat* st) { return static_cast<int>(::syscall(SYS_fstat, fd, st)); }
#elif defined(__linux__) && defined(__aarch64__) && !defined(__ILP32__)
static_assert(sizeof(struct stat) == 128, "arm64 kernel struct stat (asm-generic)");
int FileStat(int fd, struct stat* st) { return static_cast<int>(::syscall(SYS_fstat, fd, st)); }
#else
int FileStat(int fd, struct stat* st) { return ::fstat(fd, st); }
#endif

bool ArgIsInteger(const Napi::Value& v) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  return d >= 0 && d <= 9007199254740991.0 && static_cast<double>(static_cast<int64_t>(d)) == d;
}

int64_t IntegerArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !ArgIsInteger(info[i])) {
    throw Napi::TypeError::New(info.Env(), std::string("mpmetrics native: argument '") + name +
                                               "' must be a non-negative integer");
  }
  return static_cast<int64_t>(info[i].As<Napi::Number>().DoubleValue());
}

bool BoolArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsBoolean()) {
    throw Napi::TypeError::New(info.Env(), std::string("mpmetrics native: argument '") + name +
                                               "' must be a boolean");
  }
  return info[i].As<Napi::Boolean>().Value();
}

int FdArg(const Napi::CallbackInfo& info, size_t i) {
  int64_t fd = IntegerArg(info, i, "fd");
  if (State(info.Env())->fds.count(static_cast<int>(fd)) == 0) {
    throw Napi::Error::New(info.Env(), "mpmetrics native: fd " + std::to_string(fd) +
                                           " was not opened by this thread's mpmetrics binding");
  }
  return static_cast<int>(fd);
}

// open(path, create) -> fd. create: O_CREAT|O_EXCL, mode exactly 0600 whatever the umask.
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    throw Napi::TypeError::New(env, "mpmetrics native: argument 'path' must be a string");
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  bool create = BoolArg(info, 1, "create");
  int flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? (O_CREAT | O_EXCL) : 0);
  int fd;
  do {
    fd = ::open(path.c_str(), flags, 0600);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw SysError(env, errno, "open", path);
  if (create && ::fchmod(fd, 0600) != 0) {
    int err = errno;
    ::close(fd);
    throw SysError(env, err, "fchmod", path);
  }
  State(env)->fds.insert(fd);
  return Napi::Number::New(env, fd);
}

// Releases every lock held through fd, then closes it. The release must be explicit: a mapping of the file keeps
// the open file description (and with it its OFD locks) alive after close(2), until it is unmapped.
void UnlockAndClose(int fd) {
  struct flock fl;
  std::memset(&fl, 0, sizeof fl);
  fl.l_type = F_UNLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;  // to the end of all offsets
  ::fcntl(fd, F_OFD_SETLK, &fl);
  ::close(fd);  // a close error leaves nothing to undo; the descriptor is gone either way
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  State(info.Env())->fds.erase(fd);
  UnlockAndClose(fd);
  return info.Env().Undefined();
}

void Unmap(Napi::Env /*env*/, void* data, size_t* length) {
  ::munmap(data, *length);
  delete length;
}

// map(fd, offset, length) -> ArrayBuffer over MAP_SHARED memory. Refuses ranges past the end of the file:
// touching those pages would raise SIGBUS.
Napi::Value Map(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  int64_t offset = IntegerArg(info, 1, "offset");
  int64_t length = IntegerArg(info, 2, "length");
  long page = ::sysconf(_SC_PAGESIZE);
  if (length == 0 || offset % page != 0) {
    throw Napi::RangeError::New(env, "mpmetrics native: map needs a page-aligned offset and a non-zero length");
  }
  struct stat st;
  if (FileStat(fd, &st) != 0) throw SysError(env, errno, "fstat", "");
  if (offset + length > st.st_size) {
    Napi::Error error = Napi::RangeError::New(
        env, "mpmetrics native: cannot map bytes " + std::to_string(offset) + ".." +
                 std::to_string(offset + length) + " of a file of " + std::to_string(st.st_size) + " bytes");
    error.Set("code", Napi::String::New(env, "ERANGE"));
    throw error;
  }
  void* addr = ::mmap(nullptr, static_cast<size_t>(length), PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
  if (addr == MAP_FAILED) throw SysError(env, errno, "mmap", "");
  size_t* hint = new size_t(static_cast<size_t>(length));
  return Napi::ArrayBuffer::New(env, addr, static_cast<size_t>(length), Unmap, hint);
}

// allocate(fd, length): make the file at least `length` bytes long with its blocks reserved, with fallocate(2)
// on the new range only. It never shrinks the file and never writes a byte, so processes may grow the file at the
// same time without a lock (heap-file.ts). glibc's posix_fallocate is not used: on a filesystem without
// fallocate it writes zero bytes into blocks it reads as zero, racing writers of the mapping. There this throws
// EOPNOTSUPP, and the caller extends the file with extend() under a lock.
Napi::Value Allocate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  int64_t length = IntegerArg(info, 1, "length");
  struct stat st;
  if (FileStat(fd, &st) != 0) throw SysError(env, errno, "fstat", "");
  if (st.st_size >= length) return env.Undefined();
  int rc;
  do {
    rc = ::fallocate(fd, 0, st.st_size, length - st.st_size);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int err = errno == ENOTSUP ? EOPNOTSUPP : errno;
    throw SysError(env, err, "fallocate", std::to_string(length) + " bytes");
  }
  return env.Undefined();
}

// extend(fd, length): make the file at least `length` bytes long, sparse, where fallocate is not supported. The
// caller holds the growth lock: ftruncate would shrink a file another process had grown meanwhile.
Napi::Value Extend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  int64_t length = IntegerArg(info, 1, "length");
  struct stat st;
  if (FileStat(fd, &st) != 0) throw SysError(env, errno, "fstat", "");
  if (st.st_size >= length) return env.Undefined();
  if (::ftruncate(fd, length) != 0) throw SysError(env, errno, "ftruncate", std::to_string(length) + " bytes");
  return env.Undefined();
}

bool SetLock(int fd, int64_t offset, short type, bool wait) {
  struct flock fl;
  std::memset(&fl, 0, sizeof fl);
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = offset;
  fl.l_len = 1;
  int rc;
  do {
    rc = ::fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
  } while (rc != 0 && errno == EINTR);
  return rc == 0;
}

// lock(fd, offset, exclusive, wait) -> acquired
Napi::Value Lock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  int64_t offset = IntegerArg(info, 1, "offset");
  bool exclusive = BoolArg(info, 2, "exclusive");
  bool wait = BoolArg(info, 3, "wait");
  errno = 0;
  bool ok = SetLock(fd, offset, exclusive ? F_WRLCK : F_RDLCK, wait);
  if (!ok && errno != EAGAIN && errno != EACCES) throw SysError(env, errno, "fcntl(F_OFD_SETLK)", "");
  return Napi::Boolean::New(env, ok);
}

Napi::Value Unlock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  int64_t offset = IntegerArg(info, 1, "offset");
  if (!SetLock(fd, offset, F_UNLCK, false)) throw SysError(env, errno, "fcntl(F_OFD_SETLK)", "unlock");
  return env.Undefined();
}

// isLocked(fd, offset, exclusive) -> true when another open file holds a lock that would block ours.
Napi::Value IsLocked(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  int64_t offset = IntegerArg(info, 1, "offset");
  bool exclusive = BoolArg(info, 2, "exclusive");
  struct flock fl;
  std::memset(&fl, 0, sizeof fl);
  fl.l_type = exclusive ? F_WRLCK : F_RDLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = offset;
  fl.l_len = 1;
  if (::fcntl(fd, F_OFD_GETLK, &fl) != 0) throw SysError(env, errno, "fcntl(F_OFD_GETLK)", "");
  return Napi::Boolean::New(env, fl.l_type != F_UNLCK);
}

// The private heap directory of this process, shared by all its threads: the first thread that makes one
// records it here, so worker threads started before anyone set MPMETRICS_DIR still find the same heap.
std::mutex g_directory_mutex;
std::string g_directory;

// processDirectory(candidate?) -> the recorded directory, recording `candidate` first if none is.
Napi::Value ProcessDirectory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::lock_guard<std::mutex> guard(g_directory_mutex);
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsString()) throw Napi::TypeError::New(env, "mpmetrics native: argument 'candidate' must be a string");
    if (g_directory.empty()) g_directory = info[0].As<Napi::String>().Utf8Value();
  }
  if (g_directory.empty()) return env.Undefined();
  return Napi::String::New(env, g_directory);
}

// Private directories this process made, removed when the process ends: at exit() (its event loop ran out,
// process.exit(), a test runner's worker ending) and on SIGTERM, SIGINT or SIGHUP (vitest stops its forks with
// SIGTERM). From C, because a test runner may give the library a `process` of its own whose 'exit' event never
// fires (jest), and a worker thread cannot hook the process's exit. The signal handler removes the files, then
// hands the signal on to the handler it replaced (Node's, which restores the terminal and dies of the signal), so
// the process ends as it would have. A process killed by SIGKILL leaves its directory for the next one to remove.
// Slot 0 is the process's directory; the others are directories of test runners' threads (removeWithThread).
constexpr int kCleanupSlots = 32;
// A slot's state. A removal that a signal interrupts never resumes (the process dies of the signal), so the signal
// handler removes a directory that is armed or already being removed: two removals of one directory only unlink
// what the other has not.
enum SlotState : int { kSlotFree = 0, kSlotArmed = 1, kSlotRemoving = 2 };
struct CleanupSlot {
  std::atomic<int> armed;  // a SlotState; lock-free, so safe in a signal handler; release/acquire order the dir
  char dir[4096];
};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free flag");
CleanupSlot g_cleanup[kCleanupSlots];
pid_t g_cleanup_pid = 0;
bool g_exit_hooked = false;
constexpr int kCleanupSignals[] = {SIGTERM, SIGINT, SIGHUP};
struct sigaction g_replaced[3];
bool g_replaced_valid[3] = {false, false, false};

// Async-signal-safe: raw getdents64, unlinkat and rmdir. A private directory holds only plain files (the heap, its
// marker, a heap set aside).
void RemoveDirectoryNow(const char* dir) {
  int dfd = ::open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd >= 0) {
    alignas(8) char entries[4096];
    for (;;) {
      long got = ::syscall(SYS_getdents64, dfd, entries, sizeof entries);
      if (got <= 0) break;
      for (long at = 0; at < got;) {
        // struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, then the name
        unsigned short length;
        std::memcpy(&length, entries + at + 16, sizeof length);
        const char* name = entries + at + 19;
        if (std::strcmp(name, ".") != 0 && std::strcmp(name, "..") != 0) ::unlinkat(dfd, name, 0);
        at += length;
      }
    }
    ::close(dfd);
  }
  ::rmdir(dir);
}

// Removes one slot's directory: an armed one (one ordinary remover per slot wins it), or, from the signal handler,
// one whose ordinary removal that signal may have cut short.
void RemoveSlot(CleanupSlot& slot, bool from_signal) {
  int state = kSlotArmed;
  if (!slot.armed.compare_exchange_strong(state, kSlotRemoving, std::memory_order_acq_rel)) {
    if (!from_signal || state != kSlotRemoving) return;
  }
  RemoveDirectoryNow(slot.dir);
  slot.armed.store(kSlotFree, std::memory_order_release);
}

void RemoveArmedDirectories() {
  if (::getpid() != g_cleanup_pid) return;  // a child between fork and exec
  for (CleanupSlot& slot : g_cleanup) RemoveSlot(slot, false);
}

void OnEndingSignal(int signo) {
  int saved = errno;
  if (::getpid() == g_cleanup_pid) {
    for (CleanupSlot& slot : g_cleanup) RemoveSlot(slot, true);
  }
  for (int i = 0; i < 3; i++) {
    if (kCleanupSignals[i] == signo && g_replaced_valid[i]) ::sigaction(signo, &g_replaced[i], nullptr);
  }
  ::raise(signo);  // blocked until this handler returns, then delivered to the handler put back
  errno = saved;
}

// Fills a slot (caller holds g_directory_mutex); false when the path is too long.
bool ArmSlot(int index, const std::string& dir) {
  if (dir.size() >= sizeof g_cleanup[index].dir) return false;
  g_cleanup[index].armed.store(kSlotFree, std::memory_order_release);
  std::memcpy(g_cleanup[index].dir, dir.c_str(), dir.size() + 1);
  g_cleanup_pid = ::getpid();
  g_cleanup[index].armed.store(kSlotArmed, std::memory_order_release);
  if (!g_exit_hooked && std::atexit(RemoveArmedDirectories) == 0) g_exit_hooked = true;
  return true;
}

void HookSignals(const std::set<int>& wanted) {
  if (::getpid() == 1) return;  // init ignores a signal it does not handle: the process would live on without its heap
  for (int i = 0; i < 3; i++) {
    int signo = kCleanupSignals[i];
    if (g_replaced_valid[i] || wanted.count(signo) == 0) continue;
    struct sigaction current;
    if (::sigaction(signo, nullptr, &current) != 0) continue;
    // Only where the signal ends the process: the default action, or Node's own handler (SA_RESETHAND: it dies of
    // the signal). Not over libuv's handler (the application listens) nor an ignored signal.
    bool is_default = (current.sa_flags & SA_SIGINFO) == 0 && current.sa_handler == SIG_DFL;
    bool is_nodes_own = (current.sa_flags & SA_RESETHAND) != 0;  // SignalExit: restores the terminal, dies of it
    if (!is_default && !is_nodes_own) continue;
    struct sigaction ours;
    std::memset(&ours, 0, sizeof ours);
    ours.sa_handler = OnEndingSignal;
    sigemptyset(&ours.sa_mask);
    for (int other : kCleanupSignals) sigaddset(&ours.sa_mask, other);  // one removal at a time
    ours.sa_flags = SA_RESTART | (current.sa_flags & SA_ONSTACK);
    g_replaced[i] = current;
    g_replaced_valid[i] = true;
    ::sigaction(signo, &ours, nullptr);
  }
}

// removeAtExit(dir?, signals?) -> undefined. With a directory: remove it when this process ends, also on each
// signal named (one ignored is left alone; the caller names only signals nobody listens for). Without: keep it.
Napi::Value RemoveAtExit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::lock_guard<std::mutex> guard(g_directory_mutex);
  if (info.Length() == 0 || info[0].IsUndefined()) {
    g_cleanup[0].armed.store(kSlotFree, std::memory_order_release);
    return env.Undefined();
  }
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "mpmetrics native: argument 'dir' must be a string");
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  if (!ArmSlot(0, dir)) throw SysError(env, ENAMETOOLONG, "removeAtExit", dir);
  std::set<int> wanted;
  if (info.Length() > 1 && info[1].IsArray()) {
    Napi::Array names = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < names.Length(); i++) {
      Napi::Value v = names.Get(i);
      if (v.IsNumber()) wanted.insert(v.As<Napi::Number>().Int32Value());
    }
  }
  HookSignals(wanted);
  return env.Undefined();
}

// removeWithThread(dir) -> undefined. Removes `dir` when this thread's environment is torn down (or the process
// ends first): the heap of a test runner's thread, which no other thread shares.
Napi::Value RemoveWithThread(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() == 0 || !info[0].IsString()) throw Napi::TypeError::New(env, "mpmetrics native: argument 'dir' must be a string");
  EnvState* state = State(env);
  std::lock_guard<std::mutex> guard(g_directory_mutex);
  state->own_dir = info[0].As<Napi::String>().Utf8Value();
  state->own_slot = -1;
  for (int i = 1; i < kCleanupSlots; i++) {
    if (g_cleanup[i].armed.load(std::memory_order_acquire) == kSlotFree) {
      if (ArmSlot(i, state->own_dir)) state->own_slot = i;
      break;
    }
  }
  return env.Undefined();
}

Napi::Value PageSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(::sysconf(_SC_PAGESIZE)));
}

// Runs when the environment (process or worker thread) is torn down: closing the descriptors releases
// every lock this thread held, which is what tells the others that its writer lane is free.
void FreeState(Napi::Env /*env*/, EnvState* state) {
  for (int fd : state->fds) UnlockAndClose(fd);
  if (!state->own_dir.empty()) {
    // The slot is claimed only while it still holds this thread's directory (one freed at exit could have been
    // armed again for another thread's). Claimed, an ending signal meanwhile finishes the removal, as at exit.
    CleanupSlot* claimed = nullptr;
    {
      std::lock_guard<std::mutex> guard(g_directory_mutex);
      if (state->own_slot >= 0) {
        CleanupSlot& slot = g_cleanup[state->own_slot];
        int armed = kSlotArmed;
        if (std::strcmp(slot.dir, state->own_dir.c_str()) == 0 &&
            slot.armed.compare_exchange_strong(armed, kSlotRemoving, std::memory_order_acq_rel)) {
          claimed = &slot;
        }
      }
    }
    RemoveDirectoryNow(state->own_dir.c_str());
    if (claimed != nullptr) claimed->armed.store(kSlotFree, std::memory_order_release);
  }
  delete state;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<EnvState, FreeState>(new EnvState());
  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("map", Napi::Function::New(env, Map, "map"));
  exports.Set("allocate", Napi::Function::New(env, Allocate, "allocate"));
  exports.Set("extend", Napi::Function::New(env, Extend, "extend"));
  exports.Set("lock", Napi::Function::New(env, Lock, "lock"));
  exports.Set("unlock", Napi::Function::New(env, Unlock, "unlock"));
  exports.Set("isLocked", Napi::Function::New(env, IsLocked, "isLocked"));
  exports.Set("pageSize", Napi::Function::New(env, PageSize, "pageSize"));
  exports.Set("processDirectory", Napi::Function::New(env, ProcessDirectory, "processDirectory"));
  exports.Set("removeAtExit", Napi::Function::New(env, RemoveAtExit, "removeAtExit"));
  exports.Set("removeWithThread", Napi::Function::New(env, RemoveWithThread, "removeWithThread"));
  exports.Set("abiVersion", Napi::Number::New(env, 3));
  return exports;
}

}  // namespace

NODE_API_MODULE(mpmetrics, Init)
