# dla_module(NAME FOLDER [BARE] [LINKS lib...] [PRIVATE_LINKS lib...])
#
# One module of the data flow (docs/architecture.md) = one static library built
# from FOLDER/*.c. Nothing is on a global include path: a module's headers are
# reachable as "FOLDER/x.h" only by targets that link the module, through an
# include directory of its own in the build tree (include-of/NAME/FOLDER is a
# link to the source folder). A module that includes the header of a module it
# does not link, which is every upward include, therefore fails to compile.
# BARE also exports the folder itself, so that "x.h" works (support/, ir/, whose
# headers everything uses). Files of a module include their own headers by bare
# name (the including file's folder is searched first).
function(dla_module name folder)
  cmake_parse_arguments(M "BARE" "" "LINKS;PRIVATE_LINKS;SOURCES" ${ARGN})
  file(GLOB src CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${folder}/*.c)
  add_library(${name} STATIC ${src} ${M_SOURCES})
  set(inc ${CMAKE_BINARY_DIR}/include-of/${name})
  get_filename_component(parent ${inc}/${folder} DIRECTORY)
  file(MAKE_DIRECTORY ${parent})
  if(NOT EXISTS ${inc}/${folder})
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/${folder} ${inc}/${folder} SYMBOLIC)
  endif()
  target_include_directories(${name} PUBLIC ${inc})
  if(M_BARE)
    target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR}/${folder})
  endif()
  target_link_libraries(${name} PUBLIC ${M_LINKS} PRIVATE ${M_PRIVATE_LINKS})
endfunction()

# dla_public_header(TARGET HEADER): the public header include/HEADER belongs to
# TARGET: only targets that link TARGET see it (by its bare name).
function(dla_public_header target header)
  set(dir ${CMAKE_BINARY_DIR}/include-of/${target}-public)
  file(MAKE_DIRECTORY ${dir})
  if(NOT EXISTS ${dir}/${header})
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/include/${header} ${dir}/${header} SYMBOLIC)
  endif()
  target_include_directories(${target} PUBLIC ${dir})
endfunction()
