# Run-time tests of Aspen's liblmdb.so.0 (src/abi) as a drop-in for Debian's liblmdb0; included from
# tests/abi/CMakeLists.txt. Each test program is a plain liblmdb client (Debian's header, Debian's library, no
# RPATH) that LD_LIBRARY_PATH switches to Aspen's build; run_with_library.sh first proves with ldd which
# liblmdb.so.0 will load. The *_lmdb twins run the same tests on Debian's library, proving the expectations.
#   abi_runtime_swap_aspen / _lmdb   the C API end to end (abi_runtime_swap.c)
#   abi_python_binding / _lmdb       Debian's python3-lmdb (python_binding_test.py)
#   abi_runtime_midl                 the exported mdb_midl_* helpers against Debian's, in one process
#   abi_exports                      SONAME and exported symbols against Debian's library
# Label "ci" only: an ASan-built liblmdb.so.0 cannot be swapped into an uninstrumented program.
find_file(ASPEN_DEBIAN_LMDB_H lmdb.h PATHS /usr/include NO_DEFAULT_PATH)
find_library(ASPEN_DEBIAN_LMDB NAMES lmdb PATHS /usr/lib/x86_64-linux-gnu /usr/lib NO_DEFAULT_PATH)
if(NOT TARGET lmdb_abi OR NOT ASPEN_DEBIAN_LMDB_H OR NOT ASPEN_DEBIAN_LMDB)
  message(WARNING "ABI run-time tests disabled: need liblmdb-dev (scripts/install-deps.sh test)")
  return()
endif()

set(abi_runner ${CMAKE_CURRENT_SOURCE_DIR}/run_with_library.sh)
set(abi_debian_include ${CMAKE_CURRENT_BINARY_DIR}/debian-include)
file(MAKE_DIRECTORY ${abi_debian_include})
file(CREATE_LINK ${ASPEN_DEBIAN_LMDB_H} ${abi_debian_include}/lmdb.h SYMBOLIC)

add_executable(abi_runtime_swap abi_runtime_swap.c)
target_include_directories(abi_runtime_swap BEFORE PRIVATE ${abi_debian_include})
target_link_libraries(abi_runtime_swap PRIVATE ${ASPEN_DEBIAN_LMDB})
set_target_properties(abi_runtime_swap PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON SKIP_BUILD_RPATH ON)
add_dependencies(abi_runtime_swap lmdb_abi)
add_test(NAME abi_runtime_swap_aspen
         COMMAND sh ${abi_runner} $<TARGET_FILE_DIR:lmdb_abi> $<TARGET_FILE:abi_runtime_swap>
                 $<TARGET_FILE:abi_runtime_swap> --expect aspen)
add_test(NAME abi_runtime_swap_lmdb
         COMMAND sh ${abi_runner} - $<TARGET_FILE:abi_runtime_swap> $<TARGET_FILE:abi_runtime_swap> --expect lmdb)

add_executable(abi_runtime_midl abi_runtime_midl.c)
target_link_libraries(abi_runtime_midl PRIVATE ${CMAKE_DL_LIBS})
set_target_properties(abi_runtime_midl PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON)
add_dependencies(abi_runtime_midl lmdb_abi)
add_test(NAME abi_runtime_midl COMMAND abi_runtime_midl $<TARGET_FILE:lmdb_abi> ${ASPEN_DEBIAN_LMDB})

add_test(NAME abi_exports COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/check_exports.sh $<TARGET_FILE:lmdb_abi>
                                  ${ASPEN_DEBIAN_LMDB})
set_tests_properties(abi_runtime_swap_aspen abi_runtime_swap_lmdb abi_runtime_midl abi_exports
                     PROPERTIES LABELS "ci" TIMEOUT 120)

# Debian's python3-lmdb: the system interpreter (its extension module is built for it), when installed.
find_program(ASPEN_SYSTEM_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(ASPEN_SYSTEM_PYTHON)
  execute_process(COMMAND ${ASPEN_SYSTEM_PYTHON} -c "import lmdb.cpython as m; print(m.__file__)"
                  OUTPUT_VARIABLE abi_py_lmdb_module OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE abi_py_rc
                  ERROR_QUIET)
endif()
if(NOT ASPEN_SYSTEM_PYTHON OR NOT abi_py_rc EQUAL 0)
  message(WARNING "abi_python_binding disabled: needs /usr/bin/python3 with python3-lmdb")
  return()
endif()
set(abi_py_test ${CMAKE_CURRENT_SOURCE_DIR}/python_binding_test.py)
add_test(NAME abi_python_binding
         COMMAND sh ${abi_runner} $<TARGET_FILE_DIR:lmdb_abi> ${abi_py_lmdb_module}
                 env ASPEN_EXPECT=aspen ASPEN_LIB_DIR=$<TARGET_FILE_DIR:lmdb_abi> ${ASPEN_SYSTEM_PYTHON} ${abi_py_test})
add_test(NAME abi_python_binding_lmdb
         COMMAND sh ${abi_runner} - ${abi_py_lmdb_module} env ASPEN_EXPECT=lmdb ${ASPEN_SYSTEM_PYTHON} ${abi_py_test})
set_tests_properties(abi_python_binding abi_python_binding_lmdb PROPERTIES LABELS "ci" TIMEOUT 300)
