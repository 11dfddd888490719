# blst is compiled from the C and assembly sources shipped inside the npm package
# @chainsafe/blst (pinned in package-lock.json, installed by `npm ci --ignore-scripts`).
# Built portable: __BLST_PORTABLE__ selects ADX/BMI2 code paths at run time, so the
# binary runs on any x86-64 CPU (blst's build.sh would hard-wire -D__ADX__ here).
set(BLST_DIR "${CC_NODE_MODULES}/@chainsafe/blst/blst")
if(NOT EXISTS "${BLST_DIR}/src/server.c")
  message(FATAL_ERROR "blst sources not found in ${BLST_DIR}. Run scripts/setup.sh (npm ci --ignore-scripts) first.")
endif()

add_library(blst STATIC "${BLST_DIR}/src/server.c" "${BLST_DIR}/build/assembly.S")
target_include_directories(blst SYSTEM PUBLIC "${BLST_DIR}/bindings")
target_compile_definitions(blst PRIVATE __BLST_PORTABLE__)
target_compile_options(blst PRIVATE -O2 -fno-builtin -fPIC -Wno-unused-function -Wno-unused-command-line-argument)
set_target_properties(blst PROPERTIES C_STANDARD 99 POSITION_INDEPENDENT_CODE ON)
