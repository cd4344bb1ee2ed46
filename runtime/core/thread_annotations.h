// Clang's thread-safety attributes, so "guarded by" is checked by the
// compiler rather than stated in a comment. Under clang with
// -Wthread-safety, touching a STATEFUN_GUARDED_BY member without holding its
// mutex is a warning (an error in CI); other compilers see empty macros.
//
// std::mutex carries no capability attribute in libstdc++, so annotated
// code uses statefun::Mutex and statefun::MutexLock from this header.
#pragma once

#include <mutex>

#if defined(__clang__)
#define STATEFUN_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define STATEFUN_THREAD_ANNOTATION(x)
#endif

#define STATEFUN_CAPABILITY(x) STATEFUN_THREAD_ANNOTATION(capability(x))
#define STATEFUN_SCOPED_CAPABILITY STATEFUN_THREAD_ANNOTATION(scoped_lockable)
#define STATEFUN_GUARDED_BY(x) STATEFUN_THREAD_ANNOTATION(guarded_by(x))
#define STATEFUN_PT_GUARDED_BY(x) STATEFUN_THREAD_ANNOTATION(pt_guarded_by(x))
#define STATEFUN_REQUIRES(...) STATEFUN_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define STATEFUN_EXCLUDES(...) STATEFUN_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define STATEFUN_ACQUIRE(...) STATEFUN_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define STATEFUN_RELEASE(...) STATEFUN_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define STATEFUN_NO_THREAD_SAFETY_ANALYSIS STATEFUN_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace statefun {

// A std::mutex the analysis knows about.
class STATEFUN_CAPABILITY("mutex") Mutex {
 public:
  void lock() STATEFUN_ACQUIRE() { m_mutex.lock(); }
  void unlock() STATEFUN_RELEASE() { m_mutex.unlock(); }
  // For std::condition_variable, which needs the std::mutex itself.
  std::mutex& native() { return m_mutex; }

 private:
  std::mutex m_mutex;
};

// Holds a Mutex for a scope (std::lock_guard, annotated).
class STATEFUN_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) STATEFUN_ACQUIRE(mutex) : m_mutex(mutex) { m_mutex.lock(); }
  ~MutexLock() STATEFUN_RELEASE() { m_mutex.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& m_mutex;
};

}  // namespace statefun
