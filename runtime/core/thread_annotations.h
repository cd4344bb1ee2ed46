// Clang's thread-safety attributes, so "guarded by" is checked by the
// compiler rather than stated in a comment. Under clang with
// -Wthread-safety, touching a STATEFUN_GUARDED_BY member without holding its
// mutex is a warning (an error in CI); other compilers see empty macros.
//
// std::mutex carries no capability attribute in libstdc++, so annotated
// code uses statefun::Mutex and statefun::MutexLock from this header.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>

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
#define STATEFUN_REQUIRES_SHARED(...) \
  STATEFUN_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define STATEFUN_ACQUIRE_SHARED(...) \
  STATEFUN_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define STATEFUN_RELEASE_SHARED(...) \
  STATEFUN_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
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

// A condition variable waited on while a MutexLock holds `mutex`: a wait
// releases the mutex while it sleeps and holds it again on return, which is
// what the analysis assumes of the caller's lock throughout. Callers test
// their condition in a loop around the wait, where the analysis sees the
// mutex held (a predicate lambda would be checked as a function of its own).
class CondVar {
 public:
  void wait(Mutex& mutex) STATEFUN_REQUIRES(mutex) {
    std::unique_lock lock(mutex.native(), std::adopt_lock);
    m_cv.wait(lock);
    lock.release();
  }
  // False once `deadline` has passed.
  bool wait_until(Mutex& mutex, std::chrono::steady_clock::time_point deadline)
      STATEFUN_REQUIRES(mutex) {
    std::unique_lock lock(mutex.native(), std::adopt_lock);
    const bool woken = m_cv.wait_until(lock, deadline) == std::cv_status::no_timeout;
    lock.release();
    return woken;
  }
  void notify_one() { m_cv.notify_one(); }
  void notify_all() { m_cv.notify_all(); }

 private:
  std::condition_variable m_cv;
};

// A std::shared_mutex the analysis knows about: many readers or one writer.
class STATEFUN_CAPABILITY("shared mutex") SharedMutex {
 public:
  void lock() STATEFUN_ACQUIRE() { m_mutex.lock(); }
  void unlock() STATEFUN_RELEASE() { m_mutex.unlock(); }
  void lock_shared() STATEFUN_ACQUIRE_SHARED() { m_mutex.lock_shared(); }
  void unlock_shared() STATEFUN_RELEASE_SHARED() { m_mutex.unlock_shared(); }

 private:
  std::shared_mutex m_mutex;
};

// Holds a SharedMutex exclusively for a scope.
class STATEFUN_SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex& mutex) STATEFUN_ACQUIRE(mutex) : m_mutex(mutex) {
    m_mutex.lock();
  }
  ~WriterLock() STATEFUN_RELEASE() { m_mutex.unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex& m_mutex;
};

// Holds a SharedMutex shared (as one of many readers) for a scope.
class STATEFUN_SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mutex) STATEFUN_ACQUIRE_SHARED(mutex) : m_mutex(mutex) {
    m_mutex.lock_shared();
  }
  ~ReaderLock() STATEFUN_RELEASE() { m_mutex.unlock_shared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex& m_mutex;
};

}  // namespace statefun
