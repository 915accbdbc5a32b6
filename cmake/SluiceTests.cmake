# sluice_caf_test(<target> SOURCES ...):
# builds one CAF-test executable and registers every suite it contains
# (the `#define CAF_SUITE name` line of each source) as its own CTest entry.
# CAF test prints no "N passed" line, so an entry that ran zero tests fails
# through FAIL_REGULAR_EXPRESSION.
function(sluice_caf_test target)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_LIBS} CAF::core sluice_warnings)
  foreach(src IN LISTS ARG_SOURCES)
    file(STRINGS ${src} suite_lines REGEX "^#define CAF_SUITE ")
    foreach(line IN LISTS suite_lines)
      string(REGEX REPLACE "^#define CAF_SUITE +([^ ]+).*$" "\\1" suite "${line}")
      string(REPLACE "." "\\." suite_re "${suite}")
      add_test(NAME ${suite}
               COMMAND ${target} -n -r 300 -s "^${suite_re}$")
      set_tests_properties(${suite} PROPERTIES
        FAIL_REGULAR_EXPRESSION "tests: *0[^0-9]"
        TIMEOUT 600)
    endforeach()
  endforeach()
endfunction()
