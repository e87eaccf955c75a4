# Small helpers: one way to declare a library, an executable and a test.

set(SCALEPLAN_WARNING_FLAGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers)
if(SCALEPLAN_WERROR)
  list(APPEND SCALEPLAN_WARNING_FLAGS -Werror)
endif()

function(scaleplan_set_warnings target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${SCALEPLAN_WARNING_FLAGS}>)
endfunction()

# scaleplan_add_library(NAME SOURCES a.cc ... [PUBLIC_LINKS ...] [PRIVATE_LINKS ...])
function(scaleplan_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_LINKS;PRIVATE_LINKS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_LINKS} PRIVATE ${ARG_PRIVATE_LINKS})
  scaleplan_set_warnings(${name})
endfunction()

# scaleplan_add_executable(NAME SOURCES ... [LINKS ...])
function(scaleplan_add_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINKS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LINKS})
  scaleplan_set_warnings(${name})
endfunction()

# scaleplan_add_test(core/units_test.cc [RUNS_CLI] [LINKS ...] [LABELS ...] [TIMEOUT SECONDS])
#   -> executable core_units_test, CTest name core/units_test. RUNS_CLI: the test starts the `scaleplan` binary,
#   whose path it gets as SCALEPLAN_BINARY, and building the test builds the binary.
function(scaleplan_add_test source)
  cmake_parse_arguments(ARG "RUNS_CLI" "TIMEOUT" "LINKS;LABELS" ${ARGN})
  get_filename_component(dir ${source} DIRECTORY)
  get_filename_component(stem ${source} NAME_WE)
  string(REPLACE "/" "_" target "${dir}_${stem}")
  add_executable(${target} ${PROJECT_SOURCE_DIR}/tests/${source})
  target_link_libraries(${target} PRIVATE ${ARG_LINKS} scaleplan_test_main)
  scaleplan_set_warnings(${target})
  if(ARG_RUNS_CLI)
    target_compile_definitions(${target} PRIVATE SCALEPLAN_BINARY="$<TARGET_FILE:scaleplan>")
    add_dependencies(${target} scaleplan)
  endif()
  add_test(NAME ${dir}/${stem} COMMAND ${target})
  set_tests_properties(${dir}/${stem} PROPERTIES
    ENVIRONMENT "SCALEPLAN_SOURCE_DIR=${PROJECT_SOURCE_DIR};QT_QPA_PLATFORM=offscreen"
    LABELS "${dir};${ARG_LABELS}")
  if(ARG_TIMEOUT)
    set_tests_properties(${dir}/${stem} PROPERTIES TIMEOUT ${ARG_TIMEOUT})
  endif()
endfunction()

# scaleplan_embed_file(OUT_CC SYMBOL FILE): compiles FILE's bytes into a C++ string_view `SYMBOL`.
function(scaleplan_embed_file out_var symbol file)
  set(out "${PROJECT_BINARY_DIR}/embedded/${symbol}.cc")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DIN=${file} -DOUT=${out} -DSYMBOL=${symbol} -P ${PROJECT_SOURCE_DIR}/cmake/EmbedFile.cmake
    DEPENDS ${file} ${PROJECT_SOURCE_DIR}/cmake/EmbedFile.cmake
    COMMENT "Embedding ${file}")
  set(${out_var} ${out} PARENT_SCOPE)
endfunction()

# scaleplan_add_fuzz_target(csv_runs [LINKS ...]) -> executable csv_runs_fuzz from tests/fuzz/csv_runs_fuzz.cc, and
# CTest fuzz/csv_runs_replay, which runs it on every file of tests/fuzz/corpus/csv_runs and tests/fuzz/regressions/
# csv_runs. With SCALEPLAN_FUZZ it is a libFuzzer binary (scripts/fuzz.sh runs it); otherwise the replay main
# (tests/fuzz/replay_main.cc, target scaleplan_fuzz_replay_main) feeds it the files.
function(scaleplan_add_fuzz_target name)
  cmake_parse_arguments(ARG "" "" "LINKS" ${ARGN})
  set(target ${name}_fuzz)
  set(inputs ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name} ${PROJECT_SOURCE_DIR}/tests/fuzz/regressions/${name})
  add_executable(${target} ${PROJECT_SOURCE_DIR}/tests/fuzz/${name}_fuzz.cc)
  target_link_libraries(${target} PRIVATE ${ARG_LINKS})
  scaleplan_set_warnings(${target})
  if(SCALEPLAN_FUZZ)
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
    add_test(NAME fuzz/${name}_replay COMMAND ${target} -runs=0 ${inputs})
  else()
    target_link_libraries(${target} PRIVATE scaleplan_fuzz_replay_main)
    add_test(NAME fuzz/${name}_replay COMMAND ${target} ${inputs})
  endif()
  set_tests_properties(fuzz/${name}_replay PROPERTIES LABELS "fuzz")
endfunction()
