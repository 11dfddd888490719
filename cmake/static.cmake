# CC_STATIC=ON: one statically linked `containment-chamber` (the release binary of the images; it runs in an empty
# root with nothing but a CA bundle). Included before the find_package calls so every library resolves to its .a:
#   OpenSSL, SQLite, Boost.JSON, yaml-cpp, utf8proc, libpq (+ PostgreSQL's libpgcommon/libpgport from
#   postgresql-server-dev-15), libstdc++ and glibc; spdlog and fmt, which Debian ships only as shared libraries,
#   are used header-only. libpq's GSSAPI and LDAP calls are answered by cmake/static/libpq_without_gss_ldap.c.
# Reproducible: with SOURCE_DATE_EPOCH set and scripts/build-static.sh's fixed flags, two builds of one commit give
# the same bytes (source and build paths are mapped away; no timestamps, build ids follow the content).
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
set(OPENSSL_USE_STATIC_LIBS TRUE)
set(Boost_USE_STATIC_LIBS ON)
set(CMAKE_POSITION_INDEPENDENT_CODE OFF)
add_link_options(-static -Wl,--build-id=sha1)
add_compile_options(-ffile-prefix-map=${CMAKE_SOURCE_DIR}=. -ffile-prefix-map=${CMAKE_BINARY_DIR}=build)

# spdlog and fmt header-only, under the names the layers link.
find_package(fmt REQUIRED)
add_library(spdlog::spdlog INTERFACE IMPORTED)
target_compile_definitions(spdlog::spdlog INTERFACE SPDLOG_HEADER_ONLY SPDLOG_FMT_EXTERNAL)
target_link_libraries(spdlog::spdlog INTERFACE fmt::fmt-header-only)

find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(PostgreSQL REQUIRED)
find_library(CC_PGCOMMON NAMES pgcommon_shlib PATHS /usr/lib/postgresql/15/lib NO_DEFAULT_PATH)
find_library(CC_PGPORT NAMES pgport_shlib PATHS /usr/lib/postgresql/15/lib NO_DEFAULT_PATH)
if(NOT CC_PGCOMMON OR NOT CC_PGPORT)
  message(FATAL_ERROR "CC_STATIC: libpgcommon_shlib.a / libpgport_shlib.a not found (apt-get install postgresql-server-dev-15)")
endif()
add_library(cc_libpq_static_extras STATIC ${CMAKE_CURRENT_LIST_DIR}/static/libpq_without_gss_ldap.c)
set_property(TARGET PostgreSQL::PostgreSQL APPEND PROPERTY INTERFACE_LINK_LIBRARIES
             ${CC_PGCOMMON} ${CC_PGPORT} cc_libpq_static_extras OpenSSL::SSL OpenSSL::Crypto Threads::Threads)

# yaml-cpp's package config names its shared library; point the target at the archive.
find_package(yaml-cpp REQUIRED)
find_library(CC_YAML_CPP_ARCHIVE NAMES libyaml-cpp.a REQUIRED)
set_target_properties(yaml-cpp PROPERTIES IMPORTED_LOCATION_NONE "${CC_YAML_CPP_ARCHIVE}"
                      IMPORTED_LOCATION_RELEASE "${CC_YAML_CPP_ARCHIVE}" IMPORTED_LOCATION "${CC_YAML_CPP_ARCHIVE}")
