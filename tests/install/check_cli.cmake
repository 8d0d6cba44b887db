# check_cli.cmake -DSTAGE=P -DSRC=S -DWORK=W: the installed bin/dlacc runs a
# model on the host and writes --stats-json (wall times, arena bytes), and
# --version reports the libraries' versions.
file(MAKE_DIRECTORY ${WORK})
set(E ${SRC}/examples/embed)
execute_process(COMMAND ${STAGE}/bin/dlacc run ${E}/model.onnx --host-only --input ${E}/calib/input_0.pb
                        --output ${WORK}/out.pb --stats-json ${WORK}/host.json
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dlacc run --host-only failed (${rc}): ${err}")
endif()
file(READ ${WORK}/host.json js)
foreach(key "\"wall\"" "\"load\"" "\"infer\"" "\"compile\"" "\"run\"" "\"arena_bytes\": [1-9]")
  if(NOT js MATCHES "${key}")
    message(FATAL_ERROR "host.json lacks ${key}:\n${js}")
  endif()
endforeach()
execute_process(COMMAND ${STAGE}/bin/dlacc --version OUTPUT_VARIABLE v RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT v MATCHES "libdlacc [0-9]+\\.[0-9]+\\.[0-9]+, libdlart [0-9]+\\.[0-9]+\\.[0-9]+")
  message(FATAL_ERROR "dlacc --version: ${v}")
endif()
