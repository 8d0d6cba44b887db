# check_moved.cmake -DSTAGE=P: the installed tree is relocatable. Copy it, and
# the copied bin/dlacc finds the shipped targets in its own share/dlacc/targets
# (not the build tree's, not $DLACC_TARGETS), and its pkg-config files point
# at the copy.
set(MOVED ${STAGE}-moved)
file(REMOVE_RECURSE ${MOVED})
file(COPY ${STAGE}/ DESTINATION ${MOVED})
execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=DLACC_TARGETS ${MOVED}/bin/dlacc target
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT "${out}${err}" MATCHES "${MOVED}/bin/../share/dlacc/targets")
  message(FATAL_ERROR "dlacc target (moved tree, rc ${rc}):\n${out}${err}")
endif()
file(REMOVE_RECURSE ${MOVED})
