# Packaging (issue 7): libaspen, the installed files, pkg-config files and the CMake package.
# Included by the top-level CMakeLists.txt once every layer, src/abi and tools/ are defined.
#
#   aspen_lib   libaspen.so.0: the C++ API (include/aspen/*.hpp) with every layer below it and the coroutine read
#               API (async), as one shared library, built from the layers' own objects. Exported as aspen::aspen.
#   lmdb_abi    liblmdb.so.0 (src/abi), the drop-in C ABI. Exported as aspen::lmdb.
#
# `cmake --install BUILD [--prefix P]` puts in place (GNUInstallDirs; DESTDIR is honoured):
#   include/aspen/*.hpp, include/lmdb.h
#   lib/libaspen.so{,.0,.0.1.0}, lib/liblmdb.so{,.0,.0.9.70}
#   lib/pkgconfig/aspen.pc, lib/pkgconfig/lmdb.pc (the shape of Debian's liblmdb-dev lmdb.pc)
#   lib/cmake/aspen/aspenConfig.cmake (+ version and targets): find_package(aspen CONFIG REQUIRED)
#   bin/aspen and its LMDB names (tools/), bin/aspen_bench when built (bench/)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(aspen_lib_objects "")
foreach(layer util format os page pager tree check txn env api async)
  get_target_property(type aspen_${layer} TYPE)
  if(type STREQUAL "STATIC_LIBRARY")
    list(APPEND aspen_lib_objects $<TARGET_OBJECTS:aspen_${layer}>)
  endif()
endforeach()
add_library(aspen_lib SHARED ${aspen_lib_objects})
set_target_properties(aspen_lib PROPERTIES OUTPUT_NAME aspen EXPORT_NAME aspen
                                           VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
target_include_directories(aspen_lib INTERFACE $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>
                                               $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_features(aspen_lib INTERFACE cxx_std_20)
target_link_libraries(aspen_lib PRIVATE Threads::Threads)
if(ASPEN_WITH_URING)
  # The io_uring objects of the os layer need liburing; its archive goes inside, not re-exported.
  target_link_libraries(aspen_lib PRIVATE ${ASPEN_URING_LIBRARY})
  target_link_options(aspen_lib PRIVATE -Wl,--exclude-libs,ALL)
endif()
if(NOT ASPEN_SANITIZE)
  target_link_options(aspen_lib PRIVATE -Wl,-z,defs)
endif()
add_library(aspen::aspen ALIAS aspen_lib)

install(TARGETS aspen_lib lmdb_abi EXPORT aspenTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_SOURCE_DIR}/include/lmdb.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/aspen DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")

# CMake package.
set(aspen_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/aspen)
install(EXPORT aspenTargets NAMESPACE aspen:: DESTINATION ${aspen_cmake_dir})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/aspenConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/aspenConfig.cmake INSTALL_DESTINATION ${aspen_cmake_dir})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/aspenConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/aspenConfig.cmake ${CMAKE_BINARY_DIR}/aspenConfigVersion.cmake
        DESTINATION ${aspen_cmake_dir})

# pkg-config files, written at install time so that their prefix is the one installed to (--prefix may differ
# from the configured CMAKE_INSTALL_PREFIX), as absolute paths like Debian's lmdb.pc.
set(aspen_pc_dir ${CMAKE_BINARY_DIR}/pkgconfig)
get_target_property(aspen_lmdb_version lmdb_abi VERSION)
install(CODE "
  set(PC_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
  set(PC_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
  set(PC_ASPEN_VERSION \"${PROJECT_VERSION}\")
  set(PC_LMDB_VERSION \"${aspen_lmdb_version}\")
  set(PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${CMAKE_SOURCE_DIR}/cmake/aspen.pc.in\" \"${aspen_pc_dir}/aspen.pc\" @ONLY)
  configure_file(\"${CMAKE_SOURCE_DIR}/cmake/lmdb.pc.in\" \"${aspen_pc_dir}/lmdb.pc\" @ONLY)")
install(FILES ${aspen_pc_dir}/aspen.pc ${aspen_pc_dir}/lmdb.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
