#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace sluice::store {

// An allocator whose value-less construct() default-initialises, so resizing a
// byte vector that is about to be overwritten by a read does not zero it first.
template <class T, class A = std::allocator<T>>
struct default_init_allocator : A {
  using A::A;
  template <class U>
  struct rebind {
    using other = default_init_allocator<U, typename std::allocator_traits<A>::template rebind_alloc<U>>;
  };
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
