# Configures, builds and runs smtp_thread_tests with ThreadSanitizer (see CMakeLists.txt here).
#
#   cmake -DSOURCE_DIR=... -DWORK_DIR=... -DGENERATOR=... -DMAKE_PROGRAM=... -DCXX=... -P run.cmake
cmake_minimum_required(VERSION 3.20)

function(run)
    cmake_parse_arguments(arg "" "TIMEOUT" "COMMAND" ${ARGN})
    list(JOIN arg_COMMAND " " shown)
    message(STATUS "Running: ${shown}")
    execute_process(COMMAND ${arg_COMMAND} TIMEOUT ${arg_TIMEOUT} RESULT_VARIABLE result)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "Failed (${result}): ${shown}")
    endif()
endfunction()

set(configure ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR} -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMTP_SANITIZE_THREAD=ON
    -DSMTP_BUILD_EXAMPLES=OFF -DSMTP_INSTALL=OFF)
if(MAKE_PROGRAM)
    list(APPEND configure -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
run(COMMAND ${configure} TIMEOUT 300)
cmake_host_system_information(RESULT cores QUERY NUMBER_OF_LOGICAL_CORES)
run(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR} -j${cores} --target smtp_thread_tests
    TIMEOUT 1200)

# TSan's shadow memory needs the classic address-space layout; newer kernels randomise mmap
# addresses more than older TSan runtimes expect ("unexpected memory mapping"), so the tests
# run with address randomisation off when setarch can do that.
set(launcher)
find_program(SETARCH setarch)
if(SETARCH)
    execute_process(COMMAND uname -m OUTPUT_VARIABLE arch OUTPUT_STRIP_TRAILING_WHITESPACE)
    execute_process(COMMAND ${SETARCH} ${arch} -R true RESULT_VARIABLE can_setarch
                    OUTPUT_QUIET ERROR_QUIET)
    if(can_setarch EQUAL 0)
        set(launcher ${SETARCH} ${arch} -R)
    endif()
endif()
set(ENV{TSAN_OPTIONS} "halt_on_error=1 second_deadlock_stack=1")
run(COMMAND ${launcher} ${WORK_DIR}/tests/smtp_thread_tests --log_level=test_suite
            --report_level=short TIMEOUT 600)
