# blst is compiled from the C and assembly sources shipped inside the npm package
# @chainsafe/blst (pinned in package-lock.json, installed by `npm ci --ignore-scripts`).
#
# This blst version picks its field arithmetic at compile time only: -D__ADX__ selects the
# mulx/adcx/adox code (about 25% faster signing) and crashes with SIGILL on CPUs without
# ADX and BMI2; -D__BLST_PORTABLE__ selects the mulq code that runs on any x86-64 CPU. So on
# x86-64 ELF we build both from the same sources:
#   blst      the portable build, symbols as upstream names them (blst_sign_pk_in_g1, ...);
#   blst_adx  the ADX build, merged by `ld -r` into one relocatable object in which every
#             defined global symbol is renamed by objcopy to blstadx_<name>
#             (blstadx_blst_sign_pk_in_g1, blstadx_mul_mont_384, ...).
# Merging first matters: inside one object a symbol's definition and all references to it
# share one symbol-table entry, so renaming it keeps the ADX code calling only ADX code.
# src/crypto/blst_dispatch.cpp chooses one of the two at start-up from CPUID.
#
# When run as a script (cmake -P cmake/blst.cmake, from the custom command below) this file
# performs that merge and rename instead of declaring targets.

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.25)  # script mode starts with no policies set
  # Inputs: BLST_OBJECTS ("|"-separated ADX objects), BLST_PORTABLE (libblst.a), BLST_OUT,
  # BLST_PREFIX, BLST_LD, BLST_NM, BLST_OBJCOPY.
  string(REPLACE "|" ";" objects "${BLST_OBJECTS}")
  set(merged "${BLST_OUT}.merged.o")
  set(map "${BLST_OUT}.map")

  # Global symbols of an object or archive as a list of names (nm -P: "name type value size").
  function(blst_symbols out_var file)
    execute_process(COMMAND "${BLST_NM}" -P ${ARGN} "${file}" OUTPUT_VARIABLE text COMMAND_ERROR_IS_FATAL ANY)
    string(REGEX MATCHALL "[^\n]+" lines "${text}")
    set(names "")
    foreach(line IN LISTS lines)
      if(line MATCHES "^([^ :]+) [A-Za-z] ")  # skips "libblst.a[server.c.o]:" member headers
        list(APPEND names "${CMAKE_MATCH_1}")
      endif()
    endforeach()
    set(${out_var} "${names}" PARENT_SCOPE)
  endfunction()

  execute_process(COMMAND "${BLST_LD}" -r -o "${merged}" ${objects} COMMAND_ERROR_IS_FATAL ANY)
  blst_symbols(defined "${merged}" --defined-only -g)
  if(NOT "blst_sign_pk_in_g1" IN_LIST defined)
    message(FATAL_ERROR "${merged} does not define blst_sign_pk_in_g1; the merge went wrong")
  endif()
  list(TRANSFORM defined REPLACE "^(.+)$" "\\1 ${BLST_PREFIX}\\1")
  list(JOIN defined "\n" map_text)
  file(WRITE "${map}" "${map_text}\n")
  execute_process(COMMAND "${BLST_OBJCOPY}" "--redefine-syms=${map}" "${merged}" "${BLST_OUT}"
                  COMMAND_ERROR_IS_FATAL ANY)

  # An undefined reference that the portable library satisfies would silently run portable
  # code inside the ADX build (or mix Montgomery conventions); refuse to produce such an object.
  blst_symbols(undefined "${BLST_OUT}" --undefined-only)
  blst_symbols(portable "${BLST_PORTABLE}" --defined-only -g)
  set(leaks "${undefined}")
  list(REMOVE_ITEM leaks "_GLOBAL_OFFSET_TABLE_")
  foreach(name IN LISTS leaks)
    if(NOT name IN_LIST portable)
      list(REMOVE_ITEM leaks "${name}")
    endif()
  endforeach()
  if(leaks)
    file(REMOVE "${BLST_OUT}")
    message(FATAL_ERROR "blst ADX object still references portable symbols: ${leaks}")
  endif()
  file(REMOVE "${merged}")
  return()
endif()

set(BLST_DIR "${CC_NODE_MODULES}/@chainsafe/blst/blst")
if(NOT EXISTS "${BLST_DIR}/src/server.c")
  message(FATAL_ERROR "blst sources not found in ${BLST_DIR}. Run scripts/setup.sh (npm ci --ignore-scripts) first.")
endif()
set(BLST_SOURCES "${BLST_DIR}/src/server.c" "${BLST_DIR}/build/assembly.S")
set(BLST_OPTIONS -O2 -fno-builtin -fPIC -Wno-unused-function -Wno-unused-command-line-argument)

add_library(blst STATIC ${BLST_SOURCES})
target_include_directories(blst SYSTEM PUBLIC "${BLST_DIR}/bindings")
target_compile_definitions(blst PRIVATE __BLST_PORTABLE__)
target_compile_options(blst PRIVATE ${BLST_OPTIONS})
set_target_properties(blst PROPERTIES C_STANDARD 99 POSITION_INDEPENDENT_CODE ON)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" AND NOT APPLE AND NOT WIN32)
  foreach(tool CMAKE_LINKER CMAKE_NM CMAKE_OBJCOPY)
    if(NOT ${tool})
      message(FATAL_ERROR "${tool} not found: needed to build the ADX variant of blst")
    endif()
  endforeach()

  # Flags as blst's build.sh passes them on an ADX machine: -D__ADX__ only. The C code
  # needs no -mbmi2/-madx (it calls the assembly for all mulx/adcx/adox work).
  # -fno-lto: ld -r and objcopy need real machine code, not LTO bytecode.
  add_library(blst_adx_objects OBJECT ${BLST_SOURCES})
  target_compile_definitions(blst_adx_objects PRIVATE __ADX__)
  target_compile_options(blst_adx_objects PRIVATE ${BLST_OPTIONS} -fno-lto)
  set_target_properties(blst_adx_objects PROPERTIES C_STANDARD 99 POSITION_INDEPENDENT_CODE ON
                                                    INTERPROCEDURAL_OPTIMIZATION OFF)

  set(BLST_ADX_OBJECT "${CMAKE_CURRENT_BINARY_DIR}/blst_adx.o")
  add_custom_command(
    OUTPUT "${BLST_ADX_OBJECT}"
    COMMAND "${CMAKE_COMMAND}"
            "-DBLST_OBJECTS=$<JOIN:$<TARGET_OBJECTS:blst_adx_objects>,|>"
            "-DBLST_PORTABLE=$<TARGET_FILE:blst>" "-DBLST_OUT=${BLST_ADX_OBJECT}" -DBLST_PREFIX=blstadx_
            "-DBLST_LD=${CMAKE_LINKER}" "-DBLST_NM=${CMAKE_NM}" "-DBLST_OBJCOPY=${CMAKE_OBJCOPY}"
            -P "${CMAKE_CURRENT_LIST_FILE}"
    DEPENDS blst_adx_objects $<TARGET_OBJECTS:blst_adx_objects> blst "${CMAKE_CURRENT_LIST_FILE}"
    COMMENT "Merging the ADX build of blst and prefixing its symbols with blstadx_"
    VERBATIM)
  set_source_files_properties("${BLST_ADX_OBJECT}" PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)

  add_library(blst_adx STATIC "${BLST_ADX_OBJECT}")
  set_target_properties(blst_adx PROPERTIES LINKER_LANGUAGE C)
  # Tells src/crypto/blst_dispatch.cpp that the blstadx_ functions exist.
  target_compile_definitions(blst_adx INTERFACE CC_BLST_HAVE_ADX)
endif()
