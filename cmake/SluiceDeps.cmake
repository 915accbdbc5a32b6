# Finds every third-party dependency once and exposes it as an imported target.
# Debian's CAF 0.17.6 ships no CMake config, hence FindCAF.cmake beside this file.
find_package(CAF REQUIRED)
find_package(CapnProto CONFIG REQUIRED)
find_package(OpenSSL REQUIRED) # libssl-dev: net/tls.cpp checks certificates and keys at start
find_package(PkgConfig REQUIRED)
pkg_check_modules(LMDB REQUIRED IMPORTED_TARGET lmdb)
find_package(Threads REQUIRED)
find_package(spdlog CONFIG REQUIRED) # libspdlog-dev: structured node logs on stderr
find_package(CLI11 CONFIG REQUIRED) # libcli11-dev, header only: the sluice CLI
# libcpp-httplib-dev: sluiced's /metrics and web console. Debian builds it as a library
# (libcpp-httplib.so, with OpenSSL, zlib and brotli) found through pkg-config.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
if(SLUICE_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()
