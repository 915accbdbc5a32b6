#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <vector>

namespace sluice::store {

// An allocator for read buffers: value-less construct() default-initialises, so
// resizing a buffer that a read is about to overwrite does not zero it first;
// storage is page aligned, which lets the kernel's copy into it run at full
// speed (a misaligned destination costs pread from page cache ~20%).
template <class T, class A = std::allocator<T>>
struct default_init_allocator : A {
  static constexpr std::align_val_t alignment{4096};
  using value_type = T;
  default_init_allocator() = default;
  template <class U, class B>
  default_init_allocator(const default_init_allocator<U, B>&) noexcept {}
  template <class U>
  struct rebind {
    using other = default_init_allocator<U, typename std::allocator_traits<A>::template rebind_alloc<U>>;
  };
  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), alignment)); }
  void deallocate(T* p, size_t n) noexcept { ::operator delete(p, n * sizeof(T), alignment); }
  friend bool operator==(const default_init_allocator&, const default_init_allocator&) { return true; }
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    std::allocator_traits<A>::construct(static_cast<A&>(*this), p, std::forward<Args>(args)...);
  }
};

using byte_buffer = std::vector<std::byte, default_init_allocator<std::byte>>;

} // namespace sluice::store
