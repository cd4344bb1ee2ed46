# Flags every first-party target links PRIVATE; third-party code never sees them.
add_library(statefun_settings INTERFACE)
target_compile_options(statefun_settings INTERFACE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
if(STATEFUN_WERROR)
  target_compile_options(statefun_settings INTERFACE -Werror)
endif()
target_include_directories(statefun_settings INTERFACE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
target_compile_definitions(statefun_settings INTERFACE STATEFUN_VERSION="${PROJECT_VERSION}")

# Sanitizers. ON (the option's old boolean form) still means ASan + UBSan.
if(STATEFUN_SANITIZE STREQUAL "ON")
  set(STATEFUN_SANITIZE address CACHE STRING "" FORCE)
elseif(STATEFUN_SANITIZE STREQUAL "OFF")
  set(STATEFUN_SANITIZE "" CACHE STRING "" FORCE)
endif()
if(STATEFUN_SANITIZE STREQUAL "address")
  target_compile_options(statefun_settings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                     -fno-sanitize-recover=undefined)
  target_link_options(statefun_settings INTERFACE -fsanitize=address,undefined)
elseif(STATEFUN_SANITIZE STREQUAL "thread")
  target_compile_options(statefun_settings INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(statefun_settings INTERFACE -fsanitize=thread)
elseif(NOT STATEFUN_SANITIZE STREQUAL "")
  message(FATAL_ERROR "STATEFUN_SANITIZE must be address, thread or empty, not '${STATEFUN_SANITIZE}'")
endif()

# Fuzzing: coverage instrumentation for libFuzzer in every first-party object
# (the fuzz targets themselves link -fsanitize=fuzzer).
if(STATEFUN_FUZZ)
  target_compile_options(statefun_settings INTERFACE -fsanitize=fuzzer-no-link)
endif()

# Reuse objects across build directories and worktrees when ccache is there.
find_program(STATEFUN_CCACHE ccache)
if(STATEFUN_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${STATEFUN_CCACHE})
endif()
