# The installable libraries, built from the module objects (cmake/DlaModule.cmake):
#
#   libdlart  the runtime: runtime/ + isa/ (simulator, .dla reader) + support/.
#             C only, no LLVM (libxml2 for target XMLs).
#   libdlacc  the compiler: driver/, backend/host (LLVM), backend/dla, backend/qref,
#             passes/, frontend/ (protobuf-c), quant/, ir/, isa/, support/; its
#             shared form depends on libdlart.so for the dlart_* calls.
#
# Each comes static (libX.a) and shared (libX.so.MAJOR.MINOR.PATCH, SONAME
# libX.so.SOVERSION). Everything is compiled with hidden visibility, so a shared
# library exports exactly the functions the public headers mark DLA_EXPORT
# (dlacc_*, dlart_*; tests/install checks it with nm -D). The internal module
# archives stay what the tests and the CLI link.
find_package(LibXml2 REQUIRED)
include(CMakePackageConfigHelpers)

# While the major version is 0, every minor release may break the ABI.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(DLA_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
else()
  set(DLA_SOVERSION ${PROJECT_VERSION_MAJOR})
endif()

set(DLA_RT_MODULES dla_runtime dla_isa dla_support)
set(DLA_CC_MODULES dla_driver dla_host dla_dla dla_qref dla_passes dla_frontend dla_onnx_proto dla_quant dla_ir
                   dla_isa dla_support)
set(DLA_PUBLIC_HEADERS ${CMAKE_SOURCE_DIR}/include/dlacc.h ${CMAKE_SOURCE_DIR}/include/dlart.h
                       ${CMAKE_SOURCE_DIR}/include/dla_types.h ${CMAKE_SOURCE_DIR}/include/dla_version.h)
# The system libraries behind the modules (as paths/flags, so the exported
# package needs no find_dependency).
set(DLA_RT_SYSLIBS ${LIBXML2_LIBRARIES} m ${CMAKE_DL_LIBS})
set(DLA_CC_SYSLIBS ${PROTOBUF_C_LIB} ${DLA_LLVM_LINK} ${LIBXML2_LIBRARIES} m ${CMAKE_DL_LIBS})

function(dla_objects out)
  set(objs "")
  foreach(m ${ARGN})
    list(APPEND objs $<TARGET_OBJECTS:${m}>)
  endforeach()
  set(${out} ${objs} PARENT_SCOPE)
endfunction()
dla_objects(DLA_RT_OBJS ${DLA_RT_MODULES})
dla_objects(DLA_CC_OBJS ${DLA_CC_MODULES})

foreach(kind shared static)
  string(TOUPPER ${kind} KIND)
  add_library(dlart_${kind} ${KIND} ${DLA_RT_OBJS})
  add_library(dlacc_${kind} ${KIND} ${DLA_CC_OBJS})
  foreach(lib dlart dlacc)
    set_target_properties(${lib}_${kind} PROPERTIES OUTPUT_NAME ${lib} LINKER_LANGUAGE C
      ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)
    target_include_directories(${lib}_${kind} INTERFACE
      $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>
      $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  endforeach()
endforeach()
set_target_properties(dlart_shared PROPERTIES EXPORT_NAME dlart VERSION ${PROJECT_VERSION} SOVERSION ${DLA_SOVERSION})
set_target_properties(dlacc_shared PROPERTIES EXPORT_NAME dlacc VERSION ${PROJECT_VERSION} SOVERSION ${DLA_SOVERSION})
# libdlacc.so finds the libdlart.so installed beside it, whatever the
# executable's RUNPATH says (RUNPATH does not apply to indirect dependencies).
set_target_properties(dlacc_shared PROPERTIES INSTALL_RPATH "\$ORIGIN")
set_target_properties(dlart_static PROPERTIES EXPORT_NAME dlart_static)
set_target_properties(dlacc_static PROPERTIES EXPORT_NAME dlacc_static)
# Symbols of static archives linked into a shared library stay local to it.
foreach(lib dlart_shared dlacc_shared)
  target_link_options(${lib} PRIVATE -Wl,--exclude-libs,ALL
                      -Wl,--version-script=${CMAKE_SOURCE_DIR}/cmake/dla_exports.map)
  if(NOT DLA_SANITIZE) # the sanitizer runtimes resolve from the executable
    target_link_options(${lib} PRIVATE -Wl,--no-undefined)
  endif()
  set_property(TARGET ${lib} APPEND PROPERTY LINK_DEPENDS ${CMAKE_SOURCE_DIR}/cmake/dla_exports.map)
endforeach()
target_link_directories(dlacc_shared PRIVATE ${DLA_LLVM_LIBDIR})
target_link_libraries(dlart_shared PRIVATE ${DLA_RT_SYSLIBS})
target_link_libraries(dlacc_shared PUBLIC dlart_shared PRIVATE ${DLA_CC_SYSLIBS})
# A static library's dependencies travel with it (LINK_ONLY in the package).
target_link_libraries(dlart_static PRIVATE ${DLA_RT_SYSLIBS})
target_link_libraries(dlacc_static PUBLIC dlart_static PRIVATE ${DLA_CC_SYSLIBS})
target_link_directories(dlacc_static INTERFACE $<BUILD_INTERFACE:${DLA_LLVM_LIBDIR}>
                        $<INSTALL_INTERFACE:${DLA_LLVM_LIBDIR}>)
add_custom_target(dla_libs ALL DEPENDS dlart_shared dlart_static dlacc_shared dlacc_static)

# ---- install: cmake --install BUILD --prefix P ----
install(TARGETS dlacc_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS dlart_shared dlart_static dlacc_shared dlacc_static EXPORT dlaccTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${DLA_PUBLIC_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
file(GLOB DLA_TARGET_XMLS ${CMAKE_SOURCE_DIR}/targets/*.xml)
install(FILES ${DLA_TARGET_XMLS} DESTINATION ${CMAKE_INSTALL_DATADIR}/dlacc/targets)

# pkg-config: prefix relative to the .pc file, so the installed tree may move.
file(RELATIVE_PATH DLA_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" DLA_PC_TO_PREFIX "${DLA_PC_TO_PREFIX}")
string(JOIN " " DLA_PC_LLVM_LIBS ${DLA_LLVM_LINK})
set(CMAKE_DL_LIBS_FLAG "")
if(CMAKE_DL_LIBS)
  set(CMAKE_DL_LIBS_FLAG -l${CMAKE_DL_LIBS})
endif()
foreach(pc dlacc dlart)
  configure_file(${CMAKE_SOURCE_DIR}/cmake/${pc}.pc.in ${CMAKE_BINARY_DIR}/pkgconfig/${pc}.pc @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/pkgconfig/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

# CMake package: find_package(dlacc) -> dlacc::dlacc, dlacc::dlart (shared),
# dlacc::dlacc_static, dlacc::dlart_static.
set(DLA_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/dlacc)
install(EXPORT dlaccTargets NAMESPACE dlacc:: FILE dlaccTargets.cmake DESTINATION ${DLA_CMAKE_DIR})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/dlaccConfig.cmake.in
  ${CMAKE_BINARY_DIR}/cmake-package/dlaccConfig.cmake INSTALL_DESTINATION ${DLA_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_BINDIR CMAKE_INSTALL_DATADIR)
# 0.x: only the same minor version is compatible (as the SOVERSION says).
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(DLA_COMPAT SameMinorVersion)
else()
  set(DLA_COMPAT SameMajorVersion)
endif()
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake-package/dlaccConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${DLA_COMPAT})
install(FILES ${CMAKE_BINARY_DIR}/cmake-package/dlaccConfig.cmake
              ${CMAKE_BINARY_DIR}/cmake-package/dlaccConfigVersion.cmake DESTINATION ${DLA_CMAKE_DIR})
