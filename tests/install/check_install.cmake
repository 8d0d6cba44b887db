# check_install.cmake -DSTAGE=P -DCC=cc -DLIBDIR=lib -DSOVERSION=0.1: the installed tree.
set(L ${STAGE}/${LIBDIR})
foreach(f bin/dlacc include/dlacc.h include/dlart.h include/dla_types.h include/dla_version.h
          ${LIBDIR}/libdlacc.a ${LIBDIR}/libdlart.a ${LIBDIR}/libdlacc.so ${LIBDIR}/libdlart.so
          ${LIBDIR}/libdlacc.so.${SOVERSION} ${LIBDIR}/libdlart.so.${SOVERSION}
          share/dlacc/targets/dla-edge.xml share/dlacc/targets/dla-server.xml
          ${LIBDIR}/pkgconfig/dlacc.pc ${LIBDIR}/pkgconfig/dlart.pc
          ${LIBDIR}/cmake/dlacc/dlaccConfig.cmake ${LIBDIR}/cmake/dlacc/dlaccConfigVersion.cmake
          ${LIBDIR}/cmake/dlacc/dlaccTargets.cmake)
  if(NOT EXISTS ${STAGE}/${f})
    message(FATAL_ERROR "not installed: ${STAGE}/${f}")
  endif()
endforeach()

# The shared libraries export the public API and nothing else.
foreach(lib dlacc dlart)
  execute_process(COMMAND nm -D --defined-only ${L}/lib${lib}.so OUTPUT_VARIABLE syms RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "nm -D ${L}/lib${lib}.so failed")
  endif()
  string(REGEX MATCHALL "[^\n]+" lines "${syms}")
  set(n 0)
  foreach(line ${lines})
    if(NOT line MATCHES " ${lib}_[a-z0-9_]+$")
      message(FATAL_ERROR "lib${lib}.so exports a symbol outside the public API: ${line}")
    endif()
    math(EXPR n "${n} + 1")
  endforeach()
  if(n LESS 10)
    message(FATAL_ERROR "lib${lib}.so exports only ${n} symbols")
  endif()
  message(STATUS "lib${lib}.so: ${n} exported symbols, all ${lib}_*")
  execute_process(COMMAND readelf -d ${L}/lib${lib}.so OUTPUT_VARIABLE dyn)
  if(NOT dyn MATCHES "SONAME[^\n]*lib${lib}\\.so\\.${SOVERSION}\\]")
    message(FATAL_ERROR "lib${lib}.so: no SONAME lib${lib}.so.${SOVERSION}")
  endif()
endforeach()
# libdlacc.so finds libdlart.so beside it.
execute_process(COMMAND readelf -d ${L}/libdlacc.so OUTPUT_VARIABLE dyn)
if(NOT dyn MATCHES "(RUNPATH|RPATH)[^\n]*\\$ORIGIN")
  message(FATAL_ERROR "libdlacc.so has no RUNPATH $ORIGIN:\n${dyn}")
endif()
# libdlart: C only, no LLVM.
execute_process(COMMAND readelf -d ${L}/libdlart.so OUTPUT_VARIABLE dyn)
if(dyn MATCHES "LLVM|stdc\\+\\+")
  message(FATAL_ERROR "libdlart.so depends on LLVM or libstdc++:\n${dyn}")
endif()

# Every public header compiles alone, with only the installed include folder.
foreach(h dlacc.h dlart.h dla_types.h dla_version.h)
  file(WRITE ${STAGE}/probe_${h}.c "#include <${h}>\n#include <${h}>\nint probe;\n")
  execute_process(COMMAND ${CC} -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -I${STAGE}/include
                          ${STAGE}/probe_${h}.c RESULT_VARIABLE rc ERROR_VARIABLE out)
  file(REMOVE ${STAGE}/probe_${h}.c)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${h} does not compile alone:\n${out}")
  endif()
endforeach()
