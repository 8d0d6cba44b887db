# stage.cmake -DSTAGE=P -DBUILD=B: a fresh `cmake --install B --prefix P`.
file(REMOVE_RECURSE ${STAGE})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD} --prefix ${STAGE} RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install ${BUILD} --prefix ${STAGE} failed (${rc})")
endif()
