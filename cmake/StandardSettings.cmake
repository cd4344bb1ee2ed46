# Flags every first-party target links PRIVATE; third-party code never sees them.
add_library(statefun_settings INTERFACE)
target_compile_options(statefun_settings INTERFACE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
if(STATEFUN_WERROR)
  target_compile_options(statefun_settings INTERFACE -Werror)
endif()
target_include_directories(statefun_settings INTERFACE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
target_compile_definitions(statefun_settings INTERFACE STATEFUN_VERSION="${PROJECT_VERSION}")
if(STATEFUN_SANITIZE)
  target_compile_options(statefun_settings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                     -fno-sanitize-recover=undefined)
  target_link_options(statefun_settings INTERFACE -fsanitize=address,undefined)
endif()

# Reuse objects across build directories and worktrees when ccache is there.
find_program(STATEFUN_CCACHE ccache)
if(STATEFUN_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${STATEFUN_CCACHE})
endif()
