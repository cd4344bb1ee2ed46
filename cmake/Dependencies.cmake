# Every dependency comes from Debian's packages (scripts/setup.sh installs them).
find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(CLI11 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
# OpenSSL (libssl-dev, which httplib's https needs anyway): the function
# client loads TLS certificates and keys, and reads why a handshake failed.
find_package(OpenSSL REQUIRED)
# librdkafka (librdkafka-dev): the Kafka consumer and producer of `kafka: connect`.
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
# zlib (zlib1g-dev): gzip/deflate response bodies in the loop function client.
find_package(ZLIB REQUIRED)
# http-parser (libhttp-parser-dev): the HTTP/1.1 parser of our event-loop
# servers and function client. It ships no CMake or pkg-config files.
find_path(HTTP_PARSER_INCLUDE_DIR http_parser.h REQUIRED)
find_library(HTTP_PARSER_LIBRARY http_parser REQUIRED)
add_library(http_parser::http_parser UNKNOWN IMPORTED)
set_target_properties(http_parser::http_parser PROPERTIES
  IMPORTED_LOCATION "${HTTP_PARSER_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${HTTP_PARSER_INCLUDE_DIR}")
if(STATEFUN_BUILD_TESTS)
  find_package(Catch2 2 REQUIRED)
endif()
