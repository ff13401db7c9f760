// The native half of the mpmetrics heap: only what JavaScript cannot do by itself.
//   open/close   the heap file, safely (O_EXCL, O_NOFOLLOW, O_CLOEXEC, mode 0600), tracked per thread
//   map          a page-aligned range of the file, as an external ArrayBuffer (unmapped when collected)
//   allocate     reserve disk blocks for a grown file, so a full disk is an error and never a SIGBUS
//   lock/unlock/isLocked
//                open-file-description byte locks: held per open file (so per worker thread), released by
//                the kernel when the holder exits or is killed; this is how liveness is known.
// Nothing here is on the update path: JavaScript writes the mapped memory directly.
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <set>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

// Descriptors opened by one JavaScript environment (main thread or a worker). They are closed when that
// environment is torn down, so a terminated worker thread releases its locks like an exited process does.
struct EnvState {
  std::set<int> fds;
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
    default: break;
  }
  error.Set("code", Napi::String::New(env, code));
  return error;
}

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
  if (::fstat(fd, &st) != 0) throw SysError(env, errno, "fstat", "");
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

// allocate(fd, length): make the file at least `length` bytes long with its blocks reserved.
Napi::Value Allocate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  int64_t length = IntegerArg(info, 1, "length");
  struct stat st;
  if (::fstat(fd, &st) != 0) throw SysError(env, errno, "fstat", "");
  if (st.st_size >= length) return env.Undefined();
  int err = ::posix_fallocate(fd, 0, length);
  if (err == EOPNOTSUPP || err == EINVAL) {
    // Filesystems without fallocate: extend and accept sparse blocks.
    err = ::ftruncate(fd, length) == 0 ? 0 : errno;
  }
  if (err != 0) throw SysError(env, err, "posix_fallocate", std::to_string(length) + " bytes");
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

Napi::Value PageSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(::sysconf(_SC_PAGESIZE)));
}

// Runs when the environment (process or worker thread) is torn down: closing the descriptors releases
// every lock this thread held, which is what tells the others that its writer lane is free.
void FreeState(Napi::Env /*env*/, EnvState* state) {
  for (int fd : state->fds) UnlockAndClose(fd);
  delete state;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<EnvState, FreeState>(new EnvState());
  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("map", Napi::Function::New(env, Map, "map"));
  exports.Set("allocate", Napi::Function::New(env, Allocate, "allocate"));
  exports.Set("lock", Napi::Function::New(env, Lock, "lock"));
  exports.Set("unlock", Napi::Function::New(env, Unlock, "unlock"));
  exports.Set("isLocked", Napi::Function::New(env, IsLocked, "isLocked"));
  exports.Set("pageSize", Napi::Function::New(env, PageSize, "pageSize"));
  exports.Set("processDirectory", Napi::Function::New(env, ProcessDirectory, "processDirectory"));
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  return exports;
}

}  // namespace

NODE_API_MODULE(mpmetrics, Init)
